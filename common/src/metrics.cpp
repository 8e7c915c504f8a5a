#include "dl/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "dl/error.hpp"

namespace dl::metrics {
namespace {

void check_labels(std::span<const int> truth, std::span<const int> predicted, int classes, const char* what) {
  if (truth.size() != predicted.size())
    throw Error(std::string(what) + ": " + std::to_string(truth.size()) + " true labels but " +
                std::to_string(predicted.size()) + " predictions");
  if (classes < 1) throw Error(std::string(what) + ": classes must be at least 1, not " + std::to_string(classes));
  for (size_t i = 0; i < truth.size(); ++i)
    if (truth[i] < 0 || truth[i] >= classes || predicted[i] < 0 || predicted[i] >= classes)
      throw Error(std::string(what) + ": example " + std::to_string(i) + " has labels " + std::to_string(truth[i]) +
                  " and " + std::to_string(predicted[i]) + ", outside [0, " + std::to_string(classes) + ")");
}

}  // namespace

std::vector<std::vector<int64_t>> confusion_matrix(std::span<const int> truth, std::span<const int> predicted,
                                                   int classes) {
  check_labels(truth, predicted, classes, "confusion_matrix");
  std::vector<std::vector<int64_t>> counts(static_cast<size_t>(classes), std::vector<int64_t>(static_cast<size_t>(classes)));
  for (size_t i = 0; i < truth.size(); ++i) ++counts[static_cast<size_t>(truth[i])][static_cast<size_t>(predicted[i])];
  return counts;
}

double accuracy(std::span<const int> truth, std::span<const int> predicted) {
  if (truth.size() != predicted.size())
    throw Error("accuracy: " + std::to_string(truth.size()) + " true labels but " + std::to_string(predicted.size()) +
                " predictions");
  if (truth.empty()) return 0;
  int64_t right = 0;
  for (size_t i = 0; i < truth.size(); ++i) right += truth[i] == predicted[i];
  return static_cast<double>(right) / static_cast<double>(truth.size());
}

double macro_f1(std::span<const int> truth, std::span<const int> predicted, int classes) {
  const auto counts = confusion_matrix(truth, predicted, classes);
  double sum = 0;
  int present = 0;
  for (size_t c = 0; c < counts.size(); ++c) {
    int64_t true_c = 0, predicted_c = 0;  // row and column sums
    for (size_t j = 0; j < counts.size(); ++j) true_c += counts[c][j], predicted_c += counts[j][c];
    if (true_c == 0 && predicted_c == 0) continue;
    ++present;
    // F1 = 2PR/(P+R) = 2 tp / (true + predicted): no division by zero for a present class.
    sum += 2.0 * static_cast<double>(counts[c][c]) / static_cast<double>(true_c + predicted_c);
  }
  return present == 0 ? 0 : sum / present;
}

std::vector<CalibrationBin> calibration_bins(std::span<const double> confidence, std::span<const char> correct,
                                             int bins) {
  if (confidence.size() != correct.size())
    throw Error("calibration_bins: " + std::to_string(confidence.size()) + " confidences but " +
                std::to_string(correct.size()) + " outcomes");
  if (bins < 1) throw Error("calibration_bins: bins must be at least 1, not " + std::to_string(bins));
  std::vector<CalibrationBin> out(static_cast<size_t>(bins));
  for (int m = 0; m < bins; ++m)
    out[static_cast<size_t>(m)].lo = static_cast<double>(m) / bins, out[static_cast<size_t>(m)].hi = static_cast<double>(m + 1) / bins;
  for (size_t i = 0; i < confidence.size(); ++i) {
    const double p = confidence[i];
    if (!(p >= 0 && p <= 1))
      throw Error("calibration_bins: confidence " + std::to_string(p) + " of example " + std::to_string(i) +
                  " is not a probability");
    // Bin m holds (m/bins, (m+1)/bins]: ceil(p * bins) - 1, with 0 in the first bin.
    const int m = std::max(0, std::min(bins - 1, static_cast<int>(std::ceil(p * bins)) - 1));
    CalibrationBin& b = out[static_cast<size_t>(m)];
    ++b.count;
    b.confidence += p;
    b.accuracy += correct[i] ? 1 : 0;
  }
  for (CalibrationBin& b : out)
    if (b.count > 0) b.confidence /= static_cast<double>(b.count), b.accuracy /= static_cast<double>(b.count);
  return out;
}

double expected_calibration_error(std::span<const double> confidence, std::span<const char> correct, int bins) {
  const std::vector<CalibrationBin> all = calibration_bins(confidence, correct, bins);
  if (confidence.empty()) return 0;
  double ece = 0;
  for (const CalibrationBin& b : all)
    ece += static_cast<double>(b.count) / static_cast<double>(confidence.size()) * std::abs(b.accuracy - b.confidence);
  return ece;
}

}  // namespace dl::metrics

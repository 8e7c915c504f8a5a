#include "report.hpp"

#include <algorithm>
#include <cmath>

#include <dl/error.hpp>

namespace ch06 {

Probabilities softmax_rows(const std::vector<double>& scores) {
  Probabilities probs(scores.size());
  for (size_t r = 0; r + kClasses <= scores.size(); r += kClasses) {
    const double top = *std::max_element(scores.begin() + static_cast<int64_t>(r), scores.begin() + static_cast<int64_t>(r) + kClasses);
    double total = 0;
    for (size_t c = r; c < r + kClasses; ++c) total += probs[c] = std::exp(scores[c] - top);
    for (size_t c = r; c < r + kClasses; ++c) probs[c] /= total;
  }
  return probs;
}

std::vector<int> predictions_of(const Probabilities& probs) {
  std::vector<int> best;
  best.reserve(probs.size() / kClasses);
  for (size_t r = 0; r + kClasses <= probs.size(); r += kClasses)
    best.push_back(static_cast<int>(std::max_element(probs.begin() + static_cast<int64_t>(r),
                                                     probs.begin() + static_cast<int64_t>(r) + kClasses) -
                                    (probs.begin() + static_cast<int64_t>(r))));
  return best;
}

Report evaluate(const Probabilities& probs, std::span<const Example> examples) {
  if (probs.size() != examples.size() * kClasses)
    throw dl::Error("evaluate: " + std::to_string(probs.size()) + " probabilities for " +
                    std::to_string(examples.size()) + " glosses of " + std::to_string(kClasses) + " classes");
  const std::vector<int> truth = labels_of(examples);
  const std::vector<int> predicted = predictions_of(probs);
  std::vector<double> confidence(truth.size());
  std::vector<char> correct(truth.size());
  for (size_t i = 0; i < truth.size(); ++i) {
    confidence[i] = std::clamp(probs[i * kClasses + static_cast<size_t>(predicted[i])], 0.0, 1.0);
    correct[i] = predicted[i] == truth[i];
  }
  Report r;
  r.accuracy = dl::metrics::accuracy(truth, predicted);
  r.macro_f1 = dl::metrics::macro_f1(truth, predicted, kClasses);
  r.ece = dl::metrics::expected_calibration_error(confidence, correct, kCalibrationBins);
  r.confusion = dl::metrics::confusion_matrix(truth, predicted, kClasses);
  r.reliability = dl::metrics::calibration_bins(confidence, correct, kCalibrationBins);
  return r;
}

dl::app::Json to_json(const Report& report) {
  dl::app::Json bins = dl::app::Json::array();
  for (const auto& b : report.reliability)
    bins.push_back({{"lo", b.lo}, {"hi", b.hi}, {"count", b.count}, {"confidence", b.confidence}, {"accuracy", b.accuracy}});
  return {{"accuracy", report.accuracy}, {"macro_f1", report.macro_f1}, {"ece", report.ece}, {"reliability", bins}};
}

}  // namespace ch06

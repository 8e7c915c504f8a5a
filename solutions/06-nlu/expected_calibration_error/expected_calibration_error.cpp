// Reference solution of the exercise expected_calibration_error (chapter 06).
#include <cmath>
#include <stdexcept>
#include <string>

#include "exercises.hpp"

namespace ex {

double expected_calibration_error(std::span<const double> confidence, const std::vector<bool>& correct,
                                  int num_bins) {
  // confidence: (N), each in [0, 1]  correct: (N)  out: the ECE over num_bins equal-width bins
  if (confidence.size() != correct.size() || confidence.empty())
    throw std::invalid_argument("expected_calibration_error: needs one 'correct' per confidence, and at least "
                                "one example; got " + std::to_string(confidence.size()) + " and " +
                                std::to_string(correct.size()));
  if (num_bins < 1) throw std::invalid_argument("expected_calibration_error: num_bins must be >= 1");
  const size_t M = static_cast<size_t>(num_bins);
  std::vector<double> count(M), hits(M), conf_sum(M);
  for (size_t i = 0; i < confidence.size(); ++i) {
    const double c = confidence[i];
    if (!(c >= 0 && c <= 1))
      throw std::invalid_argument("expected_calibration_error: confidence " + std::to_string(c) + " of example " +
                                  std::to_string(i) + " is outside [0, 1]");
    // Bin m holds (m/M, (m+1)/M]; 0 goes in bin 0.
    const size_t m = c == 0 ? 0 : static_cast<size_t>(std::ceil(c * num_bins)) - 1;
    count[m] += 1;
    hits[m] += correct[i] ? 1 : 0;
    conf_sum[m] += c;
  }
  const double n = static_cast<double>(confidence.size());
  double ece = 0;
  for (size_t m = 0; m < M; ++m)
    if (count[m] > 0) ece += count[m] / n * std::abs(hits[m] / count[m] - conf_sum[m] / count[m]);
  return ece;
}

}  // namespace ex

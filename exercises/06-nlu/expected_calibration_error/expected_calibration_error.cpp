// Exercise expected_calibration_error (chapter 06): how far confidence is from accuracy.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade expected_calibration_error`.
#include "exercises.hpp"

namespace ex {

double expected_calibration_error([[maybe_unused]] std::span<const double> confidence,
                                  [[maybe_unused]] const std::vector<bool>& correct,
                                  [[maybe_unused]] int num_bins) {
  // confidence: (N), each in [0, 1]  correct: (N)  out: the ECE over num_bins equal-width bins
  // TODO: std::invalid_argument for lengths that differ, no examples, num_bins < 1 or a
  // confidence outside [0, 1].
  // Put each example in its bin (ceil(confidence M) - 1, bin 0 for confidence 0) and keep
  // per bin: how many examples, how many correct, the sum of their confidences. Then add
  // |B_m| / n |acc(B_m) - conf(B_m)| over the bins that are not empty.
  throw dl::NotImplemented(
      "expected_calibration_error is not written yet "
      "(exercises/06-nlu/expected_calibration_error/expected_calibration_error.cpp)");
}

}  // namespace ex

/// @file metrics.hpp
/// @brief How good a classifier is, beyond accuracy: the confusion matrix, macro-F1,
/// and calibration (expected calibration error and the reliability diagram's bins).
/// Plain arithmetic on labels and probabilities, no tensors (chapter 06).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace dl::metrics {

/// counts[true class][predicted class] over the examples. Throws dl::Error when the spans
/// differ in length or a label is outside [0, classes).
std::vector<std::vector<int64_t>> confusion_matrix(std::span<const int> truth, std::span<const int> predicted,
                                                   int classes);

/// The share of examples whose prediction is the truth (0 for no examples).
double accuracy(std::span<const int> truth, std::span<const int> predicted);

/// The unweighted mean over classes of F1 = 2PR / (P + R), so a rare class counts as much as
/// a common one. Classes that occur neither in the truth nor in the predictions are left out
/// of the mean (they have no F1); a class that occurs but is never predicted right has F1 0.
/// Throws dl::Error as `confusion_matrix` does.
double macro_f1(std::span<const int> truth, std::span<const int> predicted, int classes);

/// One bin of a reliability diagram: the predictions whose confidence lies in (lo, hi].
struct CalibrationBin {
  double lo = 0;              ///< the bin's lower edge, excluded (the first bin also holds confidence 0)
  double hi = 0;              ///< the bin's upper edge, included
  int64_t count = 0;          ///< predictions in the bin
  double confidence = 0;      ///< their mean confidence (0 when empty)
  double accuracy = 0;        ///< the share of them that were right (0 when empty)
};

/// The reliability diagram's `bins` equal-width bins over [0, 1]: bin m holds the
/// confidences in (m/bins, (m+1)/bins], confidence 0 goes to the first bin.
/// `confidence[i]` is the probability the model gave its prediction i, `correct[i]` whether
/// that prediction was right. Throws dl::Error when the spans differ in length, bins < 1, or
/// a confidence is outside [0, 1] or NaN.
std::vector<CalibrationBin> calibration_bins(std::span<const double> confidence, std::span<const char> correct,
                                             int bins);

/// Expected calibration error: sum over the bins of (count / n) * |accuracy - confidence|,
/// the average gap between how sure the model is and how often it is right (0 for no
/// examples). Throws as `calibration_bins`.
double expected_calibration_error(std::span<const double> confidence, std::span<const char> correct, int bins = 15);

}  // namespace dl::metrics

// Chapter 06: what every model is scored on. A model's output is P(class | gloss) for each
// gloss; from it come the accuracy, macro-F1, the expected calibration error and the
// confusion matrix.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <dl/app.hpp>
#include <dl/metrics.hpp>

#include "glosses.hpp"

namespace ch06 {

/// P(class | gloss) of n glosses: n x kClasses, row-major.
using Probabilities = std::vector<double>;

/// Each row of `scores` (n x kClasses log-probabilities up to a constant per row, such as
/// log P(x|y) + log P(y)) turned into probabilities: exp(s - logsumexp(row)).
Probabilities softmax_rows(const std::vector<double>& scores);

/// The most probable class of each row.
std::vector<int> predictions_of(const Probabilities& probs);

/// How a model did on a set of glosses.
struct Report {
  double accuracy = 0, macro_f1 = 0, ece = 0;
  std::vector<std::vector<int64_t>> confusion;            ///< [true][predicted]
  std::vector<dl::metrics::CalibrationBin> reliability;   ///< the ECE's bins
};

/// The number of bins of the ECE and the reliability diagram.
inline constexpr int kCalibrationBins = 15;

/// Scores `probs` against the labels of `examples`. Throws dl::Error when the sizes differ.
Report evaluate(const Probabilities& probs, std::span<const Example> examples);

/// {"accuracy", "macro_f1", "ece", "reliability": [{lo, hi, count, confidence, accuracy}]}
dl::app::Json to_json(const Report& report);

}  // namespace ch06

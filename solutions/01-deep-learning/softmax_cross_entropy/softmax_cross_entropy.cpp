// Reference solution of the exercise softmax_cross_entropy (chapter 01).
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "exercises.hpp"

namespace ex {

LossAndGrad softmax_cross_entropy(const dl::Tensor& logits, std::span<const int> targets) {
  if (logits.dim() != 2 || logits.size(0) == 0 || logits.size(1) == 0)
    throw dl::ShapeError("softmax_cross_entropy: logits " + dl::to_string(logits.shape()) +
                         " are not a non-empty (N, C) matrix");
  const int64_t rows = logits.size(0), classes = logits.size(1);
  if (static_cast<int64_t>(targets.size()) != rows)
    throw dl::ShapeError("softmax_cross_entropy: logits " + dl::to_string(logits.shape()) + " have " +
                         std::to_string(rows) + " rows but there are " + std::to_string(targets.size()) + " targets");
  for (size_t n = 0; n < targets.size(); ++n)
    if (targets[n] < 0 || targets[n] >= classes)
      throw std::out_of_range("softmax_cross_entropy: target " + std::to_string(targets[n]) + " of row " +
                              std::to_string(n) + " is not a class index in [0, " + std::to_string(classes) + ")");

  LossAndGrad result{0.0f, dl::Tensor::empty(logits.shape())};
  const float* z = logits.data();
  float* d = result.dlogits.data();
  const float inv_rows = 1.0f / static_cast<float>(rows);
  double total = 0.0;
  for (int64_t n = 0; n < rows; ++n) {
    const float* row = z + n * classes;
    float* drow = d + n * classes;
    // Softmax does not change when a constant is subtracted from every logit; with
    // the maximum subtracted, every exp is at most 1 and one of them is exactly 1,
    // so the sum neither overflows nor underflows to 0.
    float top = row[0];
    for (int64_t j = 1; j < classes; ++j) top = std::max(top, row[j]);
    double sum = 0.0;
    for (int64_t j = 0; j < classes; ++j) sum += std::exp(static_cast<double>(row[j] - top));
    const int target = targets[static_cast<size_t>(n)];
    total += std::log(sum) - static_cast<double>(row[target] - top);
    for (int64_t j = 0; j < classes; ++j)
      drow[j] = static_cast<float>(std::exp(static_cast<double>(row[j] - top)) / sum) * inv_rows;
    // The loss is a mean over the rows, hence the 1/N in every entry.
    drow[target] -= inv_rows;
  }
  result.loss = static_cast<float>(total / static_cast<double>(rows));
  return result;
}

}  // namespace ex

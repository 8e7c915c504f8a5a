// Reference solution of the exercise macro_f1 (chapter 06).
#include <stdexcept>
#include <string>

#include "exercises.hpp"

namespace ex {

double macro_f1(std::span<const int> y_true, std::span<const int> y_pred, int num_classes) {
  // y_true: (N)  y_pred: (N), labels in [0, K)  out: the mean F1 over the classes present
  if (y_true.size() != y_pred.size() || y_true.empty())
    throw std::invalid_argument("macro_f1: needs as many predictions as true labels, and at least one; got " +
                                std::to_string(y_true.size()) + " and " + std::to_string(y_pred.size()));
  if (num_classes < 1) throw std::invalid_argument("macro_f1: num_classes must be >= 1");
  const size_t K = static_cast<size_t>(num_classes);
  std::vector<int64_t> tp(K), fp(K), fn(K);
  for (size_t i = 0; i < y_true.size(); ++i) {
    const int t = y_true[i], p = y_pred[i];
    if (t < 0 || t >= num_classes || p < 0 || p >= num_classes)
      throw std::invalid_argument("macro_f1: example " + std::to_string(i) + " has a label outside [0, " +
                                  std::to_string(num_classes) + ")");
    if (t == p) {
      ++tp[static_cast<size_t>(t)];
    } else {
      ++fn[static_cast<size_t>(t)];
      ++fp[static_cast<size_t>(p)];
    }
  }
  double sum = 0;
  int present = 0;
  for (size_t k = 0; k < K; ++k) {
    if (tp[k] + fp[k] + fn[k] == 0) continue;  // in neither y_true nor y_pred
    ++present;
    sum += 2.0 * static_cast<double>(tp[k]) / static_cast<double>(2 * tp[k] + fp[k] + fn[k]);
  }
  return sum / present;
}

}  // namespace ex

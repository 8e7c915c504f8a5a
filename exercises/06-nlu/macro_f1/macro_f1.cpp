// Exercise macro_f1 (chapter 06): the macro-averaged F1 score of a classifier.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade macro_f1`.
#include "exercises.hpp"

namespace ex {

double macro_f1([[maybe_unused]] std::span<const int> y_true, [[maybe_unused]] std::span<const int> y_pred,
                [[maybe_unused]] int num_classes) {
  // y_true: (N)  y_pred: (N), labels in [0, K)  out: the mean F1 over the classes present
  // TODO: std::invalid_argument for lengths that differ, no examples, num_classes < 1 or a
  // label outside [0, num_classes).
  // Count each class's true positives, false positives and false negatives in one pass;
  // then average F1_k = 2 tp / (2 tp + fp + fn) over the classes with tp + fp + fn > 0.
  throw dl::NotImplemented("macro_f1 is not written yet (exercises/06-nlu/macro_f1/macro_f1.cpp)");
}

}  // namespace ex

// Exercise top_p_filter (chapter 05): nucleus (top-p) filtering of a row of scores.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade top_p_filter`.
#include "exercises.hpp"

namespace ex {

void top_p_filter([[maybe_unused]] std::span<float> logits, [[maybe_unused]] float p) {
  // logits: V scores, changed in place
  // TODO: std::invalid_argument unless p > 0 (NaN fails that test too) and unless some
  // score is above minus infinity. p >= 1 keeps every score.
  // Turn the scores into probabilities with a stable softmax (subtract the largest
  // score first), then visit the tokens from the most likely down (equal probabilities
  // by increasing index), adding up their probabilities in a double: each token you
  // visit is kept, and you stop right after the one that brings the sum to p or more.
  // Every token you did not keep gets minus infinity (std::numeric_limits<float>::infinity(),
  // negated, from <limits>).
  throw dl::NotImplemented("top_p_filter is not written yet (exercises/05-nlg/top_p_filter/top_p_filter.cpp)");
}

}  // namespace ex

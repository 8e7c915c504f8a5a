// Exercise causal_mask (chapter 04): the additive mask of a decoder's self-attention.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade causal_mask`.
#include "exercises.hpp"

namespace ex {

dl::Tensor causal_mask([[maybe_unused]] int64_t t, [[maybe_unused]] int64_t s,
                       [[maybe_unused]] std::span<const int> key_padding) {
  // out: (T, S)  key_padding: S entries or none
  // TODO: std::invalid_argument for t < 0, s < 0 or a key_padding entry other than 0
  // or 1; dl::ShapeError when key_padding is not empty and its size is not s.
  // Entry (i, j) is 0 when query i may look at key j: j <= i and key j is not padding.
  // Everywhere else it is minus infinity (std::numeric_limits<float>::infinity(),
  // negated, from <limits>), so that exp(score + mask) is exactly 0 there.
  throw dl::NotImplemented("causal_mask is not written yet (exercises/04-nlp/causal_mask/causal_mask.cpp)");
}

}  // namespace ex

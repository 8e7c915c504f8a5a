// Exercise attention_forward (chapter 04): scaled dot-product attention for one head, by loops.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade attention_forward`.
#include "exercises.hpp"

namespace ex {

dl::Tensor attention_forward([[maybe_unused]] const dl::Tensor& q, [[maybe_unused]] const dl::Tensor& k,
                             [[maybe_unused]] const dl::Tensor& v, [[maybe_unused]] std::span<const int> key_padding) {
  // q: (T, D)  k: (S, D)  v: (S, Dv)  key_padding: S entries or none  out: (T, Dv)
  // TODO: check the shapes (dl::ShapeError) and that key_padding holds only 0 and 1
  // (std::invalid_argument).
  // For each query row i: score_j = (q_i · k_j) / sqrt(D) for every real key j; take
  // the largest score m, then w_j = exp(score_j - m) for the real keys and 0 for the
  // padded ones, and divide by the sum of the w_j. Subtracting m changes no weight but
  // keeps exp from overflowing. out_i = sum_j w_j v_j. A row with no real key stays 0.
  throw dl::NotImplemented(
      "attention_forward is not written yet (exercises/04-nlp/attention_forward/attention_forward.cpp)");
}

}  // namespace ex

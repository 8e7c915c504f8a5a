// Exercise truncated_bptt (chapter 03): fix the bug in a truncated-BPTT loop.
// This code has one bug; find and fix it. It compiles and runs, and its losses have
// the right values, but training with them would go wrong. What it must do is in
// README.md, next to this file (and above its declaration in exercises.hpp); then run
// `./book grade truncated_bptt`.
#include <algorithm>
#include <stdexcept>

#include "dl/dl.hpp"
#include "exercises.hpp"

namespace ex {

std::vector<dl::Tensor> truncated_bptt(const std::vector<dl::Tensor>& xs, const dl::Tensor& h0,
                                       const dl::Tensor& w_ih, const dl::Tensor& w_hh, const dl::Tensor& b_ih,
                                       const dl::Tensor& b_hh, int64_t window) {
  // xs: T of (N, I)  h0: (N, H)  w_ih: (H, I)  w_hh: (H, H)  biases: (H)
  if (window < 1) throw std::invalid_argument("truncated_bptt: window must be at least 1");
  if (xs.empty()) throw std::invalid_argument("truncated_bptt: no steps");
  const int64_t steps = static_cast<int64_t>(xs.size());
  std::vector<dl::Tensor> losses;
  dl::Tensor h = h0;  // the state carried from chunk to chunk
  for (int64_t start = 0; start < steps; start += window) {
    const int64_t end = std::min(start + window, steps);
    dl::Tensor state = h;  // this chunk starts from the state the last one ended in
    dl::Tensor loss;
    for (int64_t t = start; t < end; ++t) {
      state = dl::rnn_cell(xs[static_cast<size_t>(t)], state, w_ih, w_hh, b_ih, b_hh);
      loss = loss.defined() ? loss + dl::sum(state) : dl::sum(state);
    }
    losses.push_back(loss);
    h = state;  // hand the final state on to the next chunk
  }
  return losses;
}

}  // namespace ex

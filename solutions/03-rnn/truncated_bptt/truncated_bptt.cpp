// Reference solution of the exercise truncated_bptt (chapter 03).
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
    // Hand on the final state's values but not its graph (the bug was `h = state`: the
    // next chunk's backward then ran on into this chunk, and so on back to the start).
    h = state.detach();
  }
  return losses;
}

}  // namespace ex

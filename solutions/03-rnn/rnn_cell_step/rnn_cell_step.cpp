// Reference solution of the exercise rnn_cell_step (chapter 03).
#include <cmath>

#include "exercises.hpp"

namespace ex {

dl::Tensor rnn_cell_step(const dl::Tensor& x, const dl::Tensor& h, const dl::Tensor& w_ih, const dl::Tensor& w_hh,
                         const dl::Tensor& b_ih, const dl::Tensor& b_hh) {
  if (x.dim() != 2 || h.dim() != 2 || h.size(0) != x.size(0))
    throw dl::ShapeError("rnn_cell_step: x " + dl::to_string(x.shape()) + " and h " + dl::to_string(h.shape()) +
                         " are not (B, I) and (B, H) with the same B");
  const int64_t batch = x.size(0), in = x.size(1), hidden = h.size(1);
  if (w_ih.shape() != dl::Shape{hidden, in} || w_hh.shape() != dl::Shape{hidden, hidden} ||
      b_ih.shape() != dl::Shape{hidden} || b_hh.shape() != dl::Shape{hidden})
    throw dl::ShapeError("rnn_cell_step: for x " + dl::to_string(x.shape()) + " and h " + dl::to_string(h.shape()) +
                         " need w_ih " + dl::to_string({hidden, in}) + ", w_hh " + dl::to_string({hidden, hidden}) +
                         " and biases " + dl::to_string({hidden}) + ", got " + dl::to_string(w_ih.shape()) + ", " +
                         dl::to_string(w_hh.shape()) + ", " + dl::to_string(b_ih.shape()) + " and " +
                         dl::to_string(b_hh.shape()));

  dl::Tensor out = dl::Tensor::empty({batch, hidden});
  const float* px = x.data();
  const float* ph = h.data();
  const float* wi = w_ih.data();
  const float* wh = w_hh.data();
  const float* bi = b_ih.data();
  const float* bh = b_hh.data();
  float* po = out.data();
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t j = 0; j < hidden; ++j) {
      // Row j of each weight matrix holds the weights into hidden unit j (PyTorch's
      // (out, in) layout), so both sums walk along a row: x W^T in the formula.
      float s = bi[j] + bh[j];
      for (int64_t i = 0; i < in; ++i) s += px[b * in + i] * wi[j * in + i];
      for (int64_t k = 0; k < hidden; ++k) s += ph[b * hidden + k] * wh[j * hidden + k];
      po[b * hidden + j] = std::tanh(s);
    }
  return out;
}

}  // namespace ex

// Reference solution of the exercise lstm_cell_forward (chapter 03).
#include <cmath>
#include <vector>

#include "exercises.hpp"

namespace ex {

namespace {

// exp(-z) overflows to infinity for z below about -88; 1 / (1 + inf) is still the
// correct limit 0, so the plain formula needs no special case.
float sigmoid(float z) { return 1.0f / (1.0f + std::exp(-z)); }

}  // namespace

LSTMStep lstm_cell_forward(const dl::Tensor& x, const dl::Tensor& h, const dl::Tensor& c, const dl::Tensor& w_ih,
                           const dl::Tensor& w_hh, const dl::Tensor& b_ih, const dl::Tensor& b_hh) {
  if (x.dim() != 2 || h.dim() != 2 || h.size(0) != x.size(0) || c.shape() != h.shape())
    throw dl::ShapeError("lstm_cell_forward: x " + dl::to_string(x.shape()) + ", h " + dl::to_string(h.shape()) +
                         " and c " + dl::to_string(c.shape()) + " are not (B, I), (B, H) and (B, H)");
  const int64_t batch = x.size(0), in = x.size(1), hidden = h.size(1), rows = 4 * hidden;
  if (w_ih.shape() != dl::Shape{rows, in} || w_hh.shape() != dl::Shape{rows, hidden} ||
      b_ih.shape() != dl::Shape{rows} || b_hh.shape() != dl::Shape{rows})
    throw dl::ShapeError("lstm_cell_forward: for x " + dl::to_string(x.shape()) + " and h " + dl::to_string(h.shape()) +
                         " need w_ih " + dl::to_string({rows, in}) + ", w_hh " + dl::to_string({rows, hidden}) +
                         " and biases " + dl::to_string({rows}) + ", got " + dl::to_string(w_ih.shape()) + ", " +
                         dl::to_string(w_hh.shape()) + ", " + dl::to_string(b_ih.shape()) + " and " +
                         dl::to_string(b_hh.shape()));

  LSTMStep next{dl::Tensor::empty({batch, hidden}), dl::Tensor::empty({batch, hidden})};
  const float* px = x.data();
  const float* ph = h.data();
  const float* pc = c.data();
  const float* wi = w_ih.data();
  const float* wh = w_hh.data();
  const float* bi = b_ih.data();
  const float* bh = b_hh.data();
  float* h_out = next.h.data();
  float* c_out = next.c.data();
  std::vector<float> gates(static_cast<size_t>(rows));  // one row of pre-activations: i f g o
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t r = 0; r < rows; ++r) {
      float s = bi[r] + bh[r];
      for (int64_t i = 0; i < in; ++i) s += px[b * in + i] * wi[r * in + i];
      for (int64_t k = 0; k < hidden; ++k) s += ph[b * hidden + k] * wh[r * hidden + k];
      gates[static_cast<size_t>(r)] = s;
    }
    for (int64_t j = 0; j < hidden; ++j) {
      const float in_gate = sigmoid(gates[static_cast<size_t>(j)]);
      const float forget = sigmoid(gates[static_cast<size_t>(hidden + j)]);
      const float candidate = std::tanh(gates[static_cast<size_t>(2 * hidden + j)]);
      const float out_gate = sigmoid(gates[static_cast<size_t>(3 * hidden + j)]);
      // The forget gate scales the old memory and the input gate admits the new
      // candidate; h' is the part of the new memory the output gate lets through.
      const float cell = forget * pc[b * hidden + j] + in_gate * candidate;
      c_out[b * hidden + j] = cell;
      h_out[b * hidden + j] = out_gate * std::tanh(cell);
    }
  }
  return next;
}

}  // namespace ex

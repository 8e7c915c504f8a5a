// Exercise lstm_cell_forward (chapter 03): an LSTM cell's forward step.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade lstm_cell_forward`.
#include "exercises.hpp"

namespace ex {

LSTMStep lstm_cell_forward([[maybe_unused]] const dl::Tensor& x, [[maybe_unused]] const dl::Tensor& h,
                           [[maybe_unused]] const dl::Tensor& c, [[maybe_unused]] const dl::Tensor& w_ih,
                           [[maybe_unused]] const dl::Tensor& w_hh, [[maybe_unused]] const dl::Tensor& b_ih,
                           [[maybe_unused]] const dl::Tensor& b_hh) {
  // TODO: read B, I and H from x (B, I) and h (B, H); check that c is (B, H), the
  // weights (4H, I) and (4H, H) and the biases (4H) (throw dl::ShapeError otherwise).
  // 1. Pre-activations, (B, 4H): a[b][r] = b_ih[r] + b_hh[r]
  //      + sum over i of x[b][i] w_ih[r][i] + sum over k of h[b][k] w_hh[r][k].
  // 2. Split each row of a into four blocks of H, in the order i, f, g, o: for unit
  //    j the gates are a[b][j], a[b][H + j], a[b][2H + j] and a[b][3H + j].
  // 3. c'[b][j] = sigmoid(f) * c[b][j] + sigmoid(i) * tanh(g) and
  //    h'[b][j] = sigmoid(o) * tanh(c'[b][j]), into fresh (B, H) tensors.
  // Return LSTMStep{h', c'}. sigmoid(z) = 1 / (1 + exp(-z)).
  throw dl::NotImplemented(
      "lstm_cell_forward is not written yet (exercises/03-rnn/lstm_cell_forward/lstm_cell_forward.cpp)");
}

}  // namespace ex

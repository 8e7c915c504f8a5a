// Exercise rnn_cell_step (chapter 03): one step of an Elman RNN cell.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade rnn_cell_step`.
#include "exercises.hpp"

namespace ex {

dl::Tensor rnn_cell_step([[maybe_unused]] const dl::Tensor& x, [[maybe_unused]] const dl::Tensor& h,
                         [[maybe_unused]] const dl::Tensor& w_ih, [[maybe_unused]] const dl::Tensor& w_hh,
                         [[maybe_unused]] const dl::Tensor& b_ih, [[maybe_unused]] const dl::Tensor& b_hh) {
  // TODO: read B, I and H from x (B, I) and h (B, H), and check that w_ih is (H, I),
  // w_hh (H, H) and both biases (H) (throw dl::ShapeError otherwise).
  // Then, into a fresh (B, H) tensor, for every row b and hidden unit j:
  //   s = b_ih[j] + b_hh[j] + sum over i of x[b][i] * w_ih[j][i]
  //                         + sum over k of h[b][k] * w_hh[j][k]
  //   h'[b][j] = tanh(s)
  // Note the weights are indexed [j][i]: W^T in the formula means row j of W
  // holds the weights into unit j.
  throw dl::NotImplemented("rnn_cell_step is not written yet (exercises/03-rnn/rnn_cell_step/rnn_cell_step.cpp)");
}

}  // namespace ex

// Exercise layer_norm_backward (chapter 04): the backward pass of layer normalisation, by hand.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade layer_norm_backward`.
#include "exercises.hpp"

namespace ex {

LayerNormGrads layer_norm_backward([[maybe_unused]] const dl::Tensor& x, [[maybe_unused]] const dl::Tensor& gamma,
                                   [[maybe_unused]] const dl::Tensor& grad_out, [[maybe_unused]] float eps) {
  // x: (N, C)  gamma: (C)  grad_out: (N, C)  dx: (N, C)  dgamma, dbeta: (C)
  // TODO: check the shapes (dl::ShapeError) and eps > 0 (std::invalid_argument).
  // Redo the forward for each row first: its mean mu, its variance var (divide by C),
  // sigma = sqrt(var + eps) and xhat = (x - mu) / sigma.
  // y = gamma xhat + beta gives dbeta += dy and dgamma += dy xhat, summed over the rows.
  // dx is the hard part: every xhat of a row depends on every x of that row through mu
  // and sigma. Start from g = dy gamma (the gradient reaching xhat) and work out what
  // mu and sigma add; the hint has the formula you should arrive at.
  throw dl::NotImplemented(
      "layer_norm_backward is not written yet (exercises/04-nlp/layer_norm_backward/layer_norm_backward.cpp)");
}

}  // namespace ex

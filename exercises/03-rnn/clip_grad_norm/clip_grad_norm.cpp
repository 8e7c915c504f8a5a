// Exercise clip_grad_norm (chapter 03): gradient-norm clipping.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade clip_grad_norm`.
#include "exercises.hpp"

namespace ex {

float clip_grad_norm([[maybe_unused]] std::vector<dl::Tensor>& grads, [[maybe_unused]] float max_norm) {
  // TODO: throw std::invalid_argument if max_norm <= 0.
  // The joint norm is the square root of the sum of the squares of every element
  // of every tensor in grads; sum the squares in a double, so that large
  // gradients do not overflow a float. Only if that norm is greater than
  // max_norm, multiply every element of every tensor by max_norm / (norm + 1e-6),
  // in place through .data() (the caller's tensors share that storage).
  // Return the norm measured before the scaling.
  throw dl::NotImplemented("clip_grad_norm is not written yet (exercises/03-rnn/clip_grad_norm/clip_grad_norm.cpp)");
}

}  // namespace ex

// Exercise relu (chapter 01): ReLU, forward and backward.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace each TODO below with your code, then run `./book grade relu`.
#include "exercises.hpp"

namespace ex {

dl::Tensor relu_forward([[maybe_unused]] const dl::Tensor& x) {
  // TODO: return a new tensor of x's shape holding max(0, x) element by element.
  // dl::Tensor::empty(x.shape()) gives you storage; write it through .data().
  throw dl::NotImplemented("relu_forward is not written yet (exercises/01-deep-learning/relu/relu.cpp)");
}

dl::Tensor relu_backward([[maybe_unused]] const dl::Tensor& x, [[maybe_unused]] const dl::Tensor& grad_out) {
  // TODO: dL/dx = dL/dy where x > 0, and 0 elsewhere (x == 0 included).
  // Check first that grad_out has x's shape (throw dl::ShapeError if not).
  throw dl::NotImplemented("relu_backward is not written yet (exercises/01-deep-learning/relu/relu.cpp)");
}

}  // namespace ex

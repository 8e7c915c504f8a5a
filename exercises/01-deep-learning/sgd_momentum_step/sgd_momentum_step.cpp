// Exercise sgd_momentum_step (chapter 01): one step of SGD with momentum.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade sgd_momentum_step`.
#include "exercises.hpp"

namespace ex {

void sgd_momentum_step([[maybe_unused]] dl::Tensor& param, [[maybe_unused]] const dl::Tensor& grad,
                       [[maybe_unused]] dl::Tensor& velocity, [[maybe_unused]] float lr,
                       [[maybe_unused]] float momentum, [[maybe_unused]] float weight_decay) {
  // TODO: for every element i, in this order:
  //   g = grad[i] + weight_decay * param[i]       (weight decay uses the old param)
  //   velocity[i] = momentum * velocity[i] + g
  //   param[i] -= lr * velocity[i]                 (the new velocity)
  // Write param and velocity in place through .data(); grad stays as it is.
  // All three tensors have the same shape (throw dl::ShapeError if they do not).
  throw dl::NotImplemented(
      "sgd_momentum_step is not written yet (exercises/01-deep-learning/sgd_momentum_step/sgd_momentum_step.cpp)");
}

}  // namespace ex

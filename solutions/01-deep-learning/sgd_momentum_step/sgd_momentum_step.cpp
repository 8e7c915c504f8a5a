// Reference solution of the exercise sgd_momentum_step (chapter 01).
#include "exercises.hpp"

namespace ex {

void sgd_momentum_step(dl::Tensor& param, const dl::Tensor& grad, dl::Tensor& velocity, float lr, float momentum,
                       float weight_decay) {
  if (grad.shape() != param.shape() || velocity.shape() != param.shape())
    throw dl::ShapeError("sgd_momentum_step: param " + dl::to_string(param.shape()) + ", grad " +
                         dl::to_string(grad.shape()) + " and velocity " + dl::to_string(velocity.shape()) +
                         " must have the same shape");
  float* p = param.data();
  const float* g = grad.data();
  float* v = velocity.data();
  for (int64_t i = 0; i < param.numel(); ++i) {
    // Weight decay is the gradient of (weight_decay / 2) |param|^2, added before the
    // momentum so that the velocity carries it too, as torch.optim.SGD does.
    const float step = g[i] + weight_decay * p[i];
    v[i] = momentum * v[i] + step;
    p[i] -= lr * v[i];
  }
}

}  // namespace ex

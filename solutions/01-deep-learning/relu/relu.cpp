// Reference solution of the exercise relu (chapter 01).
#include "exercises.hpp"

namespace ex {

dl::Tensor relu_forward(const dl::Tensor& x) {
  dl::Tensor y = dl::Tensor::empty(x.shape());
  const float* in = x.data();
  float* out = y.data();
  for (int64_t i = 0; i < x.numel(); ++i) out[i] = in[i] > 0.0f ? in[i] : 0.0f;
  return y;
}

dl::Tensor relu_backward(const dl::Tensor& x, const dl::Tensor& grad_out) {
  if (grad_out.shape() != x.shape())
    throw dl::ShapeError("relu_backward: grad_out " + dl::to_string(grad_out.shape()) + " does not match x " +
                         dl::to_string(x.shape()));
  dl::Tensor dx = dl::Tensor::empty(x.shape());
  const float* in = x.data();
  const float* g = grad_out.data();
  float* out = dx.data();
  // The slope is 1 where x > 0 and 0 elsewhere; at the kink x == 0 we take 0, like PyTorch.
  for (int64_t i = 0; i < x.numel(); ++i) out[i] = in[i] > 0.0f ? g[i] : 0.0f;
  return dx;
}

}  // namespace ex

// Reference solution of the exercise clip_grad_norm (chapter 03).
#include <cmath>
#include <stdexcept>
#include <string>

#include "exercises.hpp"

namespace ex {

float clip_grad_norm(std::vector<dl::Tensor>& grads, float max_norm) {
  if (!(max_norm > 0.0f))
    throw std::invalid_argument("clip_grad_norm: max_norm must be positive, got " + std::to_string(max_norm));
  // In a double: a float holds squares only up to about 3e38, so a gradient
  // element of 2e19 would already make the sum infinite.
  double squares = 0.0;
  for (const dl::Tensor& g : grads) {
    const float* p = g.data();
    for (int64_t i = 0; i < g.numel(); ++i) squares += static_cast<double>(p[i]) * p[i];
  }
  const double norm = std::sqrt(squares);
  if (norm > max_norm) {
    // The 1e-6 keeps the division safe and leaves the clipped norm a hair below max_norm.
    const float scale = static_cast<float>(max_norm / (norm + 1e-6));
    for (dl::Tensor& g : grads) {
      float* p = g.data();
      for (int64_t i = 0; i < g.numel(); ++i) p[i] *= scale;
    }
  }
  return static_cast<float>(norm);
}

}  // namespace ex

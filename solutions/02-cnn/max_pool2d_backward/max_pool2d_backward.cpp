// Reference solution of the exercise max_pool2d_backward (chapter 02).
#include <string>

#include "exercises.hpp"

namespace ex {

dl::Tensor max_pool2d_backward(const dl::Tensor& x, const dl::Tensor& grad_out, int64_t kernel, int64_t stride) {
  if (x.dim() != 4) throw dl::ShapeError("max_pool2d_backward: x " + dl::to_string(x.shape()) + " is not (N, C, H, W)");
  const int64_t planes = x.size(0) * x.size(1), height = x.size(2), width = x.size(3);
  if (kernel < 1 || stride < 1 || kernel > height || kernel > width)
    throw dl::ShapeError("max_pool2d_backward: x " + dl::to_string(x.shape()) + " with kernel " +
                         std::to_string(kernel) + " and stride " + std::to_string(stride) + ": no window fits");
  const int64_t out_h = (height - kernel) / stride + 1, out_w = (width - kernel) / stride + 1;
  if (grad_out.shape() != dl::Shape{x.size(0), x.size(1), out_h, out_w})
    throw dl::ShapeError("max_pool2d_backward: grad_out " + dl::to_string(grad_out.shape()) +
                         " is not the pooled shape " + dl::to_string({x.size(0), x.size(1), out_h, out_w}) + " of x " +
                         dl::to_string(x.shape()));

  dl::Tensor dx = dl::Tensor::zeros(x.shape());
  const float* px = x.data();
  const float* pg = grad_out.data();
  float* pd = dx.data();
  // Every (n, c) plane is pooled on its own; a window never crosses into another channel.
  for (int64_t plane = 0; plane < planes; ++plane) {
    const float* in = px + plane * height * width;
    float* d = pd + plane * height * width;
    for (int64_t oy = 0; oy < out_h; ++oy)
      for (int64_t ox = 0; ox < out_w; ++ox) {
        int64_t best = oy * stride * width + ox * stride;
        for (int64_t ky = 0; ky < kernel; ++ky)
          for (int64_t kx = 0; kx < kernel; ++kx) {
            const int64_t at = (oy * stride + ky) * width + ox * stride + kx;
            // Strictly greater: an equal value met later does not take over, so ties
            // go to the first maximum in row-major order, as in the forward pass.
            if (in[at] > in[best]) best = at;
          }
        // Overlapping windows can share a winner, whose gradient is then the sum.
        d[best] += pg[(plane * out_h + oy) * out_w + ox];
      }
  }
  return dx;
}

}  // namespace ex

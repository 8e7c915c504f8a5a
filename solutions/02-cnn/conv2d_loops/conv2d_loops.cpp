// Reference solution of the exercise conv2d_loops (chapter 02).
#include <string>

#include "exercises.hpp"

namespace ex {

dl::Tensor conv2d_loops(const dl::Tensor& x, const dl::Tensor& weight, const dl::Tensor& bias, int64_t stride,
                        int64_t padding) {
  const std::string shapes = "x " + dl::to_string(x.shape()) + ", weight " + dl::to_string(weight.shape()) + ", bias " +
                             dl::to_string(bias.shape());
  if (x.dim() != 4 || weight.dim() != 4 || weight.size(2) != weight.size(3))
    throw dl::ShapeError("conv2d_loops: " + shapes + ": need x (N, C, H, W) and weight (O, C, K, K)");
  if (weight.size(1) != x.size(1))
    throw dl::ShapeError("conv2d_loops: " + shapes + ": weight has " + std::to_string(weight.size(1)) +
                         " input channels but x has " + std::to_string(x.size(1)));
  if (bias.shape() != dl::Shape{weight.size(0)})
    throw dl::ShapeError("conv2d_loops: " + shapes + ": need one bias per output channel");
  if (stride < 1 || padding < 0)
    throw dl::ShapeError("conv2d_loops: stride " + std::to_string(stride) + " and padding " + std::to_string(padding) +
                         ": need stride >= 1 and padding >= 0");

  const int64_t batch = x.size(0), channels = x.size(1), height = x.size(2), width = x.size(3);
  const int64_t out_channels = weight.size(0), k = weight.size(2);
  if (k > height + 2 * padding || k > width + 2 * padding)
    throw dl::ShapeError("conv2d_loops: " + shapes + " with padding " + std::to_string(padding) +
                         ": the kernel does not fit into the padded image, the output would be empty");
  const int64_t out_h = (height + 2 * padding - k) / stride + 1;
  const int64_t out_w = (width + 2 * padding - k) / stride + 1;

  dl::Tensor y = dl::Tensor::empty({batch, out_channels, out_h, out_w});
  const float* px = x.data();
  const float* pw = weight.data();
  const float* pb = bias.data();
  float* py = y.data();
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t o = 0; o < out_channels; ++o)
      for (int64_t oy = 0; oy < out_h; ++oy)
        for (int64_t ox = 0; ox < out_w; ++ox) {
          float sum = pb[o];
          for (int64_t c = 0; c < channels; ++c)
            for (int64_t ky = 0; ky < k; ++ky) {
              // The window's top-left corner sits at (oy stride - padding, ox stride - padding)
              // in image coordinates; rows and columns outside the image are zeros and add nothing.
              const int64_t iy = oy * stride - padding + ky;
              if (iy < 0 || iy >= height) continue;
              for (int64_t kx = 0; kx < k; ++kx) {
                const int64_t ix = ox * stride - padding + kx;
                if (ix < 0 || ix >= width) continue;
                sum += pw[((o * channels + c) * k + ky) * k + kx] * px[((n * channels + c) * height + iy) * width + ix];
              }
            }
          py[((n * out_channels + o) * out_h + oy) * out_w + ox] = sum;
        }
  return y;
}

}  // namespace ex

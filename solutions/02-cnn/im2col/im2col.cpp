// Reference solution of the exercise im2col (chapter 02).
#include <string>

#include "exercises.hpp"

namespace ex {

dl::Tensor im2col(const dl::Tensor& image, int64_t kernel, int64_t stride, int64_t padding) {
  if (image.dim() != 3) throw dl::ShapeError("im2col: image " + dl::to_string(image.shape()) + " is not (C, H, W)");
  const int64_t channels = image.size(0), height = image.size(1), width = image.size(2);
  if (kernel < 1 || stride < 1 || padding < 0 || kernel > height + 2 * padding || kernel > width + 2 * padding)
    throw dl::ShapeError("im2col: image " + dl::to_string(image.shape()) + " with kernel " + std::to_string(kernel) +
                         ", stride " + std::to_string(stride) + " and padding " + std::to_string(padding) +
                         ": no window fits");
  const int64_t out_h = (height + 2 * padding - kernel) / stride + 1;
  const int64_t out_w = (width + 2 * padding - kernel) / stride + 1;
  const int64_t positions = out_h * out_w;

  // Zeros first: the entries that fall into the padding are never written below.
  dl::Tensor col = dl::Tensor::zeros({channels * kernel * kernel, positions});
  const float* src = image.data();
  float* dst = col.data();
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t ky = 0; ky < kernel; ++ky)
      for (int64_t kx = 0; kx < kernel; ++kx) {
        // One row per kernel tap (c, ky, kx): the same flattening as weight (O, C, K, K)
        // reshaped to (O, C K K), so the product pairs each weight with its pixel.
        float* row = dst + ((c * kernel + ky) * kernel + kx) * positions;
        for (int64_t oy = 0; oy < out_h; ++oy) {
          const int64_t iy = oy * stride - padding + ky;
          if (iy < 0 || iy >= height) continue;
          for (int64_t ox = 0; ox < out_w; ++ox) {
            const int64_t ix = ox * stride - padding + kx;
            if (ix >= 0 && ix < width) row[oy * out_w + ox] = src[(c * height + iy) * width + ix];
          }
        }
      }
  return col;
}

}  // namespace ex

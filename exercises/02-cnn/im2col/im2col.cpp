// Exercise im2col (chapter 02): a convolution as one matrix product.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade im2col`.
#include "exercises.hpp"

namespace ex {

dl::Tensor im2col([[maybe_unused]] const dl::Tensor& image, [[maybe_unused]] int64_t kernel,
                  [[maybe_unused]] int64_t stride, [[maybe_unused]] int64_t padding) {
  // TODO: image is (C, H, W). Work out OH = (H + 2 padding - kernel) / stride + 1
  // and OW likewise, and fill a (C kernel kernel, OH OW) matrix: row
  // r = (c kernel + ky) kernel + kx, column oy OW + ox, holds
  // image[c][oy stride - padding + ky][ox stride - padding + kx], or 0 where
  // that position falls outside the image (the padding). Every entry must be
  // written, so start from dl::Tensor::zeros or write the zeros yourself.
  throw dl::NotImplemented("im2col is not written yet (exercises/02-cnn/im2col/im2col.cpp)");
}

}  // namespace ex

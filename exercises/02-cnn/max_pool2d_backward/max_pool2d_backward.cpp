// Exercise max_pool2d_backward (chapter 02): max-pool backward.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade max_pool2d_backward`.
#include "exercises.hpp"

namespace ex {

dl::Tensor max_pool2d_backward([[maybe_unused]] const dl::Tensor& x, [[maybe_unused]] const dl::Tensor& grad_out,
                               [[maybe_unused]] int64_t kernel, [[maybe_unused]] int64_t stride) {
  // TODO: x is (N, C, H, W); the output has OH = (H - kernel) / stride + 1 rows
  // and OW columns likewise, and grad_out is (N, C, OH, OW) (throw dl::ShapeError
  // if it is not). Start dx as zeros of x's shape. For every output element,
  // find the position of the largest x in its kernel x kernel window, whose
  // top-left corner is (oy * stride, ox * stride); on a tie keep the first one
  // met in row-major order. Add (do not assign) the output's gradient to dx at
  // that position: with stride < kernel, windows overlap and may share a maximum.
  throw dl::NotImplemented(
      "max_pool2d_backward is not written yet (exercises/02-cnn/max_pool2d_backward/max_pool2d_backward.cpp)");
}

}  // namespace ex

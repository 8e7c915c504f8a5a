// Exercise conv2d_loops (chapter 02): conv2d forward with loops.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade conv2d_loops`.
#include "exercises.hpp"

namespace ex {

dl::Tensor conv2d_loops([[maybe_unused]] const dl::Tensor& x, [[maybe_unused]] const dl::Tensor& weight,
                        [[maybe_unused]] const dl::Tensor& bias, [[maybe_unused]] int64_t stride,
                        [[maybe_unused]] int64_t padding) {
  // TODO: check that x is (N, C, H, W), weight (O, C, K, K) with x's C, and bias (O);
  // throw dl::ShapeError otherwise, and also when no K x K window fits into the
  // padded image. OH = (H + 2 padding - K) / stride + 1, and OW likewise.
  // Then, for every image n, output channel o and output pixel (oy, ox), start
  // from bias[o] and add weight[o][c][ky][kx] * x[n][c][iy][ix] over c, ky and kx,
  // where iy = oy * stride - padding + ky (ix likewise). Positions outside the
  // image are the zero padding: skip them. Tensors are row-major, so
  // x[n][c][iy][ix] is x.data()[((n * C + c) * H + iy) * W + ix].
  throw dl::NotImplemented("conv2d_loops is not written yet (exercises/02-cnn/conv2d_loops/conv2d_loops.cpp)");
}

}  // namespace ex

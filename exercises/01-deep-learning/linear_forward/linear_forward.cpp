// Exercise linear_forward (chapter 01): fix the bug in a linear layer's forward pass.
// This code has one bug; find and fix it. It compiles and runs, but its outputs are
// wrong. What it must do is in README.md, next to this file (and above its declaration
// in exercises.hpp); then run `./book grade linear_forward`.
#include <string>

#include "dl/ops.hpp"
#include "exercises.hpp"

namespace ex {

dl::Tensor linear_forward(const dl::Tensor& x, const dl::Tensor& w, const dl::Tensor& b) {
  // x: (N, in)  w: (out, in)  b: (out)  y: (N, out)
  if (x.dim() != 2 || w.dim() != 2 || b.dim() != 1 || b.size(0) != w.size(0))
    throw dl::ShapeError("linear_forward: x " + dl::to_string(x.shape()) + ", w " + dl::to_string(w.shape()) +
                         " and b " + dl::to_string(b.shape()) + " do not fit: need x (N, in), w (out, in), b (out)");
  const dl::Tensor xw = dl::matmul(x, w);  // one row per example
  return xw + b;                           // b is added to every row
}

}  // namespace ex

// Reference solution of the exercise linear_forward (chapter 01).
#include <string>

#include "dl/ops.hpp"
#include "exercises.hpp"

namespace ex {

dl::Tensor linear_forward(const dl::Tensor& x, const dl::Tensor& w, const dl::Tensor& b) {
  // x: (N, in)  w: (out, in)  b: (out)  y: (N, out)
  if (x.dim() != 2 || w.dim() != 2 || b.dim() != 1 || b.size(0) != w.size(0))
    throw dl::ShapeError("linear_forward: x " + dl::to_string(x.shape()) + ", w " + dl::to_string(w.shape()) +
                         " and b " + dl::to_string(b.shape()) + " do not fit: need x (N, in), w (out, in), b (out)");
  // W is stored (out, in), one row per output unit, so x (N, in) meets W^T (in, out).
  // The bug was matmul(x, w): it runs only when in == out, and then with W read as (in, out).
  const dl::Tensor xw = dl::matmul(x, dl::transpose(w, 0, 1));  // one row per example
  return xw + b;                                                 // b is added to every row
}

}  // namespace ex

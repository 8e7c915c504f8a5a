// Exercise linear_backward (chapter 01): a linear layer's backward by hand.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade linear_backward`.
#include "exercises.hpp"

namespace ex {

LinearGrads linear_backward([[maybe_unused]] const dl::Tensor& x, [[maybe_unused]] const dl::Tensor& w,
                            [[maybe_unused]] const dl::Tensor& grad_out) {
  // TODO: check the shapes first: x (N, in) and w (out, in) are 2-D with the same
  // `in`, and grad_out is (N, out); throw dl::ShapeError naming them otherwise.
  // Then fill three fresh tensors (dl::Tensor::zeros gives you storage):
  //   dx (N, in):  dx[n][i] = sum over o of grad_out[n][o] * w[o][i]
  //   dw (out, in): dw[o][i] = sum over n of grad_out[n][o] * x[n][i]
  //   db (out):     db[o]    = sum over n of grad_out[n][o]
  // and return them as LinearGrads{dx, dw, db}.
  throw dl::NotImplemented(
      "linear_backward is not written yet (exercises/01-deep-learning/linear_backward/linear_backward.cpp)");
}

}  // namespace ex

// Reference solution of the exercise linear_backward (chapter 01).
#include "exercises.hpp"

namespace ex {

LinearGrads linear_backward(const dl::Tensor& x, const dl::Tensor& w, const dl::Tensor& grad_out) {
  if (x.dim() != 2 || w.dim() != 2 || x.size(1) != w.size(1))
    throw dl::ShapeError("linear_backward: x " + dl::to_string(x.shape()) + " and w " + dl::to_string(w.shape()) +
                         " do not fit: need x (N, in) and w (out, in)");
  const int64_t batch = x.size(0), in = x.size(1), out = w.size(0);
  if (grad_out.shape() != dl::Shape{batch, out})
    throw dl::ShapeError("linear_backward: grad_out " + dl::to_string(grad_out.shape()) +
                         " is not (N, out) = " + dl::to_string({batch, out}) + " for x " + dl::to_string(x.shape()) +
                         " and w " + dl::to_string(w.shape()));

  LinearGrads grads{dl::Tensor::zeros({batch, in}), dl::Tensor::zeros({out, in}), dl::Tensor::zeros({out})};
  const float* px = x.data();
  const float* pw = w.data();
  const float* pg = grad_out.data();
  float* dx = grads.dx.data();
  float* dw = grads.dw.data();
  float* db = grads.db.data();
  // y[n][o] = b[o] + sum_i x[n][i] w[o][i], so each product x[n][i] w[o][i] sends
  // g[n][o] w[o][i] to x[n][i] and g[n][o] x[n][i] to w[o][i]; b[o] touches every row n.
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t o = 0; o < out; ++o) {
      const float g = pg[n * out + o];
      db[o] += g;
      for (int64_t i = 0; i < in; ++i) {
        dx[n * in + i] += g * pw[o * in + i];
        dw[o * in + i] += g * px[n * in + i];
      }
    }
  return grads;
}

}  // namespace ex

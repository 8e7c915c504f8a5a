// Helpers shared by the op families: dimension checks and broadcasting loops.
#pragma once

#include <string>
#include <vector>

#include "dl/autograd.hpp"
#include "dl/tensor.hpp"

namespace dl::detail {

/// `dim` in [-ndim, ndim) mapped to [0, ndim); throws ShapeError naming `op` otherwise.
int64_t normalize_dim(int64_t dim, int64_t ndim, const char* op, const Shape& shape);

/// A shape seen as (outer, n, inner) around one dimension, for reductions and softmax.
struct OuterDimInner {
  int64_t outer, n, inner;
};
OuterDimInner outer_dim_inner(const Shape& shape, int64_t dim);

/// The broadcast of two shapes; throws ShapeError naming `op` when they do not fit.
Shape broadcast_shape(const Shape& a, const Shape& b, const char* op);

/// Calls f(i, ia, ib) for each flat index i of `out` with the flat indices of the
/// elements of `a` and `b` that broadcast to it. Both must broadcast to `out`.
template <class F>
void for_each_broadcast(const Shape& out, const Shape& a, const Shape& b, F&& f) {
  const int64_t total = numel(out);
  if (a == out && b == out) {
    for (int64_t i = 0; i < total; ++i) f(i, i, i);
    return;
  }
  if (a == out && numel(b) == 1) {
    for (int64_t i = 0; i < total; ++i) f(i, i, int64_t{0});
    return;
  }
  if (b == out && numel(a) == 1) {
    for (int64_t i = 0; i < total; ++i) f(i, int64_t{0}, i);
    return;
  }
  const size_t nd = out.size();
  // Element strides of a and b laid against out's dims (0 where broadcast).
  auto strides_of = [&](const Shape& s) {
    std::vector<int64_t> st(nd, 0);
    int64_t stride = 1;
    for (size_t k = 0; k < s.size(); ++k) {
      const size_t d_in = s.size() - 1 - k, d_out = nd - 1 - k;
      st[d_out] = s[d_in] == 1 ? 0 : stride;
      stride *= s[d_in];
    }
    return st;
  };
  const std::vector<int64_t> sa = strides_of(a), sb = strides_of(b);
  const int64_t inner = out[nd - 1], step_a = sa[nd - 1], step_b = sb[nd - 1];
  std::vector<int64_t> idx(nd, 0);
  int64_t ia = 0, ib = 0;
  for (int64_t i = 0; i < total; i += inner) {
    for (int64_t k = 0; k < inner; ++k) f(i + k, ia + k * step_a, ib + k * step_b);
    for (int64_t d = static_cast<int64_t>(nd) - 2; d >= 0; --d) {
      ++idx[d];
      ia += sa[d];
      ib += sb[d];
      if (idx[d] < out[d]) break;
      ia -= sa[d] * out[d];
      ib -= sb[d] * out[d];
      idx[d] = 0;
    }
  }
}

/// Applies a unary function elementwise: out[i] = f(x[i]).
template <class F>
Tensor map_unary(const Tensor& x, F&& f) {
  Tensor out = Tensor::empty(x.shape());
  const float* px = x.data();
  float* po = out.data();
  const int64_t n = x.numel();
  for (int64_t i = 0; i < n; ++i) po[i] = f(px[i]);
  return out;
}

/// Records the backward of a unary elementwise op whose derivative depends on the
/// input and output values: dx[i] += deriv(x[i], out[i]) * dout[i].
template <class D>
void record_unary(Tensor& out, const char* op, const Tensor& x, D deriv) {
  record(out, op, {x}, [x, deriv](const Tensor& result, const Tensor& dout) {
    const GradSink dx = grad_sink(x);  // a fresh buffer is assigned, saving its zero fill
    const float *px = x.data(), *po = result.data(), *g = dout.data();
    const int64_t n = x.numel();
    if (dx.fresh)
      for (int64_t i = 0; i < n; ++i) dx.data[i] = deriv(px[i], po[i]) * g[i];
    else
      for (int64_t i = 0; i < n; ++i) dx.data[i] += deriv(px[i], po[i]) * g[i];
  });
}

}  // namespace dl::detail

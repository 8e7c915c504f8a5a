// Reductions: sum, mean and max over everything or along one dimension.
#include <algorithm>

#include "dl/ops.hpp"
#include "op_helpers.hpp"

namespace dl {

namespace {

Shape reduced_shape(const Shape& shape, int64_t dim, bool keepdim) {
  Shape out = shape;
  if (keepdim)
    out[static_cast<size_t>(dim)] = 1;
  else
    out.erase(out.begin() + dim);
  return out;
}

// Sum along a split dimension, scaled: out[o, i] = scale * sum_k x[o, k, i].
Tensor scaled_sum(const Tensor& x, int64_t dim, bool keepdim, float scale, const char* op) {
  const detail::OuterDimInner s = detail::outer_dim_inner(x.shape(), dim);
  Tensor out = Tensor::zeros(reduced_shape(x.shape(), dim, keepdim));
  const float* px = x.data();
  float* po = out.data();
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t k = 0; k < s.n; ++k)
      for (int64_t i = 0; i < s.inner; ++i) po[o * s.inner + i] += px[(o * s.n + k) * s.inner + i];
  const int64_t n_out = out.numel();
  for (int64_t j = 0; j < n_out; ++j) po[j] *= scale;
  record(out, op, {x}, [x, s, scale](const Tensor&, const Tensor& dout) {
    // out = scale * sum_k x[.., k, ..]  =>  dx[.., k, ..] += scale * dout  for every k
    float* dx = grad_data(x);
    const float* g = dout.data();
    for (int64_t o = 0; o < s.outer; ++o)
      for (int64_t k = 0; k < s.n; ++k)
        for (int64_t i = 0; i < s.inner; ++i) dx[(o * s.n + k) * s.inner + i] += scale * g[o * s.inner + i];
  });
  return out;
}

// Max along a split dimension; backward routes each gradient to the first arg-max.
Tensor max_along(const Tensor& x, int64_t dim, bool keepdim) {
  const detail::OuterDimInner s = detail::outer_dim_inner(x.shape(), dim);
  if (s.n == 0) throw ShapeError("max: cannot reduce an empty dimension of shape " + to_string(x.shape()));
  Tensor out = Tensor::empty(reduced_shape(x.shape(), dim, keepdim));
  auto argmax = std::make_shared<std::vector<int64_t>>(static_cast<size_t>(out.numel()));
  const float* px = x.data();
  float* po = out.data();
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t i = 0; i < s.inner; ++i) {
      int64_t best = (o * s.n) * s.inner + i;
      for (int64_t k = 1; k < s.n; ++k) {
        const int64_t at = (o * s.n + k) * s.inner + i;
        if (px[at] > px[best]) best = at;
      }
      po[o * s.inner + i] = px[best];
      (*argmax)[static_cast<size_t>(o * s.inner + i)] = best;
    }
  record(out, "max", {x}, [x, argmax](const Tensor&, const Tensor& dout) {
    // out = x[argmax]  =>  dx[argmax] += dout
    float* dx = grad_data(x);
    const float* g = dout.data();
    for (size_t j = 0; j < argmax->size(); ++j) dx[(*argmax)[j]] += g[j];
  });
  return out;
}

}  // namespace

Tensor sum(const Tensor& x) { return scaled_sum(x.reshape({x.numel()}), 0, false, 1.0f, "sum"); }

Tensor sum(const Tensor& x, int64_t dim, bool keepdim) {
  return scaled_sum(x, detail::normalize_dim(dim, x.dim(), "sum", x.shape()), keepdim, 1.0f, "sum");
}

Tensor mean(const Tensor& x) {
  if (x.numel() == 0) throw ShapeError("mean: tensor of shape " + to_string(x.shape()) + " is empty");
  return scaled_sum(x.reshape({x.numel()}), 0, false, 1.0f / static_cast<float>(x.numel()), "mean");
}

Tensor mean(const Tensor& x, int64_t dim, bool keepdim) {
  const int64_t d = detail::normalize_dim(dim, x.dim(), "mean", x.shape());
  if (x.size(d) == 0) throw ShapeError("mean: dimension " + std::to_string(dim) + " of " + to_string(x.shape()) + " is empty");
  return scaled_sum(x, d, keepdim, 1.0f / static_cast<float>(x.size(d)), "mean");
}

Tensor max(const Tensor& x) { return max_along(x.reshape({x.numel()}), 0, false); }

Tensor max(const Tensor& x, int64_t dim, bool keepdim) {
  return max_along(x, detail::normalize_dim(dim, x.dim(), "max", x.shape()), keepdim);
}

std::vector<int> argmax(const Tensor& x) {
  if (x.dim() == 0 || x.size(-1) == 0)
    throw ShapeError("argmax: needs a non-empty last dimension, got shape " + to_string(x.shape()));
  const int64_t n = x.size(-1), rows = x.numel() / n;
  std::vector<int> out(static_cast<size_t>(rows));
  const float* p = x.data();
  for (int64_t r = 0; r < rows; ++r)
    out[static_cast<size_t>(r)] = static_cast<int>(std::max_element(p + r * n, p + (r + 1) * n) - (p + r * n));
  return out;
}

}  // namespace dl

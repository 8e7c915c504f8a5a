// Activation functions, softmax / log-softmax, and dropout.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "dl/eigen.hpp"
#include "dl/ops.hpp"
#include "op_helpers.hpp"

namespace dl {

namespace {

using ArrayMap = Eigen::Map<Eigen::ArrayXf>;
using ConstArrayMap = Eigen::Map<const Eigen::ArrayXf>;
constexpr float kGeluCubic = 0.044715f;
const float kGeluK = static_cast<float>(std::sqrt(2.0 / std::numbers::pi));

// Calls f(offset, x, t) on chunks of n floats at `x`, with t = tanh(k (x + c x^3)) of the
// chunk: Eigen's vectorised tanh (a rational approximation, within a few ulp of
// std::tanh) instead of one libm call per element, which made the GELU of a GPT's MLP
// cost more than its matrix products.
template <class F>
void for_each_gelu_chunk(const float* x, int64_t n, F&& f) {
  constexpr int64_t kChunk = 1024;
  Eigen::ArrayXf t(kChunk);
  for (int64_t at = 0; at < n; at += kChunk) {
    const int64_t m = std::min(kChunk, n - at);
    const ConstArrayMap v(x + at, m);
    t.head(m) = (kGeluK * (v + kGeluCubic * v.cube())).tanh();
    f(at, v, t.head(m));
  }
}

}  // namespace

Tensor relu(const Tensor& x) {
  // std::max(v, 0) keeps a NaN a NaN (as PyTorch does), so bad data cannot hide behind a ReLU.
  Tensor out = detail::map_unary(x, [](float v) { return std::max(v, 0.0f); });
  // out = max(x, 0)  =>  dx += (x > 0) * dout
  detail::record_unary(out, "relu", x, [](float v, float) { return v > 0.0f ? 1.0f : 0.0f; });
  return out;
}

Tensor leaky_relu(const Tensor& x, float slope) {
  Tensor out = detail::map_unary(x, [slope](float v) { return v > 0.0f ? v : slope * v; });
  // out = x if x > 0 else slope*x  =>  dx += (x > 0 ? 1 : slope) * dout
  detail::record_unary(out, "leaky_relu", x, [slope](float v, float) { return v > 0.0f ? 1.0f : slope; });
  return out;
}

Tensor tanh(const Tensor& x) {
  Tensor out = detail::map_unary(x, [](float v) { return std::tanh(v); });
  // out = tanh(x)  =>  dx += (1 - out^2) * dout
  detail::record_unary(out, "tanh", x, [](float, float y) { return 1.0f - y * y; });
  return out;
}

Tensor sigmoid(const Tensor& x) {
  // Two branches so that exp never overflows.
  Tensor out = detail::map_unary(x, [](float v) {
    if (v >= 0.0f) return 1.0f / (1.0f + std::exp(-v));
    const float e = std::exp(v);
    return e / (1.0f + e);
  });
  // out = 1/(1+e^-x)  =>  dx += out (1 - out) * dout
  detail::record_unary(out, "sigmoid", x, [](float, float y) { return y * (1.0f - y); });
  return out;
}

Tensor gelu(const Tensor& x, GeluApproximate approximate) {
  constexpr float kInvSqrt2 = 0.70710678118654752f;
  const float inv_sqrt_2pi = static_cast<float>(1.0 / std::sqrt(2.0 * std::numbers::pi));
  if (approximate == GeluApproximate::tanh) {
    // out = x (1 + tanh(u)) / 2 with u = k (x + c x^3), k = sqrt(2/pi): the cubic makes the
    // result follow the exact GELU to within 5e-4 everywhere (Hendrycks and Gimpel).
    Tensor out = Tensor::empty(x.shape());
    for_each_gelu_chunk(x.data(), x.numel(), [&](int64_t at, const auto& v, const auto& t) {
      ArrayMap(out.data() + at, v.size()) = 0.5f * v * (1.0f + t);
    });
    // out = x (1 + t) / 2, t = tanh(u)  =>  dx += ((1 + t) / 2 + x (1 - t^2) k (1 + 3 c x^2) / 2) * dout
    record(out, "gelu_tanh", {x}, [x](const Tensor&, const Tensor& dout) {
      const GradSink dx = grad_sink(x);
      const float* g = dout.data();
      for_each_gelu_chunk(x.data(), x.numel(), [&](int64_t at, const auto& v, const auto& t) {
        const auto grad = (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * kGeluK * (1.0f + 3.0f * kGeluCubic * v * v)) *
                          ConstArrayMap(g + at, v.size());
        if (dx.fresh)
          ArrayMap(dx.data + at, v.size()) = grad;
        else
          ArrayMap(dx.data + at, v.size()) += grad;
      });
    });
    return out;
  }
  Tensor out = detail::map_unary(x, [](float v) { return 0.5f * v * (1.0f + std::erf(v * kInvSqrt2)); });
  // out = x Phi(x)  =>  dx += (Phi(x) + x phi(x)) * dout
  detail::record_unary(out, "gelu", x, [inv_sqrt_2pi](float v, float) {
    return 0.5f * (1.0f + std::erf(v * kInvSqrt2)) + v * inv_sqrt_2pi * std::exp(-0.5f * v * v);
  });
  return out;
}

namespace {

// Calls f(base, stride) for every slice along the split dimension: the slice's
// elements are base, base+stride, ..., base+(n-1)*stride.
template <class F>
void for_each_slice(const detail::OuterDimInner& s, F&& f) {
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t i = 0; i < s.inner; ++i) f(o * s.n * s.inner + i, s.inner);
}

// Writes x - logsumexp(x) (log_softmax) or exp of it (softmax) along the split dim.
Tensor softmax_forward(const Tensor& x, const detail::OuterDimInner& s, bool log) {
  Tensor out = Tensor::empty(x.shape());
  const float* px = x.data();
  float* po = out.data();
  for_each_slice(s, [&](int64_t base, int64_t stride) {
    float m = -INFINITY;
    for (int64_t k = 0; k < s.n; ++k) m = std::max(m, px[base + k * stride]);
    double z = 0.0;
    for (int64_t k = 0; k < s.n; ++k) z += std::exp(static_cast<double>(px[base + k * stride] - m));
    const float log_z = m + static_cast<float>(std::log(z));
    for (int64_t k = 0; k < s.n; ++k) {
      const float lp = px[base + k * stride] - log_z;
      po[base + k * stride] = log ? lp : std::exp(lp);
    }
  });
  return out;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) {
  const detail::OuterDimInner s = detail::outer_dim_inner(x.shape(), detail::normalize_dim(dim, x.dim(), "softmax", x.shape()));
  Tensor out = softmax_forward(x, s, false);
  record(out, "softmax", {x}, [x, s](const Tensor& y, const Tensor& dout) {
    // y = softmax(x)  =>  dx += y * (dout - sum(dout * y))  along dim
    float* dx = grad_data(x);
    const float *py = y.data(), *g = dout.data();
    for_each_slice(s, [&](int64_t base, int64_t stride) {
      float dot = 0.0f;
      for (int64_t k = 0; k < s.n; ++k) dot += g[base + k * stride] * py[base + k * stride];
      for (int64_t k = 0; k < s.n; ++k) dx[base + k * stride] += py[base + k * stride] * (g[base + k * stride] - dot);
    });
  });
  return out;
}

Tensor masked_softmax(const Tensor& x, const Tensor& mask) {
  // x: (..., N)  mask: broadcasts to x's shape  out: (..., N) = softmax(x + mask) along the last dim
  if (x.dim() == 0) throw ShapeError("masked_softmax: expected scores of shape (..., N), got a 0-d tensor");
  if (!mask.defined()) throw Error("masked_softmax: the mask is undefined; call softmax(x) for no mask");
  if (detail::broadcast_shape(x.shape(), mask.shape(), "masked_softmax") != x.shape())
    throw ShapeError("masked_softmax: mask " + to_string(mask.shape()) + " must broadcast to the scores " +
                     to_string(x.shape()) + " without enlarging them");
  const int64_t n = x.size(-1), rows = x.numel() / std::max<int64_t>(n, 1);
  Tensor out = Tensor::empty(x.shape());
  const float *px = x.data(), *pm = mask.data();
  float* po = out.data();
  detail::for_each_broadcast(x.shape(), x.shape(), mask.shape(),
                             [&](int64_t i, int64_t, int64_t im) { po[i] = px[i] + pm[im]; });
  for (int64_t r = 0; r < rows; ++r) {
    float* row = po + r * n;
    float m = -INFINITY;
    for (int64_t k = 0; k < n; ++k) m = std::max(m, row[k]);
    if (m == -INFINITY) {  // every score removed: a defined zero row, not exp(-inf - -inf) = NaN
      std::fill(row, row + n, 0.0f);
      continue;
    }
    double z = 0.0;
    for (int64_t k = 0; k < n; ++k) z += std::exp(static_cast<double>(row[k] - m));
    const float log_z = m + static_cast<float>(std::log(z));
    for (int64_t k = 0; k < n; ++k) row[k] = std::exp(row[k] - log_z);
  }
  record(out, "masked_softmax", {x, mask}, [x, mask, n, rows](const Tensor& y, const Tensor& dout) {
    // y = softmax(z), z = x + mask  =>  dz = y * (dout - sum(dout * y)) along the row;
    // dx += dz, dmask += dz summed over the dimensions the mask was broadcast along
    Tensor dz = Tensor::empty(y.shape());
    const float *py = y.data(), *g = dout.data();
    float* pz = dz.data();
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t base = r * n;
      float dot = 0.0f;
      for (int64_t k = 0; k < n; ++k) dot += g[base + k] * py[base + k];
      for (int64_t k = 0; k < n; ++k) pz[base + k] = py[base + k] * (g[base + k] - dot);
    }
    if (x.requires_grad()) {
      float* dx = grad_data(x);
      for (int64_t i = 0; i < dz.numel(); ++i) dx[i] += pz[i];
    }
    if (mask.requires_grad()) {
      float* dm = grad_data(mask);
      detail::for_each_broadcast(y.shape(), y.shape(), mask.shape(),
                                 [&](int64_t i, int64_t, int64_t im) { dm[im] += pz[i]; });
    }
  });
  return out;
}

Tensor log_softmax(const Tensor& x, int64_t dim) {
  const detail::OuterDimInner s =
      detail::outer_dim_inner(x.shape(), detail::normalize_dim(dim, x.dim(), "log_softmax", x.shape()));
  Tensor out = softmax_forward(x, s, true);
  record(out, "log_softmax", {x}, [x, s](const Tensor& y, const Tensor& dout) {
    // y = x - logsumexp(x)  =>  dx += dout - exp(y) * sum(dout)  along dim
    float* dx = grad_data(x);
    const float *py = y.data(), *g = dout.data();
    for_each_slice(s, [&](int64_t base, int64_t stride) {
      float total = 0.0f;
      for (int64_t k = 0; k < s.n; ++k) total += g[base + k * stride];
      for (int64_t k = 0; k < s.n; ++k)
        dx[base + k * stride] += g[base + k * stride] - std::exp(py[base + k * stride]) * total;
    });
  });
  return out;
}

Tensor dropout(const Tensor& x, float p, bool training, Generator& gen) {
  if (!(p >= 0.0f && p < 1.0f)) throw Error("dropout: probability must be in [0, 1), got " + std::to_string(p));
  if (!training || p == 0.0f) return x;
  // The mask holds 0 or 1/(1-p), so the expected value of each element is unchanged.
  Tensor mask = Tensor::empty(x.shape());
  const float scale = 1.0f / (1.0f - p);
  float* pm = mask.data();
  const int64_t n = x.numel();
  for (int64_t i = 0; i < n; ++i) pm[i] = gen.uniform() < p ? 0.0f : scale;
  Tensor out = Tensor::empty(x.shape());
  const float* px = x.data();
  float* po = out.data();
  for (int64_t i = 0; i < n; ++i) po[i] = px[i] * pm[i];
  record(out, "dropout", {x}, [x, mask, n](const Tensor&, const Tensor& dout) {
    // out = x * mask  =>  dx += mask * dout
    const GradSink dx = grad_sink(x);
    const float *pm = mask.data(), *g = dout.data();
    if (dx.fresh)
      for (int64_t i = 0; i < n; ++i) dx.data[i] = pm[i] * g[i];
    else
      for (int64_t i = 0; i < n; ++i) dx.data[i] += pm[i] * g[i];
  });
  return out;
}

}  // namespace dl

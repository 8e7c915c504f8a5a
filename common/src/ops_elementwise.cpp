// Elementwise arithmetic with broadcasting, and the unary math functions.
#include <cmath>

#include "dl/ops.hpp"
#include "op_helpers.hpp"

namespace dl {
using detail::for_each_broadcast;

namespace {

// Forward of a broadcasting binary op: out[i] = f(a[ia], b[ib]).
template <class F>
Tensor binary_forward(const Tensor& a, const Tensor& b, const char* op, F f) {
  Tensor out = Tensor::empty(detail::broadcast_shape(a.shape(), b.shape(), op));
  const float *pa = a.data(), *pb = b.data();
  float* po = out.data();
  for_each_broadcast(out.shape(), a.shape(), b.shape(),
                     [&](int64_t i, int64_t ia, int64_t ib) { po[i] = f(pa[ia], pb[ib]); });
  return out;
}

// Backward of a broadcasting binary op. da(a, b) and db(a, b) are the partial
// derivatives of out with respect to a and b; an input that was broadcast sums
// the contributions of every output element it reached.
template <class DA, class DB>
void binary_backward(const Tensor& a, const Tensor& b, const Tensor& out, const Tensor& dout, DA da, DB db) {
  const float *pa = a.data(), *pb = b.data(), *g = dout.data();
  if (a.requires_grad()) {
    float* ga = grad_data(a);
    for_each_broadcast(out.shape(), a.shape(), b.shape(),
                       [&](int64_t i, int64_t ia, int64_t ib) { ga[ia] += da(pa[ia], pb[ib]) * g[i]; });
  }
  if (b.requires_grad()) {
    float* gb = grad_data(b);
    for_each_broadcast(out.shape(), a.shape(), b.shape(),
                       [&](int64_t i, int64_t ia, int64_t ib) { gb[ib] += db(pa[ia], pb[ib]) * g[i]; });
  }
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  // a: (...)  b: (...)  out: broadcast(a, b)
  Tensor out = binary_forward(a, b, "add", [](float x, float y) { return x + y; });
  record(out, "add", {a, b}, [a, b](const Tensor& out, const Tensor& dout) {
    // out = a + b  =>  da += dout,  db += dout
    binary_backward(a, b, out, dout, [](float, float) { return 1.0f; }, [](float, float) { return 1.0f; });
  });
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(a, b, "sub", [](float x, float y) { return x - y; });
  record(out, "sub", {a, b}, [a, b](const Tensor& out, const Tensor& dout) {
    // out = a - b  =>  da += dout,  db -= dout
    binary_backward(a, b, out, dout, [](float, float) { return 1.0f; }, [](float, float) { return -1.0f; });
  });
  return out;
}

// [mul]
Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(a, b, "mul", [](float x, float y) { return x * y; });
  record(out, "mul", {a, b}, [a, b](const Tensor& out, const Tensor& dout) {
    // out = a * b  =>  da += b * dout,  db += a * dout
    binary_backward(a, b, out, dout, [](float, float y) { return y; }, [](float x, float) { return x; });
  });
  return out;
}
// [mul]

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(a, b, "div", [](float x, float y) { return x / y; });
  record(out, "div", {a, b}, [a, b](const Tensor& out, const Tensor& dout) {
    // out = a / b  =>  da += dout / b,  db += -a / b^2 * dout
    binary_backward(
        a, b, out, dout, [](float, float y) { return 1.0f / y; }, [](float x, float y) { return -x / (y * y); });
  });
  return out;
}

Tensor neg(const Tensor& x) {
  Tensor out = detail::map_unary(x, [](float v) { return -v; });
  // out = -x  =>  dx -= dout
  detail::record_unary(out, "neg", x, [](float, float) { return -1.0f; });
  return out;
}

Tensor exp(const Tensor& x) {
  Tensor out = detail::map_unary(x, [](float v) { return std::exp(v); });
  // out = e^x  =>  dx += out * dout
  detail::record_unary(out, "exp", x, [](float, float y) { return y; });
  return out;
}

Tensor log(const Tensor& x) {
  Tensor out = detail::map_unary(x, [](float v) { return std::log(v); });
  // out = ln x  =>  dx += dout / x
  detail::record_unary(out, "log", x, [](float v, float) { return 1.0f / v; });
  return out;
}

Tensor sqrt(const Tensor& x) {
  Tensor out = detail::map_unary(x, [](float v) { return std::sqrt(v); });
  // out = sqrt(x)  =>  dx += dout / (2 out)
  detail::record_unary(out, "sqrt", x, [](float, float y) { return 0.5f / y; });
  return out;
}

Tensor pow(const Tensor& x, float p) {
  Tensor out = detail::map_unary(x, [p](float v) { return std::pow(v, p); });
  // out = x^p  =>  dx += p x^(p-1) dout
  detail::record_unary(out, "pow", x, [p](float v, float) { return p * std::pow(v, p - 1.0f); });
  return out;
}

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& x) { return neg(x); }
Tensor operator+(const Tensor& a, float b) { return add(a, Tensor::scalar(b)); }
Tensor operator-(const Tensor& a, float b) { return sub(a, Tensor::scalar(b)); }
Tensor operator*(const Tensor& a, float b) { return mul(a, Tensor::scalar(b)); }
Tensor operator/(const Tensor& a, float b) { return div(a, Tensor::scalar(b)); }
Tensor operator+(float a, const Tensor& b) { return add(Tensor::scalar(a), b); }
Tensor operator-(float a, const Tensor& b) { return sub(Tensor::scalar(a), b); }
Tensor operator*(float a, const Tensor& b) { return mul(Tensor::scalar(a), b); }
Tensor operator/(float a, const Tensor& b) { return div(Tensor::scalar(a), b); }

}  // namespace dl

// Convolution through im2col + GEMM, and the im2col/col2im kernels it stands on.
#include <omp.h>

#include <algorithm>
#include <cstring>

#include "dl/threads.hpp"
#include "dl/conv.hpp"
#include "gemm.hpp"
#include "op_helpers.hpp"

namespace dl {

int64_t conv_output_size(int64_t in, int64_t kernel, const WindowOptions& o, const char* op, const Shape& input,
                         const Shape& window) {
  const int64_t span = o.dilation * (kernel - 1) + 1;  // extent covered by one window
  const int64_t padded = in + 2 * o.padding;
  if (span > padded)
    throw ShapeError(std::string(op) + ": input " + to_string(input) + " with window " + to_string(window) +
                     ": the window spans " + std::to_string(span) + " but the padded input is only " +
                     std::to_string(padded) + " (out = floor((in + 2*padding - dilation*(kernel-1) - 1)/stride) + 1 = floor((" +
                     std::to_string(in) + " + 2*" + std::to_string(o.padding) + " - " + std::to_string(o.dilation) +
                     "*" + std::to_string(kernel - 1) + " - 1)/" + std::to_string(o.stride) + ") + 1 < 1)");
  return (padded - span) / o.stride + 1;
}

namespace {

void check_options(const WindowOptions& o, const char* op) {
  if (o.stride < 1 || o.dilation < 1 || o.padding < 0)
    throw ShapeError(std::string(op) + ": stride and dilation must be >= 1 and padding >= 0 (got stride " +
                     std::to_string(o.stride) + ", padding " + std::to_string(o.padding) + ", dilation " +
                     std::to_string(o.dilation) + ")");
}

// The range of output columns ox whose input column ox*stride - padding + offset lies in [0, width).
std::pair<int64_t, int64_t> valid_range(int64_t offset, const Conv2dGeometry& g) {
  // ix = ox*s + (offset - p) >= 0  <=>  ox >= ceil((p - offset) / s)
  const int64_t shift = offset - g.padding;
  int64_t lo = shift >= 0 ? 0 : (-shift + g.stride - 1) / g.stride;
  int64_t hi = shift >= g.width ? 0 : (g.width - 1 - shift) / g.stride + 1;
  lo = std::min(lo, g.out_w);
  hi = std::clamp(hi, lo, g.out_w);
  return {lo, hi};
}

}  // namespace

// [im2col]
void im2col(const float* image, const Conv2dGeometry& g, float* col, int64_t ld) {
  // image: (C, H, W)  col: (C*kh*kw, out_h*out_w) with row stride ld
  for (int64_t c = 0; c < g.channels; ++c)
    for (int64_t ki = 0; ki < g.kernel_h; ++ki)
      for (int64_t kj = 0; kj < g.kernel_w; ++kj) {
        float* row = col + ((c * g.kernel_h + ki) * g.kernel_w + kj) * ld;
        const auto [lo, hi] = valid_range(kj * g.dilation, g);
        for (int64_t oy = 0; oy < g.out_h; ++oy) {
          float* dst = row + oy * g.out_w;
          const int64_t iy = oy * g.stride - g.padding + ki * g.dilation;
          if (iy < 0 || iy >= g.height) {
            std::fill_n(dst, g.out_w, 0.0f);
            continue;
          }
          const float* src = image + (c * g.height + iy) * g.width;  // input row iy
          const int64_t shift = kj * g.dilation - g.padding;          // ix = ox*stride + shift
          std::fill_n(dst, lo, 0.0f);
          if (g.stride == 1 && hi > lo)
            std::memcpy(dst + lo, src + lo + shift, static_cast<size_t>(hi - lo) * sizeof(float));
          else
            for (int64_t ox = lo; ox < hi; ++ox) dst[ox] = src[ox * g.stride + shift];
          std::fill(dst + hi, dst + g.out_w, 0.0f);
        }
      }
}
// [im2col]

void col2im(const float* col, const Conv2dGeometry& g, int64_t ld, float* image) {
  // col: (C*kh*kw, out_h*out_w) with row stride ld  ->  image: (C, H, W), accumulated
  for (int64_t c = 0; c < g.channels; ++c)
    for (int64_t ki = 0; ki < g.kernel_h; ++ki)
      for (int64_t kj = 0; kj < g.kernel_w; ++kj) {
        const float* row = col + ((c * g.kernel_h + ki) * g.kernel_w + kj) * ld;
        const auto [lo, hi] = valid_range(kj * g.dilation, g);
        for (int64_t oy = 0; oy < g.out_h; ++oy) {
          const int64_t iy = oy * g.stride - g.padding + ki * g.dilation;
          if (iy < 0 || iy >= g.height) continue;
          const float* src = row + oy * g.out_w;
          float* dst = image + (c * g.height + iy) * g.width;  // input row iy
          const int64_t shift = kj * g.dilation - g.padding;
          for (int64_t ox = lo; ox < hi; ++ox) dst[ox * g.stride + shift] += src[ox];
        }
      }
}

// [conv2d]
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const WindowOptions& options) {
  // x: (B,C,H,W)  weight: (O,C,kh,kw)  bias: (O)  out: (B,O,OH,OW)
  check_options(options, "conv2d");
  if (x.dim() != 4 || weight.dim() != 4)
    throw ShapeError("conv2d: expected input (B,C,H,W) and weight (O,C,kh,kw), got " + to_string(x.shape()) +
                     " and " + to_string(weight.shape()) + "; a single image needs reshape({1, C, H, W})");
  if (x.size(1) != weight.size(1))
    throw ShapeError("conv2d: input " + to_string(x.shape()) + " has " + std::to_string(x.size(1)) +
                     " channels but weight " + to_string(weight.shape()) + " expects " + std::to_string(weight.size(1)));
  const int64_t out_channels = weight.size(0);
  if (bias.defined() && (bias.dim() != 1 || bias.size(0) != out_channels))
    throw ShapeError("conv2d: bias must be (" + std::to_string(out_channels) + "), got " + to_string(bias.shape()));
  Conv2dGeometry g{x.size(0), x.size(1), x.size(2), x.size(3), weight.size(2), weight.size(3),
                   options.stride, options.padding, options.dilation, 0, 0};
  g.out_h = conv_output_size(g.height, g.kernel_h, options, "conv2d", x.shape(), weight.shape());
  g.out_w = conv_output_size(g.width, g.kernel_w, options, "conv2d", x.shape(), weight.shape());
  const int64_t k = g.patch(), p = g.positions(), image = g.channels * g.height * g.width;

  // Per image: unfold every receptive field into a column, col_b (K, P), then one
  // GEMM (O, K) x (K, P) writes the output in place. Images run in parallel; each
  // image's col_b is small enough to stay in cache between the two steps.
  Tensor col = Tensor::empty({g.batch, k, p});  // kept for the weight gradient
  Tensor out = Tensor::empty({g.batch, out_channels, g.out_h, g.out_w});
  const ConstMatMap w(weight.data(), out_channels, k);
#pragma omp parallel for schedule(static) if (g.batch > 1 && num_threads() > 1)
  for (int64_t b = 0; b < g.batch; ++b) {
    float* col_b = col.data() + b * k * p;
    im2col(x.data() + b * image, g, col_b, p);
    MatMap y(out.data() + b * out_channels * p, out_channels, p);
    gemm(y.data(), w, ConstMatMap(col_b, k, p));
    if (bias.defined()) y.colwise() += Eigen::Map<const Eigen::VectorXf>(bias.data(), out_channels);
  }

  record(out, "conv2d", {x, weight, bias}, [x, weight, bias, col, g, out_channels](const Tensor&, const Tensor& dout) {
    const int64_t k = g.patch(), p = g.positions(), image = g.channels * g.height * g.width;
    const ConstMatMap w(weight.data(), out_channels, k);
    // y_b = W col_b + b  =>  dW += sum_b dy_b col_b^T,  db += sum of dy,  dx_b += col2im(W^T dy_b)
    const bool want_w = weight.requires_grad(), want_x = x.requires_grad();
    const int threads = g.batch > 1 ? num_threads() : 1;
    // One partial dW per thread, summed at the end in a fixed order (deterministic).
    std::vector<MatrixRM> partial(want_w ? static_cast<size_t>(threads) : 0, MatrixRM::Zero(out_channels, k));
    float* dx = want_x ? grad_data(x) : nullptr;
#pragma omp parallel num_threads(threads) if (threads > 1)
    {
      const int t = omp_get_thread_num();
      Tensor dcol = want_x ? Tensor::empty({k, p}) : Tensor();
#pragma omp for schedule(static)
      for (int64_t b = 0; b < g.batch; ++b) {
        const ConstMatMap dy(dout.data() + b * out_channels * p, out_channels, p);
        if (want_w)
          gemm(partial[static_cast<size_t>(t)].data(), dy, ConstMatMap(col.data() + b * k * p, k, p).transpose(),
               Write::add);
        if (want_x) {
          gemm(dcol.data(), w.transpose(), dy);
          col2im(dcol.data(), g, p, dx + b * image);
        }
      }
    }
    if (want_w) {
      MatMap dw(grad_data(weight), out_channels, k);
      for (const MatrixRM& part : partial) dw += part;
    }
    if (bias.defined() && bias.requires_grad()) {
      Eigen::Map<Eigen::VectorXf> db(grad_data(bias), out_channels);
      for (int64_t b = 0; b < g.batch; ++b) db += ConstMatMap(dout.data() + b * out_channels * p, out_channels, p).rowwise().sum();
    }
  });
  return out;
}
// [conv2d]

}  // namespace dl

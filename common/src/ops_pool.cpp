// Pooling: max (gradient to the arg-max) and average (gradient spread evenly).
#include <algorithm>
#include <cstdint>
#include <limits>

#include "dl/conv.hpp"
#include "op_helpers.hpp"

namespace dl {

namespace {

// Geometry of a pooling window over x (B, C, H, W); stride 0 means stride = kernel.
Conv2dGeometry pool_geometry(const Tensor& x, int64_t kernel, int64_t& stride, int64_t padding, const char* op) {
  if (x.dim() != 4) throw ShapeError(std::string(op) + ": expected input (B,C,H,W), got " + to_string(x.shape()));
  if (stride == 0) stride = kernel;
  if (kernel < 1 || stride < 1 || padding < 0 || 2 * padding > kernel)
    throw ShapeError(std::string(op) + ": need kernel >= 1, stride >= 1 and 0 <= padding <= kernel/2 (got kernel " +
                     std::to_string(kernel) + ", stride " + std::to_string(stride) + ", padding " +
                     std::to_string(padding) + ")");
  const WindowOptions o{stride, padding, 1};
  const Shape window{kernel, kernel};
  Conv2dGeometry g{x.size(0), x.size(1), x.size(2), x.size(3), kernel, kernel, stride, padding, 1, 0, 0};
  g.out_h = conv_output_size(g.height, kernel, o, op, x.shape(), window);
  g.out_w = conv_output_size(g.width, kernel, o, op, x.shape(), window);
  return g;
}

// Calls f(out_index, plane_offset, y0, y1, x0, x1) for every output of every (b, c) plane,
// with the window clipped to the input: rows [y0, y1), columns [x0, x1).
template <class F>
void for_each_window(const Conv2dGeometry& g, F&& f) {
  const int64_t planes = g.batch * g.channels;
  for (int64_t plane = 0; plane < planes; ++plane)
    for (int64_t oy = 0; oy < g.out_h; ++oy)
      for (int64_t ox = 0; ox < g.out_w; ++ox) {
        const int64_t ys = oy * g.stride - g.padding, xs = ox * g.stride - g.padding;
        f((plane * g.out_h + oy) * g.out_w + ox, plane * g.height * g.width, std::max<int64_t>(ys, 0),
          std::min(ys + g.kernel_h, g.height), std::max<int64_t>(xs, 0), std::min(xs + g.kernel_w, g.width));
      }
}

}  // namespace

Tensor max_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding) {
  // x: (B,C,H,W)  out: (B,C,OH,OW)
  const Conv2dGeometry g = pool_geometry(x, kernel, stride, padding, "max_pool2d");
  Tensor out = Tensor::empty({g.batch, g.channels, g.out_h, g.out_w});
  if (x.numel() > std::numeric_limits<int32_t>::max())
    throw ShapeError("max_pool2d: input " + to_string(x.shape()) + " has more than 2^31 elements");
  // The arg-max of each window, as int32 indices into x, for the backward. The buffer
  // comes from the tensor cache (a float tensor's storage, only ever read as int32).
  Tensor argmax_storage = Tensor::empty(out.shape());
  auto* argmax = reinterpret_cast<int32_t*>(argmax_storage.data());
  const float* px = x.data();
  float* po = out.data();
  for_each_window(g, [&](int64_t i, int64_t base, int64_t y0, int64_t y1, int64_t x0, int64_t x1) {
    int64_t best = base + y0 * g.width + x0;  // padding <= kernel/2, so every window holds a real pixel
    for (int64_t y = y0; y < y1; ++y)
      for (int64_t xx = x0; xx < x1; ++xx) {
        const int64_t at = base + y * g.width + xx;
        best = px[at] > px[best] ? at : best;  // first maximum wins; a select, not a branch
      }
    po[i] = px[best];
    argmax[i] = static_cast<int32_t>(best);
  });
  record(out, "max_pool2d", {x}, [x, argmax_storage](const Tensor&, const Tensor& dout) {
    // out[i] = x[argmax[i]]  =>  dx[argmax[i]] += dout[i]
    float* dx = grad_data(x);
    const auto* argmax = reinterpret_cast<const int32_t*>(argmax_storage.data());
    const float* pg = dout.data();
    const int64_t n = dout.numel();
    for (int64_t i = 0; i < n; ++i) dx[argmax[i]] += pg[i];
  });
  return out;
}

Tensor avg_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding) {
  // x: (B,C,H,W)  out: (B,C,OH,OW); padded positions count as zeros in the mean
  const Conv2dGeometry g = pool_geometry(x, kernel, stride, padding, "avg_pool2d");
  Tensor out = Tensor::empty({g.batch, g.channels, g.out_h, g.out_w});
  const float scale = 1.0f / static_cast<float>(kernel * kernel);
  const float* px = x.data();
  float* po = out.data();
  for_each_window(g, [&](int64_t i, int64_t base, int64_t y0, int64_t y1, int64_t x0, int64_t x1) {
    float total = 0.0f;
    for (int64_t y = y0; y < y1; ++y)
      for (int64_t xx = x0; xx < x1; ++xx) total += px[base + y * g.width + xx];
    po[i] = total * scale;
  });
  record(out, "avg_pool2d", {x}, [x, g, scale](const Tensor&, const Tensor& dout) {
    // out[i] = scale * sum of its window  =>  every x in the window gets scale * dout[i]
    float* dx = grad_data(x);
    const float* pg = dout.data();
    for_each_window(g, [&](int64_t i, int64_t base, int64_t y0, int64_t y1, int64_t x0, int64_t x1) {
      for (int64_t y = y0; y < y1; ++y)
        for (int64_t xx = x0; xx < x1; ++xx) dx[base + y * g.width + xx] += scale * pg[i];
    });
  });
  return out;
}

}  // namespace dl

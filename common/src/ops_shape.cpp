// Shape and indexing ops: reshape, flatten, permute/transpose, slice, concat, reverse_sequences.
#include <algorithm>
#include <numeric>

#include "dl/ops.hpp"
#include "op_helpers.hpp"

namespace dl {

Tensor reshape(const Tensor& x, const Shape& shape) {
  // x: (...)  out: shape, same elements in the same order; shares x's storage
  Shape target = shape, known_dims;
  int64_t infer_at = -1;
  for (size_t d = 0; d < target.size(); ++d) {
    if (target[d] == -1) {
      if (infer_at >= 0) throw ShapeError("reshape: " + to_string(x.shape()) + " -> " + to_string(shape) + ": only one extent may be -1");
      infer_at = static_cast<int64_t>(d);
    } else if (target[d] < 0) {
      throw ShapeError("reshape: " + to_string(x.shape()) + " -> " + to_string(shape) + ": negative extent");
    } else {
      known_dims.push_back(target[d]);
    }
  }
  const int64_t known = numel(known_dims);  // checked: a huge shape is an error, not a wrapped product
  const auto cannot_view = [&] {
    return ShapeError("reshape: cannot view " + to_string(x.shape()) + " (" + std::to_string(x.numel()) +
                      " elements) as " + to_string(shape));
  };
  if (infer_at >= 0) {
    if (known == 0 || x.numel() % known != 0) throw cannot_view();
    target[static_cast<size_t>(infer_at)] = x.numel() / known;
  }
  if (numel(target) != x.numel()) throw cannot_view();
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = target;
  impl->storage = x.impl()->storage;
  Tensor out(std::move(impl));
  record(out, "reshape", {x}, [x](const Tensor&, const Tensor& dout) {
    // out = x viewed in another shape  =>  dx += dout, element by element
    const GradSink dx = grad_sink(x);
    const float* g = dout.data();
    const int64_t n = x.numel();
    if (dx.fresh)
      std::copy_n(g, n, dx.data);
    else
      for (int64_t i = 0; i < n; ++i) dx.data[i] += g[i];
  });
  return out;
}

Tensor flatten(const Tensor& x, int64_t start_dim) {
  const int64_t d = detail::normalize_dim(start_dim, std::max<int64_t>(x.dim(), 1), "flatten", x.shape());
  Shape shape(x.shape().begin(), x.shape().begin() + std::min<int64_t>(d, x.dim()));
  shape.push_back(-1);
  if (x.numel() == 0) shape.back() = 0;
  return reshape(x, shape);
}

namespace {

// Copies x (shape in_shape) into the dimension order `dims`: dst = permuted src.
// With accumulate_back, does the reverse and adds: dst (x's layout) += src (permuted).
void permute_copy(const float* src, float* dst, const Shape& in_shape, const std::vector<int64_t>& dims, bool accumulate_back) {
  const size_t nd = in_shape.size();
  std::vector<int64_t> in_strides(nd, 1);
  for (size_t d = nd; d-- > 1;) in_strides[d - 1] = in_strides[d] * in_shape[d];
  Shape out_shape(nd);
  std::vector<int64_t> strides(nd);  // stride in x of each output dimension
  for (size_t d = 0; d < nd; ++d) {
    out_shape[d] = in_shape[static_cast<size_t>(dims[d])];
    strides[d] = in_strides[static_cast<size_t>(dims[d])];
  }
  const int64_t total = numel(in_shape);
  std::vector<int64_t> idx(nd, 0);
  int64_t at = 0;  // flat index into x
  for (int64_t i = 0; i < total; ++i) {
    if (accumulate_back)
      dst[at] += src[i];
    else
      dst[i] = src[at];
    for (size_t d = nd; d-- > 0;) {
      at += strides[d];
      if (++idx[d] < out_shape[d]) break;
      at -= strides[d] * out_shape[d];
      idx[d] = 0;
    }
  }
}

}  // namespace

Tensor permute(const Tensor& x, const std::vector<int64_t>& dims) {
  // x: (d0, d1, ...)  out: (d[dims[0]], d[dims[1]], ...)
  const int64_t nd = x.dim();
  std::vector<int64_t> sorted = dims;
  for (int64_t& d : sorted) d = d < 0 ? d + nd : d;
  std::vector<int64_t> normalized = sorted;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> expected(static_cast<size_t>(nd));
  std::iota(expected.begin(), expected.end(), 0);
  if (sorted != expected) {
    std::string given = "[";
    for (size_t i = 0; i < dims.size(); ++i) given += (i ? "," : "") + std::to_string(dims[i]);
    throw ShapeError("permute: " + given + "] is not a permutation of the " + std::to_string(nd) +
                     " dimensions of " + to_string(x.shape()));
  }
  Shape out_shape(static_cast<size_t>(nd));
  for (size_t d = 0; d < out_shape.size(); ++d) out_shape[d] = x.shape()[static_cast<size_t>(normalized[d])];
  Tensor out = Tensor::empty(out_shape);
  permute_copy(x.data(), out.data(), x.shape(), normalized, false);
  record(out, "permute", {x}, [x, normalized](const Tensor&, const Tensor& dout) {
    // out = x with dimensions reordered  =>  dx += dout with the order undone
    permute_copy(dout.data(), grad_data(x), x.shape(), normalized, true);
  });
  return out;
}

Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) {
  const int64_t a = detail::normalize_dim(dim0, x.dim(), "transpose", x.shape());
  const int64_t b = detail::normalize_dim(dim1, x.dim(), "transpose", x.shape());
  std::vector<int64_t> dims(static_cast<size_t>(x.dim()));
  std::iota(dims.begin(), dims.end(), 0);
  std::swap(dims[static_cast<size_t>(a)], dims[static_cast<size_t>(b)]);
  return permute(x, dims);
}

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end) {
  // x: (..., N, ...)  out: (..., end-start, ...)
  const int64_t d = detail::normalize_dim(dim, x.dim(), "slice", x.shape());
  const int64_t n = x.size(d);
  if (start < 0) start += n;
  if (end < 0) end += n;
  if (start < 0 || end > n || start > end)
    throw ShapeError("slice: range [" + std::to_string(start) + ", " + std::to_string(end) + ") out of bounds for dimension " +
                     std::to_string(dim) + " of " + to_string(x.shape()));
  const detail::OuterDimInner s = detail::outer_dim_inner(x.shape(), d);
  Shape out_shape = x.shape();
  out_shape[static_cast<size_t>(d)] = end - start;
  Tensor out = Tensor::empty(out_shape);
  const int64_t chunk = (end - start) * s.inner;  // contiguous run copied per outer index
  for (int64_t o = 0; o < s.outer; ++o)
    std::copy_n(x.data() + (o * n + start) * s.inner, chunk, out.data() + o * chunk);
  record(out, "slice", {x}, [x, s, start, chunk, n](const Tensor&, const Tensor& dout) {
    // out = x[.., start:end, ..]  =>  dx[.., start:end, ..] += dout
    float* dx = grad_data(x);
    for (int64_t o = 0; o < s.outer; ++o) {
      float* dst = dx + (o * n + start) * s.inner;
      const float* g = dout.data() + o * chunk;
      for (int64_t i = 0; i < chunk; ++i) dst[i] += g[i];
    }
  });
  return out;
}

Tensor concat(const std::vector<Tensor>& xs, int64_t dim) {
  // xs[i]: (..., N_i, ...)  out: (..., sum N_i, ...)
  if (xs.empty()) throw ShapeError("concat: needs at least one tensor");
  const Shape& first = xs[0].shape();
  const int64_t d = detail::normalize_dim(dim, static_cast<int64_t>(first.size()), "concat", first);
  Shape out_shape = first;
  out_shape[static_cast<size_t>(d)] = 0;
  for (const Tensor& t : xs) {
    Shape a = t.shape(), b = first;
    if (a.size() == b.size()) a[static_cast<size_t>(d)] = b[static_cast<size_t>(d)] = 0;
    if (a != b)
      throw ShapeError("concat: " + to_string(first) + " and " + to_string(t.shape()) +
                       " differ outside dimension " + std::to_string(dim));
    out_shape[static_cast<size_t>(d)] += t.size(d);
  }
  Tensor out = Tensor::empty(out_shape);
  const detail::OuterDimInner so = detail::outer_dim_inner(out_shape, d);
  int64_t offset = 0;  // position of each input along dim
  std::vector<int64_t> offsets;
  for (const Tensor& t : xs) {
    const int64_t chunk = t.size(d) * so.inner;
    for (int64_t o = 0; o < so.outer; ++o)
      std::copy_n(t.data() + o * chunk, chunk, out.data() + (o * so.n + offset) * so.inner);
    offsets.push_back(offset);
    offset += t.size(d);
  }
  record(out, "concat", xs, [xs, so, offsets, d](const Tensor&, const Tensor& dout) {
    // out = [x0, x1, ...] along dim  =>  dx_i += its block of dout
    for (size_t j = 0; j < xs.size(); ++j) {
      if (!xs[j].requires_grad()) continue;
      float* dx = grad_data(xs[j]);
      const int64_t chunk = xs[j].size(d) * so.inner;
      for (int64_t o = 0; o < so.outer; ++o) {
        const float* g = dout.data() + (o * so.n + offsets[j]) * so.inner;
        for (int64_t i = 0; i < chunk; ++i) dx[o * chunk + i] += g[i];
      }
    }
  });
  return out;
}

Tensor reverse_sequences(const Tensor& x, std::span<const int64_t> lengths) {
  // x: (T, B, ...)  lengths: (B)  out: (T, B, ...), out[t, b] = x[len_b - 1 - t, b] for t < len_b
  if (x.dim() < 2)
    throw ShapeError("reverse_sequences: expected (T, B, ...) with a time and a batch dimension, got " + to_string(x.shape()));
  const int64_t steps = x.size(0), batch = x.size(1), inner = x.numel() / std::max<int64_t>(steps * batch, 1);
  if (!lengths.empty() && static_cast<int64_t>(lengths.size()) != batch)
    throw ShapeError("reverse_sequences: " + std::to_string(lengths.size()) + " lengths for " + to_string(x.shape()) +
                     "; need one per batch column (B = " + std::to_string(batch) + ")");
  std::vector<int64_t> len(static_cast<size_t>(batch), steps);
  for (size_t b = 0; b < lengths.size(); ++b) {
    if (lengths[b] < 1 || lengths[b] > steps)
      throw Error("reverse_sequences: length " + std::to_string(lengths[b]) + " of column " + std::to_string(b) +
                  " is not in [1, T = " + std::to_string(steps) + "]");
    len[b] = lengths[b];
  }
  // The source step of out[t, b]; the map is its own inverse.
  const auto source = [len](int64_t t, int64_t b) { return t < len[static_cast<size_t>(b)] ? len[static_cast<size_t>(b)] - 1 - t : t; };
  Tensor out = Tensor::empty(x.shape());
  for (int64_t t = 0; t < steps; ++t)
    for (int64_t b = 0; b < batch; ++b)
      std::copy_n(x.data() + (source(t, b) * batch + b) * inner, inner, out.data() + (t * batch + b) * inner);
  record(out, "reverse_sequences", {x}, [x, source, steps, batch, inner](const Tensor&, const Tensor& dout) {
    // out[t, b] = x[src(t, b), b]  =>  dx[src(t, b), b] += dout[t, b]
    float* dx = grad_data(x);
    for (int64_t t = 0; t < steps; ++t)
      for (int64_t b = 0; b < batch; ++b) {
        float* dst = dx + (source(t, b) * batch + b) * inner;
        const float* g = dout.data() + (t * batch + b) * inner;
        for (int64_t i = 0; i < inner; ++i) dst[i] += g[i];
      }
  });
  return out;
}

}  // namespace dl

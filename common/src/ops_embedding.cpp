// Embedding lookup: a gather forward and a scatter-add backward.
#include <algorithm>

#include "dl/ops.hpp"
#include "op_helpers.hpp"

namespace dl {

Tensor embedding(const Tensor& weight, std::span<const int> indices, const Shape& index_shape, int64_t padding_idx) {
  // weight: (V,D)  indices: (N...)  out: (N..., D)
  if (weight.dim() != 2) throw ShapeError("embedding: weight must be (V, D), got " + to_string(weight.shape()));
  if (static_cast<int64_t>(indices.size()) != numel(index_shape))
    throw ShapeError("embedding: " + std::to_string(indices.size()) + " indices for index shape " + to_string(index_shape));
  const int64_t vocab = weight.size(0), dim = weight.size(1);
  for (size_t i = 0; i < indices.size(); ++i)
    if (indices[i] < 0 || indices[i] >= vocab)
      throw ShapeError("embedding: index " + std::to_string(indices[i]) + " at position " + std::to_string(i) +
                       " is outside the vocabulary [0, " + std::to_string(vocab) + ")");
  Shape out_shape = index_shape;
  out_shape.push_back(dim);
  Tensor out = Tensor::empty(out_shape);
  for (size_t i = 0; i < indices.size(); ++i)
    std::copy_n(weight.data() + indices[i] * dim, dim, out.data() + static_cast<int64_t>(i) * dim);
  std::vector<int> saved(indices.begin(), indices.end());
  record(out, "embedding", {weight}, [weight, saved, dim, padding_idx](const Tensor&, const Tensor& dout) {
    // out[n] = weight[idx[n]]  =>  dweight[idx[n]] += dout[n]  (except the padding row)
    float* dw = grad_data(weight);
    for (size_t i = 0; i < saved.size(); ++i) {
      if (saved[i] == padding_idx) continue;
      const float* g = dout.data() + static_cast<int64_t>(i) * dim;
      float* row = dw + saved[i] * dim;
      for (int64_t d = 0; d < dim; ++d) row[d] += g[d];
    }
  });
  return out;
}

}  // namespace dl

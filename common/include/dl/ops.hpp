/// @file ops.hpp
/// @brief Differentiable operations on tensors. Each is defined, forward and
/// backward side by side, in one `common/src/ops_<family>.cpp` file.
///
/// Shape letters in comments: B batch, T time, C channels/features, V vocabulary.
/// Binary elementwise ops broadcast like NumPy/PyTorch: shapes are aligned from
/// the right, and an extent of 1 stretches to match the other side.
#pragma once

#include <span>
#include <vector>

#include "dl/tensor.hpp"

namespace dl {

/// @name Elementwise (ops_elementwise.cpp)
/// @{

/// a + b with broadcasting.  a: (...)  b: (...)  out: broadcast shape
Tensor add(const Tensor& a, const Tensor& b);
/// a - b with broadcasting.
Tensor sub(const Tensor& a, const Tensor& b);
/// a * b (elementwise) with broadcasting.
Tensor mul(const Tensor& a, const Tensor& b);
/// a / b (elementwise) with broadcasting.
Tensor div(const Tensor& a, const Tensor& b);
/// -x.
Tensor neg(const Tensor& x);
/// e^x.
Tensor exp(const Tensor& x);
/// Natural logarithm.
Tensor log(const Tensor& x);
/// Square root.
Tensor sqrt(const Tensor& x);
/// x^p for a constant exponent p.
Tensor pow(const Tensor& x, float p);
/// @}

/// @name Operators (broadcasting; scalars become 0-d tensors)
/// @{
Tensor operator+(const Tensor& a, const Tensor& b);  ///< add(a, b)
Tensor operator-(const Tensor& a, const Tensor& b);  ///< sub(a, b)
Tensor operator*(const Tensor& a, const Tensor& b);  ///< mul(a, b)
Tensor operator/(const Tensor& a, const Tensor& b);  ///< div(a, b)
Tensor operator-(const Tensor& x);                   ///< neg(x)
Tensor operator+(const Tensor& a, float b);          ///< a + scalar
Tensor operator-(const Tensor& a, float b);          ///< a - scalar
Tensor operator*(const Tensor& a, float b);          ///< a * scalar
Tensor operator/(const Tensor& a, float b);          ///< a / scalar
Tensor operator+(float a, const Tensor& b);          ///< scalar + b
Tensor operator-(float a, const Tensor& b);          ///< scalar - b
Tensor operator*(float a, const Tensor& b);          ///< scalar * b
Tensor operator/(float a, const Tensor& b);          ///< scalar / b
/// @}

/// @name Activations (ops_activation.cpp)
/// @{

/// max(x, 0).
Tensor relu(const Tensor& x);
/// x for x > 0, slope * x otherwise.
Tensor leaky_relu(const Tensor& x, float slope = 0.01f);
/// Hyperbolic tangent.
Tensor tanh(const Tensor& x);
/// 1 / (1 + e^-x).
Tensor sigmoid(const Tensor& x);
/// x * Phi(x) with the exact normal CDF (PyTorch's default GELU).
Tensor gelu(const Tensor& x);
/// exp(x) / sum(exp(x)) along `dim`, computed stably (max subtracted first).
Tensor softmax(const Tensor& x, int64_t dim = -1);
/// x - logsumexp(x) along `dim`, computed stably.
Tensor log_softmax(const Tensor& x, int64_t dim = -1);
/// @}

/// @name Reductions (ops_reduce.cpp)
/// @{

/// Sum of all elements; a 0-d tensor.
Tensor sum(const Tensor& x);
/// Sum along `dim`; `keepdim` keeps it as extent 1.
Tensor sum(const Tensor& x, int64_t dim, bool keepdim = false);
/// Mean of all elements; a 0-d tensor.
Tensor mean(const Tensor& x);
/// Mean along `dim`.
Tensor mean(const Tensor& x, int64_t dim, bool keepdim = false);
/// Largest element; the gradient goes to the (first) arg-max.
Tensor max(const Tensor& x);
/// Largest value along `dim`; the gradient goes to the (first) arg-max.
Tensor max(const Tensor& x, int64_t dim, bool keepdim = false);
/// Index of the largest value along the last dimension, for each row (not differentiable).
std::vector<int> argmax(const Tensor& x);
/// @}

/// @name Matrix products (ops_matmul.cpp)
/// @{

/// Matrix product through Eigen's GEMM.
/// a: (M,K) b: (K,N) -> (M,N);  a: (B,M,K) b: (B,K,N) -> (B,M,N);  a: (B,M,K) b: (K,N) -> (B,M,N)
Tensor matmul(const Tensor& a, const Tensor& b);
/// x W^T + b, the affine map of `nn::Linear`, fused into one GEMM.
/// x: (..., in)  weight: (out, in)  bias: (out) or undefined  -> (..., out)
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);
/// @}

/// @name Shape and indexing (ops_shape.cpp)
/// @{

/// Same elements, new shape; one extent may be -1 (inferred). Shares storage.
Tensor reshape(const Tensor& x, const Shape& shape);
/// Keeps dims before `start_dim` and merges the rest: (B, C, H, W) -> (B, C*H*W).
Tensor flatten(const Tensor& x, int64_t start_dim = 1);
/// Reorders dimensions: out.shape[i] = x.shape[dims[i]]. Copies.
Tensor permute(const Tensor& x, const std::vector<int64_t>& dims);
/// Swaps two dimensions. Copies.
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);
/// Elements start..end-1 along `dim` (negative indices count from the end). Copies.
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end);
/// Joins tensors along `dim`; all other extents must agree.
Tensor concat(const std::vector<Tensor>& xs, int64_t dim = 0);
/// @}

/// @name Losses (ops_loss.cpp); all return the mean over the batch as a 0-d tensor
/// @{

/// Softmax cross-entropy of raw scores against class indices.
/// logits: (N,C)  targets: N indices in [0,C)  label_smoothing: mass spread uniformly over all classes
Tensor cross_entropy(const Tensor& logits, std::span<const int> targets, float label_smoothing = 0.0f);
/// Negative log-likelihood of log-probabilities.  log_probs: (N,C)  targets: N indices in [0,C)
Tensor nll_loss(const Tensor& log_probs, std::span<const int> targets);
/// Mean squared error.  prediction, target: same shape
Tensor mse_loss(const Tensor& prediction, const Tensor& target);
/// @}

/// @name Lookup (ops_embedding.cpp)
/// @{

/// Rows of `weight` picked by `indices`: out[n...] = weight[indices[n...]].
/// weight: (V, D)  indices: numel(index_shape) ids in [0, V)  ->  (index_shape..., D).
/// The backward adds each output row's gradient into its weight row (scatter-add);
/// rows equal to `padding_idx` (if >= 0) get no gradient.
Tensor embedding(const Tensor& weight, std::span<const int> indices, const Shape& index_shape,
                 int64_t padding_idx = -1);
/// @}

/// @name Regularisation (ops_activation.cpp)
/// @{

/// Zeroes each element with probability `p` and scales survivors by 1/(1-p); identity when !training.
Tensor dropout(const Tensor& x, float p, bool training, Generator& gen = default_generator());
/// @}

}  // namespace dl

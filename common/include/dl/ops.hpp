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
/// Which formula `gelu` uses (PyTorch's `approximate='none'` and `'tanh'`).
enum class GeluApproximate {
  none,  ///< x * Phi(x) with the exact normal CDF, Phi(x) = (1 + erf(x / sqrt 2)) / 2
  tanh   ///< x * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2, the form of the original BERT and GPT-2 code
};
/// GELU, x * Phi(x): the exact form by default (PyTorch's default), or the tanh approximation.
Tensor gelu(const Tensor& x, GeluApproximate approximate = GeluApproximate::none);
/// exp(x) / sum(exp(x)) along `dim`, computed stably (max subtracted first).
Tensor softmax(const Tensor& x, int64_t dim = -1);
/// softmax(x + mask) over the last dimension, where `mask` is additive and broadcasts to
/// x's shape (e.g. (T,T) against (B,H,T,T)): 0 keeps a score, -inf removes it, any other
/// value shifts it. A row whose every entry is -inf gives zeros (and no gradient) instead
/// of 0/0 = NaN, so a fully padded query row is harmless. Gradients flow to x and to
/// `mask` (a learned additive bias works too).  x: (..., N)  mask: broadcastable  out: x's shape
Tensor masked_softmax(const Tensor& x, const Tensor& mask);
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
/// Reverses the first `lengths[b]` time steps of each batch column b and leaves the steps
/// after them in place: out[t, b] = x[lengths[b] - 1 - t, b] for t < lengths[b], else x[t, b]
/// (what a bidirectional RNN's reverse direction reads for padded sequences, like PyTorch's
/// packed sequences). Empty `lengths`: every column is reversed whole. The backward is the
/// same permutation.  x: (T, B, ...)  lengths: B values in [1, T]  ->  (T, B, ...)
Tensor reverse_sequences(const Tensor& x, std::span<const int64_t> lengths = {});
/// @}

/// @name Normalisation (ops_norm.cpp; batch_norm2d is in conv.hpp)
/// @{

/// Layer normalisation over the last dimension, fused: out = (x - mean) * rstd * weight + bias
/// with mean and rstd = 1/sqrt(var + eps) of each row (biased variance, as PyTorch).
/// The backward keeps only x and each row's mean and rstd (2 floats per row).
/// x: (..., C)  weight, bias: (C) or undefined (no scale / no shift)  out: (..., C)
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps = 1e-5f);

/// The forward kernel of `layer_norm` on raw row-major memory: `rows` rows of `channels`.
/// weight and bias may be null (1 and 0). Writes out (rows x channels), mean and rstd (rows).
void layernorm_forward(const float* x, const float* weight, const float* bias, float* out, float* mean, float* rstd,
                       int64_t rows, int64_t channels, float eps);
/// The backward kernel of `layer_norm`: accumulates (+=) into dx (rows x channels) and into
/// dweight and dbias (channels); any of the three may be null (not wanted). weight may be null (1).
void layernorm_backward(const float* dout, const float* x, const float* weight, const float* mean, const float* rstd,
                        float* dx, float* dweight, float* dbias, int64_t rows, int64_t channels);
/// @}

/// @name Losses (ops_loss.cpp); all return the mean over the batch as a 0-d tensor
/// @{

/// Settings of `cross_entropy`, written as designated initialisers: `{.ignore_index = -100}`.
struct CrossEntropyOptions {
  /// Mass spread uniformly over all classes (0: plain one-hot targets).
  float label_smoothing = 0.0f;
  /// A target equal to this is skipped: it adds nothing to the loss or the gradient and the
  /// mean is over the other rows (masked-LM labels mark unmasked positions this way).
  /// -100 as in PyTorch; any other negative target is still an error. When every target is
  /// ignored, the loss is 0 with a zero gradient (PyTorch gives 0/0 = NaN), so a batch in
  /// which masking picked no token does not stop training.
  int ignore_index = -100;
};

/// Softmax cross-entropy of raw scores against class indices; targets equal to -100 are ignored.
/// logits: (N,C)  targets: N indices in [0,C)  label_smoothing: mass spread uniformly over all classes
Tensor cross_entropy(const Tensor& logits, std::span<const int> targets, float label_smoothing = 0.0f);
/// Softmax cross-entropy with its settings (label smoothing, ignored index), the mean over
/// the counted rows.  logits: (N,C)  targets: N indices in [0,C) or options.ignore_index
Tensor cross_entropy(const Tensor& logits, std::span<const int> targets, const CrossEntropyOptions& options);
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

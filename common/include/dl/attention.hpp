/// @file attention.hpp
/// @brief Scaled dot-product attention, fused: scores, masks, softmax, dropout and the
/// weighted sum of values in one op with one backward (ops_attention.cpp).
///
/// Shape letters: B batch, H heads, T query positions, S key positions, D head size.
#pragma once

#include <span>

#include "dl/tensor.hpp"

namespace dl {

/// Which keys each query may look at.
struct AttentionMask {
  /// B*S entries, row-major (B, S), 1 for a real token and 0 for padding, as Hugging Face's
  /// `attention_mask` (the opposite of PyTorch's `key_padding_mask`, where true means
  /// padding). A padded key gets probability 0 from every query. Empty: every key is real.
  std::span<const int> key_padding = {};
  /// Query i sees keys j <= i only (a decoder; the top-left-aligned mask of PyTorch's `is_causal`).
  bool causal = false;
};

/// Settings of `scaled_dot_product_attention`, as designated initialisers:
/// `{.mask = {.key_padding = ids_mask}, .dropout_p = 0.1f, .generator = &gen}`.
struct AttentionOptions {
  AttentionMask mask = {};  ///< padding and causal masks
  /// Probability of dropping each attention weight (survivors scaled by 1/(1-p)). Applied
  /// whenever it is above 0, as in PyTorch's `F.scaled_dot_product_attention`: a module
  /// passes 0 in evaluation mode.
  float dropout_p = 0.0f;
  float scale = 0.0f;              ///< multiplies q k^T; 0 means 1/sqrt(D)
  Generator* generator = nullptr;  ///< draws the dropout mask; null: `default_generator()`
};

/// softmax(q k^T * scale + mask) v, for every batch and head at once.
/// q: (B,H,T,D)  k: (B,H,S,D)  v: (B,H,S,Dv)  ->  (B,H,T,Dv)
///
/// Memory: the backward keeps q, k, v (the op's inputs), the attention probabilities
/// (B,H,T,S) after the mask and softmax and before dropout, and, with dropout, one byte
/// per probability for which were kept. The scores before the softmax and the gradient
/// of the probabilities live only in one T x S scratch matrix per thread. A query row
/// whose every key is masked (all padding) gets zero probabilities and outputs zeros,
/// not NaN, and passes no gradient.
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const AttentionOptions& options = {});

/// The attention probabilities softmax(q k^T * scale + mask) alone, outside the graph,
/// for looking at (attention maps). scale 0 means 1/sqrt(D).
/// q: (B,H,T,D)  k: (B,H,S,D)  ->  (B,H,T,S)
Tensor attention_weights(const Tensor& q, const Tensor& k, const AttentionMask& mask = {}, float scale = 0.0f);

}  // namespace dl

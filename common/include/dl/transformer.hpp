/// @file transformer.hpp
/// @brief Multi-head attention and the Transformer encoder layer (transformer.cpp).
///
/// Sequences are batch first: (B, T, E), B batch, T positions, E model width, H heads,
/// D = E / H head size. Parameter names follow the parts of Hugging Face's BERT layer one
/// to one (see each class), so a checkpoint maps name by name without reshaping:
///
/// | here | Hugging Face `BertLayer` |
/// |---|---|
/// | `self_attn.query` / `.key` / `.value` | `attention.self.query` / `.key` / `.value` |
/// | `self_attn.out_proj` | `attention.output.dense` |
/// | `norm1` | `attention.output.LayerNorm` |
/// | `linear1` | `intermediate.dense` |
/// | `linear2` | `output.dense` |
/// | `norm2` | `output.LayerNorm` |
#pragma once

#include <string>

#include "dl/attention.hpp"
#include "dl/nn.hpp"

namespace dl::nn {

/// Multi-head attention: queries, keys and values are projected by `query`, `key` and
/// `value` (E -> E each, the heads side by side in the output), split into H heads of
/// D = E / H, attended by `scaled_dot_product_attention`, merged back and projected by `out_proj`.
/// Separate projections (PyTorch fuses them into one `in_proj_weight` (3E, E): the first
/// E rows are `query.weight`, then `key`, then `value`).
class MultiheadAttention : public Module {
 public:
  /// E = `embed_dim` split into `num_heads` heads; `dropout` on the attention weights in training.
  MultiheadAttention(int64_t embed_dim, int64_t num_heads, float dropout = 0.0f, bool bias = true,
                     Generator& gen = default_generator());
  /// Self-attention.  x: (B,T,E)  mask.key_padding: B*T entries  ->  (B,T,E)
  Tensor operator()(const Tensor& x, const AttentionMask& mask = {}) { return forward(x, x, x, mask); }
  /// Attention of `queries` (B,T,E) over `keys` and `values` (B,S,E)  ->  (B,T,E).
  /// mask.key_padding: B*S entries.
  Tensor forward(const Tensor& queries, const Tensor& keys, const Tensor& values, const AttentionMask& mask = {});
  std::string type_name() const override { return "MultiheadAttention"; }
  std::string extra_repr() const override;

  int64_t embed_dim;  ///< E
  int64_t num_heads;  ///< H
  int64_t head_dim;   ///< D = E / H
  float dropout;      ///< drop probability of the attention weights (training only)
  Linear query;       ///< (E, E) queries' projection
  Linear key;         ///< (E, E) keys' projection
  Linear value;       ///< (E, E) values' projection
  Linear out_proj;    ///< (E, E) output projection of the merged heads (PyTorch's name)
  /// When true, each forward stores its attention probabilities (B,H,T,S), outside the
  /// graph, in `last_attention` (for attention maps); off by default (it costs a copy).
  bool keep_attention = false;
  Tensor last_attention;  ///< (B,H,T,S) of the last forward when `keep_attention`

 private:
  Generator* gen_;
};

/// Settings of `TransformerEncoderLayer` (PyTorch's defaults except the activation, GELU here).
struct TransformerEncoderLayerOptions {
  int64_t dim_feedforward = 2048;                     ///< width of the feed-forward hidden layer
  float dropout = 0.1f;                               ///< after attention, after each feed-forward linear
  /// Also drop between the GELU and linear2 (PyTorch's layer does; Hugging Face's BERT does not).
  bool activation_dropout = true;
  GeluApproximate activation = GeluApproximate::none; ///< the feed-forward's GELU: exact or tanh
  float layer_norm_eps = 1e-5f;                       ///< BERT uses 1e-12
  bool norm_first = false;                            ///< false: post-LN (BERT), true: pre-LN (GPT-2)
};

/// One Transformer encoder block, as PyTorch's `nn.TransformerEncoderLayer` with
/// `batch_first=True` and a GELU:
///
///     post-LN (default, BERT):  x = norm1(x + drop(attn(x)));  x = norm2(x + drop(ff(x)))
///     pre-LN (norm_first):      x = x + drop(attn(norm1(x)));  x = x + drop(ff(norm2(x)))
///     ff(x) = linear2(drop(gelu(linear1(x))))
///
/// (Hugging Face's BERT has no dropout between the GELU and linear2: set
/// `activation_dropout` false for it; in evaluation the two agree exactly.)  x: (B,T,E)  ->  (B,T,E)
class TransformerEncoderLayer : public Layer {
 public:
  /// A block of width `d_model` with `nhead` heads.
  TransformerEncoderLayer(int64_t d_model, int64_t nhead, TransformerEncoderLayerOptions options = {},
                          Generator& gen = default_generator());
  /// Without a mask: every position sees every other.
  Tensor forward(const Tensor& x) override { return forward(x, AttentionMask{}); }
  /// With padding and/or causal masks.  x: (B,T,E)  mask.key_padding: B*T entries
  Tensor forward(const Tensor& x, const AttentionMask& mask);
  using Layer::operator();
  /// Runs forward(x, mask).
  Tensor operator()(const Tensor& x, const AttentionMask& mask) { return forward(x, mask); }
  std::string type_name() const override { return "TransformerEncoderLayer"; }
  std::string extra_repr() const override;

  TransformerEncoderLayerOptions options;  ///< width, dropout, activation, eps, norm placement
  MultiheadAttention self_attn;            ///< attention over the block's input
  Linear linear1;                          ///< (dim_feedforward, E)
  Linear linear2;                          ///< (E, dim_feedforward)
  LayerNorm norm1;                         ///< around the attention
  LayerNorm norm2;                         ///< around the feed-forward

 private:
  Generator* gen_;
};

}  // namespace dl::nn

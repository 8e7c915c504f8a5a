// Multi-head attention and the Transformer encoder layer, built from the fused ops
// (linear, scaled_dot_product_attention, layer_norm, gelu, dropout).
#include "dl/transformer.hpp"

#include <sstream>

namespace dl::nn {

MultiheadAttention::MultiheadAttention(int64_t e, int64_t h, float p, bool bias, Generator& gen)
    : embed_dim(e),
      num_heads(h),
      head_dim(h > 0 ? e / h : 0),
      dropout(p),
      query(e, e, bias, gen),
      key(e, e, bias, gen),
      value(e, e, bias, gen),
      out_proj(e, e, bias, gen),
      gen_(&gen) {
  if (h <= 0 || e % h != 0)
    throw ShapeError("MultiheadAttention: embed_dim " + std::to_string(e) + " must split evenly into num_heads " +
                     std::to_string(h) + " heads (embed_dim % num_heads == 0)");
  if (!(p >= 0.0f && p < 1.0f)) throw Error("MultiheadAttention: dropout must be in [0, 1), got " + std::to_string(p));
  register_module("query", query);
  register_module("key", key);
  register_module("value", value);
  register_module("out_proj", out_proj);
}

Tensor MultiheadAttention::forward(const Tensor& queries, const Tensor& keys, const Tensor& values,
                                   const AttentionMask& mask) {
  // queries: (B,T,E)  keys, values: (B,S,E)  ->  (B,T,E)
  for (const Tensor* t : {&queries, &keys, &values})
    if (t->dim() != 3 || t->size(2) != embed_dim)
      throw ShapeError("MultiheadAttention: expected (B,T,E) inputs with E = " + std::to_string(embed_dim) + ", got " +
                       to_string(t->shape()) + " (batch first: (batch, positions, features))");
  if (keys.shape() != values.shape() || keys.size(0) != queries.size(0))
    throw ShapeError("MultiheadAttention: keys " + to_string(keys.shape()) + " and values " +
                     to_string(values.shape()) + " must have one shape, with the batch of queries " +
                     to_string(queries.shape()));
  // [mha-split-merge]
  const int64_t batch = queries.size(0), tq = queries.size(1), tk = keys.size(1);
  // (B,T,E) -> (B,T,H,D) -> (B,H,T,D): each head's positions contiguous for the GEMMs
  auto split_heads = [&](const Tensor& x, int64_t steps) {
    return permute(reshape(x, {batch, steps, num_heads, head_dim}), {0, 2, 1, 3});
  };
  const Tensor q = split_heads(query(queries), tq);
  const Tensor k = split_heads(key(keys), tk);
  const Tensor v = split_heads(value(values), tk);
  if (keep_attention) last_attention = attention_weights(q.detach(), k.detach(), mask);
  const Tensor heads = scaled_dot_product_attention(
      q, k, v, {.mask = mask, .dropout_p = is_training() ? dropout : 0.0f, .generator = gen_});
  // (B,H,T,D) -> (B,T,H,D) -> (B,T,E)
  return out_proj(reshape(permute(heads, {0, 2, 1, 3}), {batch, tq, embed_dim}));
  // [mha-split-merge]
}

std::string MultiheadAttention::extra_repr() const {
  std::ostringstream s;
  s << "embed_dim=" << embed_dim << ", num_heads=" << num_heads << ", dropout=" << dropout;
  return s.str();
}

TransformerEncoderLayer::TransformerEncoderLayer(int64_t d_model, int64_t nhead, TransformerEncoderLayerOptions opts,
                                                 Generator& gen)
    : options(opts),
      self_attn(d_model, nhead, opts.dropout, true, gen),
      linear1(d_model, opts.dim_feedforward, true, gen),
      linear2(opts.dim_feedforward, d_model, true, gen),
      norm1(d_model, opts.layer_norm_eps),
      norm2(d_model, opts.layer_norm_eps),
      gen_(&gen) {
  register_module("self_attn", self_attn);
  register_module("linear1", linear1);
  register_module("linear2", linear2);
  register_module("norm1", norm1);
  register_module("norm2", norm2);
}

// [encoder-layer]
Tensor TransformerEncoderLayer::forward(const Tensor& x, const AttentionMask& mask) {
  // x: (B,T,E)  ->  (B,T,E)
  const float p = is_training() ? options.dropout : 0.0f;
  auto drop = [&](const Tensor& t) { return dl::dropout(t, p, p > 0.0f, *gen_); };
  auto attention = [&](const Tensor& h) { return drop(self_attn(h, mask)); };
  auto feed_forward = [&](const Tensor& h) {
    const Tensor a = gelu(linear1(h), options.activation);
    return drop(linear2(options.activation_dropout ? drop(a) : a));
  };
  if (options.norm_first) {
    const Tensor h = x + attention(norm1(x));
    return h + feed_forward(norm2(h));
  }
  const Tensor h = norm1(x + attention(x));
  return norm2(h + feed_forward(h));
}
// [encoder-layer]

std::string TransformerEncoderLayer::extra_repr() const {
  std::ostringstream s;
  s << "d_model=" << self_attn.embed_dim << ", nhead=" << self_attn.num_heads
    << ", dim_feedforward=" << options.dim_feedforward << ", dropout=" << options.dropout
    << ", activation=" << (options.activation == GeluApproximate::tanh ? "gelu_tanh" : "gelu")
    << ", norm_first=" << (options.norm_first ? "true" : "false");
  return s.str();
}

}  // namespace dl::nn

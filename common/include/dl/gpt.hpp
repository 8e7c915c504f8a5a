/// @file gpt.hpp
/// @brief GPT-2's architecture (a decoder-only Transformer), incremental decoding with a
/// key-value cache, generation with the strategies of `decode.hpp`, and Hugging Face's
/// `GPT2LMHeadModel` layout (gpt.cpp).
///
/// The blocks are `TransformerEncoderLayer`s in their pre-LN form with the tanh GELU and a
/// causal mask, which is exactly GPT-2's block:
///
///     x = x + drop(attn(ln_1(x)))        attention over positions <= t only
///     x = x + drop(mlp(ln_2(x)))         mlp(x) = c_proj(gelu_tanh(c_fc(x)))
///
/// Names: ours | Hugging Face's `GPT2LMHeadModel`
///
/// | here | Hugging Face |
/// |---|---|
/// | `wte`, `wpe` | `transformer.wte`, `transformer.wpe` |
/// | `h.N.norm1`, `h.N.norm2` | `transformer.h.N.ln_1`, `.ln_2` |
/// | `h.N.self_attn.query/key/value` | `transformer.h.N.attn.c_attn` (fused, Conv1D layout (E, 3E)) |
/// | `h.N.self_attn.out_proj` | `transformer.h.N.attn.c_proj` (Conv1D layout (E, E)) |
/// | `h.N.linear1`, `h.N.linear2` | `transformer.h.N.mlp.c_fc`, `.mlp.c_proj` (Conv1D layout) |
/// | `ln_f` | `transformer.ln_f` |
/// | (tied: `wte`) | `lm_head.weight` |
///
/// Hugging Face's Conv1D stores a weight as (in, out), the transpose of `nn::Linear`'s (out, in).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dl/decode.hpp"
#include "dl/io.hpp"
#include "dl/rnn.hpp"
#include "dl/transformer.hpp"

namespace dl::nn {

/// The shape of a GPT, with the names and defaults of Hugging Face's `GPT2Config` where
/// they exist (GPT-2 small: 50257 tokens, 1024 positions, n_embd 768, 12 layers, 12 heads).
/// The defaults here are a small model that trains in minutes on 2 cores.
struct GPTConfig {
  int64_t vocab_size = 50257;  ///< V
  int64_t n_positions = 256;   ///< the longest context T
  int64_t n_embd = 128;        ///< E, the width of every token's vector
  int64_t n_layer = 4;         ///< blocks
  int64_t n_head = 4;          ///< heads per block (E must split evenly)
  int64_t n_inner = 0;         ///< the MLP's hidden width; 0 means 4E
  float embd_pdrop = 0.1f;     ///< dropout after the embeddings
  float resid_pdrop = 0.1f;    ///< dropout on each block's two branches
  float attn_pdrop = 0.1f;     ///< dropout on the attention weights
  float layer_norm_epsilon = 1e-5f;  ///< added to the variance in every LayerNorm
  float initializer_range = 0.02f;  ///< standard deviation of every weight at the start

  /// The MLP's hidden width (n_inner, or 4E when it is 0).
  int64_t inner() const { return n_inner > 0 ? n_inner : 4 * n_embd; }
  /// The largest model `validate` accepts: 4e9 parameters.
  static constexpr double kMaxParameters = 4e9;
  /// Throws dl::Error naming the field when a value is out of range or the model is larger than kMaxParameters.
  void validate() const;
  /// Hugging Face's config.json for GPT2LMHeadModel (architectures, model_type "gpt2",
  /// activation_function "gelu_new", tie_word_embeddings, every field above).
  std::string to_json() const;
  /// Reads a config.json written by `to_json` or by Hugging Face; throws dl::FileError naming
  /// `path` for a missing or wrong field, or an activation other than "gelu_new".
  static GPTConfig from_json(const std::string& text, const std::string& path);
};

/// Keys and values of every layer for the positions read so far (batch 1), so that each new
/// token costs one position's work instead of the whole prefix's. Memory:
/// 2 x layers x E x 4 bytes per position.
struct KVCache {
  std::vector<Tensor> keys;    ///< per layer (H, n_positions, D); positions [0, length) are filled
  std::vector<Tensor> values;  ///< per layer (H, n_positions, D)
  int64_t length = 0;          ///< positions cached
};

/// GPT-2: token and position embeddings, pre-LN causal blocks, a final LayerNorm, and the
/// output layer tied to the token embeddings.
class GPT : public Module {
 public:
  /// A model of `config`'s shape with GPT-2's initialisation drawn from `gen` (which also
  /// drives dropout); throws dl::Error when the config does not validate.
  explicit GPT(const GPTConfig& config, Generator& gen = default_generator());

  /// Hidden states after ln_f.  ids: B*T row-major  ->  (B,T,E)
  Tensor hidden(std::span<const int> ids, int64_t batch, int64_t steps);
  /// Next-token scores at every position.  ids: B*T row-major  ->  (B*T, V)
  Tensor forward(std::span<const int> ids, int64_t batch, int64_t steps);

  /// An empty cache with room for n_positions positions.
  KVCache make_cache() const;
  /// Reads `ids` (batch 1) after the cache's positions, appends their keys and values to
  /// it, and returns the next-token scores after the last of them (V floats). No graph is
  /// recorded; dropout is off. Throws dl::ShapeError when the cache would exceed n_positions.
  std::vector<float> forward_cached(std::span<const int> ids, KVCache& cache);

  /// The parameters under Hugging Face's names and layouts (GPT2LMHeadModel's state dict
  /// without the tied `lm_head.weight` and the `attn.bias` mask buffers).
  NamedTensors hf_state_dict() const;
  /// Loads parameters in Hugging Face's names and layouts; throws dl::Error naming a missing,
  /// unexpected or misshapen tensor. An `lm_head.weight` must equal `transformer.wte.weight`;
  /// `attn.bias` and `attn.masked_bias` buffers are ignored.
  void load_hf_state_dict(const NamedTensors& state);

  std::string type_name() const override { return "GPT"; }

  GPTConfig config;  ///< the shape the model was built with
  Embedding wte;  ///< (V, E) token embeddings, also the output layer
  Embedding wpe;  ///< (n_positions, E) learned position embeddings
  std::vector<std::unique_ptr<TransformerEncoderLayer>> h;  ///< the blocks
  LayerNorm ln_f;  ///< the final LayerNorm

 private:
  Generator* gen_;
};

/// Settings of `generate`.
struct GenerateOptions {
  decode::SamplingOptions sampling;  ///< strategy, temperature, k, p, repetition penalty
  int64_t max_new_tokens = 100;      ///< tokens generated at most
  int stop_id = -1;                  ///< generation ends after this token (>= 0)
  bool use_cache = true;             ///< false: recompute the whole prefix every step (for comparison)
  /// Ids never generated (their scores set to -infinity first, as Hugging Face's
  /// `suppress_tokens`): e.g. a character vocabulary's `<unk>`.
  std::vector<int> suppress = {};
};

/// One generated token and the model's probability of it (softmax of the raw scores,
/// before temperature and filters).
struct GeneratedToken {
  int id = 0;                ///< the token's id
  float probability = 0.0f;  ///< softmax of the raw scores at this id
};

/// Autoregressive generation after `prompt` (at least one id): one token at a time by
/// `options.sampling`, each fed back, until max_new_tokens, `stop_id`, the model's context,
/// or `on_token` returning false. The prompt is cropped to its last tokens when it leaves
/// no room in the context. Returns the generated tokens (not the prompt).
std::vector<GeneratedToken> generate(GPT& model, std::span<const int> prompt, const GenerateOptions& options,
                                     Generator& gen, const std::function<bool(const GeneratedToken&)>& on_token = {});

/// Beam search of `width` beams after `prompt` (recomputing each beam's prefix, no cache);
/// returns the generated ids of the best beam. width 1 equals greedy `generate`.
std::vector<int> beam_generate(GPT& model, std::span<const int> prompt, int64_t width, int64_t max_new_tokens,
                               int stop_id = -1);

}  // namespace dl::nn

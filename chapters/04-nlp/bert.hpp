// Chapter 04, part 2: a small BERT for masked-language-model pretraining, laid out so that
// its parameters map one to one onto Hugging Face's BertForMaskedLM, and the pieces of
// the training recipe (dynamic 80/10/10 masking, the unigram baseline).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include <dl/dl.hpp>
#include <dl/rnn.hpp>
#include <dl/transformer.hpp>

namespace ch04 {

/// The shape of a BERT, with the names and defaults of Hugging Face's `BertConfig` where
/// they exist. The defaults are the small model `bert` trains in minutes; bert-base is
/// hidden 768, 12 layers, 12 heads, intermediate 3072, 512 positions.
struct BertConfig {
  int64_t vocab_size = 30522;            ///< bert-base-uncased's WordPiece vocabulary
  int64_t hidden_size = 64;              ///< E, the width of every token's vector
  int64_t num_hidden_layers = 2;         ///< encoder blocks
  int64_t num_attention_heads = 2;       ///< heads per block (E must split evenly)
  int64_t intermediate_size = 256;       ///< the feed-forward's hidden width (4E)
  int64_t max_position_embeddings = 128; ///< the longest input, [CLS] and [SEP] included
  int64_t type_vocab_size = 2;           ///< segments A and B
  float hidden_dropout_prob = 0.1f;      ///< after embeddings, attention and feed-forward
  float attention_probs_dropout_prob = 0.1f;
  float layer_norm_eps = 1e-12f;         ///< BERT's, not PyTorch's 1e-5
  float initializer_range = 0.02f;       ///< standard deviation of every weight at the start
  int pad_token_id = 0;                  ///< [PAD]

  /// The largest model `validate` accepts: 4e9 parameters, 16 GB in float32.
  static constexpr double kMaxParameters = 4e9;
  /// Throws dl::Error naming the field when a value is out of range, and when the sizes
  /// make more than kMaxParameters parameters (or overflow).
  void validate() const;
  /// Hugging Face's config.json for BertForMaskedLM (architectures, model_type, every field above).
  nlohmann::json to_json() const;
  /// Reads a config.json written by `to_json` or by Hugging Face; throws dl::FileError naming
  /// `path` for a missing or wrong field, and for an activation other than exact "gelu".
  static BertConfig from_json(const nlohmann::json& j, const std::string& path);
};

/// Word, position and token-type embeddings summed, then LayerNorm and dropout.
/// Names as Hugging Face's `BertEmbeddings`.
class BertEmbeddings : public dl::nn::Module {
 public:
  BertEmbeddings(const BertConfig& config, dl::Generator& gen);
  /// ids and token types: B*T row-major  ->  (B,T,E)
  dl::Tensor forward(std::span<const int> ids, std::span<const int> token_types, int64_t batch, int64_t steps);
  std::string type_name() const override { return "BertEmbeddings"; }

  dl::nn::Embedding word_embeddings;        ///< (V, E), tied to the output layer
  dl::nn::Embedding position_embeddings;    ///< (P, E), learned, one row per position
  dl::nn::Embedding token_type_embeddings;  ///< (2, E)
  dl::nn::LayerNorm LayerNorm;              ///< Hugging Face's name // NOLINT(readability-identifier-naming)
  float dropout;

 private:
  dl::Generator* gen_;
};

/// The encoder: embeddings and the stack of Transformer layers, Hugging Face's `BertModel`
/// without its pooler (chapter 06's classifier adds one). Parameter names as ours
/// (`embeddings.*`, `encoder.layer.N.self_attn.*`, ...); `hf_name` gives Hugging Face's.
class BertModel : public dl::nn::Module {
 public:
  explicit BertModel(const BertConfig& config, dl::Generator& gen = dl::default_generator());
  /// The last hidden states.  ids, attention_mask (1 real, 0 padding): B*T row-major; token
  /// types all 0 (one segment)  ->  (B,T,E). Throws dl::ShapeError for sizes that disagree
  /// and dl::Error for an id outside the vocabulary.
  dl::Tensor encode(std::span<const int> ids, std::span<const int> attention_mask, int64_t batch, int64_t steps);
  /// Keep each layer's attention probabilities of the next forward (for attention maps).
  void keep_attention(bool on);
  /// Layer l's attention probabilities (B,H,T,T) of the last forward with `keep_attention(true)`.
  const dl::Tensor& attention(size_t layer) const;
  std::string type_name() const override { return "BertModel"; }

  BertConfig config;
  BertEmbeddings embeddings;
  std::vector<std::unique_ptr<dl::nn::TransformerEncoderLayer>> layers;
};

/// A BERT encoder with the masked-LM head: the parameters of Hugging Face's
/// `BertForMaskedLM`, named as there (see `hf_name`).
class BertForMaskedLM : public dl::nn::Module {
 public:
  explicit BertForMaskedLM(const BertConfig& config, dl::Generator& gen = dl::default_generator());

  /// The encoder's last hidden states (`BertModel::encode`).  ->  (B,T,E)
  dl::Tensor encode(std::span<const int> ids, std::span<const int> attention_mask, int64_t batch, int64_t steps) {
    return bert.encode(ids, attention_mask, batch, steps);
  }
  /// The masked-LM head on hidden rows: dense, GELU, LayerNorm, then the tied word
  /// embeddings and a bias.  hidden: (N,E)  ->  logits (N,V)
  dl::Tensor mlm_logits(const dl::Tensor& hidden);
  /// Both: logits at every position, as `BertForMaskedLM(...).logits`.  ->  (B*T, V)
  dl::Tensor forward(std::span<const int> ids, std::span<const int> attention_mask, int64_t batch, int64_t steps);
  /// Logits at the chosen positions only (`rows` index the B*T positions row-major): the
  /// hidden states are gathered before the head, so the (B*T, V) logits of the positions
  /// that carry no label are never formed. The backward scatters into the gathered rows.
  /// ->  (rows.size(), V)
  dl::Tensor logits_at(std::span<const int> ids, std::span<const int> attention_mask, int64_t batch, int64_t steps,
                       std::span<const int> rows);
  /// The parameters under Hugging Face's names (BertForMaskedLM's state dict without the
  /// tied `cls.predictions.decoder.weight`, which is the word embeddings).
  dl::NamedTensors hf_state_dict() const;
  /// Loads parameters saved under Hugging Face's names; throws dl::Error naming a missing,
  /// unexpected or misshapen tensor. A `cls.predictions.decoder.weight` must equal the word
  /// embeddings (it is tied); `position_ids` buffers of older checkpoints are ignored.
  void load_hf_state_dict(const dl::NamedTensors& state);

  std::string type_name() const override { return "BertForMaskedLM"; }

  BertConfig config;
  BertModel bert;                     ///< bert.* (the encoder)
  dl::nn::Linear transform_dense;     ///< cls.predictions.transform.dense (E, E)
  dl::nn::LayerNorm transform_norm;   ///< cls.predictions.transform.LayerNorm
  dl::Tensor decoder_bias;            ///< cls.predictions.bias (V)
};

/// The parameters of `module` taken from `given` (a checkpoint's tensors by Hugging Face's
/// names): each parameter's tensor is the one under `hf(name)`, and is erased from `given`
/// (what remains was not asked for). Throws dl::Error naming `what` and the missing tensor,
/// dl::ShapeError for a shape other than the parameter's.
dl::NamedTensors take_hf_tensors(const dl::nn::Module& module, std::map<std::string, dl::Tensor>& given,
                                 const std::function<std::string(const std::string&)>& hf, const std::string& what);

/// Writes a model folder as Hugging Face's `save_pretrained` does for a BERT: config.json,
/// model.safetensors, vocab.txt (a copy of `vocab_txt`) and tokenizer_config.json
/// (BertTokenizer, lower-casing, `max_length` tokens).
void save_hf_folder(const std::string& dir, const nlohmann::json& config, const dl::NamedTensors& tensors,
                    const std::string& vocab_txt, int64_t max_length);

/// AdamW as BERT and RoBERTa train: weight decay on the matrices (embeddings included) but
/// not on biases and LayerNorm's scales and shifts; beta2 0.98 and eps 1e-6 (RoBERTa's,
/// steadier at a high learning rate).
dl::optim::MatrixDecayAdamW bert_adamw(const BertForMaskedLM& model, float lr, float weight_decay);

/// Hugging Face's name of one of our parameters ("bert.encoder.layer.0.self_attn.query.weight"
/// or "encoder.layer.0.self_attn.query.weight" -> "bert.encoder.layer.0.attention.self.query.weight";
/// the head's "cls.*" names are Hugging Face's already).
std::string hf_name(const std::string& name);

/// A batch after dynamic masking: the model's input and the labels of the loss.
struct MaskedBatch {
  std::vector<int> ids;     ///< the input with the chosen positions replaced
  std::vector<int> labels;  ///< the original id at chosen positions, -100 (ignored) elsewhere
  int64_t chosen = 0;       ///< positions chosen
};

/// BERT's dynamic masking: each position whose id is not in `never` is chosen with
/// probability `prob`; a chosen position becomes [MASK] (`mask_id`) with probability 0.8,
/// a uniformly random id in [0, vocab_size) with 0.1, and keeps its id with 0.1; its label
/// is the original id either way. Throws dl::Error for prob outside [0, 1] or vocab_size < 1.
MaskedBatch mask_tokens(std::span<const int> ids, std::span<const int> never, float prob, int mask_id,
                        int64_t vocab_size, dl::Generator& gen);

/// Token counts of the training text, for the unigram baseline.
class Unigram {
 public:
  /// Counts every id of `texts` except those in `never` (the special tokens).
  Unigram(const std::vector<std::vector<int>>& texts, std::span<const int> never, int64_t vocab_size);
  /// -log p(id) with add-one smoothing over the vocabulary (so no token is impossible).
  double nll(int id) const;

 private:
  std::vector<int64_t> counts_;
  double total_ = 0;
};

}  // namespace ch04

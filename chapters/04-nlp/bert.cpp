// Chapter 04, part 2: a small BERT with the masked-LM head, Hugging Face's names, dynamic
// masking and the unigram baseline.
#include "bert.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <dl/io.hpp>
#include <map>
#include <sstream>

namespace ch04 {

namespace {

// BERT's initialisation (Hugging Face's _init_weights): every weight matrix and embedding
// N(0, 0.02^2), biases 0, LayerNorm scale 1 and shift 0, the padding row of the word
// embeddings 0.
void init_normal(dl::Tensor& t, float std, dl::Generator& gen) {
  float* p = t.data();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = std * gen.normal();
}

std::string number_text(double x) {
  std::ostringstream s;
  s << x;
  return s.str();
}

}  // namespace

void BertConfig::validate() const {
  const auto positive = [](const char* name, int64_t v) {
    if (v <= 0) throw dl::Error(std::string("BertConfig: ") + name + " must be positive, got " + std::to_string(v));
  };
  positive("vocab_size", vocab_size);
  positive("hidden_size", hidden_size);
  positive("num_hidden_layers", num_hidden_layers);
  positive("num_attention_heads", num_attention_heads);
  positive("intermediate_size", intermediate_size);
  positive("max_position_embeddings", max_position_embeddings);
  positive("type_vocab_size", type_vocab_size);
  // A config.json is input: sizes whose product overflows, or a model larger than memory,
  // are refused here, before anything is allocated.
  const double e = static_cast<double>(hidden_size), layer_count = static_cast<double>(num_hidden_layers);
  const double parameters =
      static_cast<double>(vocab_size + max_position_embeddings + type_vocab_size) * e +
      layer_count * (4 * e * e + 2 * e * static_cast<double>(intermediate_size)) + e * e;
  if (parameters > kMaxParameters)
    throw dl::Error("BertConfig: about " + number_text(parameters) + " parameters, more than this program loads (" +
                    number_text(kMaxParameters) + ", 16 GB in float32); check the sizes");
  if (hidden_size % num_attention_heads != 0)
    throw dl::Error("BertConfig: hidden_size " + std::to_string(hidden_size) + " must split evenly into " +
                    std::to_string(num_attention_heads) + " heads");
  for (const auto& [name, p] : {std::pair{"hidden_dropout_prob", hidden_dropout_prob},
                                std::pair{"attention_probs_dropout_prob", attention_probs_dropout_prob}})
    if (!(p >= 0.0f && p < 1.0f)) throw dl::Error(std::string("BertConfig: ") + name + " must be in [0, 1), got " + number_text(p));
  if (!(layer_norm_eps > 0.0f)) throw dl::Error("BertConfig: layer_norm_eps must be positive, got " + number_text(layer_norm_eps));
  if (pad_token_id < 0 || pad_token_id >= vocab_size)
    throw dl::Error("BertConfig: pad_token_id " + std::to_string(pad_token_id) + " is outside the vocabulary");
}

// [hf-config]
nlohmann::json BertConfig::to_json() const {
  return {{"architectures", {"BertForMaskedLM"}},
          {"model_type", "bert"},
          {"vocab_size", vocab_size},
          {"hidden_size", hidden_size},
          {"num_hidden_layers", num_hidden_layers},
          {"num_attention_heads", num_attention_heads},
          {"intermediate_size", intermediate_size},
          {"hidden_act", "gelu"},  // the exact erf form, as bert-base-uncased
          {"hidden_dropout_prob", hidden_dropout_prob},
          {"attention_probs_dropout_prob", attention_probs_dropout_prob},
          {"max_position_embeddings", max_position_embeddings},
          {"type_vocab_size", type_vocab_size},
          {"initializer_range", initializer_range},
          {"layer_norm_eps", layer_norm_eps},
          {"pad_token_id", pad_token_id},
          {"position_embedding_type", "absolute"},
          {"torch_dtype", "float32"}};
}
// [hf-config]

BertConfig BertConfig::from_json(const nlohmann::json& j, const std::string& path) {
  BertConfig c;
  const auto fail = [&](const std::string& what) { throw dl::FileError(path + ": " + what + " (expected a BERT config.json)"); };
  if (!j.is_object()) fail("not a JSON object");
  if (j.value("model_type", "") != "bert") fail("model_type is not \"bert\"");
  const auto integer = [&](const char* key, int64_t& out) {
    if (!j.contains(key) || !j[key].is_number_integer()) fail(std::string("no integer \"") + key + "\"");
    out = j[key].get<int64_t>();
  };
  const auto real = [&](const char* key, float& out) {
    if (j.contains(key)) {
      if (!j[key].is_number()) fail(std::string("\"") + key + "\" is not a number");
      out = j[key].get<float>();
    }
  };
  integer("vocab_size", c.vocab_size);
  integer("hidden_size", c.hidden_size);
  integer("num_hidden_layers", c.num_hidden_layers);
  integer("num_attention_heads", c.num_attention_heads);
  integer("intermediate_size", c.intermediate_size);
  integer("max_position_embeddings", c.max_position_embeddings);
  integer("type_vocab_size", c.type_vocab_size);
  real("hidden_dropout_prob", c.hidden_dropout_prob);
  real("attention_probs_dropout_prob", c.attention_probs_dropout_prob);
  real("layer_norm_eps", c.layer_norm_eps);
  real("initializer_range", c.initializer_range);
  if (j.contains("pad_token_id") && j["pad_token_id"].is_number_integer()) c.pad_token_id = j["pad_token_id"].get<int>();
  if (j.value("hidden_act", "gelu") != "gelu") fail("hidden_act is " + j["hidden_act"].dump() + "; only \"gelu\" is supported");
  if (j.value("position_embedding_type", "absolute") != "absolute") fail("only absolute position embeddings are supported");
  try {
    c.validate();
  } catch (const dl::Error& e) {
    fail(e.what());
  }
  return c;
}

BertEmbeddings::BertEmbeddings(const BertConfig& c, dl::Generator& gen)
    : word_embeddings(c.vocab_size, c.hidden_size, c.pad_token_id, gen),
      position_embeddings(c.max_position_embeddings, c.hidden_size, -1, gen),
      token_type_embeddings(c.type_vocab_size, c.hidden_size, -1, gen),
      LayerNorm(c.hidden_size, c.layer_norm_eps),
      dropout(c.hidden_dropout_prob),
      gen_(&gen) {
  register_module("word_embeddings", word_embeddings);
  register_module("position_embeddings", position_embeddings);
  register_module("token_type_embeddings", token_type_embeddings);
  register_module("LayerNorm", LayerNorm);
}

// [bert-embeddings]
dl::Tensor BertEmbeddings::forward(std::span<const int> ids, std::span<const int> token_types, int64_t batch,
                                   int64_t steps) {
  if (steps > position_embeddings.num_embeddings)
    throw dl::ShapeError("BERT: " + std::to_string(steps) + " tokens, more than the " +
                         std::to_string(position_embeddings.num_embeddings) + " positions the model has");
  std::vector<int> positions(static_cast<size_t>(batch * steps));
  for (size_t i = 0; i < positions.size(); ++i) positions[i] = static_cast<int>(static_cast<int64_t>(i) % steps);
  // E = word + position + segment, each (B,T,E); then LayerNorm and dropout
  const dl::Tensor sum = word_embeddings(ids, {batch, steps}) + position_embeddings(positions, {batch, steps}) +
                         token_type_embeddings(token_types, {batch, steps});
  return dl::dropout(LayerNorm(sum), dropout, is_training(), *gen_);
}
// [bert-embeddings]

BertModel::BertModel(const BertConfig& c, dl::Generator& gen) : config((c.validate(), c)), embeddings(c, gen) {
  register_module("embeddings", embeddings);
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    layers.push_back(std::make_unique<dl::nn::TransformerEncoderLayer>(
        c.hidden_size, c.num_attention_heads,
        dl::nn::TransformerEncoderLayerOptions{.dim_feedforward = c.intermediate_size,
                                               .dropout = c.hidden_dropout_prob,
                                               .activation_dropout = false,  // as Hugging Face's BertLayer
                                               .activation = dl::GeluApproximate::none,
                                               .layer_norm_eps = c.layer_norm_eps,
                                               .norm_first = false},
        gen));
    layers.back()->self_attn.dropout = c.attention_probs_dropout_prob;
    register_module("encoder.layer." + std::to_string(l), *layers.back());
  }
  for (auto& [name, t] : named_parameters()) {
    if (name.ends_with("LayerNorm.weight") || name.ends_with("norm1.weight") || name.ends_with("norm2.weight"))
      t.fill_(1.0f);
    else if (t.dim() == 1)
      t.fill_(0.0f);  // biases and LayerNorm shifts
    else
      init_normal(t, c.initializer_range, gen);
  }
  float* pad_row = embeddings.word_embeddings.weight.data() + c.pad_token_id * c.hidden_size;
  std::fill_n(pad_row, c.hidden_size, 0.0f);
}

// [bert-forward]
dl::Tensor BertModel::encode(std::span<const int> ids, std::span<const int> attention_mask, int64_t batch,
                             int64_t steps) {
  if (static_cast<int64_t>(ids.size()) != batch * steps || attention_mask.size() != ids.size())
    throw dl::ShapeError("BERT: " + std::to_string(ids.size()) + " ids and " + std::to_string(attention_mask.size()) +
                         " mask entries for a (" + std::to_string(batch) + ", " + std::to_string(steps) + ") batch");
  for (int id : ids)
    if (id < 0 || id >= config.vocab_size)
      throw dl::Error("BERT: token id " + std::to_string(id) + " is outside the vocabulary of " +
                      std::to_string(config.vocab_size));
  const std::vector<int> segments(ids.size(), 0);  // one segment: every token type is 0
  dl::Tensor h = embeddings.forward(ids, segments, batch, steps);  // (B,T,E)
  for (auto& layer : layers) h = (*layer)(h, dl::AttentionMask{.key_padding = attention_mask});
  return h;  // (B,T,E)
}
// [bert-forward]

void BertModel::keep_attention(bool on) {
  for (auto& layer : layers) layer->self_attn.keep_attention = on;
}

const dl::Tensor& BertModel::attention(size_t layer) const { return layers.at(layer)->self_attn.last_attention; }

BertForMaskedLM::BertForMaskedLM(const BertConfig& c, dl::Generator& gen)
    : config((c.validate(), c)),
      bert(c, gen),
      transform_dense(c.hidden_size, c.hidden_size, true, gen),
      transform_norm(c.hidden_size, c.layer_norm_eps) {
  register_module("bert", bert);
  register_module("cls.predictions.transform.dense", transform_dense);
  register_module("cls.predictions.transform.LayerNorm", transform_norm);
  decoder_bias = register_parameter("cls.predictions.bias", dl::Tensor::zeros({c.vocab_size}));
  // The head as BERT initialises it (the encoder did its own): weights N(0, range^2), biases 0,
  // LayerNorm scale 1 and shift 0.
  init_normal(transform_dense.weight, c.initializer_range, gen);
  transform_dense.bias.fill_(0.0f);
  transform_norm.weight.fill_(1.0f);
  transform_norm.bias.fill_(0.0f);
}

// [mlm-head]
dl::Tensor BertForMaskedLM::mlm_logits(const dl::Tensor& hidden) {
  // (N,E) -> dense -> GELU -> LayerNorm -> (N,E) -> times the word embeddings^T, plus a bias -> (N,V)
  const dl::Tensor t = transform_norm(dl::gelu(transform_dense(hidden)));
  return dl::linear(t, bert.embeddings.word_embeddings.weight, decoder_bias);
}
// [mlm-head]

dl::Tensor BertForMaskedLM::forward(std::span<const int> ids, std::span<const int> attention_mask, int64_t batch,
                                    int64_t steps) {
  const dl::Tensor h = encode(ids, attention_mask, batch, steps);
  return mlm_logits(dl::reshape(h, {batch * steps, config.hidden_size}));
}

// [logits-at]
dl::Tensor BertForMaskedLM::logits_at(std::span<const int> ids, std::span<const int> attention_mask, int64_t batch,
                                      int64_t steps, std::span<const int> rows) {
  const dl::Tensor h = dl::reshape(encode(ids, attention_mask, batch, steps), {batch * steps, config.hidden_size});
  return mlm_logits(dl::embedding(h, rows, {static_cast<int64_t>(rows.size())}));
}
// [logits-at]

// [hf-names]
std::string hf_name(const std::string& name) {
  if (name.starts_with("cls.")) return name;  // the head's names are Hugging Face's already
  // Inside a layer: our TransformerEncoderLayer's parts -> BertLayer's parts.
  static const std::vector<std::pair<std::string, std::string>> parts = {
      {".self_attn.query.", ".attention.self.query."},   {".self_attn.key.", ".attention.self.key."},
      {".self_attn.value.", ".attention.self.value."},   {".self_attn.out_proj.", ".attention.output.dense."},
      {".norm1.", ".attention.output.LayerNorm."},        {".linear1.", ".intermediate.dense."},
      {".linear2.", ".output.dense."},                    {".norm2.", ".output.LayerNorm."}};
  std::string out = name.starts_with("bert.") ? name : "bert." + name;
  for (const auto& [ours, theirs] : parts)
    if (const size_t at = out.find(ours); at != std::string::npos) out.replace(at, ours.size(), theirs);
  return out;
}
// [hf-names]

dl::NamedTensors BertForMaskedLM::hf_state_dict() const {
  dl::NamedTensors out;
  for (const auto& [name, t] : named_parameters()) out.emplace_back(hf_name(name), t);
  return out;
}

dl::NamedTensors take_hf_tensors(const dl::nn::Module& module, std::map<std::string, dl::Tensor>& given,
                                 const std::function<std::string(const std::string&)>& hf, const std::string& what) {
  dl::NamedTensors ours;
  for (const auto& [name, t] : module.named_parameters()) {
    const std::string theirs = hf(name);
    const auto it = given.find(theirs);
    if (it == given.end()) throw dl::Error(what + ": no tensor " + theirs);
    if (it->second.shape() != t.shape())
      throw dl::ShapeError(what + ": " + theirs + " is " + dl::to_string(it->second.shape()) + ", the config makes it " +
                           dl::to_string(t.shape()));
    ours.emplace_back(name, it->second);
    given.erase(it);
  }
  return ours;
}

void save_hf_folder(const std::string& dir, const nlohmann::json& config, const dl::NamedTensors& tensors,
                    const std::string& vocab_txt, int64_t max_length) {
  std::filesystem::create_directories(dir);
  dl::write_file_atomically(dir + "/config.json", config.dump(2) + "\n");
  dl::save_safetensors(dir + "/model.safetensors", tensors, {{"format", "pt"}});
  dl::write_file_atomically(dir + "/vocab.txt", dl::read_file(vocab_txt, "bert-base-uncased's vocab.txt"));
  const nlohmann::json tokenizer = {{"tokenizer_class", "BertTokenizer"}, {"do_lower_case", true},
                                    {"model_max_length", max_length}};
  dl::write_file_atomically(dir + "/tokenizer_config.json", tokenizer.dump(2) + "\n");
}

void BertForMaskedLM::load_hf_state_dict(const dl::NamedTensors& state) {
  std::map<std::string, dl::Tensor> given(state.begin(), state.end());
  const dl::NamedTensors ours = take_hf_tensors(*this, given, hf_name, "BERT checkpoint");
  if (const auto it = given.find("cls.predictions.decoder.weight"); it != given.end()) {
    // Tied: the output layer is the word embeddings; a file that stores it must agree.
    const dl::Tensor& decoder = it->second;
    const dl::Tensor& words =
        std::find_if(ours.begin(), ours.end(), [](const auto& e) { return e.first == "bert.embeddings.word_embeddings.weight"; })
            ->second;  // taken above, or take_hf_tensors would have thrown
    if (decoder.shape() != words.shape() || !std::equal(decoder.data(), decoder.data() + decoder.numel(), words.data()))
      throw dl::Error("BERT checkpoint: cls.predictions.decoder.weight differs from the word embeddings (this "
                      "model ties them)");
    given.erase(it);
  }
  given.erase("cls.predictions.decoder.bias");  // tied to cls.predictions.bias in Hugging Face
  given.erase("bert.embeddings.position_ids");  // a buffer of older checkpoints: 0, 1, 2, ...
  if (!given.empty()) throw dl::Error("BERT checkpoint: unexpected tensor " + given.begin()->first);
  load_state_dict(ours);
}

dl::optim::MatrixDecayAdamW bert_adamw(const BertForMaskedLM& model, float lr, float weight_decay) {
  return {model.parameters(), {.lr = lr, .beta2 = 0.98f, .eps = 1e-6f, .weight_decay = weight_decay}};
}

// [mlm-mask]
MaskedBatch mask_tokens(std::span<const int> ids, std::span<const int> never, float prob, int mask_id,
                        int64_t vocab_size, dl::Generator& gen) {
  if (!(prob >= 0.0f && prob <= 1.0f)) throw dl::Error("mask_tokens: the probability must be in [0, 1], got " + number_text(prob));
  if (vocab_size < 1) throw dl::Error("mask_tokens: the vocabulary is empty");
  MaskedBatch out{.ids = {ids.begin(), ids.end()}, .labels = std::vector<int>(ids.size(), -100)};
  for (size_t i = 0; i < ids.size(); ++i) {
    if (std::find(never.begin(), never.end(), ids[i]) != never.end() || gen.uniform() >= prob) continue;
    out.labels[i] = ids[i];  // predicted whatever the input shows
    ++out.chosen;
    const float r = gen.uniform();
    if (r < 0.8f)
      out.ids[i] = mask_id;  // 80%: [MASK]
    else if (r < 0.9f)
      out.ids[i] = static_cast<int>(gen.below(static_cast<uint64_t>(vocab_size)));  // 10%: a random token
    // 10%: the token itself, so the model cannot assume that a visible token is right
  }
  return out;
}
// [mlm-mask]

Unigram::Unigram(const std::vector<std::vector<int>>& texts, std::span<const int> never, int64_t vocab_size)
    : counts_(static_cast<size_t>(vocab_size), 0) {
  for (const auto& text : texts)
    for (int id : text)
      if (std::find(never.begin(), never.end(), id) == never.end()) ++counts_.at(static_cast<size_t>(id)), ++total_;
}

double Unigram::nll(int id) const {
  return -std::log((static_cast<double>(counts_.at(static_cast<size_t>(id))) + 1.0) /
                   (total_ + static_cast<double>(counts_.size())));
}

}  // namespace ch04

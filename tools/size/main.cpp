// size — the arithmetic of a Transformer: its parameters, counted part by part from its
// configuration, the FLOPs per token of training and inference, the memory of its weights
// and of training with Adam, and the bytes its KV cache takes per token.
//
//   ./book size gpt2                       # a built-in configuration, as a table
//   ./book size llama-2-7b --json          # one JSON object
//   ./book size build/results/04-nlp-bert/hf/config.json   # a Hugging Face config.json
//   ./book size gpt2 --tokens 3e11         # and the FLOPs of training on that many tokens
//
// Built-ins: gpt2, gpt2-medium, bert-base-uncased (BertModel, with its pooler), llama-2-7b.
// A config.json (or a folder holding one) is read by its model_type: gpt2, bert or llama.
//
// N, the parameters in "6N" and "2N", leaves out the embedding tables (token, position,
// token type): a lookup reads one row and does no arithmetic. This is the non-embedding
// count of Kaplan et al., "Scaling laws for neural language models" (2020).
//
// Exit codes: 0 done, 1 a model it cannot size (unknown name, missing or bad file, a
// field missing or out of range), 2 a mistake on the command line.
#include <CLI/CLI.hpp>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using Json = nlohmann::ordered_json;
using Count = uint64_t;

constexpr const char* kName = "size";
constexpr int kExitOk = 0, kExitModelError = 1, kExitUsageError = 2;

// Bytes per number: fp32, and bf16 (or fp16) for weights and the KV cache.
constexpr Count kBytesFp32 = 4;
constexpr Count kBytesBf16 = 2;
// Training with Adam in fp32: weights, gradients and Adam's two moments, 4 bytes each.
constexpr Count kBytesAdamFp32 = 4 * kBytesFp32;
// FLOPs per parameter per token: a multiply and an add in the forward pass (2), and twice
// that again in the backward pass (gradients of the inputs and of the weights): 6 in all.
constexpr Count kForwardFlopsPerParam = 2;
constexpr Count kTrainingFlopsPerParam = 6;
// A field of a config.json above this is a mistake, not a model (and keeps products in 64 bits).
constexpr int64_t kMaxField = int64_t{1} << 32;

/// A model this program cannot size: the message says what is wrong; exit 1.
class ModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// a*b and a+b, refusing to wrap around.
Count mul(Count a, Count b) {
  Count out = 0;
  if (__builtin_mul_overflow(a, b, &out)) throw ModelError("the configuration is too large to count in 64 bits");
  return out;
}
Count add(Count a, Count b) {
  Count out = 0;
  if (__builtin_add_overflow(a, b, &out)) throw ModelError("the configuration is too large to count in 64 bits");
  return out;
}

/// One part of a model: `count` parameters (per layer when `per_layer`), what they are.
struct Part {
  std::string key;        // its name in --json's "parts"
  std::string label;      // its name in the table
  std::string formula;    // how it is counted, e.g. "50257 x 768"
  Count count = 0;        // parameters (of one layer when per_layer)
  bool per_layer = false;
  bool embedding = false;  // a lookup table, left out of N
};

/// A Transformer's configuration, reduced to what its size depends on, and its parts.
struct Model {
  std::string name;
  std::string kind;  // "decoder" or "encoder"
  std::string layout;  // e.g. "GPT-2", "BertModel", "LLaMA"
  Count layers = 0, hidden = 0, heads = 0, kv_heads = 0, head_dim = 0, vocab = 0, context = 0;
  std::vector<Part> parts;

  Count layer_parameters() const {
    Count n = 0;
    for (const Part& p : parts)
      if (p.per_layer) n = add(n, p.count);
    return n;
  }
  Count total(const Part& p) const { return p.per_layer ? mul(p.count, layers) : p.count; }
  Count parameters() const {
    Count n = 0;
    for (const Part& p : parts) n = add(n, total(p));
    return n;
  }
  Count non_embedding_parameters() const {
    Count n = 0;
    for (const Part& p : parts)
      if (!p.embedding) n = add(n, total(p));
    return n;
  }
  // An encoder reads its whole input at once and keeps no cache; a decoder generating one
  // token at a time keeps each layer's keys and values: 2 x layers x kv_heads x head_dim numbers.
  Count kv_cache_bytes_per_token() const {
    if (kind != "decoder") return 0;
    return mul(mul(mul(mul(2, layers), kv_heads), head_dim), kBytesBf16);
  }
};

std::string times(Count a, Count b) { return std::to_string(a) + " x " + std::to_string(b); }

// A weight matrix (in x out) and, when `bias`, its bias (out).
Count linear(Count in, Count out, bool bias) { return add(mul(in, out), bias ? out : 0); }

// --- GPT-2 (GPT2LMHeadModel): learned positions, LayerNorm with bias, biases everywhere --------
// Per layer: ln_1 (2C), attn.c_attn (C x 3C + 3C), attn.c_proj (C x C + C), ln_2 (2C),
// mlp.c_fc (C x I + I), mlp.c_proj (I x C + C); then ln_f (2C); the head is wte unless untied.
// gpt2:        wte 50257 x 768 = 38,597,376, wpe 1024 x 768 = 786,432,
//              a layer 1,536 + 1,771,776 + 590,592 + 1,536 + 2,362,368 + 2,360,064 = 7,087,872,
//              12 layers 85,054,464, ln_f 1,536: 124,439,808 in all.
// gpt2-medium: wte 51,463,168, wpe 1,048,576, a layer 12 x 1024^2 + 13 x 1024 = 12,596,224,
//              24 layers 302,309,376, ln_f 2,048: 354,823,168 in all.
Model gpt2(std::string name, Count vocab, Count positions, Count c, Count layers, Count heads, Count inner, bool tied) {
  Model m{.name = std::move(name), .kind = "decoder", .layout = "GPT-2", .layers = layers, .hidden = c, .heads = heads,
          .kv_heads = heads, .head_dim = c / heads, .vocab = vocab, .context = positions, .parts = {}};
  const std::string C = std::to_string(c), I = std::to_string(inner);
  m.parts = {
      {"token_embeddings", "token embeddings (wte)", times(vocab, c), mul(vocab, c), false, true},
      {"position_embeddings", "position embeddings (wpe)", times(positions, c), mul(positions, c), false, true},
      {"attention_norm", "ln_1", "2 x " + C, mul(2, c), true, false},
      {"attention", "attention: c_attn, c_proj", C + " x 3*" + C + " + 3*" + C + " + " + C + " x " + C + " + " + C,
       add(linear(c, mul(3, c), true), linear(c, c, true)), true, false},
      {"mlp_norm", "ln_2", "2 x " + C, mul(2, c), true, false},
      {"mlp", "mlp: c_fc, c_proj", C + " x " + I + " + " + I + " + " + I + " x " + C + " + " + C,
       add(linear(c, inner, true), linear(inner, c, true)), true, false},
      {"final_norm", "ln_f", "2 x " + C, mul(2, c), false, false},
  };
  if (!tied) m.parts.push_back({"lm_head", "lm_head (untied)", times(c, vocab), mul(c, vocab), false, false});
  return m;
}

// --- BERT: learned positions and token types, post-LayerNorm, biases everywhere ---------------
// Embeddings: word (V x H), position (P x H), token type (T x H), LayerNorm (2H). Per layer:
// query, key, value, attention output (4 x (H x H + H)), LayerNorm (2H), intermediate
// (H x I + I), output (I x H + H), LayerNorm (2H).
enum class BertHead { Pooler, MaskedLM, PreTraining };
// bert-base-uncased as BertModel: embeddings 23,440,896 + 393,216 + 1,536 + 1,536 = 23,837,184,
// a layer 2,362,368 + 1,536 + 2,362,368 + 2,360,064 + 1,536 = 7,087,872, 12 layers 85,054,464,
// pooler 768 x 768 + 768 = 590,592: 109,482,240 in all.
// The book's BertForMaskedLM (chapter 04, H 64, 2 layers, I 256, P 128, V 30522):
// embeddings 1,953,408 + 8,192 + 128 + 128 = 1,961,856, a layer 16,640 + 128 + 16,640 + 16,448
// + 128 = 49,984, 2 layers 99,968, MLM head 4,160 + 128 + 30,522 = 34,810: 2,096,634 in all.
Model bert(std::string name, Count vocab, Count positions, Count types, Count h, Count layers, Count heads, Count inner,
           BertHead head, bool tied) {
  Model m{.name = std::move(name), .kind = "encoder", .layout = "BertModel", .layers = layers, .hidden = h, .heads = heads,
          .kv_heads = heads, .head_dim = h / heads, .vocab = vocab, .context = positions, .parts = {}};
  const std::string H = std::to_string(h), I = std::to_string(inner);
  m.parts = {
      {"token_embeddings", "word embeddings", times(vocab, h), mul(vocab, h), false, true},
      {"position_embeddings", "position embeddings", times(positions, h), mul(positions, h), false, true},
      {"token_type_embeddings", "token type embeddings", times(types, h), mul(types, h), false, true},
      {"embedding_norm", "embeddings LayerNorm", "2 x " + H, mul(2, h), false, false},
      {"attention", "attention: query, key, value, output", "4 x (" + H + " x " + H + " + " + H + ")",
       mul(4, linear(h, h, true)), true, false},
      {"attention_norm", "attention LayerNorm", "2 x " + H, mul(2, h), true, false},
      {"mlp", "intermediate, output", H + " x " + I + " + " + I + " + " + I + " x " + H + " + " + H,
       add(linear(h, inner, true), linear(inner, h, true)), true, false},
      {"mlp_norm", "output LayerNorm", "2 x " + H, mul(2, h), true, false},
  };
  if (head == BertHead::Pooler || head == BertHead::PreTraining)
    m.parts.push_back({"pooler", "pooler", H + " x " + H + " + " + H, linear(h, h, true), false, false});
  if (head == BertHead::MaskedLM || head == BertHead::PreTraining) {
    m.layout = head == BertHead::MaskedLM ? "BertForMaskedLM" : "BertForPreTraining";
    // cls.predictions: transform dense and LayerNorm, then the decoder (tied to the word
    // embeddings unless told otherwise) and its own bias of V.
    m.parts.push_back({"mlm_transform", "MLM head: transform dense, LayerNorm",
                       H + " x " + H + " + " + H + " + 2 x " + H, add(linear(h, h, true), mul(2, h)), false, false});
    if (!tied) m.parts.push_back({"mlm_decoder", "MLM head: decoder (untied)", times(h, vocab), mul(h, vocab), false, false});
    m.parts.push_back({"mlm_bias", "MLM head: output bias", std::to_string(vocab), vocab, false, false});
  }
  if (head == BertHead::PreTraining)
    m.parts.push_back({"next_sentence", "next-sentence head", H + " x 2 + 2", linear(h, 2, true), false, false});
  return m;
}

// --- LLaMA: rotary positions (no table), RMSNorm (weights only), SwiGLU MLP, no biases --------
// Per layer: q (H x heads*d), k and v (H x kv_heads*d each), o (heads*d x H), gate and up
// (H x I each), down (I x H), two RMSNorms (H each); then the final norm (H), and lm_head
// (H x V) unless tied. LLaMA-2-7B: embed 32000 x 4096 = 131,072,000, a layer
// 4 x 4096^2 + 3 x 4096 x 11008 + 2 x 4096 = 67,108,864 + 135,266,304 + 8,192 = 202,383,360,
// 32 layers 6,476,267,520, norm 4,096, lm_head 131,072,000: 6,738,415,616 in all.
Model llama(std::string name, Count vocab, Count context, Count h, Count layers, Count heads, Count kv_heads,
            Count head_dim, Count inner, bool tied, bool attention_bias, bool mlp_bias) {
  Model m{.name = std::move(name), .kind = "decoder", .layout = "LLaMA", .layers = layers, .hidden = h, .heads = heads,
          .kv_heads = kv_heads, .head_dim = head_dim, .vocab = vocab, .context = context, .parts = {}};
  const std::string H = std::to_string(h), I = std::to_string(inner);
  const Count q = mul(heads, head_dim), kv = mul(kv_heads, head_dim);
  const std::string Q = std::to_string(q), KV = std::to_string(kv);
  m.parts = {
      {"token_embeddings", "embed_tokens", times(vocab, h), mul(vocab, h), false, true},
      {"attention_norm", "input_layernorm (RMSNorm)", H, h, true, false},
      {"attention", std::string("attention: q, k, v, o") + (attention_bias ? " (with biases)" : ""),
       H + " x " + Q + " + 2 x " + H + " x " + KV + " + " + Q + " x " + H,
       add(add(linear(h, q, attention_bias), mul(2, linear(h, kv, attention_bias))), linear(q, h, attention_bias)),
       true, false},
      {"mlp_norm", "post_attention_layernorm (RMSNorm)", H, h, true, false},
      {"mlp", std::string("mlp: gate, up, down") + (mlp_bias ? " (with biases)" : ""),
       "2 x " + H + " x " + I + " + " + I + " x " + H,
       add(mul(2, linear(h, inner, mlp_bias)), linear(inner, h, mlp_bias)), true, false},
      {"final_norm", "norm (RMSNorm)", H, h, false, false},
  };
  if (!tied) m.parts.push_back({"lm_head", "lm_head (untied)", times(h, vocab), mul(h, vocab), false, false});
  return m;
}

// The published configurations.
const std::vector<std::string> kBuiltins = {"gpt2", "gpt2-medium", "bert-base-uncased", "llama-2-7b"};

Model builtin(const std::string& name) {
  if (name == "gpt2") return gpt2(name, 50257, 1024, 768, 12, 12, 4 * 768, true);
  if (name == "gpt2-medium") return gpt2(name, 50257, 1024, 1024, 24, 16, 4 * 1024, true);
  if (name == "bert-base-uncased") return bert(name, 30522, 512, 2, 768, 12, 12, 3072, BertHead::Pooler, true);
  if (name == "llama-2-7b") return llama(name, 32000, 4096, 4096, 32, 32, 32, 128, 11008, false, false, false);
  throw std::logic_error("no built-in " + name);
}

// --- Reading a Hugging Face config.json -------------------------------------------------------

// The fields of one config.json, each read with a message that names the file and the key.
struct Config {
  std::string path;
  Json json;

  [[noreturn]] void fail(const std::string& what) const { throw ModelError(path + ": " + what); }

  bool has(const std::string& key) const { return json.contains(key) && !json[key].is_null(); }

  // A required whole number > 0; `what` says what it is, for the message.
  Count positive(const std::string& key, const std::string& what) const {
    if (!has(key)) fail("missing \"" + key + "\" (" + what + ")");
    const Json& v = json[key];
    if (!v.is_number_integer()) fail("\"" + key + "\" (" + what + ") must be a whole number, got " + v.dump());
    const int64_t n = v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(kMaxField) ? kMaxField + 1 : v.get<int64_t>();
    if (n <= 0) fail("\"" + key + "\" (" + what + ") must be positive, got " + v.dump());
    if (n > kMaxField) fail("\"" + key + "\" (" + what + ") is too large: " + v.dump());
    return Count(n);
  }
  Count positive_or(const std::string& key, const std::string& what, Count fallback) const {
    return has(key) ? positive(key, what) : fallback;
  }
  bool flag(const std::string& key, bool fallback) const {
    if (!has(key)) return fallback;
    if (!json[key].is_boolean()) fail("\"" + key + "\" must be true or false, got " + json[key].dump());
    return json[key].get<bool>();
  }
  bool architecture(const std::string& name) const {
    if (!has("architectures")) return false;
    if (!json["architectures"].is_array()) fail("\"architectures\" must be a list, got " + json["architectures"].dump());
    for (const Json& a : json["architectures"])
      if (a == name) return true;
    return false;
  }
  // Attention splits the hidden width into heads of equal size.
  void divisible(Count hidden, const std::string& hidden_key, Count heads, const std::string& heads_key) const {
    if (hidden % heads != 0)
      fail("\"" + hidden_key + "\" " + std::to_string(hidden) + " is not divisible by \"" + heads_key + "\" " +
           std::to_string(heads) + ": every attention head must have the same width");
  }
};

Model from_config(const std::string& argument) {
  namespace fs = std::filesystem;
  fs::path path(argument);
  if (fs::is_directory(path)) path /= "config.json";  // a Hugging Face model folder
  std::ifstream in(path);
  if (!in) throw ModelError("cannot read " + path.string() + " (no such file, or not readable)");
  Config c{path.string(), {}};
  try {
    c.json = Json::parse(in);
  } catch (const Json::parse_error& e) {
    c.fail(std::string("not valid JSON: ") + e.what());
  }
  if (!c.json.is_object()) c.fail("expected a JSON object (a Hugging Face config.json)");
  if (!c.has("model_type") || !c.json["model_type"].is_string())
    c.fail("missing \"model_type\" (gpt2, bert or llama)");
  const std::string type = c.json["model_type"].get<std::string>();
  const std::string name = path.string();

  if (type == "gpt2") {
    const Count vocab = c.positive("vocab_size", "vocabulary size");
    const Count positions = c.positive("n_positions", "learned positions");
    const Count width = c.positive("n_embd", "hidden width");
    const Count layers = c.positive("n_layer", "layers");
    const Count heads = c.positive("n_head", "attention heads");
    c.divisible(width, "n_embd", heads, "n_head");
    const Count inner = c.positive_or("n_inner", "MLP width", mul(4, width));  // null: 4 x n_embd
    return gpt2(name, vocab, positions, width, layers, heads, inner, c.flag("tie_word_embeddings", true));
  }
  if (type == "bert") {
    const Count vocab = c.positive("vocab_size", "vocabulary size");
    const Count hidden = c.positive("hidden_size", "hidden width");
    const Count layers = c.positive("num_hidden_layers", "layers");
    const Count heads = c.positive("num_attention_heads", "attention heads");
    c.divisible(hidden, "hidden_size", heads, "num_attention_heads");
    const Count inner = c.positive("intermediate_size", "MLP width");
    const Count positions = c.positive("max_position_embeddings", "learned positions");
    const Count types = c.positive("type_vocab_size", "token types");
    // Which head sits on the encoder: the first of these named in "architectures".
    BertHead head = BertHead::Pooler;
    if (c.architecture("BertForMaskedLM"))
      head = BertHead::MaskedLM;
    else if (c.architecture("BertForPreTraining"))
      head = BertHead::PreTraining;
    else if (c.has("architectures") && !c.architecture("BertModel"))
      c.fail("counts BertModel, BertForMaskedLM and BertForPreTraining; \"architectures\" is " +
             c.json["architectures"].dump());
    return bert(name, vocab, positions, types, hidden, layers, heads, inner, head, c.flag("tie_word_embeddings", true));
  }
  if (type == "llama") {
    const Count vocab = c.positive("vocab_size", "vocabulary size");
    const Count hidden = c.positive("hidden_size", "hidden width");
    const Count layers = c.positive("num_hidden_layers", "layers");
    const Count heads = c.positive("num_attention_heads", "attention heads");
    const Count kv_heads = c.positive_or("num_key_value_heads", "key-value heads", heads);
    const Count inner = c.positive("intermediate_size", "MLP width");
    const Count context = c.positive_or("max_position_embeddings", "context length", 2048);
    if (heads % kv_heads != 0)
      c.fail("\"num_attention_heads\" " + std::to_string(heads) + " is not divisible by \"num_key_value_heads\" " +
             std::to_string(kv_heads) + ": each key-value head serves the same number of query heads");
    // Newer configs may give the head width; otherwise the hidden width is split among the heads.
    if (!c.has("head_dim")) c.divisible(hidden, "hidden_size", heads, "num_attention_heads");
    const Count head_dim = c.positive_or("head_dim", "head width", hidden / heads);
    return llama(name, vocab, context, hidden, layers, heads, kv_heads, head_dim, inner,
                 c.flag("tie_word_embeddings", false), c.flag("attention_bias", false), c.flag("mlp_bias", false));
  }
  c.fail("model_type \"" + type + "\" is not one this program counts (gpt2, bert or llama)");
}

std::string builtins_list() {
  std::string out;
  for (const std::string& b : kBuiltins) out += (out.empty() ? "" : ", ") + b;
  return out;
}

Model load(const std::string& argument) {
  for (const std::string& b : kBuiltins)
    if (argument == b) return builtin(b);
  namespace fs = std::filesystem;
  if (fs::exists(argument)) return from_config(argument);
  // A name with no slash and no ".json" is most likely a built-in misspelt.
  if (argument.find('/') == std::string::npos && !argument.ends_with(".json"))
    throw ModelError("no built-in model \"" + argument + "\" and no such file (built-ins: " + builtins_list() +
                     "; or give the path of a Hugging Face config.json)");
  throw ModelError("cannot read " + argument + " (no such file)");
}

// --- Output ------------------------------------------------------------------------------------

// 124439808 -> "124,439,808".
std::string grouped(Count n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string format(const char* fmt, double x) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, fmt, x);
  return buffer;
}

// Bytes in binary units: "497,759,232 B (474.7 MiB)".
std::string bytes(Count n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double x = double(n);
  int unit = 0;
  while (x >= 1024 && unit < 4) x /= 1024, ++unit;
  return grouped(n) + " B" + (unit == 0 ? "" : " (" + format("%.1f ", x) + units[unit] + ")");
}

std::string flops(Count n) { return grouped(n) + " (" + format("%.2e", double(n)) + ")"; }

Json to_json(const Model& m, double tokens) {
  const Count n = m.non_embedding_parameters(), p = m.parameters();
  Json parts = Json::object(), per_layer = Json::object();
  for (const Part& part : m.parts) {
    parts[part.key] = m.total(part);
    if (part.per_layer) per_layer[part.key] = part.count;
  }
  Json j = {{"model", m.name},
            {"layout", m.layout},
            {"parameters", p},
            {"non_embedding_parameters", n},
            {"training_flops_per_token", mul(kTrainingFlopsPerParam, n)},
            {"inference_flops_per_token", mul(kForwardFlopsPerParam, n)},
            {"weights_bytes_fp32", mul(kBytesFp32, p)},
            {"weights_bytes_bf16", mul(kBytesBf16, p)},
            {"training_bytes_adam_fp32", mul(kBytesAdamFp32, p)},
            {"kv_cache_bytes_per_token", m.kv_cache_bytes_per_token()},
            {"kv_cache_bytes_full_context", mul(m.kv_cache_bytes_per_token(), m.context)},
            {"config",
             {{"layers", m.layers},
              {"hidden", m.hidden},
              {"heads", m.heads},
              {"kv_heads", m.kv_heads},
              {"head_dim", m.head_dim},
              {"vocab", m.vocab},
              {"context", m.context}}},
            {"parts", parts},
            {"per_layer", per_layer}};
  if (tokens > 0) {
    j["training_tokens"] = tokens;
    j["training_flops"] = double(kTrainingFlopsPerParam) * double(n) * tokens;
  }
  return j;
}

// Columns of the table: labels, then numbers right-aligned.
constexpr size_t kLabelWidth = 38, kNumberWidth = 15;

void print_table(const Model& m, double tokens) {
  const Count n = m.non_embedding_parameters(), p = m.parameters();
  std::ostringstream out;
  const auto row = [&](const std::string& label, const std::string& value, const std::string& note = "") {
    // The label, then the value's number right-aligned, then the rest of the value (its unit).
    const size_t space = value.find(' ');
    const std::string number = value.substr(0, space), rest = space == std::string::npos ? "" : value.substr(space);
    out << "  " << label << std::string(label.size() < kLabelWidth ? kLabelWidth - label.size() : 1, ' ')
        << std::string(number.size() < kNumberWidth ? kNumberWidth - number.size() : 0, ' ') << number << rest;
    if (!note.empty()) out << "   " << note;
    out << '\n';
  };
  out << m.name << ": " << m.kind << " (" << m.layout << "), " << m.layers << " layers, hidden " << m.hidden << ", "
      << m.heads << " heads";
  if (m.kv_heads != m.heads) out << " (" << m.kv_heads << " key-value heads)";
  out << " of " << m.head_dim << ", vocabulary " << m.vocab << ", context " << m.context << "\n\nparameters\n";
  for (const Part& part : m.parts)
    if (!part.per_layer) {
      if (part.key == "final_norm" || part.key == "embedding_norm" || part.key == "pooler" || part.key == "lm_head" ||
          part.key.starts_with("mlm") || part.key == "next_sentence")
        continue;
      row(part.label, grouped(part.count), part.formula);
    }
  for (const Part& part : m.parts)
    if (part.key == "embedding_norm") row(part.label, grouped(part.count), part.formula);
  row("one layer", grouped(m.layer_parameters()));
  for (const Part& part : m.parts)
    if (part.per_layer) row("  " + part.label, grouped(part.count), part.formula);
  row(std::to_string(m.layers) + " layers", grouped(mul(m.layer_parameters(), m.layers)));
  for (const Part& part : m.parts)
    if (!part.per_layer && !part.embedding && part.key != "embedding_norm")
      row(part.label, grouped(part.count), part.formula);
  row("total", grouped(p));
  row("N: without the embedding tables", grouped(n));
  out << "\ncompute per token (N = non-embedding parameters)\n";
  row("training, 6N FLOPs", flops(mul(kTrainingFlopsPerParam, n)));
  row("inference, 2N FLOPs", flops(mul(kForwardFlopsPerParam, n)));
  if (tokens > 0) row("training on " + format("%.3g", tokens) + " tokens, 6ND", format("%.3e FLOPs", 6.0 * double(n) * tokens));
  out << "\nmemory\n";
  row("weights, fp32 (4 B each)", bytes(mul(kBytesFp32, p)));
  row("weights, bf16 (2 B each)", bytes(mul(kBytesBf16, p)));
  row("training with Adam, fp32 (16 B each)", bytes(mul(kBytesAdamFp32, p)), "weights, gradients, 2 moments");
  if (m.kind == "decoder") {
    row("KV cache per token, bf16", bytes(m.kv_cache_bytes_per_token()),
        "2 x " + std::to_string(m.layers) + " x " + std::to_string(m.kv_heads) + " x " + std::to_string(m.head_dim) +
            " x 2 B");
    row("KV cache of " + std::to_string(m.context) + " tokens", bytes(mul(m.kv_cache_bytes_per_token(), m.context)));
  } else {
    row("KV cache", "none", "an encoder reads its whole input at once");
  }
  out << "  (activations of training are not counted: they grow with batch and context)\n";
  std::cout << out.str() << std::flush;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli("The parameters, FLOPs per token and memory of a Transformer, counted from its configuration.", kName);
  std::string model;
  bool json = false;
  double tokens = 0;
  cli.add_option("model", model, "a built-in (" + builtins_list() + ") or a Hugging Face config.json")->required();
  cli.add_flag("--json", json, "print one JSON object");
  cli.add_option("--tokens", tokens, "also the FLOPs of training on this many tokens (6ND)")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            double x = 0;
            return CLI::detail::lexical_cast(text, x) && std::isfinite(x) && x > 0 ? "" : "expected a number > 0, got " + text;
          },
          "POSITIVE"));
  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << cli.help() << std::flush;
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    std::cerr << kName << ": error: " << e.what() << "\n\n" << cli.help() << std::flush;
    return kExitUsageError;
  }
  try {
    const Model m = load(model);
    if (json)
      std::cout << to_json(m, tokens).dump() << '\n';
    else
      print_table(m, tokens);
    return kExitOk;
  } catch (const std::exception& e) {  // ModelError, or the file system's own errors
    std::cerr << kName << ": error: " << e.what() << "\n";
    return kExitModelError;
  }
}

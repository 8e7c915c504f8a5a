// GPT-2: the model, its key-value cache, generation, and Hugging Face's layout.
#include "dl/gpt.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "dl/eigen.hpp"
#include "dl/ops.hpp"

namespace dl::nn {

namespace {

std::string number_text(double x) {
  std::ostringstream s;
  s << x;
  return s.str();
}

// A float as the decimal that reads back as it (0.02f is 0.019999999552965164 as a double):
// what config.json should say.
double shortest(float v) {
  char buf[32];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  return std::strtod(std::string(buf, end).c_str(), nullptr);
}

// Throws when an id is outside [0, vocab_size): the embedding would read past its table.
void check_ids(std::span<const int> ids, int64_t vocab_size) {
  for (int id : ids)
    if (id < 0 || id >= vocab_size)
      throw Error("GPT: token id " + std::to_string(id) + " is outside the vocabulary of " + std::to_string(vocab_size));
}

// The prompt as generation reads it: a prompt that leaves no room for a new token in the
// context keeps its last context-1 tokens.
std::vector<int> fitting_prompt(std::span<const int> prompt, int64_t context) {
  const size_t keep = std::min(prompt.size(), static_cast<size_t>(context - 1));
  return {prompt.end() - static_cast<std::ptrdiff_t>(keep), prompt.end()};
}

void init_normal(Tensor& t, float std, Generator& gen) {
  float* p = t.data();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = std * gen.normal();
}

}  // namespace

void GPTConfig::validate() const {
  const auto positive = [](const char* name, int64_t v) {
    if (v <= 0) throw Error(std::string("GPTConfig: ") + name + " must be positive, got " + std::to_string(v));
  };
  positive("vocab_size", vocab_size);
  positive("n_positions", n_positions);
  positive("n_embd", n_embd);
  positive("n_layer", n_layer);
  positive("n_head", n_head);
  if (n_inner < 0) throw Error("GPTConfig: n_inner must be 0 (4 n_embd) or positive, got " + std::to_string(n_inner));
  // A config.json is input: sizes whose product overflows, or a model larger than memory,
  // are refused before anything is allocated (in double, so the check itself cannot overflow).
  const double e = static_cast<double>(n_embd), inner_width = n_inner > 0 ? static_cast<double>(n_inner) : 4 * e;
  const double parameters = static_cast<double>(vocab_size + n_positions) * e +
                            static_cast<double>(n_layer) * (4 * e * e + 2 * e * inner_width + 9 * e + inner_width) +
                            2 * e;
  if (parameters > kMaxParameters)
    throw Error("GPTConfig: about " + number_text(parameters) + " parameters, more than this program loads (" +
                number_text(kMaxParameters) + ", 16 GB in float32); check the sizes");
  if (n_embd % n_head != 0)
    throw Error("GPTConfig: n_embd " + std::to_string(n_embd) + " must split evenly into " + std::to_string(n_head) +
                " heads");
  for (const auto& [name, p] : {std::pair{"embd_pdrop", shortest(embd_pdrop)}, std::pair{"resid_pdrop", shortest(resid_pdrop)},
                                std::pair{"attn_pdrop", shortest(attn_pdrop)}})
    if (!(p >= 0.0f && p < 1.0f)) throw Error(std::string("GPTConfig: ") + name + " must be in [0, 1), got " + number_text(p));
  if (!(layer_norm_epsilon > 0.0f))
    throw Error("GPTConfig: layer_norm_epsilon must be positive, got " + number_text(layer_norm_epsilon));
}

// [hf-config]
std::string GPTConfig::to_json() const {
  const nlohmann::json j = {{"architectures", {"GPT2LMHeadModel"}},
                            {"model_type", "gpt2"},
                            {"vocab_size", vocab_size},
                            {"n_positions", n_positions},
                            {"n_ctx", n_positions},  // older readers' name for the context
                            {"n_embd", n_embd},
                            {"n_layer", n_layer},
                            {"n_head", n_head},
                            {"n_inner", n_inner > 0 ? nlohmann::json(n_inner) : nlohmann::json(nullptr)},
                            {"activation_function", "gelu_new"},  // GELU's tanh form
                            {"embd_pdrop", shortest(embd_pdrop)},
                            {"resid_pdrop", shortest(resid_pdrop)},
                            {"attn_pdrop", shortest(attn_pdrop)},
                            {"layer_norm_epsilon", shortest(layer_norm_epsilon)},
                            {"initializer_range", shortest(initializer_range)},
                            {"scale_attn_weights", true},
                            {"tie_word_embeddings", true},
                            {"torch_dtype", "float32"}};
  return j.dump(2) + "\n";
}
// [hf-config]

GPTConfig GPTConfig::from_json(const std::string& text, const std::string& path) {
  GPTConfig c;
  const auto fail = [&](const std::string& what) { throw FileError(path + ": " + what + " (expected a GPT-2 config.json)"); };
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) fail("not valid JSON");
  if (!j.is_object()) fail("not a JSON object");
  if (!j.contains("model_type") || j["model_type"] != "gpt2") fail("model_type is not \"gpt2\"");
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
  integer("n_positions", c.n_positions);
  integer("n_embd", c.n_embd);
  integer("n_layer", c.n_layer);
  integer("n_head", c.n_head);
  if (j.contains("n_inner") && !j["n_inner"].is_null()) integer("n_inner", c.n_inner);
  real("embd_pdrop", c.embd_pdrop);
  real("resid_pdrop", c.resid_pdrop);
  real("attn_pdrop", c.attn_pdrop);
  real("layer_norm_epsilon", c.layer_norm_epsilon);
  real("initializer_range", c.initializer_range);
  if (j.contains("activation_function") && j["activation_function"] != "gelu_new")
    fail("activation_function is " + j["activation_function"].dump() + "; only \"gelu_new\" (GELU's tanh form) is supported");
  if (j.contains("tie_word_embeddings") && j["tie_word_embeddings"] != true) fail("only tied word embeddings are supported");
  try {
    c.validate();
  } catch (const Error& e) {
    fail(e.what());
  }
  return c;
}

GPT::GPT(const GPTConfig& c, Generator& gen)
    : config((c.validate(), c)),
      wte(c.vocab_size, c.n_embd, -1, gen),
      wpe(c.n_positions, c.n_embd, -1, gen),
      ln_f(c.n_embd, c.layer_norm_epsilon),
      gen_(&gen) {
  register_module("wte", wte);
  register_module("wpe", wpe);
  for (int64_t l = 0; l < c.n_layer; ++l) {
    h.push_back(std::make_unique<TransformerEncoderLayer>(
        c.n_embd, c.n_head,
        TransformerEncoderLayerOptions{.dim_feedforward = c.inner(),
                                       .dropout = c.resid_pdrop,
                                       .activation_dropout = false,  // GPT-2's MLP drops after c_proj only
                                       .activation = GeluApproximate::tanh,
                                       .layer_norm_eps = c.layer_norm_epsilon,
                                       .norm_first = true},
        gen));
    h.back()->self_attn.dropout = c.attn_pdrop;
    register_module("h." + std::to_string(l), *h.back());
  }
  register_module("ln_f", ln_f);

  // GPT-2's initialisation (Hugging Face's _init_weights): weights N(0, 0.02^2), biases 0,
  // LayerNorm 1 and 0; the two projections that end a residual branch (c_proj) get
  // 0.02 / sqrt(2 n_layer), so the residual stream's variance does not grow with depth.
  const float residual_std = c.initializer_range / std::sqrt(2.0f * static_cast<float>(c.n_layer));
  for (auto& [name, t] : named_parameters()) {
    if (name.ends_with("norm1.weight") || name.ends_with("norm2.weight") || name == "ln_f.weight")
      t.fill_(1.0f);
    else if (t.dim() == 1)
      t.fill_(0.0f);
    else if (name.ends_with("out_proj.weight") || name.ends_with("linear2.weight"))
      init_normal(t, residual_std, gen);
    else
      init_normal(t, c.initializer_range, gen);
  }
}

// [gpt-forward]
Tensor GPT::hidden(std::span<const int> ids, int64_t batch, int64_t steps) {
  if (batch < 1 || steps < 1 || static_cast<int64_t>(ids.size()) != batch * steps)
    throw ShapeError("GPT: " + std::to_string(ids.size()) + " ids for a (" + std::to_string(batch) + ", " +
                     std::to_string(steps) + ") batch");
  if (steps > config.n_positions)
    throw ShapeError("GPT: " + std::to_string(steps) + " tokens, more than the " + std::to_string(config.n_positions) +
                     " positions the model has");
  check_ids(ids, config.vocab_size);
  std::vector<int> positions(ids.size());
  for (size_t i = 0; i < positions.size(); ++i) positions[i] = static_cast<int>(static_cast<int64_t>(i) % steps);
  // token + position embeddings (B,T,E), dropout, the causal blocks, the final LayerNorm
  Tensor x = dropout(wte(ids, {batch, steps}) + wpe(positions, {batch, steps}), config.embd_pdrop, is_training(), *gen_);
  for (auto& block : h) x = (*block)(x, AttentionMask{.causal = true});
  return ln_f(x);
}

Tensor GPT::forward(std::span<const int> ids, int64_t batch, int64_t steps) {
  // the output layer is the token embedding table: scores = h wte^T  (B*T, E) -> (B*T, V)
  return linear(reshape(hidden(ids, batch, steps), {batch * steps, config.n_embd}), wte.weight, Tensor());
}
// [gpt-forward]

KVCache GPT::make_cache() const {
  KVCache cache;
  const int64_t heads = config.n_head, d = config.n_embd / config.n_head;
  for (int64_t l = 0; l < config.n_layer; ++l) {
    cache.keys.push_back(Tensor::zeros({heads, config.n_positions, d}));
    cache.values.push_back(Tensor::zeros({heads, config.n_positions, d}));
  }
  return cache;
}

// [kv-cache]
std::vector<float> GPT::forward_cached(std::span<const int> ids, KVCache& cache) {
  const int64_t n = static_cast<int64_t>(ids.size()), start = cache.length;
  const int64_t e = config.n_embd, heads = config.n_head, d = e / heads;
  if (n < 1) throw ShapeError("GPT::forward_cached: no ids");
  if (static_cast<int64_t>(cache.keys.size()) != config.n_layer || cache.keys.empty() ||
      cache.keys[0].shape() != Shape{heads, config.n_positions, d})
    throw ShapeError("GPT::forward_cached: the cache was not made by this model's make_cache()");
  if (start + n > config.n_positions)
    throw ShapeError("GPT::forward_cached: " + std::to_string(start) + " cached and " + std::to_string(n) +
                     " new positions exceed the model's " + std::to_string(config.n_positions));
  check_ids(ids, config.vocab_size);
  no_grad guard;
  std::vector<int> positions(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) positions[static_cast<size_t>(i)] = static_cast<int>(start + i);
  Tensor x = wte(ids, {n}) + wpe(positions, {n});  // (n, E); no dropout in inference
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const int64_t total = start + n;  // positions every new query may look back over
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using Strided = Eigen::Map<const RowMajor, 0, Eigen::OuterStride<>>;
  for (size_t l = 0; l < h.size(); ++l) {
    TransformerEncoderLayer& block = *h[l];
    const Tensor a = block.norm1(x);
    const Tensor q = block.self_attn.query(a), k = block.self_attn.key(a), v = block.self_attn.value(a);  // (n, E)
    Tensor merged = Tensor::empty({n, e});
    for (int64_t head = 0; head < heads; ++head) {
      // Append this head's new keys and values at positions start .. start+n-1 ...
      float* kc = cache.keys[l].data() + head * config.n_positions * d;
      float* vc = cache.values[l].data() + head * config.n_positions * d;
      for (int64_t i = 0; i < n; ++i) {
        std::copy_n(k.data() + i * e + head * d, d, kc + (start + i) * d);
        std::copy_n(v.data() + i * e + head * d, d, vc + (start + i) * d);
      }
      // ... then each new query attends over every cached position up to its own.
      const Strided qh(q.data() + head * d, n, d, Eigen::OuterStride<>(e));
      const Eigen::Map<const RowMajor> kh(kc, total, d), vh(vc, total, d);
      RowMajor p = (qh * kh.transpose()) * scale;  // (n, total)
      for (int64_t i = 0; i < n; ++i) {
        const int64_t visible = start + i + 1;  // causal: keys 0 .. start+i
        auto row = p.row(i);
        row.tail(total - visible).setConstant(-std::numeric_limits<float>::infinity());
        const float top = row.head(visible).maxCoeff();
        row = (row.array() - top).exp();
        row /= row.sum();
      }
      Eigen::Map<RowMajor, 0, Eigen::OuterStride<>>(merged.data() + head * d, n, d, Eigen::OuterStride<>(e)) = p * vh;
    }
    x = x + block.self_attn.out_proj(merged);
    x = x + block.linear2(gelu(block.linear1(block.norm2(x)), GeluApproximate::tanh));
  }
  cache.length = total;
  const Tensor last = ln_f(slice(x, 0, n - 1, n));  // (1, E)
  const Tensor scores = linear(last, wte.weight, Tensor());  // (1, V)
  return {scores.data(), scores.data() + config.vocab_size};
}
// [kv-cache]

// [hf-names]
// Hugging Face's GPT2LMHeadModel keeps GPT-2's original layout: the attention's three
// projections fused into one c_attn, and every projection stored by Conv1D as (in, out),
// the transpose of our (out, in).
NamedTensors GPT::hf_state_dict() const {
  no_grad guard;
  const auto conv1d = [](const Tensor& w) { return transpose(w, 0, 1); };  // (out,in) -> (in,out), a copy
  NamedTensors out = {{"transformer.wte.weight", wte.weight}, {"transformer.wpe.weight", wpe.weight}};
  for (size_t l = 0; l < h.size(); ++l) {
    const TransformerEncoderLayer& b = *h[l];
    const std::string p = "transformer.h." + std::to_string(l) + ".";
    const MultiheadAttention& attn = b.self_attn;
    out.emplace_back(p + "ln_1.weight", b.norm1.weight);
    out.emplace_back(p + "ln_1.bias", b.norm1.bias);
    out.emplace_back(p + "attn.c_attn.weight",
                     concat({conv1d(attn.query.weight), conv1d(attn.key.weight), conv1d(attn.value.weight)}, 1));
    out.emplace_back(p + "attn.c_attn.bias", concat({attn.query.bias, attn.key.bias, attn.value.bias}, 0));
    out.emplace_back(p + "attn.c_proj.weight", conv1d(attn.out_proj.weight));
    out.emplace_back(p + "attn.c_proj.bias", attn.out_proj.bias);
    out.emplace_back(p + "ln_2.weight", b.norm2.weight);
    out.emplace_back(p + "ln_2.bias", b.norm2.bias);
    out.emplace_back(p + "mlp.c_fc.weight", conv1d(b.linear1.weight));
    out.emplace_back(p + "mlp.c_fc.bias", b.linear1.bias);
    out.emplace_back(p + "mlp.c_proj.weight", conv1d(b.linear2.weight));
    out.emplace_back(p + "mlp.c_proj.bias", b.linear2.bias);
  }
  out.emplace_back("transformer.ln_f.weight", ln_f.weight);
  out.emplace_back("transformer.ln_f.bias", ln_f.bias);
  return out;
}
// [hf-names]

void GPT::load_hf_state_dict(const NamedTensors& state) {
  no_grad guard;
  std::map<std::string, Tensor> given(state.begin(), state.end());
  const auto take = [&](const std::string& name, const Shape& shape) {
    const auto it = given.find(name);
    if (it == given.end()) throw Error("GPT checkpoint: no tensor " + name);
    if (it->second.shape() != shape)
      throw ShapeError("GPT checkpoint: " + name + " is " + to_string(it->second.shape()) + ", the config makes it " +
                       to_string(shape));
    Tensor t = it->second;
    given.erase(it);
    return t;
  };
  const int64_t e = config.n_embd, inner = config.inner();
  const auto linear_from_conv1d = [](const Tensor& w) { return transpose(w, 0, 1); };  // (in,out) -> (out,in), a copy
  NamedTensors ours = {{"wte.weight", take("transformer.wte.weight", {config.vocab_size, e})},
                       {"wpe.weight", take("transformer.wpe.weight", {config.n_positions, e})}};
  for (int64_t l = 0; l < config.n_layer; ++l) {
    const std::string p = "transformer.h." + std::to_string(l) + ".", o = "h." + std::to_string(l) + ".";
    ours.emplace_back(o + "norm1.weight", take(p + "ln_1.weight", {e}));
    ours.emplace_back(o + "norm1.bias", take(p + "ln_1.bias", {e}));
    const Tensor qkv = take(p + "attn.c_attn.weight", {e, 3 * e}), qkv_bias = take(p + "attn.c_attn.bias", {3 * e});
    const char* parts[] = {"query", "key", "value"};
    for (int64_t i = 0; i < 3; ++i) {
      ours.emplace_back(o + "self_attn." + parts[i] + ".weight", linear_from_conv1d(slice(qkv, 1, i * e, (i + 1) * e)));
      ours.emplace_back(o + "self_attn." + parts[i] + ".bias", slice(qkv_bias, 0, i * e, (i + 1) * e));
    }
    ours.emplace_back(o + "self_attn.out_proj.weight", linear_from_conv1d(take(p + "attn.c_proj.weight", {e, e})));
    ours.emplace_back(o + "self_attn.out_proj.bias", take(p + "attn.c_proj.bias", {e}));
    ours.emplace_back(o + "norm2.weight", take(p + "ln_2.weight", {e}));
    ours.emplace_back(o + "norm2.bias", take(p + "ln_2.bias", {e}));
    ours.emplace_back(o + "linear1.weight", linear_from_conv1d(take(p + "mlp.c_fc.weight", {e, inner})));
    ours.emplace_back(o + "linear1.bias", take(p + "mlp.c_fc.bias", {inner}));
    ours.emplace_back(o + "linear2.weight", linear_from_conv1d(take(p + "mlp.c_proj.weight", {inner, e})));
    ours.emplace_back(o + "linear2.bias", take(p + "mlp.c_proj.bias", {e}));
    given.erase(p + "attn.bias");         // the causal mask, stored as a buffer by older versions
    given.erase(p + "attn.masked_bias");
  }
  ours.emplace_back("ln_f.weight", take("transformer.ln_f.weight", {e}));
  ours.emplace_back("ln_f.bias", take("transformer.ln_f.bias", {e}));
  if (const auto it = given.find("lm_head.weight"); it != given.end()) {
    // Tied: the output layer is the token embeddings; a file that stores it must agree.
    const Tensor& head = it->second;
    const Tensor& words = ours.front().second;
    if (head.shape() != words.shape() || !std::equal(head.data(), head.data() + head.numel(), words.data()))
      throw Error("GPT checkpoint: lm_head.weight differs from transformer.wte.weight (this model ties them)");
    given.erase(it);
  }
  if (!given.empty()) throw Error("GPT checkpoint: unexpected tensor " + given.begin()->first);
  load_state_dict(ours);
}

namespace {

// The model's probability of `id` under softmax(scores): what the playground shows and
// what the mean log-likelihood of a sample averages. (Eigen's vectorised exp: this runs
// once per generated token over the whole vocabulary.)
float probability_of(std::span<const float> scores, int id) {
  const Eigen::Map<const Eigen::ArrayXf> s(scores.data(), static_cast<Eigen::Index>(scores.size()));
  const float top = s.maxCoeff();
  return std::exp(scores[static_cast<size_t>(id)] - top) / (s - top).exp().sum();
}

}  // namespace

// [generate]
std::vector<GeneratedToken> generate(GPT& model, std::span<const int> prompt, const GenerateOptions& options,
                                     Generator& gen, const std::function<bool(const GeneratedToken&)>& on_token) {
  options.sampling.validate();
  if (prompt.empty()) throw Error("generate: the prompt is empty (give at least one token)");
  if (options.max_new_tokens < 0) throw Error("generate: max_new_tokens must not be negative");
  for (int id : options.suppress)
    if (id < 0 || id >= model.config.vocab_size)
      throw Error("generate: suppressed id " + std::to_string(id) + " is outside the vocabulary of " +
                  std::to_string(model.config.vocab_size));
  const int64_t context = model.config.n_positions;
  // Keep room for at least one new token: a long prompt keeps its last context-1 tokens.
  std::vector<int> ids = fitting_prompt(prompt, context);
  const size_t prompt_length = ids.size();
  const bool was_training = model.is_training();
  model.eval();
  std::vector<GeneratedToken> out;
  KVCache cache = model.make_cache();
  std::vector<float> scores = options.use_cache ? model.forward_cached(ids, cache) : std::vector<float>{};
  while (static_cast<int64_t>(out.size()) < options.max_new_tokens && static_cast<int64_t>(ids.size()) < context) {
    if (!options.use_cache) {  // the whole prefix again, every step: what the cache saves
      no_grad guard;
      const int64_t t = static_cast<int64_t>(ids.size());
      const Tensor all = model.forward(ids, 1, t);
      scores.assign(all.data() + (t - 1) * model.config.vocab_size, all.data() + t * model.config.vocab_size);
    }
    const std::span<const int> written(ids.begin() + static_cast<std::ptrdiff_t>(prompt_length), ids.end());
    std::vector<float> work = scores;
    for (int id : options.suppress) work[static_cast<size_t>(id)] = -std::numeric_limits<float>::infinity();
    const GeneratedToken token{decode::next_token(work, written, options.sampling, gen), 0.0f};
    out.push_back({token.id, probability_of(scores, token.id)});
    ids.push_back(token.id);
    if ((on_token && !on_token(out.back())) || token.id == options.stop_id) break;
    if (options.use_cache && static_cast<int64_t>(ids.size()) < context) scores = model.forward_cached({&ids.back(), 1}, cache);
  }
  model.train(was_training);
  return out;
}
// [generate]

std::vector<int> beam_generate(GPT& model, std::span<const int> prompt, int64_t width, int64_t max_new_tokens,
                               int stop_id) {
  if (prompt.empty()) throw Error("beam_generate: the prompt is empty (give at least one token)");
  const int64_t context = model.config.n_positions, vocab = model.config.vocab_size;
  const std::vector<int> start = fitting_prompt(prompt, context);
  max_new_tokens = std::min<int64_t>(max_new_tokens, context - static_cast<int64_t>(start.size()));
  const bool was_training = model.is_training();
  model.eval();
  // Each beam's whole prefix is recomputed (finished beams are shorter, so no batching).
  const decode::NextLogProbs next = [&](const std::vector<std::vector<int>>& beams) {
    no_grad guard;
    std::vector<std::vector<float>> rows;
    for (const auto& beam : beams) {
      std::vector<int> ids = start;
      ids.insert(ids.end(), beam.begin(), beam.end());
      const int64_t t = static_cast<int64_t>(ids.size());
      const Tensor logp = log_softmax(model.forward(ids, 1, t), -1);  // (T, V)
      rows.emplace_back(logp.data() + (t - 1) * vocab, logp.data() + t * vocab);
    }
    return rows;
  };
  decode::Beam best = decode::beam_search(next, width, max_new_tokens, stop_id);
  model.train(was_training);
  return best.ids;
}

}  // namespace dl::nn

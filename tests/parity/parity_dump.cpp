// Numerical parity with PyTorch, the C++ half: runs every case with dl and writes what
// it computed to DIR/<case>.safetensors, for tests/parity/check_parity.py to redo in
// PyTorch and compare.
//
// Each file holds, under fixed names the script knows:
//   in.<name>     the inputs (integer ids and class targets stored as floats, exact below 2^24)
//   <name>        the parameters before any step, under PyTorch's names
//   out.<name>    the outputs (logits, final states, ...)
//   loss          the scalar that was back-propagated
//   grad.<name>   the gradient of the loss with respect to each parameter and differentiable input
//   adam.<name>   (models) the parameters after one Adam step from the same gradients
//   sgd.<name>    (models) the parameters after one SGD-with-momentum step
// and string metadata: the case's kind, its settings, the order of the parameters and
// the optimisers' hyper-parameters, so that the script reads the configuration from the
// file instead of keeping a second copy of it.
//
// usage: parity_dump DIR [ops|models|attention]   (every group without the second argument)
#include <dl/attention.hpp>
#include <dl/threads.hpp>
#include <dl/transformer.hpp>
#include <dl/conv.hpp>
#include <dl/ctc.hpp>
#include <dl/io.hpp>
#include <dl/nn.hpp>
#include <dl/ops.hpp>
#include <dl/optim.hpp>
#include <dl/rnn.hpp>

#include <cmath>
#include <cstdio>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "charlm.hpp"
#include "cnn.hpp"
#include "mlp.hpp"

namespace {

using Meta = std::map<std::string, std::string>;

// The optimisers' settings, written into every model file so the torch side uses the same.
// lr 1e-2 for Adam makes one step move most weights by about 1e-2, far above float32 noise.
// Weight decay is non-zero for both so that its term is compared too; SGD's first step
// with momentum is v = g (PyTorch starts its buffer at the gradient as well), so a single
// step checks the formula's shape, not the decay of the velocity.
const dl::optim::AdamOptions kAdam{.lr = 1e-2f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .weight_decay = 1e-4f};
const dl::optim::SGDOptions kSgd{.lr = 0.05f, .momentum = 0.9f, .weight_decay = 1e-4f, .nesterov = false};

std::string fmt(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));  // round-trips a float exactly
  return buf;
}

// One case's tensors and metadata, written as one safetensors file.
struct Dump {
  dl::NamedTensors tensors;
  Meta meta;
  // Stores a copy: later steps change parameters in place.
  void add(const std::string& name, const dl::Tensor& t) { tensors.emplace_back(name, t.detach().clone()); }
  void add_ids(const std::string& name, const std::vector<int>& ids, const dl::Shape& shape) {
    std::vector<float> values(ids.begin(), ids.end());
    tensors.emplace_back(name, dl::Tensor::from_data(shape, values));
  }
  void save(const std::string& dir, const std::string& name) {
    dl::save_safetensors(dir + "/" + name + ".safetensors", tensors, meta);
    std::printf("wrote %s/%s.safetensors (%zu tensors)\n", dir.c_str(), name.c_str(), tensors.size());
  }
};

// sum(y * r) with a fixed random r: every element of y gets its own upstream gradient,
// so a wrong element anywhere in a backward shows up (a plain sum would hide permutations).
dl::Tensor weighted_sum(const dl::Tensor& y, const std::string& name, Dump& d, dl::Generator& gen) {
  const dl::Tensor r = dl::Tensor::randn(y.shape(), gen);
  d.add("in." + name, r);
  return dl::sum(dl::mul(y, r));
}

std::vector<int> random_ids(int64_t count, int64_t below, dl::Generator& gen) {
  std::vector<int> ids(static_cast<size_t>(count));
  for (int& id : ids) id = static_cast<int>(gen.below(static_cast<uint64_t>(below)));
  return ids;
}

std::string join_names(const dl::NamedTensors& named) {
  std::string s;
  for (const auto& [name, t] : named) s += (s.empty() ? "" : ",") + name;
  return s;
}

// ---- op level -------------------------------------------------------------------------

void conv2d_case(const std::string& dir, const std::string& name, int64_t stride, int64_t padding, int64_t dilation,
                 uint64_t seed) {
  dl::Generator gen(seed);
  Dump d;
  d.meta = {{"kind", "conv2d"}, {"stride", std::to_string(stride)}, {"padding", std::to_string(padding)},
            {"dilation", std::to_string(dilation)}};
  // Odd sizes and a non-square image so that a transposed height/width would not fit.
  dl::Tensor x = dl::Tensor::randn({2, 3, 9, 11}, gen).requires_grad_();
  dl::Tensor w = dl::Tensor::randn({4, 3, 3, 3}, gen).requires_grad_();
  dl::Tensor b = dl::Tensor::randn({4}, gen).requires_grad_();
  d.add("in.x", x);
  d.add("weight", w);
  d.add("bias", b);
  const dl::Tensor y = dl::conv2d(x, w, b, {.stride = stride, .padding = padding, .dilation = dilation});
  d.add("out.y", y);
  const dl::Tensor loss = weighted_sum(y, "r", d, gen);
  loss.backward();
  d.add("loss", loss);
  d.add("grad.x", x.grad());
  d.add("grad.weight", w.grad());
  d.add("grad.bias", b.grad());
  d.meta["params"] = "weight,bias";
  d.save(dir, name);
}

void max_pool2d_case(const std::string& dir, const std::string& name, int64_t kernel, int64_t stride, int64_t padding,
                     uint64_t seed) {
  dl::Generator gen(seed);
  Dump d;
  d.meta = {{"kind", "max_pool2d"}, {"kernel", std::to_string(kernel)}, {"stride", std::to_string(stride)},
            {"padding", std::to_string(padding)}};
  // Continuous random values: no ties, so "the first arg-max" and PyTorch's choice agree.
  dl::Tensor x = dl::Tensor::randn({2, 3, 10, 9}, gen).requires_grad_();
  d.add("in.x", x);
  const dl::Tensor y = dl::max_pool2d(x, kernel, stride, padding);
  d.add("out.y", y);
  const dl::Tensor loss = weighted_sum(y, "r", d, gen);
  loss.backward();
  d.add("loss", loss);
  d.add("grad.x", x.grad());
  d.meta["params"] = "";
  d.save(dir, name);
}

// A 2-layer LSTM or GRU stack from a non-zero initial state that requires grad, so the
// gradients reaching h0 (and c0) through both layers are compared too.
void recurrent_case(const std::string& dir, const std::string& name, bool lstm, uint64_t seed) {
  constexpr int64_t kSteps = 7, kBatch = 3, kInput = 5, kHidden = 6, kLayers = 2;
  dl::Generator gen(seed);
  Dump d;
  d.meta = {{"kind", lstm ? "lstm" : "gru"}, {"input_size", std::to_string(kInput)},
            {"hidden_size", std::to_string(kHidden)}, {"num_layers", std::to_string(kLayers)}};
  const dl::nn::RecurrentOptions options{.num_layers = kLayers};
  std::unique_ptr<dl::nn::Recurrent> module;
  if (lstm)
    module = std::make_unique<dl::nn::LSTM>(kInput, kHidden, options, gen);
  else
    module = std::make_unique<dl::nn::GRU>(kInput, kHidden, options, gen);
  const dl::NamedTensors params = module->named_parameters();
  for (const auto& [pname, p] : params) d.add(pname, p);
  d.meta["params"] = join_names(params);

  dl::Tensor x = dl::Tensor::randn({kSteps, kBatch, kInput}, gen).requires_grad_();
  dl::Tensor h0 = (dl::Tensor::randn({kLayers, kBatch, kHidden}, gen) * 0.5f).detach().requires_grad_();
  dl::Tensor c0 = (dl::Tensor::randn({kLayers, kBatch, kHidden}, gen) * 0.5f).detach().requires_grad_();
  d.add("in.x", x);
  d.add("in.h0", h0);
  if (lstm) d.add("in.c0", c0);
  const dl::nn::RecurrentOutput r = module->run(x, h0, lstm ? c0 : dl::Tensor());
  d.add("out.output", r.output);
  d.add("out.h_n", r.h_n);
  if (lstm) d.add("out.c_n", r.c_n);
  // The loss reads the outputs at every step and both final states, so the gradient
  // enters the stack at every step and through the last state of each layer.
  dl::Tensor loss = weighted_sum(r.output, "r_output", d, gen) + weighted_sum(r.h_n, "r_h_n", d, gen);
  if (lstm) loss = loss + weighted_sum(r.c_n, "r_c_n", d, gen);
  loss.backward();
  d.add("loss", loss);
  for (const auto& [pname, p] : params) d.add("grad." + pname, p.grad());
  d.add("grad.x", x.grad());
  d.add("grad.h0", h0.grad());
  if (lstm) d.add("grad.c0", c0.grad());
  d.save(dir, name);
}

// A bidirectional 2-layer LSTM or GRU over a padded batch with lengths, against PyTorch's
// packed sequences: the outputs at valid steps (dl's are unspecified after a sequence's
// length, PyTorch's are 0 there, so both are masked), both directions' final states, and
// every gradient.
void bidirectional_case(const std::string& dir, const std::string& name, bool lstm, uint64_t seed) {
  constexpr int64_t kSteps = 7, kBatch = 4, kInput = 5, kHidden = 6, kLayers = 2;
  const std::vector<int64_t> lengths{7, 3, 5, 1};  // unsorted, one full, one of a single step
  dl::Generator gen(seed);
  Dump d;
  d.meta = {{"kind", lstm ? "lstm_packed" : "gru_packed"}, {"input_size", std::to_string(kInput)},
            {"hidden_size", std::to_string(kHidden)}, {"num_layers", std::to_string(kLayers)}};
  const dl::nn::RecurrentOptions options{.num_layers = kLayers, .bidirectional = true};
  std::unique_ptr<dl::nn::Recurrent> module;
  if (lstm)
    module = std::make_unique<dl::nn::LSTM>(kInput, kHidden, options, gen);
  else
    module = std::make_unique<dl::nn::GRU>(kInput, kHidden, options, gen);
  const dl::NamedTensors params = module->named_parameters();
  for (const auto& [pname, p] : params) d.add(pname, p);
  d.meta["params"] = join_names(params);

  dl::Tensor x = dl::Tensor::randn({kSteps, kBatch, kInput}, gen).requires_grad_();
  dl::Tensor h0 = (dl::Tensor::randn({2 * kLayers, kBatch, kHidden}, gen) * 0.5f).detach().requires_grad_();
  dl::Tensor c0 = (dl::Tensor::randn({2 * kLayers, kBatch, kHidden}, gen) * 0.5f).detach().requires_grad_();
  d.add("in.x", x);
  d.add("in.h0", h0);
  if (lstm) d.add("in.c0", c0);
  d.add_ids("in.lengths", std::vector<int>(lengths.begin(), lengths.end()), {kBatch});
  std::vector<float> valid;
  for (int64_t t = 0; t < kSteps; ++t)
    for (int64_t b = 0; b < kBatch; ++b) valid.push_back(t < lengths[static_cast<size_t>(b)] ? 1.0f : 0.0f);
  const dl::Tensor mask = dl::Tensor::from_data({kSteps, kBatch, 1}, valid);
  const dl::nn::RecurrentOutput r = module->run(x, h0, lstm ? c0 : dl::Tensor(), lengths);
  const dl::Tensor output = r.output * mask;
  d.add("out.output", output);
  d.add("out.h_n", r.h_n);
  if (lstm) d.add("out.c_n", r.c_n);
  dl::Tensor loss = weighted_sum(output, "r_output", d, gen) + weighted_sum(r.h_n, "r_h_n", d, gen);
  if (lstm) loss = loss + weighted_sum(r.c_n, "r_c_n", d, gen);
  loss.backward();
  d.add("loss", loss);
  for (const auto& [pname, p] : params) d.add("grad." + pname, p.grad());
  d.add("grad.x", x.grad());
  d.add("grad.h0", h0.grad());
  if (lstm) d.add("grad.c0", c0.grad());
  d.save(dir, name);
}

// CTC on log_softmax(logits): PyTorch's fused ctc_loss backward is only the gradient
// after a log_softmax, so the gradients are compared with respect to the logits.
// Chapter 07's shape: 10 words and the blank (0); lengths vary and one target repeats a
// label, so the blank-between-repeats rule and the per-sequence lengths are exercised.
void ctc_case(const std::string& dir, const std::string& name, dl::CtcReduction reduction, uint64_t seed) {
  constexpr int64_t kFrames = 12, kBatch = 4, kClasses = 11;
  dl::Generator gen(seed);
  Dump d;
  d.meta = {{"kind", "ctc"}, {"reduction", reduction == dl::CtcReduction::mean ? "mean" : "sum"}, {"params", ""}};
  dl::Tensor logits = (dl::Tensor::randn({kFrames, kBatch, kClasses}, gen) * 2.0f).detach().requires_grad_();
  const std::vector<int64_t> input_lengths{12, 9, 5, 12}, target_lengths{4, 3, 2, 0};
  std::vector<int> targets{3, 3, 7, 1, 10, 2, 5, 9, 9};
  for (size_t i = 0; i + 3 < targets.size(); ++i)  // a few random labels, keeping the repeats
    if (i % 3 == 2) targets[i] = 1 + static_cast<int>(gen.below(kClasses - 1));
  d.add("in.logits", logits);
  d.add_ids("in.targets", targets, {static_cast<int64_t>(targets.size())});
  d.add_ids("in.input_lengths", std::vector<int>(input_lengths.begin(), input_lengths.end()), {kBatch});
  d.add_ids("in.target_lengths", std::vector<int>(target_lengths.begin(), target_lengths.end()), {kBatch});
  const dl::Tensor loss =
      dl::ctc_loss(dl::log_softmax(logits, -1), targets, input_lengths, target_lengths, {.reduction = reduction});
  loss.backward();
  d.add("loss", loss);
  d.add("grad.logits", logits.grad());
  d.save(dir, name);
}

// `ignore_index` >= -100: every third target is set to it (a masked-LM batch ignores most).
void cross_entropy_case(const std::string& dir, const std::string& name, float smoothing, uint64_t seed,
                        std::optional<int> ignore_index = std::nullopt) {
  constexpr int64_t kRows = 16, kClasses = 7;
  dl::Generator gen(seed);
  Dump d;
  d.meta = {{"kind", "cross_entropy"}, {"label_smoothing", fmt(smoothing)}, {"params", ""}};
  if (ignore_index) d.meta["ignore_index"] = std::to_string(*ignore_index);
  // Scaled up so that some rows are confident and some targets are badly wrong.
  dl::Tensor logits = (dl::Tensor::randn({kRows, kClasses}, gen) * 3.0f).detach().requires_grad_();
  std::vector<int> targets = random_ids(kRows, kClasses, gen);
  if (ignore_index)
    for (size_t i = 0; i < targets.size(); i += 3) targets[i] = *ignore_index;
  d.add("in.logits", logits);
  d.add_ids("in.targets", targets, {kRows});
  const dl::Tensor loss =
      ignore_index ? dl::cross_entropy(logits, targets, {.label_smoothing = smoothing, .ignore_index = *ignore_index})
                   : dl::cross_entropy(logits, targets, smoothing);
  loss.backward();
  d.add("loss", loss);
  d.add("grad.logits", logits.grad());
  d.save(dir, name);
}

// ---- attention: the Transformer's ops and modules ----------------------------------------

void layer_norm_case(const std::string& dir, const std::string& name, float eps, uint64_t seed) {
  dl::Generator gen(seed);
  Dump d;
  d.meta = {{"kind", "layer_norm"}, {"eps", fmt(eps)}, {"params", "weight,bias"}};
  // Rows with their own offsets and spreads, so the normalisation has something to remove.
  dl::Tensor x = (dl::Tensor::randn({3, 5, 16}, gen) * 2.0f + 1.5f).detach().requires_grad_();
  dl::Tensor w = dl::Tensor::randn({16}, gen).requires_grad_();
  dl::Tensor b = dl::Tensor::randn({16}, gen).requires_grad_();
  d.add("in.x", x);
  d.add("weight", w);
  d.add("bias", b);
  const dl::Tensor y = dl::layer_norm(x, w, b, eps);
  d.add("out.y", y);
  const dl::Tensor loss = weighted_sum(y, "r", d, gen);
  loss.backward();
  d.add("loss", loss);
  d.add("grad.x", x.grad());
  d.add("grad.weight", w.grad());
  d.add("grad.bias", b.grad());
  d.save(dir, name);
}

void gelu_case(const std::string& dir, const std::string& name, dl::GeluApproximate approximate, uint64_t seed) {
  dl::Generator gen(seed);
  Dump d;
  d.meta = {{"kind", "gelu"}, {"approximate", approximate == dl::GeluApproximate::tanh ? "tanh" : "none"},
            {"params", ""}};
  dl::Tensor x = (dl::Tensor::randn({6, 40}, gen) * 3.0f).detach().requires_grad_();  // well into both tails
  d.add("in.x", x);
  const dl::Tensor y = dl::gelu(x, approximate);
  d.add("out.y", y);
  const dl::Tensor loss = weighted_sum(y, "r", d, gen);
  loss.backward();
  d.add("loss", loss);
  d.add("grad.x", x.grad());
  d.save(dir, name);
}

// Scores (2,3,5,6) and an additive (5,6) mask of finite biases and -inf entries (no row
// entirely -inf: PyTorch gives NaN there, where dl gives zeros), both differentiable.
void masked_softmax_case(const std::string& dir, uint64_t seed) {
  dl::Generator gen(seed);
  Dump d;
  d.meta = {{"kind", "masked_softmax"}, {"params", ""}};
  dl::Tensor x = (dl::Tensor::randn({2, 3, 5, 6}, gen) * 2.0f).detach().requires_grad_();
  dl::Tensor mask = dl::Tensor::randn({5, 6}, gen);
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t j = i + 2; j < 6; ++j) mask.data()[i * 6 + j] = -INFINITY;
  mask.requires_grad_();
  d.add("in.x", x);
  d.add("in.mask", mask);
  const dl::Tensor y = dl::masked_softmax(x, mask);
  d.add("out.y", y);
  const dl::Tensor loss = weighted_sum(y, "r", d, gen);
  loss.backward();
  d.add("loss", loss);
  d.add("grad.x", x.grad());
  d.add("grad.mask", mask.grad());
  d.save(dir, "masked_softmax");
}

// Padding for (B=2, S): sequence 0 has its last `padded` keys padded, sequence 1 none.
// Key 0 is always real, so with the causal mask too every query sees a key.
std::vector<int> padding_mask(int64_t batch, int64_t keys, int64_t padded) {
  std::vector<int> mask(static_cast<size_t>(batch * keys), 1);
  for (int64_t j = keys - padded; j < keys; ++j) mask[static_cast<size_t>(j)] = 0;
  return mask;
}

void sdpa_case(const std::string& dir, const std::string& name, bool padding, bool causal, uint64_t seed) {
  constexpr int64_t kBatch = 2, kHeads = 3, kSteps = 7, kHead = 8, kValue = 5;
  dl::Generator gen(seed);
  Dump d;
  d.meta = {{"kind", "sdpa"}, {"causal", causal ? "1" : "0"}, {"params", ""}};
  dl::Tensor q = dl::Tensor::randn({kBatch, kHeads, kSteps, kHead}, gen).requires_grad_();
  dl::Tensor k = dl::Tensor::randn({kBatch, kHeads, kSteps, kHead}, gen).requires_grad_();
  dl::Tensor v = dl::Tensor::randn({kBatch, kHeads, kSteps, kValue}, gen).requires_grad_();
  const std::vector<int> mask = padding_mask(kBatch, kSteps, padding ? 3 : 0);
  d.add("in.q", q);
  d.add("in.k", k);
  d.add("in.v", v);
  d.add_ids("in.key_padding", mask, {kBatch, kSteps});
  const dl::Tensor y = dl::scaled_dot_product_attention(q, k, v, {.mask = {.key_padding = mask, .causal = causal}});
  d.add("out.y", y);
  const dl::Tensor loss = weighted_sum(y, "r", d, gen);
  loss.backward();
  d.add("loss", loss);
  d.add("grad.q", q.grad());
  d.add("grad.k", k.grad());
  d.add("grad.v", v.grad());
  d.save(dir, name);
}

// Gives each LayerNorm of `m` a random scale and shift (they start at 1 and 0, where a
// gradient that wrongly ignored them would still pass).
void randomise_norms(dl::nn::Module& m, dl::Generator& gen) {
  for (auto& [pname, p] : m.named_parameters())
    if (pname.find("norm") != std::string::npos) p.copy_(dl::Tensor::randn(p.shape(), gen) * 0.5f + (pname.ends_with("weight") ? 1.0f : 0.0f));
}

// A module case: (B,T,E) input with padding, the module's output and all its gradients.
void attention_module_case(const std::string& dir, const std::string& name, dl::nn::Module& module, Dump& d,
                           const std::function<dl::Tensor(const dl::Tensor&, const dl::AttentionMask&)>& forward,
                           int64_t batch, int64_t steps, int64_t width, dl::Generator& gen) {
  const dl::NamedTensors params = module.named_parameters();
  for (const auto& [pname, p] : params) d.add(pname, p);
  d.meta["params"] = join_names(params);
  dl::Tensor x = dl::Tensor::randn({batch, steps, width}, gen).requires_grad_();
  const std::vector<int> mask = padding_mask(batch, steps, 2);
  d.add("in.x", x);
  d.add_ids("in.key_padding", mask, {batch, steps});
  const dl::Tensor y = forward(x, {.key_padding = mask});
  d.add("out.y", y);
  const dl::Tensor loss = weighted_sum(y, "r", d, gen);
  loss.backward();
  d.add("loss", loss);
  d.add("grad.x", x.grad());
  for (const auto& [pname, p] : params) d.add("grad." + pname, p.grad());
  d.save(dir, name);
}

void mha_case(const std::string& dir, uint64_t seed) {
  constexpr int64_t kWidth = 12, kHeads = 3;
  dl::Generator gen(seed);
  dl::nn::MultiheadAttention attn(kWidth, kHeads, 0.0f, true, gen);
  Dump d;
  d.meta = {{"kind", "mha"}, {"embed_dim", std::to_string(kWidth)}, {"num_heads", std::to_string(kHeads)}};
  attention_module_case(dir, "multihead_attention", attn, d,
                        [&](const dl::Tensor& x, const dl::AttentionMask& m) { return attn(x, m); }, 2, 6, kWidth, gen);
}

void encoder_layer_case(const std::string& dir, const std::string& name, bool norm_first, float eps, uint64_t seed) {
  constexpr int64_t kWidth = 12, kHeads = 3, kFeedForward = 20;
  dl::Generator gen(seed);
  dl::nn::TransformerEncoderLayer layer(
      kWidth, kHeads, {.dim_feedforward = kFeedForward, .dropout = 0.0f, .layer_norm_eps = eps, .norm_first = norm_first}, gen);
  randomise_norms(layer, gen);
  Dump d;
  d.meta = {{"kind", "encoder_layer"}, {"d_model", std::to_string(kWidth)}, {"nhead", std::to_string(kHeads)},
            {"dim_feedforward", std::to_string(kFeedForward)}, {"layer_norm_eps", fmt(eps)},
            {"norm_first", norm_first ? "1" : "0"}};
  attention_module_case(dir, name, layer, d,
                        [&](const dl::Tensor& x, const dl::AttentionMask& m) { return layer(x, m); }, 2, 6, kWidth, gen);
}

// ---- chapter models -------------------------------------------------------------------

// Runs a model case: `loss_of` does the forward pass (recording its outputs into the
// dump) and returns the loss. The gradients are recorded, then one Adam step is taken
// from them; the initial weights are put back and one SGD-momentum step is taken from
// the same gradients (neither optimiser changes them), so both steps start from exactly
// the weights and gradients in the file.
void model_case(const std::string& dir, const std::string& name, dl::nn::Module& model, Dump& d,
                const std::function<dl::Tensor(Dump&)>& loss_of) {
  const dl::NamedTensors params = model.named_parameters();
  dl::NamedTensors initial;
  for (const auto& [pname, p] : params) {
    d.add(pname, p);
    initial.emplace_back(pname, p.detach().clone());
  }
  d.meta["params"] = join_names(params);
  d.meta["adam.lr"] = fmt(kAdam.lr);
  d.meta["adam.beta1"] = fmt(kAdam.beta1);
  d.meta["adam.beta2"] = fmt(kAdam.beta2);
  d.meta["adam.eps"] = fmt(kAdam.eps);
  d.meta["adam.weight_decay"] = fmt(kAdam.weight_decay);
  d.meta["sgd.lr"] = fmt(kSgd.lr);
  d.meta["sgd.momentum"] = fmt(kSgd.momentum);
  d.meta["sgd.weight_decay"] = fmt(kSgd.weight_decay);
  d.meta["sgd.nesterov"] = kSgd.nesterov ? "1" : "0";

  model.zero_grad();
  const dl::Tensor loss = loss_of(d);
  loss.backward();
  d.add("loss", loss);
  for (const auto& [pname, p] : params) d.add("grad." + pname, p.grad());
  dl::optim::Adam adam(model.parameters(), kAdam);
  adam.step();
  for (const auto& [pname, p] : params) d.add("adam." + pname, p);

  model.load_state_dict(initial);  // copies the values in place: the gradients stay attached
  dl::optim::SGD sgd(model.parameters(), kSgd);
  sgd.step();
  for (const auto& [pname, p] : params) d.add("sgd." + pname, p);
  d.save(dir, name);
}

// A chapter classifier (MLP or CNN) on a batch of flat (B,784) pixel rows in [0, 1),
// as the chapters' data loader gives them (the CNN reshapes them itself).
template <class Model>
void classifier_case(const std::string& dir, const std::string& kind, int64_t batch, uint64_t seed) {
  dl::manual_seed(seed);  // the chapter's layers draw their initial weights from the default generator
  Model model;
  dl::Generator gen(seed + 1);
  Dump d;
  d.meta = {{"kind", kind}};
  const dl::Tensor x = dl::Tensor::uniform({batch, 784}, 0.0f, 1.0f, gen);
  const std::vector<int> targets = random_ids(batch, 10, gen);
  d.add("in.x", x);
  d.add_ids("in.targets", targets, {batch});
  model_case(dir, kind, model, d, [&](Dump& out) {
    const dl::Tensor logits = model(x);
    out.add("out.logits", logits);
    return dl::cross_entropy(logits, targets);
  });
}

void charlm_case(const std::string& dir, uint64_t seed) {
  constexpr int64_t kVocab = 23, kEmbed = 8, kHidden = 16, kSteps = 9, kBatch = 3;
  dl::manual_seed(seed);
  ch03::CharLM model(kVocab, kEmbed, kHidden, /*dropout=*/0.0f);  // p = 0: dropout is the identity
  dl::Generator gen(seed + 1);
  Dump d;
  d.meta = {{"kind", "charlm"}, {"vocab", std::to_string(kVocab)}, {"embedding_dim", std::to_string(kEmbed)},
            {"hidden_size", std::to_string(kHidden)}};
  const std::vector<int> ids = random_ids(kSteps * kBatch, kVocab, gen);
  const std::vector<int> targets = random_ids(kSteps * kBatch, kVocab, gen);
  // A carried-over state, as in truncated BPTT from the second window on (no gradient).
  const dl::RecurrentState state{dl::Tensor::randn({1, kBatch, kHidden}, gen) * 0.5f,
                            dl::Tensor::randn({1, kBatch, kHidden}, gen) * 0.5f};
  d.add_ids("in.ids", ids, {kSteps, kBatch});
  d.add_ids("in.targets", targets, {kSteps * kBatch});
  d.add("in.h0", state.h);
  d.add("in.c0", state.c);
  model_case(dir, "charlm", model, d, [&](Dump& out) {
    const ch03::CharLM::Output o = model.forward(ids, kSteps, kBatch, state);
    out.add("out.logits", o.logits);
    out.add("out.h_n", o.state.h);
    out.add("out.c_n", o.state.c);
    // The chapter's train_step loss: the (T, B, V) scores as T*B rows.
    return dl::cross_entropy(o.logits.reshape({kSteps * kBatch, kVocab}), targets);
  });
}

}  // namespace

int main(int argc, char** argv) {
  const std::string group = argc == 3 ? argv[2] : "";
  if (argc < 2 || argc > 3 || std::string(argv[1]).empty() || argv[1][0] == '-' ||
      !(group.empty() || group == "ops" || group == "models" || group == "attention")) {
    std::fprintf(stderr,
                 "usage: parity_dump DIR [ops|models|attention]\n"
                 "  writes one .safetensors file per parity case into DIR (every group by default)\n");
    return 2;
  }
  const std::string dir = argv[1];
  // The ctest tests each dump their own group, so they can run in parallel.
  const bool ops = group.empty() || group == "ops", models = group.empty() || group == "models";
  const bool attention = group.empty() || group == "attention";
  try {
    dl::set_num_threads(2);
    if (ops) {
      // (stride, padding, dilation): the plain case, then each setting away from its default,
      // then all three at once.
      conv2d_case(dir, "conv2d_s1_p0_d1", 1, 0, 1, 11);
      conv2d_case(dir, "conv2d_s2_p1_d1", 2, 1, 1, 12);
      conv2d_case(dir, "conv2d_s1_p2_d2", 1, 2, 2, 13);
      conv2d_case(dir, "conv2d_s2_p1_d2", 2, 1, 2, 14);
      conv2d_case(dir, "conv2d_s3_p2_d1", 3, 2, 1, 15);
      // (kernel, stride, padding): tiling windows (the odd width leaves the last column
      // out), overlapping windows, overlapping windows over padding, and a window wider
      // than its stride with as much padding as PyTorch allows (kernel/2).
      max_pool2d_case(dir, "max_pool2d_k2_s2_p0", 2, 2, 0, 21);
      max_pool2d_case(dir, "max_pool2d_k3_s1_p0", 3, 1, 0, 22);
      max_pool2d_case(dir, "max_pool2d_k3_s2_p1", 3, 2, 1, 23);
      max_pool2d_case(dir, "max_pool2d_k4_s3_p2", 4, 3, 2, 24);
      recurrent_case(dir, "lstm_2layer", true, 31);
      recurrent_case(dir, "gru_2layer", false, 32);
      bidirectional_case(dir, "lstm_bidirectional_packed", true, 33);
      bidirectional_case(dir, "gru_bidirectional_packed", false, 34);
      cross_entropy_case(dir, "cross_entropy_ls0", 0.0f, 41);
      cross_entropy_case(dir, "cross_entropy_ls0.1", 0.1f, 42);
      cross_entropy_case(dir, "cross_entropy_ls0.35", 0.35f, 43);
      ctc_case(dir, "ctc_mean", dl::CtcReduction::mean, 44);
      ctc_case(dir, "ctc_sum", dl::CtcReduction::sum, 45);
    }
    if (attention) {
      layer_norm_case(dir, "layer_norm", 1e-5f, 61);
      layer_norm_case(dir, "layer_norm_eps1e-12", 1e-12f, 62);  // BERT's eps
      gelu_case(dir, "gelu_exact", dl::GeluApproximate::none, 63);
      gelu_case(dir, "gelu_tanh", dl::GeluApproximate::tanh, 64);
      masked_softmax_case(dir, 65);
      cross_entropy_case(dir, "cross_entropy_ignore-100", 0.0f, 66, -100);
      cross_entropy_case(dir, "cross_entropy_ignore0_ls0.1", 0.1f, 67, 0);
      sdpa_case(dir, "sdpa_plain", false, false, 68);
      sdpa_case(dir, "sdpa_padding", true, false, 69);
      sdpa_case(dir, "sdpa_causal", false, true, 70);
      sdpa_case(dir, "sdpa_padding_causal", true, true, 71);
      mha_case(dir, 72);
      encoder_layer_case(dir, "encoder_layer_post_ln", false, 1e-12f, 73);
      encoder_layer_case(dir, "encoder_layer_pre_ln", true, 1e-5f, 74);
    }
    if (models) {
      classifier_case<ch01::MLP>(dir, "mlp", 8, 51);
      classifier_case<ch02::CNN>(dir, "cnn", 4, 52);
      charlm_case(dir, 53);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "parity_dump: %s\n", e.what());
    return 1;
  }
  return 0;
}

// Module bookkeeping (parameters, children, state dicts) and the basic layers.
#include "dl/nn.hpp"

#include <cmath>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <unordered_map>

namespace dl::nn {

namespace {
// What `summary` collects while a model runs: each module call and its output shape.
struct LayerCall {
  const Module* module;
  Shape output;
};
thread_local std::vector<LayerCall>* g_summary_calls = nullptr;
}  // namespace

Tensor Layer::operator()(const Tensor& x) {
  Tensor y = forward(x);
  if (g_summary_calls) g_summary_calls->push_back({this, y.shape()});
  return y;
}

Tensor Module::register_parameter(const std::string& name, Tensor value) {
  if (value.defined()) value.requires_grad_(true);
  parameters_.emplace_back(name, value);
  return value;
}

Tensor Module::register_buffer(const std::string& name, Tensor value) {
  buffers_.emplace_back(name, value);
  return value;
}

void Module::add_child(const std::string& name, Module* module) {
  for (const auto& [existing, _] : children_)
    if (existing == name) throw Error(type_name() + ": a submodule named '" + name + "' is already registered");
  children_.emplace_back(name, module);
}

void Module::collect(const std::string& prefix, NamedTensors& out, bool with_buffers) const {
  for (const auto& [name, t] : parameters_)
    if (t.defined()) out.emplace_back(prefix + name, t);
  if (with_buffers)
    for (const auto& [name, t] : buffers_)
      if (t.defined()) out.emplace_back(prefix + name, t);
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", out, with_buffers);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  collect("", out, false);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, t] : named_parameters()) out.push_back(t);
  return out;
}

NamedTensors Module::state_dict() const {
  NamedTensors out;
  collect("", out, true);
  return out;
}

void Module::load_state_dict(const NamedTensors& state, bool strict) {
  std::unordered_map<std::string, const Tensor*> given;
  for (const auto& [name, t] : state) given[name] = &t;
  std::string missing;
  size_t used = 0;
  for (auto& [name, mine] : state_dict()) {
    auto it = given.find(name);
    if (it == given.end()) {
      missing += (missing.empty() ? "" : ", ") + name;
      continue;
    }
    ++used;
    if (it->second->shape() != mine.shape())
      throw ShapeError("load_state_dict: '" + name + "' has shape " + to_string(it->second->shape()) +
                       " in the checkpoint but " + to_string(mine.shape()) + " in the model");
    // A diverged or corrupt checkpoint: refused here, not discovered as NaN predictions later.
    const float* values = it->second->data();
    const int64_t n = it->second->numel();
    for (int64_t i = 0; i < n; ++i)
      if (!std::isfinite(values[i]))
        throw NonFiniteError("load_state_dict: '" + name + "' holds " + (std::isnan(values[i]) ? "NaN" : "an infinity") +
                             " at element " + std::to_string(i) + " in the checkpoint (a diverged or corrupt save)");
    mine.copy_(*it->second);
  }
  if (strict && (!missing.empty() || used != given.size())) {
    std::string unexpected;
    NamedTensors mine = state_dict();
    for (const auto& [name, t] : state) {
      bool found = false;
      for (const auto& [n, _] : mine) found = found || n == name;
      if (!found) unexpected += (unexpected.empty() ? "" : ", ") + name;
    }
    throw Error("load_state_dict: checkpoint does not match the model" +
                (missing.empty() ? std::string() : "; missing: " + missing) +
                (unexpected.empty() ? std::string() : "; unexpected: " + unexpected));
  }
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (const Tensor& p : parameters()) n += p.numel();
  return n;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::zero_grad() {
  for (Tensor& p : parameters()) p.zero_grad();
}

namespace {
void print_module(std::ostream& os, const Module& m, int indent) {
  os << m.type_name() << '(' << m.extra_repr();
  if (m.children().empty()) {
    os << ')';
    return;
  }
  os << '\n';
  for (const auto& [name, child] : m.children()) {
    os << std::string(static_cast<size_t>(indent + 2), ' ') << '(' << name << "): ";
    print_module(os, *child, indent + 2);
    os << '\n';
  }
  os << std::string(static_cast<size_t>(indent), ' ') << ')';
}
}  // namespace

std::ostream& operator<<(std::ostream& os, const Module& module) {
  print_module(os, module, 0);
  return os;
}

// ---- layers ---------------------------------------------------------------

Linear::Linear(int64_t in, int64_t out, bool with_bias, Generator& gen) : in_features(in), out_features(out) {
  if (in <= 0 || out <= 0)
    throw ShapeError("Linear: in_features and out_features must be positive, got " + std::to_string(in) + " and " +
                     std::to_string(out));
  // PyTorch's default: kaiming_uniform_(a=sqrt(5)) on W, which is U(±1/sqrt(in)), and the same bound for b.
  const float bound = 1.0f / std::sqrt(static_cast<float>(in));
  weight = register_parameter("weight", Tensor::uniform({out, in}, -bound, bound, gen));
  if (with_bias) bias = register_parameter("bias", Tensor::uniform({out}, -bound, bound, gen));
}

Tensor Linear::forward(const Tensor& x) { return linear(x, weight, bias); }

std::string Linear::extra_repr() const {
  return "in_features=" + std::to_string(in_features) + ", out_features=" + std::to_string(out_features) +
         ", bias=" + (bias.defined() ? "true" : "false");
}

Conv2d::Conv2d(int64_t in, int64_t out, Conv2dOptions opts, Generator& gen)
    : in_channels(in), out_channels(out), options(opts) {
  if (in <= 0 || out <= 0 || opts.kernel <= 0)
    throw ShapeError("Conv2d: channels and kernel must be positive, got in " + std::to_string(in) + ", out " +
                     std::to_string(out) + ", kernel " + std::to_string(opts.kernel));
  // PyTorch's default: kaiming_uniform_(a=sqrt(5)) = U(±1/sqrt(fan_in)), the same bound for the bias.
  const float bound = 1.0f / std::sqrt(static_cast<float>(in * opts.kernel * opts.kernel));
  weight = register_parameter("weight", Tensor::uniform({out, in, opts.kernel, opts.kernel}, -bound, bound, gen));
  if (opts.bias) bias = register_parameter("bias", Tensor::uniform({out}, -bound, bound, gen));
}

Tensor Conv2d::forward(const Tensor& x) {
  return conv2d(x, weight, bias, {.stride = options.stride, .padding = options.padding, .dilation = options.dilation});
}

std::string Conv2d::extra_repr() const {
  std::string s = std::to_string(in_channels) + ", " + std::to_string(out_channels) +
                  ", kernel_size=" + std::to_string(options.kernel) + ", stride=" + std::to_string(options.stride);
  if (options.padding) s += ", padding=" + std::to_string(options.padding);
  if (options.dilation != 1) s += ", dilation=" + std::to_string(options.dilation);
  if (!options.bias) s += ", bias=false";
  return s;
}

static std::string pool_repr(int64_t kernel, int64_t stride, int64_t padding) {
  return "kernel_size=" + std::to_string(kernel) + ", stride=" + std::to_string(stride ? stride : kernel) +
         ", padding=" + std::to_string(padding);
}
std::string MaxPool2d::extra_repr() const { return pool_repr(kernel, stride, padding); }
std::string AvgPool2d::extra_repr() const { return pool_repr(kernel, stride, padding); }

BatchNorm2d::BatchNorm2d(int64_t c, float eps_, float momentum_) : channels(c), eps(eps_), momentum(momentum_) {
  if (c <= 0) throw ShapeError("BatchNorm2d: channels must be positive, got " + std::to_string(c));
  weight = register_parameter("weight", Tensor::ones({c}));
  bias = register_parameter("bias", Tensor::zeros({c}));
  running_mean = register_buffer("running_mean", Tensor::zeros({c}));
  running_var = register_buffer("running_var", Tensor::ones({c}));
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  return batch_norm2d(x, weight, bias, running_mean, running_var, is_training(), momentum, eps);
}

std::string BatchNorm2d::extra_repr() const {
  std::ostringstream s;
  s << channels << ", eps=" << eps << ", momentum=" << momentum;
  return s.str();
}

LayerNorm::LayerNorm(int64_t c, float eps_, bool elementwise_affine) : normalized_shape(c), eps(eps_) {
  if (c <= 0) throw ShapeError("LayerNorm: normalized_shape must be positive, got " + std::to_string(c));
  if (!(eps > 0.0f)) throw Error("LayerNorm: eps must be positive, got " + std::to_string(eps));
  if (elementwise_affine) {
    weight = register_parameter("weight", Tensor::ones({c}));
    bias = register_parameter("bias", Tensor::zeros({c}));
  }
}

std::string LayerNorm::extra_repr() const {
  std::ostringstream s;
  s << '(' << normalized_shape << ",), eps=" << eps << ", elementwise_affine=" << (weight.defined() ? "true" : "false");
  return s.str();
}

TiedLinear::TiedLinear(const Tensor& shared_weight, bool with_bias) : weight(shared_weight) {
  if (!weight.defined() || weight.dim() != 2)
    throw ShapeError("TiedLinear: expected the (V, D) table of an embedding, got " +
                     (weight.defined() ? to_string(weight.shape()) : std::string("an undefined tensor")));
  if (with_bias) bias = register_parameter("bias", Tensor::zeros({weight.size(0)}));
}

std::string TiedLinear::extra_repr() const {
  return "in_features=" + std::to_string(weight.size(1)) + ", out_features=" + std::to_string(weight.size(0)) +
         ", bias=" + (bias.defined() ? "true" : "false") + ", weight tied";
}

Dropout::Dropout(float p_, Generator& gen) : p(p_), gen_(&gen) {
  if (!(p >= 0.0f && p < 1.0f)) throw Error("Dropout: probability must be in [0, 1), got " + std::to_string(p));
}

std::string Dropout::extra_repr() const {
  std::ostringstream s;
  s << "p=" << p;
  return s.str();
}

Sequential& Sequential::add(std::shared_ptr<Layer> layer) {
  layers_.push_back(layer.get());
  register_module(std::to_string(layers_.size() - 1), std::move(layer));
  return *this;
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  for (Layer* layer : layers_) h = (*layer)(h);
  return h;
}

std::string summary(Layer& model, const Shape& input_shape) {
  // Names and depths of every module in the tree, to label the calls.
  std::unordered_map<const Module*, std::pair<std::string, int>> names;
  std::vector<std::pair<const Module*, std::pair<std::string, int>>> pending{{&model, {"", 0}}};
  while (!pending.empty()) {
    auto [module, info] = pending.back();
    pending.pop_back();
    names.emplace(module, info);
    for (const auto& [name, child] : module->children())
      pending.push_back({child, {info.first.empty() ? name : info.first + "." + name, info.second + 1}});
  }

  std::vector<LayerCall> calls;
  std::string error;
  const bool was_training = model.is_training();
  model.eval();
  {
    no_grad guard;
    g_summary_calls = &calls;
    try {
      model(Tensor::zeros(input_shape));
    } catch (const ShapeError& e) {
      error = e.what();
    }
    g_summary_calls = nullptr;
  }
  model.train(was_training);

  auto own_parameters = [](const Module& m) {
    int64_t n = m.num_parameters();
    for (const auto& [name, child] : m.children()) n -= child->num_parameters();
    return n;
  };
  std::ostringstream out;
  out << std::left << std::setw(34) << "Layer (type)" << std::setw(22) << "Output shape" << std::right
      << std::setw(12) << "Param #" << "\n"
      << std::string(68, '=') << "\n";
  out << std::left << std::setw(34) << "input" << std::setw(22) << to_string(input_shape) << std::right
      << std::setw(12) << "" << "\n";
  for (const LayerCall& call : calls) {
    if (call.module == &model) continue;
    auto it = names.find(call.module);
    const std::string name = it == names.end() ? "?" : it->second.first;
    const int depth = it == names.end() ? 1 : it->second.second;
    const std::string label = std::string(static_cast<size_t>(2 * (depth - 1)), ' ') + name + " (" +
                              call.module->type_name() + ")";
    out << std::left << std::setw(34) << label << std::setw(22) << to_string(call.output) << std::right
        << std::setw(12) << own_parameters(*call.module) << "\n";
  }
  out << std::string(68, '=') << "\n";
  if (!error.empty()) out << "error: " << error << "\n";
  out << "Total parameters: " << model.num_parameters() << "\n";
  return out.str();
}

}  // namespace dl::nn

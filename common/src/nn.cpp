// Module bookkeeping (parameters, children, state dicts) and the basic layers.
#include "dl/nn.hpp"

#include <cmath>
#include <ostream>
#include <sstream>
#include <unordered_map>

namespace dl::nn {

Tensor Module::forward(const Tensor&) {
  throw Error(type_name() + ": forward(Tensor) is not defined for this module; override it or call its own methods");
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

Dropout::Dropout(float p_, Generator& gen) : p(p_), gen_(&gen) {
  if (!(p >= 0.0f && p < 1.0f)) throw Error("Dropout: probability must be in [0, 1), got " + std::to_string(p));
}

std::string Dropout::extra_repr() const {
  std::ostringstream s;
  s << "p=" << p;
  return s.str();
}

Sequential& Sequential::add(std::shared_ptr<Module> module) {
  layers_.push_back(module.get());
  register_module(std::to_string(layers_.size() - 1), std::move(module));
  return *this;
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  for (Module* layer : layers_) h = layer->forward(h);
  return h;
}

}  // namespace dl::nn

// The reverse-mode engine: recording graph nodes and running them backwards.
#include "dl/autograd.hpp"

#include <algorithm>
#include <iomanip>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "dl/ops.hpp"

namespace dl {

namespace {
thread_local bool g_grad_enabled = true;
}

no_grad::no_grad() : previous_(g_grad_enabled) { g_grad_enabled = false; }
no_grad::~no_grad() { g_grad_enabled = previous_; }
bool grad_enabled() { return g_grad_enabled; }

TensorImpl::~TensorImpl() {
  // Hold the inputs ourselves before dropping the closure (which captures copies
  // of them), then unlink each input whose last owner we are, breadth first.
  std::vector<Tensor> pending = std::move(inputs);
  backward = nullptr;
  while (!pending.empty()) {
    Tensor t = std::move(pending.back());
    pending.pop_back();
    if (t.impl().use_count() == 1) {
      TensorImpl& impl = *t.impl();
      for (Tensor& input : impl.inputs) pending.push_back(std::move(input));
      impl.inputs.clear();
      impl.backward = nullptr;
    }
  }
}

bool Tensor::requires_grad() const { return impl_ && impl_->requires_grad; }

Tensor& Tensor::requires_grad_(bool on) {
  if (!is_leaf())
    throw Error("requires_grad_: only leaf tensors can be marked; call detach() first to make '" + op_name() +
                "' output a leaf");
  impl_->requires_grad = on;
  return *this;
}

bool Tensor::is_leaf() const { return !impl_ || (!impl_->backward && !impl_->graph_freed); }
Tensor Tensor::grad() const { return impl_ ? impl_->grad : Tensor(); }
void Tensor::zero_grad() { impl_->grad = Tensor(); }
std::string Tensor::op_name() const { return impl_ ? impl_->op : ""; }

Tensor Tensor::reshape(const Shape& shape) const { return dl::reshape(*this, shape); }
Tensor Tensor::view(const Shape& shape) const { return dl::reshape(*this, shape); }
Tensor Tensor::sum() const { return dl::sum(*this); }
Tensor Tensor::mean() const { return dl::mean(*this); }

void record(Tensor& out, const char* op, const std::vector<Tensor>& inputs, BackwardFn backward) {
  if (!g_grad_enabled) return;
  TensorImpl& impl = *out.impl();
  for (const Tensor& t : inputs)
    if (t.requires_grad()) impl.inputs.push_back(t);
  if (impl.inputs.empty()) return;
  impl.requires_grad = true;
  impl.op = op;
  impl.backward = std::move(backward);
}

void record(Tensor& out, const char* op, std::initializer_list<Tensor> inputs, BackwardFn backward) {
  record(out, op, std::vector<Tensor>(inputs), std::move(backward));
}

GradSink grad_sink(const Tensor& t) {
  TensorImpl& impl = *t.impl();
  if (impl.grad.defined()) return {impl.grad.data(), false};
  impl.grad = Tensor::empty(impl.shape);
  return {impl.grad.data(), true};
}

float* grad_data(const Tensor& t) {
  TensorImpl& impl = *t.impl();
  if (!impl.grad.defined()) impl.grad = Tensor::zeros(impl.shape);
  return impl.grad.data();
}

void Tensor::backward() const {
  if (numel() != 1)
    throw ShapeError("backward: called on a tensor of shape " + to_string(shape()) +
                     "; only a one-element loss can seed backward() (reduce it with sum() or mean(), "
                     "or pass the upstream gradient)");
  backward(Tensor::ones(shape()));
}

void Tensor::backward(const Tensor& grad_output) const {
  if (!requires_grad())
    throw Error("backward: this tensor does not require grad; mark a leaf with requires_grad_() before the forward pass");
  if (grad_output.shape() != shape())
    throw ShapeError("backward: gradient of shape " + to_string(grad_output.shape()) + " for a tensor of shape " +
                     to_string(shape()));

  // [backward]
  // Topological order by iterative depth-first search (deep graphs, e.g. long
  // RNN unrolls, must not overflow the call stack).
  const auto check_alive = [](const TensorImpl& node) {
    if (node.graph_freed)
      throw Error(std::string("backward: the graph through '") + node.op +
                  "' was already freed by an earlier backward(); run the forward pass again");
  };
  check_alive(*impl_);
  std::vector<std::shared_ptr<TensorImpl>> order;
  std::unordered_set<TensorImpl*> visited;
  std::vector<std::pair<std::shared_ptr<TensorImpl>, size_t>> stack{{impl_, 0}};
  visited.insert(impl_.get());
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (next < node->inputs.size()) {
      const auto& child = node->inputs[next++].impl();
      check_alive(*child);
      if (child->backward && visited.insert(child.get()).second) stack.emplace_back(child, 0);
    } else {
      order.push_back(node);
      stack.pop_back();
    }
  }

  // Seed: add the upstream gradient into this tensor's gradient.
  {
    const GradSink g = grad_sink(*this);
    const float* s = grad_output.data();
    const int64_t n = numel();
    if (g.fresh)
      std::copy_n(s, n, g.data);
    else
      for (int64_t i = 0; i < n; ++i) g.data[i] += s[i];
  }
  no_grad guard;  // backward itself records nothing
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    TensorImpl& node = **it;
    Tensor out(*it);
    Tensor dout = node.grad;
    if (dout.defined()) node.backward(out, dout);
    // Free the graph as we go, like PyTorch without retain_graph: the closure's
    // saved tensors, the edges, and the gradient of this non-leaf tensor.
    node.backward = nullptr;
    node.graph_freed = true;
    node.inputs.clear();
    node.grad = Tensor();
  }
  // [backward]
}

std::string to_dot(const Tensor& root, const NamedTensors& names) {
  if (!root.defined() || root.is_leaf() || root.impl()->graph_freed)
    throw Error(root.defined() && root.impl()->graph_freed
                    ? "to_dot: the graph through '" + root.op_name() +
                          "' was freed by backward(); draw it before calling backward()"
                    : "to_dot: this tensor has no graph (nothing it was computed from requires grad, or it "
                      "was computed under no_grad)");
  std::unordered_map<const TensorImpl*, std::string> name_of;
  for (const auto& [name, t] : names)
    if (t.defined()) name_of.emplace(t.impl().get(), name);
  const auto quoted = [](const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
      if (c == '\n') {
        out += "\\n";  // DOT's line break inside a label
        continue;
      }
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out + '"';
  };

  // Number the nodes breadth first from the root; the edges follow each node's inputs in order.
  std::unordered_map<const TensorImpl*, int> id;
  std::vector<std::shared_ptr<TensorImpl>> nodes{root.impl()};
  id.emplace(root.impl().get(), 0);
  std::ostringstream edges;
  for (size_t n = 0; n < nodes.size(); ++n)
    for (const Tensor& input : nodes[n]->inputs) {
      auto [it, fresh] = id.emplace(input.impl().get(), int(nodes.size()));
      if (fresh) nodes.push_back(input.impl());
      edges << "  n" << it->second << " -> n" << n << ";\n";
    }

  std::ostringstream dot;
  dot << "digraph autograd {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=11];\n";
  for (size_t n = 0; n < nodes.size(); ++n) {
    const TensorImpl& node = *nodes[n];
    const Tensor t(nodes[n]);
    const bool leaf = !node.backward && !node.graph_freed;
    const auto named = name_of.find(&node);
    std::string label = leaf ? (named != name_of.end() ? named->second : "leaf") : std::string(node.op);
    if (t.numel() == 1) {
      std::ostringstream value;
      value << std::setprecision(4) << t.data()[0];
      label += " = " + value.str();
    } else {
      label += "\n" + to_string(node.shape);
    }
    dot << "  n" << n << " [label=" << quoted(label)
        << (leaf ? ", shape=ellipse, style=filled, fillcolor=\"#dbeafe\""
                 : ", shape=box, style=\"rounded,filled\", fillcolor=\"#fef3c7\"")
        << (n == 0 ? ", penwidth=2" : "") << "];\n";
  }
  dot << edges.str() << "}\n";
  return dot.str();
}

}  // namespace dl

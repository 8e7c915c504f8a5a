/// @file nn.hpp
/// @brief Modules: named parameters, submodules, train/eval mode, state dicts, and the basic layers.
///
/// A model is a module whose members are other modules and parameters, registered
/// by name in its constructor, as in PyTorch's C++ frontend. A model that maps one
/// tensor to one tensor is a `Layer` and declares `forward`:
///
/// ```cpp
/// struct Net : dl::nn::Layer {
///   dl::nn::Linear fc1{784, 256}, fc2{256, 10};
///   Net() { register_module("fc1", fc1); register_module("fc2", fc2); }
///   dl::Tensor forward(const dl::Tensor& x) override { return fc2(dl::relu(fc1(x))); }
/// };
/// ```
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dl/conv.hpp"
#include "dl/ops.hpp"
#include "dl/tensor.hpp"

namespace dl::nn {

/// Base of every layer and model: named parameters, buffers and submodules, state
/// dicts, train/eval mode. It has no `forward`: each kind of module declares its own,
/// with its own signature (`Layer::forward(x)`, `LSTM::forward(x, state)`,
/// `Embedding(ids, shape)`), so calling a module the wrong way does not compile
/// (libtorch's design), instead of throwing at run time.
///
/// Modules are registered by address, so a module is neither copied nor moved
/// once built; hold models by value in `main` or by `std::shared_ptr`.
class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// Every trainable parameter, this module's first, then each submodule's in registration order.
  std::vector<Tensor> parameters() const;
  /// Parameters with dotted names: `fc1.weight`, `fc1.bias`, ...
  NamedTensors named_parameters() const;
  /// Parameters and buffers (e.g. running statistics) with dotted names, for checkpoints.
  NamedTensors state_dict() const;
  /// Copies values into this module's tensors by name. With `strict`, a missing or
  /// unexpected name is an error; a shape mismatch always is (ShapeError), and so is a
  /// NaN or infinite value (NonFiniteError): a checkpoint of a diverged run is refused.
  void load_state_dict(const NamedTensors& state, bool strict = true);
  /// Total number of scalar parameters.
  int64_t num_parameters() const;

  /// Switches this module and its submodules to training (true) or evaluation (false) mode.
  void train(bool on = true);
  /// Same as train(false): dropout off, running statistics used.
  void eval() { train(false); }
  /// True in training mode (the default).
  bool is_training() const { return training_; }
  /// Drops the gradients of all parameters.
  void zero_grad();

  /// Name of the layer type, e.g. "Linear".
  virtual std::string type_name() const { return "Module"; }
  /// The layer's settings for printing, e.g. "in_features=784, out_features=256".
  virtual std::string extra_repr() const { return ""; }
  /// Direct submodules with their names.
  const std::vector<std::pair<std::string, Module*>>& children() const { return children_; }

 protected:
  /// Adds a trainable tensor under `name` (marks it requires_grad) and returns it.
  Tensor register_parameter(const std::string& name, Tensor value);
  /// Adds a non-trainable tensor that is saved in the state dict (e.g. running mean).
  Tensor register_buffer(const std::string& name, Tensor value);
  /// Adds a member submodule under `name`; the module must outlive this one (a member does).
  template <class M>
  M& register_module(const std::string& name, M& module) {
    add_child(name, &module);
    return module;
  }
  /// Adds a submodule that this module owns.
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module.get());
    owned_.push_back(module);
    return module;
  }

 private:
  void add_child(const std::string& name, Module* module);
  void collect(const std::string& prefix, NamedTensors& out, bool with_buffers) const;

  std::vector<std::pair<std::string, Tensor>> parameters_;
  std::vector<std::pair<std::string, Tensor>> buffers_;
  std::vector<std::pair<std::string, Module*>> children_;
  std::vector<std::shared_ptr<Module>> owned_;
  bool training_ = true;
};

/// Prints the module tree like PyTorch: `Net(\n  (fc1): Linear(in_features=784, ...)\n)`.
std::ostream& operator<<(std::ostream& os, const Module& module);

/// A module that maps one tensor to one tensor: every layer a `Sequential` holds, and
/// every model that `summary` and `train::fit_classifier` take (Keras calls them all
/// layers; a network made of layers is one too). `forward` is pure virtual, so a
/// layer without one does not compile.
class Layer : public Module {
 public:
  /// The computation: x -> y.
  virtual Tensor forward(const Tensor& x) = 0;
  /// Runs forward(x), so a layer reads like a function: `y = fc1(x)`.
  /// (Also where `summary` observes each layer's output.)
  Tensor operator()(const Tensor& x);
};

/// Affine map y = x W^T + b.  x: (..., in)  W: (out, in)  b: (out)  y: (..., out)
///
/// Initialised like PyTorch: W and b uniform in ±1/sqrt(in_features).
class Linear : public Layer {
 public:
  /// A layer with `in_features` inputs and `out_features` outputs, with or without bias.
  Linear(int64_t in_features, int64_t out_features, bool bias = true, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Linear"; }
  std::string extra_repr() const override;

  int64_t in_features;   ///< size of each input row
  int64_t out_features;  ///< size of each output row
  Tensor weight;         ///< (out_features, in_features)
  Tensor bias;           ///< (out_features), undefined without bias
};

/// relu(x) as a module.
class ReLU : public Layer {
 public:
  Tensor forward(const Tensor& x) override { return relu(x); }
  std::string type_name() const override { return "ReLU"; }
};

/// leaky_relu(x, slope) as a module.
class LeakyReLU : public Layer {
 public:
  /// Slope for negative inputs.
  explicit LeakyReLU(float negative_slope = 0.01f) : slope(negative_slope) {}
  Tensor forward(const Tensor& x) override { return leaky_relu(x, slope); }
  std::string type_name() const override { return "LeakyReLU"; }
  float slope;  ///< slope for negative inputs
};

/// tanh(x) as a module.
class Tanh : public Layer {
 public:
  Tensor forward(const Tensor& x) override { return dl::tanh(x); }
  std::string type_name() const override { return "Tanh"; }
};

/// sigmoid(x) as a module.
class Sigmoid : public Layer {
 public:
  Tensor forward(const Tensor& x) override { return sigmoid(x); }
  std::string type_name() const override { return "Sigmoid"; }
};

/// gelu(x, approximate) as a module: the exact form by default, or the tanh approximation.
class GELU : public Layer {
 public:
  /// Which formula: GeluApproximate::none (exact) or GeluApproximate::tanh.
  explicit GELU(GeluApproximate approximate = GeluApproximate::none) : approximate(approximate) {}
  Tensor forward(const Tensor& x) override { return gelu(x, approximate); }
  std::string type_name() const override { return "GELU"; }
  std::string extra_repr() const override { return approximate == GeluApproximate::tanh ? "approximate='tanh'" : ""; }
  GeluApproximate approximate;  ///< exact or tanh
};

/// flatten(x, 1): (B, ...) -> (B, prod(...)).
class Flatten : public Layer {
 public:
  Tensor forward(const Tensor& x) override { return flatten(x, 1); }
  std::string type_name() const override { return "Flatten"; }
};

/// Settings of `Conv2d`, written as designated initialisers: `{.kernel = 3, .padding = 1}`.
struct Conv2dOptions {
  int64_t kernel = 3;    ///< square kernel size
  int64_t stride = 1;    ///< step between windows
  int64_t padding = 0;   ///< zeros added on every side
  int64_t dilation = 1;  ///< spacing between kernel taps
  bool bias = true;      ///< add a learned bias per output channel
};

/// 2-D convolution layer.  x: (B, in, H, W)  weight: (out, in, k, k)  bias: (out)  y: (B, out, OH, OW)
///
/// Initialised like PyTorch: weight and bias uniform in ±1/sqrt(in * k * k).
class Conv2d : public Layer {
 public:
  /// A layer from `in_channels` to `out_channels` with the given kernel, stride, padding, dilation.
  Conv2d(int64_t in_channels, int64_t out_channels, Conv2dOptions options = {}, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Conv2d"; }
  std::string extra_repr() const override;

  int64_t in_channels;    ///< channels of the input
  int64_t out_channels;   ///< channels of the output (number of filters)
  Conv2dOptions options;  ///< kernel, stride, padding, dilation, bias
  Tensor weight;          ///< (out_channels, in_channels, kernel, kernel)
  Tensor bias;            ///< (out_channels), undefined without bias
};

/// max_pool2d as a module.  x: (B, C, H, W) -> (B, C, OH, OW)
class MaxPool2d : public Layer {
 public:
  /// Window `kernel`, step `stride` (0: same as kernel), zero `padding`.
  explicit MaxPool2d(int64_t kernel, int64_t stride = 0, int64_t padding = 0)
      : kernel(kernel), stride(stride), padding(padding) {}
  Tensor forward(const Tensor& x) override { return max_pool2d(x, kernel, stride, padding); }
  std::string type_name() const override { return "MaxPool2d"; }
  std::string extra_repr() const override;
  int64_t kernel;   ///< window size (kernel x kernel)
  int64_t stride;   ///< step between windows
  int64_t padding;  ///< zeros added on every side
};

/// avg_pool2d as a module.  x: (B, C, H, W) -> (B, C, OH, OW)
class AvgPool2d : public Layer {
 public:
  /// Window `kernel`, step `stride` (0: same as kernel), zero `padding`.
  explicit AvgPool2d(int64_t kernel, int64_t stride = 0, int64_t padding = 0)
      : kernel(kernel), stride(stride), padding(padding) {}
  Tensor forward(const Tensor& x) override { return avg_pool2d(x, kernel, stride, padding); }
  std::string type_name() const override { return "AvgPool2d"; }
  std::string extra_repr() const override;
  int64_t kernel;   ///< window size (kernel x kernel)
  int64_t stride;   ///< step between windows
  int64_t padding;  ///< zeros added on every side
};

/// Batch normalisation per channel with a learned scale and shift, and running
/// statistics (buffers, saved in the state dict) for evaluation mode.
class BatchNorm2d : public Layer {
 public:
  /// Normalises `channels` channels; `momentum` weighs each batch in the running statistics.
  explicit BatchNorm2d(int64_t channels, float eps = 1e-5f, float momentum = 0.1f);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "BatchNorm2d"; }
  std::string extra_repr() const override;
  int64_t channels;     ///< number of channels C
  float eps;            ///< added to the variance
  float momentum;       ///< weight of the newest batch in the running statistics
  Tensor weight;        ///< (C) scale, starts at 1
  Tensor bias;          ///< (C) shift, starts at 0
  Tensor running_mean;  ///< (C) buffer, starts at 0
  Tensor running_var;   ///< (C) buffer, starts at 1
};

/// Layer normalisation over the last dimension with a learned scale and shift per feature
/// (no running statistics: every row is normalised by its own mean and variance, in
/// training and evaluation alike).  x: (..., C)  weight, bias: (C)  y: (..., C)
class LayerNorm : public Layer {
 public:
  /// Normalises rows of `normalized_shape` features; without `elementwise_affine`, no weight or bias.
  explicit LayerNorm(int64_t normalized_shape, float eps = 1e-5f, bool elementwise_affine = true);
  Tensor forward(const Tensor& x) override { return layer_norm(x, weight, bias, eps); }
  std::string type_name() const override { return "LayerNorm"; }
  std::string extra_repr() const override;
  int64_t normalized_shape;  ///< C, the size of the last dimension
  float eps;                 ///< added to the variance
  Tensor weight;             ///< (C) scale, starts at 1; undefined without elementwise_affine
  Tensor bias;               ///< (C) shift, starts at 0; undefined without elementwise_affine
};

/// An output layer tied to an embedding table: y = x E^T + b, where E (V, D) is the
/// weight of an `Embedding` (weight tying, as BERT's and GPT-2's output layers). The
/// table is not registered here, only the bias (`bias`, (V), starts at 0), so the
/// optimiser steps it once and the state dict holds it once, under the embedding's name;
/// its gradient sums what the lookup and this layer send it.
/// x: (..., D)  weight: (V, D)  bias: (V)  y: (..., V)
class TiedLinear : public Layer {
 public:
  /// Shares `weight` (a handle to the same storage); with `bias`, adds a learned (V) bias.
  explicit TiedLinear(const Tensor& weight, bool bias = true);
  Tensor forward(const Tensor& x) override { return linear(x, weight, bias); }
  std::string type_name() const override { return "TiedLinear"; }
  std::string extra_repr() const override;
  Tensor weight;  ///< (V, D), the embedding's table (not a parameter of this module)
  Tensor bias;    ///< (V), undefined without bias
};

/// Randomly zeroes elements with probability p in training mode; identity in eval mode.
class Dropout : public Layer {
 public:
  /// Drop probability in [0, 1).
  explicit Dropout(float p = 0.5f, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override { return dropout(x, p, is_training(), *gen_); }
  std::string type_name() const override { return "Dropout"; }
  std::string extra_repr() const override;
  float p;  ///< drop probability

 private:
  Generator* gen_;
};

/// Applies its modules one after another. Submodules are named "0", "1", ...
class Sequential : public Layer {
 public:
  /// Appends an owned layer and returns this container (chainable).
  Sequential& add(std::shared_ptr<Layer> layer);
  /// Builds a module in place at the end and returns it.
  template <class M, class... Args>
  M& emplace(Args&&... args) {
    auto module = std::make_shared<M>(std::forward<Args>(args)...);
    add(module);
    return *module;
  }
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Sequential"; }
  /// Number of modules.
  size_t size() const { return layers_.size(); }
  /// The i-th layer.
  Layer& operator[](size_t i) { return *layers_.at(i); }

 private:
  std::vector<Layer*> layers_;
};

/// A table of each layer's output shape and parameter count for an input of
/// `input_shape` (like torchinfo), in the order the layers run. If a layer throws
/// a ShapeError, the table ends with that error, which shows where shapes stop fitting.
/// The model runs once in evaluation mode without recording a graph.
std::string summary(Layer& model, const Shape& input_shape);

}  // namespace dl::nn

/// @file optim.hpp
/// @brief Optimisers (SGD with momentum, Adam, AdamW), gradient clipping, LR schedules.
///
/// The loop is PyTorch's: `opt.zero_grad(); loss.backward(); opt.step();`.
/// Parameters whose gradient is undefined (not reached by backward) are skipped.
#pragma once

#include <vector>

#include "dl/tensor.hpp"

namespace dl::optim {

/// Base of the optimisers: holds the parameters and the learning rate.
class Optimizer {
 public:
  /// Optimises `params` (leaf tensors with requires_grad) with learning rate `lr`.
  Optimizer(std::vector<Tensor> params, float lr);
  virtual ~Optimizer() = default;
  /// Updates every parameter from its gradient.
  virtual void step() = 0;
  /// Drops every parameter's gradient.
  void zero_grad();
  /// Current learning rate.
  float lr() const { return lr_; }
  /// Changes the learning rate (for schedules).
  void set_lr(float lr) { lr_ = lr; }
  /// The parameters being optimised.
  const std::vector<Tensor>& params() const { return params_; }

 protected:
  std::vector<Tensor> params_;  ///< the optimised tensors
  float lr_;                    ///< learning rate
};

/// Settings of SGD.
struct SGDOptions {
  float lr = 0.01f;            ///< learning rate
  float momentum = 0.0f;       ///< velocity decay; 0 is plain gradient descent
  float weight_decay = 0.0f;   ///< L2 penalty added to the gradient
  bool nesterov = false;       ///< Nesterov momentum
};

/// Stochastic gradient descent, PyTorch's formulation:
/// g += wd*p;  v = momentum*v + g;  p -= lr * (nesterov ? g + momentum*v : v).
class SGD : public Optimizer {
 public:
  /// Optimises `params` with `options`.
  SGD(std::vector<Tensor> params, SGDOptions options = {});
  void step() override;

 private:
  SGDOptions options_;
  std::vector<Tensor> velocity_;
};

/// Settings of Adam and AdamW.
struct AdamOptions {
  float lr = 1e-3f;            ///< learning rate
  float beta1 = 0.9f;          ///< decay of the first-moment (mean) estimate
  float beta2 = 0.999f;        ///< decay of the second-moment estimate
  float eps = 1e-8f;           ///< added to the denominator for stability
  float weight_decay = 0.0f;   ///< Adam: L2 added to the gradient; AdamW: decoupled decay
};

/// Adam (Kingma & Ba) with bias correction; weight decay as an L2 term in the gradient.
class Adam : public Optimizer {
 public:
  /// Optimises `params` with `options`.
  Adam(std::vector<Tensor> params, AdamOptions options = {});
  void step() override;
  /// Number of steps taken.
  int64_t steps() const { return t_; }

 protected:
  /// One Adam update; `decoupled` applies weight decay to the weights directly (AdamW).
  void update(bool decoupled);
  AdamOptions options_;  ///< settings

 private:
  std::vector<Tensor> m_, v_;
  int64_t t_ = 0;
};

/// AdamW (Loshchilov & Hutter): Adam with weight decay applied to the weights,
/// p -= lr*wd*p, not mixed into the adaptive gradient. Default decay 0.01 like PyTorch.
class AdamW : public Adam {
 public:
  /// Optimises `params` with `options` (weight_decay defaults to 0.01).
  AdamW(std::vector<Tensor> params, AdamOptions options = {.weight_decay = 0.01f});
  void step() override;
};

/// AdamW as Transformers are trained: weight decay on the parameters of two or more
/// dimensions (weight matrices and embedding tables) and none on vectors (biases,
/// LayerNorm's scales and shifts), which decay would only pull towards 0 while the
/// normalisation undoes it. One AdamW per group, stepped together.
class MatrixDecayAdamW {
 public:
  /// Splits `params` by dimension; `options.weight_decay` applies to the matrices only.
  MatrixDecayAdamW(const std::vector<Tensor>& params, AdamOptions options);
  void set_lr(float lr);  ///< both groups
  void zero_grad();       ///< both groups
  void step();            ///< both groups

 private:
  AdamW decayed_, kept_;
};

/// Scales all gradients so that their joint L2 norm is at most `max_norm`: if the
/// norm exceeds it, every gradient is multiplied by max_norm / (norm + 1e-6)
/// (PyTorch's formula). The squares are summed element by element in double, so
/// gradients too large to square in float still clip to finite values. Returns the
/// norm before clipping (useful to log). Throws std::invalid_argument if max_norm <= 0.
float clip_grad_norm(const std::vector<Tensor>& params, float max_norm);

/// Cosine annealing from `base_lr` at step 0 to `final_lr` at `total_steps`.
float cosine_lr(int64_t step, int64_t total_steps, float base_lr, float final_lr = 0.0f);

}  // namespace dl::optim

// Optimisers: each step is a few Eigen array expressions per parameter.
#include "dl/optim.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

#include "dl/eigen.hpp"

namespace dl::optim {

Optimizer::Optimizer(std::vector<Tensor> params, float lr) : params_(std::move(params)), lr_(lr) {
  for (const Tensor& p : params_)
    if (!p.requires_grad() || !p.is_leaf())
      throw Error("optimizer: every parameter must be a leaf tensor with requires_grad (got one of shape " +
                  to_string(p.shape()) + ")");
}

void Optimizer::zero_grad() {
  for (Tensor& p : params_) p.zero_grad();
}

SGD::SGD(std::vector<Tensor> params, SGDOptions options) : Optimizer(std::move(params), options.lr), options_(options) {
  for (const Tensor& p : params_) velocity_.push_back(options_.momentum != 0.0f ? Tensor::zeros(p.shape()) : Tensor());
}

void SGD::step() {
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor& p = params_[i];
    if (!p.grad().defined()) continue;
    ArrMap w = as_array(p);
    Eigen::ArrayXf g = as_array(p.grad());
    if (options_.weight_decay != 0.0f) g += options_.weight_decay * w;
    if (options_.momentum != 0.0f) {
      ArrMap v = as_array(velocity_[i]);
      v = options_.momentum * v + g;
      if (options_.nesterov)
        g += options_.momentum * v;
      else
        g = v;
    }
    w -= lr_ * g;
  }
}

Adam::Adam(std::vector<Tensor> params, AdamOptions options) : Optimizer(std::move(params), options.lr), options_(options) {
  for (const Tensor& p : params_) {
    m_.push_back(Tensor::zeros(p.shape()));
    v_.push_back(Tensor::zeros(p.shape()));
  }
}

void Adam::step() { update(false); }

void Adam::update(bool decoupled) {
  ++t_;
  const float b1 = options_.beta1, b2 = options_.beta2;
  const float correction1 = 1.0f - std::pow(b1, static_cast<float>(t_));
  const float correction2 = 1.0f - std::pow(b2, static_cast<float>(t_));
  const float step_size = lr_ / correction1;
  const float sqrt_c2 = std::sqrt(correction2);
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor& p = params_[i];
    if (!p.grad().defined()) continue;
    ArrMap w = as_array(p), m = as_array(m_[i]), v = as_array(v_[i]);
    ConstArrMap g = as_array(p.grad());
    if (decoupled) {
      w *= 1.0f - lr_ * options_.weight_decay;  // AdamW: shrink the weights themselves
      m = b1 * m + (1.0f - b1) * g;
      v = b2 * v + (1.0f - b2) * g.square();
    } else {
      const Eigen::ArrayXf gd = g + options_.weight_decay * w;  // Adam: L2 in the gradient
      m = b1 * m + (1.0f - b1) * gd;
      v = b2 * v + (1.0f - b2) * gd.square();
    }
    // w -= lr * m_hat / (sqrt(v_hat) + eps), with the bias corrections folded in
    w -= step_size * m / (v.sqrt() / sqrt_c2 + options_.eps);
  }
}

AdamW::AdamW(std::vector<Tensor> params, AdamOptions options) : Adam(std::move(params), options) {}

void AdamW::step() { update(true); }

// [clip-grad-norm]
float clip_grad_norm(const std::vector<Tensor>& params, float max_norm) {
  if (!(max_norm > 0.0f))
    throw std::invalid_argument("clip_grad_norm: max_norm must be positive, got " + std::to_string(max_norm));
  // Every square is formed and summed in double: a float holds squares only up to
  // about 3e38, so a single gradient element of 2e19 would make a float sum infinite.
  double squares = 0.0;
  for (const Tensor& p : params)
    if (p.grad().defined()) squares += as_array(p.grad()).cast<double>().square().sum();
  const double norm = std::sqrt(squares);
  if (norm > max_norm) {
    const float scale = static_cast<float>(max_norm / (norm + 1e-6));  // PyTorch's 1e-6
    for (const Tensor& p : params)
      if (p.grad().defined()) {
        Tensor g = p.grad();
        as_array(g) *= scale;
      }
  }
  return static_cast<float>(norm);
}
// [clip-grad-norm]

float cosine_lr(int64_t step, int64_t total_steps, float base_lr, float final_lr) {
  if (total_steps <= 0 || step >= total_steps) return final_lr;
  const double progress = static_cast<double>(step) / static_cast<double>(total_steps);
  return final_lr + (base_lr - final_lr) * static_cast<float>(0.5 * (1.0 + std::cos(std::numbers::pi * progress)));
}

namespace {
std::vector<Tensor> parameters_where(const std::vector<Tensor>& params, bool matrices) {
  std::vector<Tensor> out;
  for (const Tensor& t : params)
    if ((t.dim() >= 2) == matrices) out.push_back(t);
  return out;
}
AdamOptions without_decay(AdamOptions options) {
  options.weight_decay = 0.0f;
  return options;
}
}  // namespace

MatrixDecayAdamW::MatrixDecayAdamW(const std::vector<Tensor>& params, AdamOptions options)
    : decayed_(parameters_where(params, true), options), kept_(parameters_where(params, false), without_decay(options)) {}

void MatrixDecayAdamW::set_lr(float lr) { decayed_.set_lr(lr), kept_.set_lr(lr); }
void MatrixDecayAdamW::zero_grad() { decayed_.zero_grad(), kept_.zero_grad(); }
void MatrixDecayAdamW::step() { decayed_.step(), kept_.step(); }

}  // namespace dl::optim

// Optimisers against hand-computed updates, and gradient clipping.
#include <catch2/catch.hpp>
#include <cmath>
#include <stdexcept>

#include "dl/optim.hpp"
#include "dl/ops.hpp"

using dl::Tensor;

namespace {
// Sets grad = g on a fresh parameter by backpropagating sum(w * g).
void set_grad(Tensor& w, const std::vector<float>& g) {
  w.zero_grad();
  dl::sum(w * Tensor::from_data({static_cast<int64_t>(g.size())}, g)).backward();
}
}  // namespace

TEST_CASE("sgd: plain, momentum, nesterov and weight decay follow PyTorch's formulas", "[optim]") {
  Tensor w = Tensor::from_data({2}, {1, -1}).requires_grad_();
  dl::optim::SGD plain({w}, {.lr = 0.1f});
  set_grad(w, {1, 2});
  plain.step();
  CHECK(w.to_vector()[0] == Approx(0.9f));
  CHECK(w.to_vector()[1] == Approx(-1.2f));

  Tensor m = Tensor::from_data({1}, {0}).requires_grad_();
  dl::optim::SGD momentum({m}, {.lr = 0.1f, .momentum = 0.9f});
  set_grad(m, {1});
  momentum.step();  // v = 1, w = -0.1
  set_grad(m, {1});
  momentum.step();  // v = 1.9, w = -0.29
  CHECK(m.item() == Approx(-0.29f));

  Tensor n = Tensor::from_data({1}, {0}).requires_grad_();
  dl::optim::SGD nesterov({n}, {.lr = 0.1f, .momentum = 0.9f, .nesterov = true});
  set_grad(n, {1});
  nesterov.step();  // v = 1, step g + 0.9 v = 1.9
  CHECK(n.item() == Approx(-0.19f));

  Tensor d = Tensor::from_data({1}, {2}).requires_grad_();
  dl::optim::SGD decay({d}, {.lr = 0.1f, .weight_decay = 0.5f});
  set_grad(d, {0});
  decay.step();  // g = 0 + 0.5 * 2 = 1
  CHECK(d.item() == Approx(1.9f));
}

TEST_CASE("adam: the first step moves each weight by lr against the gradient's sign", "[optim]") {
  Tensor w = Tensor::from_data({3}, {0, 0, 0}).requires_grad_();
  dl::optim::Adam adam({w}, {.lr = 0.01f});
  set_grad(w, {3, -0.5f, 0});
  adam.step();
  CHECK(w.to_vector()[0] == Approx(-0.01f).epsilon(1e-4));
  CHECK(w.to_vector()[1] == Approx(0.01f).epsilon(1e-4));
  CHECK(w.to_vector()[2] == 0.0f);
  // Second step with the same gradient: m_hat = g, v_hat = g^2 again.
  set_grad(w, {3, -0.5f, 0});
  adam.step();
  CHECK(w.to_vector()[0] == Approx(-0.02f).epsilon(1e-4));
  CHECK(adam.steps() == 2);
}

TEST_CASE("adamw: decay shrinks the weights directly, adam adds it to the gradient", "[optim]") {
  Tensor a = Tensor::from_data({1}, {1}).requires_grad_();
  Tensor b = Tensor::from_data({1}, {1}).requires_grad_();
  dl::optim::AdamW adamw({a}, {.lr = 0.1f, .weight_decay = 0.5f});
  dl::optim::Adam adam({b}, {.lr = 0.1f, .weight_decay = 0.5f});
  set_grad(a, {0});
  set_grad(b, {0});
  adamw.step();  // w *= 1 - 0.1*0.5, then the zero gradient moves nothing
  adam.step();   // g = 0.5 -> a normalised step of lr
  CHECK(a.item() == Approx(0.95f));
  CHECK(b.item() == Approx(0.9f).epsilon(1e-4));
}

TEST_CASE("optimisers: minimise a quadratic bowl", "[optim]") {
  for (int which = 0; which < 3; ++which) {
    Tensor w = Tensor::from_data({2}, {3, -2}).requires_grad_();
    std::unique_ptr<dl::optim::Optimizer> opt;
    if (which == 0) opt = std::make_unique<dl::optim::SGD>(std::vector<Tensor>{w}, dl::optim::SGDOptions{.lr = 0.1f, .momentum = 0.5f});
    if (which == 1) opt = std::make_unique<dl::optim::Adam>(std::vector<Tensor>{w}, dl::optim::AdamOptions{.lr = 0.1f});
    if (which == 2) opt = std::make_unique<dl::optim::AdamW>(std::vector<Tensor>{w}, dl::optim::AdamOptions{.lr = 0.1f});
    for (int i = 0; i < 300; ++i) {
      opt->zero_grad();
      dl::sum(dl::pow(w - 1.0f, 2.0f)).backward();
      opt->step();
    }
    INFO("optimizer " << which);
    CHECK(w.to_vector()[0] == Approx(1.0f).margin(0.02));
    CHECK(w.to_vector()[1] == Approx(1.0f).margin(0.02));
  }
}

TEST_CASE("clip_grad_norm: scales to the limit and returns the norm before", "[optim]") {
  Tensor a = Tensor::zeros({2}).requires_grad_();
  Tensor b = Tensor::zeros({1}).requires_grad_();
  set_grad(a, {3, 0});
  set_grad(b, {4});
  CHECK(dl::optim::clip_grad_norm({a, b}, 1.0f) == Approx(5.0f));
  CHECK(a.grad().to_vector()[0] == Approx(0.6f).epsilon(1e-4));
  CHECK(b.grad().to_vector()[0] == Approx(0.8f).epsilon(1e-4));
  CHECK(dl::optim::clip_grad_norm({a, b}, 10.0f) == Approx(1.0f).epsilon(1e-4));
  CHECK(b.grad().to_vector()[0] == Approx(0.8f).epsilon(1e-4));  // under the limit: untouched
}

TEST_CASE("clip_grad_norm: gradients too large or too small to square in float give their true norm", "[optim]") {
  // 3e20 squared is 9e40, beyond float's 3.4e38: summed in float the norm was inf and
  // the scale max_norm / inf zeroed every gradient.
  Tensor huge = Tensor::zeros({2}).requires_grad_();
  set_grad(huge, {3e20f, -4e20f});
  CHECK(dl::optim::clip_grad_norm({huge}, 1.0f) == Approx(5e20f).epsilon(1e-6));
  for (float g : huge.grad().to_vector()) CHECK(std::isfinite(g));
  CHECK(huge.grad().to_vector()[0] == Approx(0.6f).epsilon(1e-5));
  CHECK(huge.grad().to_vector()[1] == Approx(-0.8f).epsilon(1e-5));
  // 3e-25 squared is 9e-50, below the smallest float: summed in float the norm was 0.
  Tensor tiny = Tensor::zeros({2}).requires_grad_();
  set_grad(tiny, {3e-25f, 4e-25f});
  CHECK(dl::optim::clip_grad_norm({tiny}, 1.0f) == Approx(5e-25f).epsilon(1e-6));
  CHECK(tiny.grad().to_vector() == std::vector<float>{3e-25f, 4e-25f});  // under the limit: untouched
}

TEST_CASE("clip_grad_norm: a max_norm of 0 or below throws std::invalid_argument", "[optim][errors]") {
  Tensor a = Tensor::zeros({2}).requires_grad_();
  set_grad(a, {3, 4});
  CHECK_THROWS_AS(dl::optim::clip_grad_norm({a}, 0.0f), std::invalid_argument);
  CHECK_THROWS_AS(dl::optim::clip_grad_norm({a}, -1.0f), std::invalid_argument);
  CHECK(a.grad().to_vector() == std::vector<float>{3, 4});
}

TEST_CASE("cosine_lr: starts at base, halves midway, ends at final", "[optim]") {
  CHECK(dl::optim::cosine_lr(0, 100, 1.0f) == Approx(1.0f));
  CHECK(dl::optim::cosine_lr(50, 100, 1.0f) == Approx(0.5f));
  CHECK(dl::optim::cosine_lr(100, 100, 1.0f, 0.1f) == Approx(0.1f));
}

TEST_CASE("optimizer: rejects tensors that are not trainable leaves", "[optim][errors]") {
  Tensor plain = Tensor::ones({2});
  CHECK_THROWS_WITH(dl::optim::SGD({plain}), Catch::Contains("requires_grad"));
}

// Tests of the exercise sgd_momentum_step; its stub and task are in exercises/01-deep-learning/sgd_momentum_step/.
#include "dl/optim.hpp"
#include "exercise_support.hpp"

TEST_CASE("sgd_momentum_step: two steps from zero velocity, computed by hand", "[sgd_momentum_step]") {
  dl::Tensor param = dl::Tensor::from_data({2}, {1.0f, -2.0f});
  dl::Tensor velocity = dl::Tensor::zeros({2});
  ex::sgd_momentum_step(param, dl::Tensor::from_data({2}, {0.5f, 0.5f}), velocity, 0.1f, 0.9f, 0.0f);
  CHECK(velocity.at(0) == Approx(0.5f).margin(1e-6));
  CHECK(velocity.at(1) == Approx(0.5f).margin(1e-6));
  CHECK(param.at(0) == Approx(0.95f).margin(1e-6));
  CHECK(param.at(1) == Approx(-2.05f).margin(1e-6));
  // The second step keeps 0.9 of the first step's velocity.
  ex::sgd_momentum_step(param, dl::Tensor::from_data({2}, {1.0f, -1.0f}), velocity, 0.1f, 0.9f, 0.0f);
  CHECK(velocity.at(0) == Approx(1.45f).margin(1e-6));
  CHECK(velocity.at(1) == Approx(-0.55f).margin(1e-6));
  CHECK(param.at(0) == Approx(0.805f).margin(1e-6));
  CHECK(param.at(1) == Approx(-1.995f).margin(1e-6));
}

TEST_CASE("sgd_momentum_step: weight decay uses the old param and goes through the velocity", "[sgd_momentum_step]") {
  dl::Tensor param = dl::Tensor::from_data({2}, {2.0f, -1.0f});
  dl::Tensor velocity = dl::Tensor::from_data({2}, {0.5f, 1.0f});
  ex::sgd_momentum_step(param, dl::Tensor::from_data({2}, {1.0f, 0.0f}), velocity, 0.5f, 0.9f, 0.1f);
  // g = (1.2, -0.1);  v = 0.9 (0.5, 1) + g = (1.65, 0.8);  p -= 0.5 v
  CHECK(velocity.at(0) == Approx(1.65f).margin(1e-6));
  CHECK(velocity.at(1) == Approx(0.8f).margin(1e-6));
  CHECK(param.at(0) == Approx(1.175f).margin(1e-6));
  CHECK(param.at(1) == Approx(-1.4f).margin(1e-6));
}

TEST_CASE("sgd_momentum_step: six steps match dl::optim::SGD with momentum and weight decay", "[sgd_momentum_step]") {
  struct Case {
    float lr, momentum, weight_decay;
  };
  for (const Case c : {Case{0.05f, 0.9f, 1e-2f}, Case{0.1f, 0.5f, 0.0f}, Case{0.02f, 0.0f, 0.1f}}) {
    INFO("lr " << c.lr << ", momentum " << c.momentum << ", weight_decay " << c.weight_decay);
    dl::Tensor reference = test::random_tensor({3, 5}, 41).requires_grad_();
    dl::optim::SGD opt({reference}, {.lr = c.lr, .momentum = c.momentum, .weight_decay = c.weight_decay});
    dl::Tensor param = test::random_tensor({3, 5}, 41);
    dl::Tensor velocity = dl::Tensor::zeros({3, 5});
    for (uint64_t step = 0; step < 6; ++step) {
      INFO("step " << step);
      const dl::Tensor grad = test::random_tensor({3, 5}, 50 + step);
      opt.zero_grad();
      (reference * grad).sum().backward();  // sets reference.grad() to grad
      opt.step();
      ex::sgd_momentum_step(param, grad, velocity, c.lr, c.momentum, c.weight_decay);
      CHECK(test::max_scaled_diff(param, reference.detach()) < 1e-5f);
    }
  }
}

TEST_CASE("sgd_momentum_step: updates in place and leaves grad unchanged", "[sgd_momentum_step]") {
  dl::Tensor param = test::random_tensor({4, 3}, 61);
  dl::Tensor velocity = test::random_tensor({4, 3}, 62);
  const dl::Tensor grad = test::random_tensor({4, 3}, 63);
  const std::vector<float> p0 = param.to_vector(), v0 = velocity.to_vector(), g0 = grad.to_vector();
  const dl::Tensor param_alias = param, velocity_alias = velocity;  // handles sharing the storage
  ex::sgd_momentum_step(param, grad, velocity, 0.1f, 0.9f, 0.01f);
  CHECK(grad.to_vector() == g0);
  INFO("param and velocity must be updated in their own storage, not replaced by new tensors");
  CHECK(param.data() == param_alias.data());
  CHECK(velocity.data() == velocity_alias.data());
  for (size_t i = 0; i < p0.size(); ++i) {
    const float v = 0.9f * v0[i] + g0[i] + 0.01f * p0[i];
    CHECK(velocity_alias.at(int64_t(i)) == Approx(v).margin(1e-5));
    CHECK(param_alias.at(int64_t(i)) == Approx(p0[i] - 0.1f * v).margin(1e-5));
  }
}

TEST_CASE("sgd_momentum_step: lr 0 moves nothing but still updates the velocity", "[sgd_momentum_step]") {
  dl::Tensor param = dl::Tensor::from_data({3}, {1.0f, 2.0f, 3.0f});
  dl::Tensor velocity = dl::Tensor::from_data({3}, {1.0f, 1.0f, 1.0f});
  ex::sgd_momentum_step(param, dl::Tensor::from_data({3}, {0.25f, -0.5f, 0.0f}), velocity, 0.0f, 0.5f, 0.0f);
  CHECK(param.to_vector() == std::vector<float>{1.0f, 2.0f, 3.0f});
  CHECK(velocity.to_vector() == std::vector<float>{0.75f, 0.0f, 0.5f});
}

TEST_CASE("sgd_momentum_step: a grad or velocity of another shape throws a ShapeError", "[sgd_momentum_step]") {
  dl::Tensor param = dl::Tensor::zeros({2, 3}), velocity = dl::Tensor::zeros({2, 3});
  CHECK_THROWS_AS(ex::sgd_momentum_step(param, dl::Tensor::zeros({3, 2}), velocity, 0.1f, 0.9f, 0.0f), dl::ShapeError);
  dl::Tensor short_velocity = dl::Tensor::zeros({6});
  CHECK_THROWS_AS(ex::sgd_momentum_step(param, dl::Tensor::zeros({2, 3}), short_velocity, 0.1f, 0.9f, 0.0f),
                  dl::ShapeError);
}

// Tests of the exercise layer_norm_backward; its stub and task are in exercises/04-nlp/layer_norm_backward/.
#include <cmath>
#include <stdexcept>

#include "exercise_support.hpp"

namespace {

// sum(y * dy) for y = layer_norm(x) gamma + beta, in double: the loss whose gradients a
// correct backward returns when dy is its upstream gradient.
struct Problem {
  int64_t n, c;
  std::vector<double> x, gamma, beta, dy;
  double eps;

  double loss() const {
    double total = 0;
    for (int64_t r = 0; r < n; ++r) {
      double mu = 0, var = 0;
      for (int64_t j = 0; j < c; ++j) mu += x[static_cast<size_t>(r * c + j)];
      mu /= double(c);
      for (int64_t j = 0; j < c; ++j) var += std::pow(x[static_cast<size_t>(r * c + j)] - mu, 2);
      var /= double(c);
      for (int64_t j = 0; j < c; ++j) {
        const auto i = static_cast<size_t>(r * c + j);
        const double y = (x[i] - mu) / std::sqrt(var + eps) * gamma[static_cast<size_t>(j)] + beta[static_cast<size_t>(j)];
        total += y * dy[i];
      }
    }
    return total;
  }

  // Central differences of loss() with respect to every element of `v` (x, gamma or beta).
  std::vector<double> numeric(std::vector<double> Problem::*member) {
    std::vector<double>& v = this->*member;
    std::vector<double> grad(v.size());
    const double h = 1e-6;
    for (size_t i = 0; i < v.size(); ++i) {
      const double saved = v[i];
      v[i] = saved + h;
      const double up = loss();
      v[i] = saved - h;
      const double down = loss();
      v[i] = saved;
      grad[i] = (up - down) / (2 * h);
    }
    return grad;
  }
};

std::vector<double> as_double(const dl::Tensor& t) {
  const std::vector<float> f = t.to_vector();
  return {f.begin(), f.end()};
}

void check_close(const dl::Tensor& got, const std::vector<double>& want, double tolerance) {
  REQUIRE(got.numel() == static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("element " << i);
    CHECK(got.at(static_cast<int64_t>(i)) == Approx(want[i]).margin(tolerance).epsilon(tolerance));
  }
}

// x with rows shifted away from 0, gamma and dy from fixed seeds.
struct Inputs {
  dl::Tensor x, gamma, beta, dy;
};

Inputs random_inputs(int64_t n, int64_t c, uint64_t seed, float scale, float shift) {
  return {test::random_tensor({n, c}, seed, scale) + shift, test::random_tensor({c}, seed + 1) + 1.0f,
          test::random_tensor({c}, seed + 2), test::random_tensor({n, c}, seed + 3)};
}

}  // namespace

TEST_CASE("layer_norm_backward: a worked example", "[layer_norm_backward]") {
  // One row x = (0, 0, 3, 3): mu = 1.5, var = 2.25, sigma = 1.5 (eps is tiny beside it),
  // xhat = (-1, -1, 1, 1). With gamma = (2, 1, 1, 1) and dy = (1, 0, 0, 0): g = dy gamma =
  // (2, 0, 0, 0), mean(g) = 0.5, mean(g xhat) = -0.5, so
  // dx = (1/1.5) ((2, 0, 0, 0) - 0.5 + 0.5 xhat) = (2/3, -2/3, 0, 0).
  const dl::Tensor x = dl::Tensor::from_data({1, 4}, {0, 0, 3, 3});
  const dl::Tensor gamma = dl::Tensor::from_data({4}, {2, 1, 1, 1});
  const dl::Tensor dy = dl::Tensor::from_data({1, 4}, {1, 0, 0, 0});
  const ex::LayerNormGrads g = ex::layer_norm_backward(x, gamma, dy, 1e-5f);
  REQUIRE(g.dx.shape() == dl::Shape{1, 4});
  REQUIRE(g.dgamma.shape() == dl::Shape{4});
  REQUIRE(g.dbeta.shape() == dl::Shape{4});
  check_close(g.dx, {2.0 / 3, -2.0 / 3, 0, 0}, 1e-5);
  check_close(g.dgamma, {-1, 0, 0, 0}, 1e-5);  // dy xhat
  check_close(g.dbeta, {1, 0, 0, 0}, 1e-5);    // dy
}

TEST_CASE("layer_norm_backward: matches the backward of dl::layer_norm", "[layer_norm_backward]") {
  struct Case {
    int64_t n, c;
    float scale, shift, eps;
  };
  uint64_t seed = 5000;
  for (const Case k : {Case{3, 5, 1.0f, 0.0f, 1e-5f}, Case{8, 64, 2.0f, 10.0f, 1e-5f}, Case{1, 7, 0.1f, -3.0f, 1e-3f},
                       Case{16, 3, 1.0f, 0.0f, 1e-5f}, Case{5, 1, 1.0f, 2.0f, 1e-5f}, Case{2, 768, 1.0f, 0.5f, 1e-12f}}) {
    INFO("N = " << k.n << ", C = " << k.c << ", scale " << k.scale << ", shift " << k.shift << ", eps " << k.eps);
    seed += 10;
    const Inputs in = random_inputs(k.n, k.c, seed, k.scale, k.shift);
    dl::Tensor x = in.x.clone(), gamma = in.gamma.clone(), beta = in.beta.clone();
    x.requires_grad_();
    gamma.requires_grad_();
    beta.requires_grad_();
    dl::layer_norm(x, gamma, beta, k.eps).backward(in.dy);
    const ex::LayerNormGrads g = ex::layer_norm_backward(in.x, in.gamma, in.dy, k.eps);
    REQUIRE(g.dx.shape() == dl::Shape{k.n, k.c});
    REQUIRE(g.dgamma.shape() == dl::Shape{k.c});
    REQUIRE(g.dbeta.shape() == dl::Shape{k.c});
    check_close(g.dx, as_double(x.grad()), 2e-4);
    check_close(g.dgamma, as_double(gamma.grad()), 2e-4);
    check_close(g.dbeta, as_double(beta.grad()), 2e-4);
  }
}

TEST_CASE("layer_norm_backward: all three gradients match finite differences", "[layer_norm_backward]") {
  struct Case {
    int64_t n, c;
    float eps;
  };
  uint64_t seed = 5200;
  for (const Case k : {Case{2, 5, 1e-5f}, Case{3, 1, 1e-5f}, Case{4, 8, 0.5f}, Case{1, 2, 1e-5f}}) {
    INFO("N = " << k.n << ", C = " << k.c << ", eps " << k.eps);
    seed += 10;
    const Inputs in = random_inputs(k.n, k.c, seed, 1.0f, 0.0f);
    Problem p{k.n, k.c, as_double(in.x), as_double(in.gamma), as_double(in.beta), as_double(in.dy), double(k.eps)};
    const ex::LayerNormGrads g = ex::layer_norm_backward(in.x, in.gamma, in.dy, k.eps);
    check_close(g.dx, p.numeric(&Problem::x), 1e-4);
    check_close(g.dgamma, p.numeric(&Problem::gamma), 1e-4);
    check_close(g.dbeta, p.numeric(&Problem::beta), 1e-4);
  }
}

TEST_CASE("layer_norm_backward: a constant row has finite gradients", "[layer_norm_backward]") {
  // var = 0, so sigma = sqrt(eps) and xhat = 0: dx = (g - mean(g)) / sqrt(eps), dgamma gets 0.
  const dl::Tensor x = dl::Tensor::from_data({2, 3}, {4, 4, 4, 1, 2, 6});
  const dl::Tensor gamma = dl::Tensor::from_data({3}, {1, 2, 3});
  const dl::Tensor dy = dl::Tensor::from_data({2, 3}, {1, 0, 0, 0, 1, 0});
  const ex::LayerNormGrads g = ex::layer_norm_backward(x, gamma, dy, 1e-4f);
  for (const dl::Tensor* t : {&g.dx, &g.dgamma, &g.dbeta})
    for (float v : t->to_vector()) REQUIRE(std::isfinite(v));
  // row 0: g = (1, 0, 0), mean 1/3: dx = (2/3, -1/3, -1/3) / 0.01
  for (int64_t j = 0; j < 3; ++j) CHECK(g.dx.at(j) == Approx((j == 0 ? 2.0 : -1.0) / 3 / 0.01).epsilon(1e-4));
}

TEST_CASE("layer_norm_backward: the inputs are left as they were", "[layer_norm_backward]") {
  const Inputs in = random_inputs(3, 4, 5400, 1.0f, 0.0f);
  const std::vector<float> x0 = in.x.to_vector(), gamma0 = in.gamma.to_vector(), dy0 = in.dy.to_vector();
  ex::layer_norm_backward(in.x, in.gamma, in.dy, 1e-5f);
  CHECK(in.x.to_vector() == x0);
  CHECK(in.gamma.to_vector() == gamma0);
  CHECK(in.dy.to_vector() == dy0);
}

TEST_CASE("layer_norm_backward: bad shapes throw dl::ShapeError and eps <= 0 std::invalid_argument",
          "[layer_norm_backward]") {
  const dl::Tensor x = dl::Tensor::zeros({2, 3}), gamma = dl::Tensor::ones({3});
  CHECK_THROWS_AS(ex::layer_norm_backward(dl::Tensor::zeros({6}), gamma, dl::Tensor::zeros({6}), 1e-5f),
                  dl::ShapeError);
  CHECK_THROWS_AS(ex::layer_norm_backward(x, dl::Tensor::ones({2}), x, 1e-5f), dl::ShapeError);
  CHECK_THROWS_AS(ex::layer_norm_backward(x, dl::Tensor::ones({1, 3}), x, 1e-5f), dl::ShapeError);
  CHECK_THROWS_AS(ex::layer_norm_backward(x, gamma, dl::Tensor::zeros({3, 2}), 1e-5f), dl::ShapeError);
  CHECK_THROWS_AS(ex::layer_norm_backward(x, gamma, dl::Tensor::zeros({2, 3, 1}), 1e-5f), dl::ShapeError);
  CHECK_THROWS_AS(ex::layer_norm_backward(x, gamma, x, 0.0f), std::invalid_argument);
  CHECK_THROWS_AS(ex::layer_norm_backward(x, gamma, x, -1e-5f), std::invalid_argument);
}

// Tests of the exercise sgns_gradient; its stub and task are in exercises/04-nlp/sgns_gradient/.
#include <cmath>

#include "exercise_support.hpp"

namespace {

// The loss written straight from its definition, in double: -log σ(u_0·v) - Σ_k log σ(-u_k·v).
// Fine for the moderate dot products it is used with (|s| below 30).
double sgns_loss(const std::vector<double>& v, const std::vector<double>& u, int64_t rows) {
  const auto dim = static_cast<int64_t>(v.size());
  double loss = 0;
  for (int64_t j = 0; j < rows; ++j) {
    double s = 0;
    for (int64_t d = 0; d < dim; ++d) s += u[static_cast<size_t>(j * dim + d)] * v[static_cast<size_t>(d)];
    const double sign = j == 0 ? 1.0 : -1.0;
    loss -= std::log(1.0 / (1.0 + std::exp(-sign * s)));
  }
  return loss;
}

std::vector<double> as_double(const dl::Tensor& t) {
  const std::vector<float> f = t.to_vector();
  return {f.begin(), f.end()};
}

// Central differences of sgns_loss with respect to every element of `x` (v or u), in double.
std::vector<double> numeric(std::vector<double> v, std::vector<double> u, int64_t rows, bool of_v) {
  std::vector<double>& x = of_v ? v : u;
  std::vector<double> grad(x.size());
  const double eps = 1e-5;
  for (size_t i = 0; i < x.size(); ++i) {
    const double saved = x[i];
    x[i] = saved + eps;
    const double up = sgns_loss(v, u, rows);
    x[i] = saved - eps;
    const double down = sgns_loss(v, u, rows);
    x[i] = saved;
    grad[i] = (up - down) / (2 * eps);
  }
  return grad;
}

void check_close(const dl::Tensor& got, const std::vector<double>& want, double tolerance) {
  REQUIRE(got.numel() == static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("element " << i);
    CHECK(got.at(static_cast<int64_t>(i)) == Approx(want[i]).margin(tolerance).epsilon(tolerance));
  }
}

}  // namespace

TEST_CASE("sgns_gradient: a worked example with one context word and two negatives", "[sgns_gradient]") {
  // s_0 = u_0·v = 2, s_1 = 0, s_2 = -1.
  const dl::Tensor v = dl::Tensor::from_data({2}, {1.0f, 0.0f});
  const dl::Tensor u = dl::Tensor::from_data({3, 2}, {2.0f, 0.0f, 0.0f, 1.0f, -1.0f, 0.0f});
  const ex::SgnsGrads g = ex::sgns_gradient(v, u);
  const auto sigma = [](double s) { return 1.0 / (1.0 + std::exp(-s)); };
  // -log σ(2) - log σ(-0) - log σ(1)
  CHECK(g.loss == Approx(-std::log(sigma(2)) - std::log(0.5) - std::log(sigma(1))).epsilon(1e-6));
  REQUIRE(g.dv.shape() == dl::Shape{2});
  REQUIRE(g.du.shape() == dl::Shape{3, 2});
  // dv = (σ(2) - 1) u_0 + σ(0) u_1 + σ(-1) u_2
  check_close(g.dv, {(sigma(2) - 1) * 2 + sigma(-1) * -1, 0.5}, 1e-6);
  // du_0 = (σ(2) - 1) v, du_1 = σ(0) v, du_2 = σ(-1) v
  check_close(g.du, {sigma(2) - 1, 0, 0.5, 0, sigma(-1), 0}, 1e-6);
}

TEST_CASE("sgns_gradient: the loss and both gradients match finite differences", "[sgns_gradient]") {
  struct Case {
    int64_t negatives, dim;
    float scale;
  };
  uint64_t seed = 4000;
  for (const Case c : {Case{5, 8, 0.5f}, Case{0, 4, 1.0f}, Case{1, 1, 2.0f}, Case{10, 16, 0.3f}, Case{3, 6, 1.5f}}) {
    INFO("K = " << c.negatives << ", D = " << c.dim << ", scale " << c.scale);
    const int64_t rows = 1 + c.negatives;
    const dl::Tensor v = test::random_tensor({c.dim}, ++seed, c.scale);
    const dl::Tensor u = test::random_tensor({rows, c.dim}, ++seed, c.scale);
    const ex::SgnsGrads g = ex::sgns_gradient(v, u);
    const std::vector<double> vd = as_double(v), ud = as_double(u);
    CHECK(g.loss == Approx(sgns_loss(vd, ud, rows)).epsilon(1e-5));
    REQUIRE(g.dv.shape() == dl::Shape{c.dim});
    REQUIRE(g.du.shape() == dl::Shape{rows, c.dim});
    check_close(g.dv, numeric(vd, ud, rows, true), 1e-4);
    check_close(g.du, numeric(vd, ud, rows, false), 1e-4);
  }
}

TEST_CASE("sgns_gradient: the inputs are left as they were", "[sgns_gradient]") {
  const dl::Tensor v = test::random_tensor({5}, 71);
  const dl::Tensor u = test::random_tensor({4, 5}, 72);
  const std::vector<float> v_before = v.to_vector(), u_before = u.to_vector();
  ex::sgns_gradient(v, u);
  CHECK(v.to_vector() == v_before);
  CHECK(u.to_vector() == u_before);
}

TEST_CASE("sgns_gradient: dot products in the hundreds give a finite loss and exact limits",
          "[sgns_gradient]") {
  // v = (10, 0, 0), so u_j·v is 10 times u_j's first entry: the context word scored very
  // low (-800), a negative scored very high (900), a negative rightly scored very low
  // (-500) and one scored 0. exp(800) overflows even a double.
  const dl::Tensor v = dl::Tensor::from_data({3}, {10.0f, 0.0f, 0.0f});
  const dl::Tensor u =
      dl::Tensor::from_data({4, 3}, {-80.0f, 1.0f, 0.0f, 90.0f, 0.0f, 2.0f, -50.0f, 3.0f, 0.0f, 0.0f, 0.0f, 1.0f});
  const ex::SgnsGrads g = ex::sgns_gradient(v, u);
  INFO("-log σ(-800) = 800 + log(1 + e^-800), -log σ(-900) = 900 + ..., -log σ(500) = 0 + ..., -log σ(0) = log 2");
  REQUIRE(std::isfinite(g.loss));
  CHECK(g.loss == Approx(1700.0 + std::log(2.0)).epsilon(1e-6));
  // dL/ds is -1, 1, 0 and 1/2 for the four rows.
  check_close(g.dv, {80.0 + 90.0, -1.0, 2.0 + 0.5}, 1e-5);
  check_close(g.du, {-10, 0, 0, 10, 0, 0, 0, 0, 0, 5, 0, 0}, 1e-5);

  INFO("and the other way round: every word scored right, the loss and the gradients are about 0");
  const dl::Tensor right = dl::Tensor::from_data({2, 3}, {80.0f, 0.0f, 0.0f, -90.0f, 0.0f, 0.0f});
  const ex::SgnsGrads h = ex::sgns_gradient(v, right);
  CHECK(h.loss >= 0.0f);
  CHECK(h.loss < 1e-12f);
  check_close(h.dv, {0, 0, 0}, 1e-12);
  check_close(h.du, {0, 0, 0, 0, 0, 0}, 1e-12);
}

TEST_CASE("sgns_gradient: shapes that do not fit throw dl::ShapeError", "[sgns_gradient]") {
  const dl::Tensor v = dl::Tensor::zeros({3});
  CHECK_THROWS_AS(ex::sgns_gradient(dl::Tensor::zeros({1, 3}), dl::Tensor::zeros({2, 3})), dl::ShapeError);
  CHECK_THROWS_AS(ex::sgns_gradient(v, dl::Tensor::zeros({3})), dl::ShapeError);
  CHECK_THROWS_AS(ex::sgns_gradient(v, dl::Tensor::zeros({2, 4})), dl::ShapeError);
  CHECK_THROWS_AS(ex::sgns_gradient(v, dl::Tensor::zeros({0, 3})), dl::ShapeError);  // no context row
  CHECK_THROWS_AS(ex::sgns_gradient(v, dl::Tensor::zeros({2, 3, 1})), dl::ShapeError);
}

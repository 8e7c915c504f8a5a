// Forward values of the ops against hand-computed results, and their shape errors.
#include <catch2/catch.hpp>
#include <cmath>

#include "dl/ops.hpp"

using dl::Tensor;
using V = std::vector<float>;

namespace {
void check_close(const Tensor& t, const V& expected, float tol = 1e-5f) {
  REQUIRE(t.numel() == static_cast<int64_t>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO("element " << i);
    CHECK(t.at(static_cast<int64_t>(i)) == Approx(expected[i]).margin(tol));
  }
}
}  // namespace

TEST_CASE("elementwise: broadcasting aligns shapes from the right", "[ops]") {
  const Tensor a = Tensor::from_data({2, 3}, {1, 2, 3, 4, 5, 6});
  check_close(a + Tensor::from_data({3}, {10, 20, 30}), {11, 22, 33, 14, 25, 36});
  check_close(a * Tensor::from_data({2, 1}, {2, 3}), {2, 4, 6, 12, 15, 18});
  check_close(a - 1.0f, {0, 1, 2, 3, 4, 5});
  check_close(1.0f / Tensor::from_data({2}, {2, 4}), {0.5f, 0.25f});
  const Tensor outer = Tensor::from_data({3, 1}, {1, 2, 3}) * Tensor::from_data({1, 2}, {10, 100});
  CHECK(outer.shape() == dl::Shape{3, 2});
  check_close(outer, {10, 100, 20, 200, 30, 300});
}

TEST_CASE("elementwise: shapes that do not broadcast throw ShapeError naming both", "[ops][errors]") {
  const Tensor a = Tensor::ones({2, 3}), b = Tensor::ones({4});
  CHECK_THROWS_AS(a + b, dl::ShapeError);
  CHECK_THROWS_WITH(dl::mul(a, b), Catch::Contains("mul") && Catch::Contains("[2,3]") && Catch::Contains("[4]"));
}

TEST_CASE("unary math and activations give the textbook values", "[ops]") {
  const Tensor x = Tensor::from_data({4}, {-2, -0.5f, 0.5f, 2});
  check_close(dl::relu(x), {0, 0, 0.5f, 2});
  check_close(dl::leaky_relu(x, 0.1f), {-0.2f, -0.05f, 0.5f, 2});
  check_close(dl::tanh(x), {std::tanh(-2.0f), std::tanh(-0.5f), std::tanh(0.5f), std::tanh(2.0f)});
  check_close(dl::sigmoid(x), {0.1192029f, 0.3775407f, 0.6224593f, 0.8807971f});
  check_close(dl::gelu(x), {-0.0455003f, -0.1542687f, 0.3457313f, 1.9544997f});
  check_close(dl::exp(dl::log(dl::Tensor::from_data({2}, {0.5f, 3}))), {0.5f, 3});
  check_close(dl::sqrt(dl::Tensor::from_data({2}, {4, 9})), {2, 3});
  check_close(dl::pow(x, 2.0f), {4, 0.25f, 0.25f, 4});
  check_close(-x, {2, 0.5f, -0.5f, -2});
  CHECK(std::isnan(dl::relu(Tensor::scalar(NAN)).item()));  // NaN propagates, as in PyTorch
  // Extreme inputs stay finite.
  check_close(dl::sigmoid(Tensor::from_data({2}, {-100, 100})), {0, 1});
}

TEST_CASE("softmax is stable for large scores and sums to one along its dim", "[ops]") {
  const Tensor x = Tensor::from_data({2, 3}, {1000, 1001, 1002, -5, 0, 5});
  const Tensor p = dl::softmax(x, 1);
  check_close(p, {0.0900306f, 0.2447285f, 0.6652410f, 4.5094e-05f, 6.6925e-03f, 0.9932564f});
  check_close(dl::log_softmax(x, 1), {-2.4076059f, -1.4076059f, -0.4076059f, -10.0067f, -5.0067153f, -0.0067153f}, 1e-4f);
  check_close(dl::sum(dl::softmax(x, 0), 0), {1, 1, 1});
}

TEST_CASE("reductions: sum, mean, max over all and along dims", "[ops]") {
  const Tensor x = Tensor::from_data({2, 3}, {1, 5, 3, 4, 2, 6});
  CHECK(dl::sum(x).item() == 21);
  CHECK(dl::mean(x).item() == 3.5f);
  CHECK(dl::max(x).item() == 6);
  check_close(dl::sum(x, 0), {5, 7, 9});
  check_close(dl::mean(x, -1), {3, 4});
  check_close(dl::max(x, 1), {5, 6});
  CHECK(dl::sum(x, 1, true).shape() == dl::Shape{2, 1});
  CHECK(dl::argmax(x) == std::vector<int>{1, 2});
  CHECK_THROWS_AS(dl::sum(x, 2), dl::ShapeError);
}

TEST_CASE("matmul: values, batching, and the error for mismatched inner dimensions", "[ops]") {
  const Tensor a = Tensor::from_data({2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor b = Tensor::from_data({3, 2}, {7, 8, 9, 10, 11, 12});
  check_close(dl::matmul(a, b), {58, 64, 139, 154});
  const Tensor ab = dl::concat({a.reshape({1, 2, 3}), (a * 2.0f).reshape({1, 2, 3})}, 0);
  const Tensor batched = dl::matmul(ab, b);
  CHECK(batched.shape() == dl::Shape{2, 2, 2});
  check_close(batched, {58, 64, 139, 154, 116, 128, 278, 308});
  CHECK_THROWS_WITH(dl::matmul(Tensor::ones({32, 784}), Tensor::ones({128, 10})),
                    "matmul: [32,784] x [128,10]: inner dimensions 784 and 128 differ");
  CHECK_THROWS_AS(dl::matmul(Tensor::ones({2, 3, 4}), Tensor::ones({3, 4, 5})), dl::ShapeError);
  CHECK_THROWS_AS(dl::matmul(Tensor::ones({4}), Tensor::ones({4, 5})), dl::ShapeError);
}

TEST_CASE("linear: computes x W^T + b and says the fix for a wrong input width", "[ops]") {
  const Tensor x = Tensor::from_data({1, 2}, {1, 2});
  const Tensor w = Tensor::from_data({3, 2}, {1, 0, 0, 1, 1, 1});
  check_close(dl::linear(x, w, Tensor::from_data({3}, {0.5f, 0, -1})), {1.5f, 2, 2});
  CHECK_THROWS_WITH(dl::linear(Tensor::ones({4, 28, 28}), Tensor::ones({10, 784}), Tensor()),
                    Catch::Contains("expected 784, got 28") && Catch::Contains("flatten()"));
  // Already flat: the hint points at the layer sizes instead.
  CHECK_THROWS_WITH(dl::linear(Tensor::ones({1, 8192}), Tensor::ones({10, 4608}), Tensor()),
                    Catch::Contains("expected 4608, got 8192") && !Catch::Contains("flatten()"));
}

TEST_CASE("shape ops: reshape, permute, transpose, slice, concat move the right elements", "[ops]") {
  const Tensor x = Tensor::from_data({2, 3}, {1, 2, 3, 4, 5, 6});
  check_close(dl::transpose(x, 0, 1), {1, 4, 2, 5, 3, 6});
  const Tensor y = dl::permute(Tensor::from_data({2, 1, 3}, {1, 2, 3, 4, 5, 6}), {2, 0, 1});
  CHECK(y.shape() == dl::Shape{3, 2, 1});
  check_close(y, {1, 4, 2, 5, 3, 6});
  check_close(dl::slice(x, 1, 1, 3), {2, 3, 5, 6});
  check_close(dl::slice(x, 0, -1, 2), {4, 5, 6});
  check_close(dl::concat({x, x}, 1), {1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6});
  CHECK(dl::flatten(Tensor::ones({2, 3, 4})).shape() == dl::Shape{2, 12});
  CHECK_THROWS_WITH(dl::reshape(x, {4, -1}), Catch::Contains("[2,3]") && Catch::Contains("[4,-1]"));
  CHECK_THROWS_AS(dl::reshape(x, {-1, -1}), dl::ShapeError);
  CHECK_THROWS_AS(dl::permute(x, {0, 0}), dl::ShapeError);
  CHECK_THROWS_AS(dl::slice(x, 1, 2, 5), dl::ShapeError);
  CHECK_THROWS_WITH(dl::concat({x, Tensor::ones({2, 2})}, 0), Catch::Contains("[2,3]") && Catch::Contains("[2,2]"));
}

TEST_CASE("losses: cross-entropy, NLL and MSE values, label smoothing, bad targets", "[ops][loss]") {
  const Tensor logits = Tensor::from_data({2, 3}, {2, 1, 0, 0, 0, 0});
  const std::vector<int> targets{0, 2};
  // -log softmax: row 0 -> 0.4076059, row 1 -> log 3
  CHECK(dl::cross_entropy(logits, targets).item() == Approx((0.4076059 + std::log(3.0)) / 2));
  CHECK(dl::nll_loss(dl::log_softmax(logits), targets).item() == Approx(dl::cross_entropy(logits, targets).item()));
  // Smoothing 0.3 over 3 classes: q = 0.8 on the target, 0.1 elsewhere.
  const double lp[3] = {-0.4076059, -1.4076059, -2.4076059};
  const double smoothed0 = -(0.8 * lp[0] + 0.1 * lp[1] + 0.1 * lp[2]);
  CHECK(dl::cross_entropy(logits, targets, 0.3f).item() == Approx((smoothed0 + std::log(3.0)) / 2));
  CHECK(dl::mse_loss(Tensor::from_data({2}, {1, 3}), Tensor::from_data({2}, {0, 0})).item() == 5.0f);
  CHECK_THROWS_WITH(dl::cross_entropy(logits, std::vector<int>{0, 3}), Catch::Contains("target 3"));
  CHECK_THROWS_AS(dl::cross_entropy(logits, std::vector<int>{0}), dl::ShapeError);
  CHECK_THROWS_AS(dl::mse_loss(Tensor::ones({3, 1}), Tensor::ones({3})), dl::ShapeError);
}

TEST_CASE("dropout: zeroes about p, keeps the mean, and is the identity in eval", "[ops]") {
  dl::Generator gen(3);
  const Tensor x = Tensor::ones({10000});
  const Tensor y = dl::dropout(x, 0.25f, true, gen);
  int64_t zeros = 0;
  for (float v : y.to_vector()) zeros += v == 0.0f;
  CHECK(zeros == Approx(2500).margin(150));
  CHECK(dl::mean(y).item() == Approx(1.0f).margin(0.03));
  CHECK(dl::dropout(x, 0.25f, false, gen).data() == x.data());
  CHECK_THROWS_AS(dl::dropout(x, 1.0f, true, gen), dl::Error);
}

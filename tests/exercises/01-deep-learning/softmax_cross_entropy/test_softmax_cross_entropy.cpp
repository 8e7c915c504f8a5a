// Tests of the exercise softmax_cross_entropy; its stub and task are in
// exercises/01-deep-learning/softmax_cross_entropy/.
#include <cmath>
#include <stdexcept>

#include "exercise_support.hpp"

namespace {

// log(sum_j exp(z_j)) - z_target in double, shifted by the maximum.
double row_loss(const std::vector<double>& z, int target) {
  double top = z[0];
  for (double v : z) top = std::max(top, v);
  double sum = 0;
  for (double v : z) sum += std::exp(v - top);
  return std::log(sum) + top - z[static_cast<size_t>(target)];
}

}  // namespace

TEST_CASE("softmax_cross_entropy: loss and gradient of two rows, computed by hand", "[softmax_cross_entropy]") {
  // Row 0: equal logits, softmax 1/4 each. Row 1: softmax (1, 2, 3, 2) / 8.
  const float l2 = std::log(2.0f), l3 = std::log(3.0f);
  const dl::Tensor logits = dl::Tensor::from_data({2, 4}, {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, l2, l3, l2});
  const std::vector<int> targets{1, 2};
  const ex::LossAndGrad out = ex::softmax_cross_entropy(logits, targets);
  CHECK(out.loss == Approx((std::log(4.0) + std::log(8.0 / 3.0)) / 2.0).epsilon(1e-6));
  REQUIRE(out.dlogits.shape() == logits.shape());
  const std::vector<double> want{0.125, -0.375, 0.125, 0.125, 1.0 / 16, 1.0 / 8, -5.0 / 16, 1.0 / 8};
  CHECK(test::max_abs_diff(out.dlogits, want) < 1e-6);
}

TEST_CASE("softmax_cross_entropy: matches dl::cross_entropy and its autograd gradient", "[softmax_cross_entropy]") {
  struct Case {
    int64_t rows, classes;
    uint64_t seed;
  };
  for (const Case c : {Case{6, 10, 1}, Case{1, 5, 2}, Case{9, 2, 3}, Case{4, 37, 4}}) {
    INFO("logits (" << c.rows << ", " << c.classes << ")");
    const dl::Tensor logits = test::random_tensor({c.rows, c.classes}, c.seed, 3.0f);
    dl::Generator gen(c.seed + 100);
    std::vector<int> targets;
    for (int64_t n = 0; n < c.rows; ++n) targets.push_back(static_cast<int>(gen.below(uint64_t(c.classes))));
    const ex::LossAndGrad out = ex::softmax_cross_entropy(logits, targets);

    dl::Tensor leaf = logits.clone().requires_grad_();
    const dl::Tensor loss = dl::cross_entropy(leaf, targets);
    loss.backward();
    CHECK(out.loss == Approx(loss.item()).epsilon(1e-5));
    CHECK(test::max_abs_diff(out.dlogits, leaf.grad()) < 1e-6f);
  }
}

TEST_CASE("softmax_cross_entropy: the gradient matches finite differences of the loss", "[softmax_cross_entropy]") {
  const dl::Tensor logits = test::random_tensor({3, 5}, 7, 2.0f);
  const std::vector<int> targets{4, 0, 2};
  const ex::LossAndGrad out = ex::softmax_cross_entropy(logits, targets);
  const auto loss_of = [&](const dl::Tensor& t) {
    return dl::Tensor::scalar(ex::softmax_cross_entropy(t, targets).loss);
  };
  CHECK(test::max_abs_diff(out.dlogits, test::numeric_gradient(loss_of, logits, dl::Tensor::scalar(1.0f))) < 1e-3);
}

TEST_CASE("softmax_cross_entropy: logits in the thousands give a finite, exact loss and gradient",
          "[softmax_cross_entropy]") {
  const dl::Tensor logits = dl::Tensor::from_data({4, 3}, {1000.0f, 1001.0f, 1002.0f,  //
                                                           -1000.0f, 0.0f, 1000.0f,    //
                                                           5000.0f, 5000.0f, 5000.0f,  //
                                                           -1000.0f, 0.0f, 1000.0f});
  const std::vector<int> targets{0, 0, 2, 2};
  const ex::LossAndGrad out = ex::softmax_cross_entropy(logits, targets);
  REQUIRE(std::isfinite(out.loss));
  // Row losses: that of the logits (0, 1, 2) shifted by 1000, then 2000, log 3 and 0.
  const double want = (row_loss({0, 1, 2}, 0) + 2000.0 + std::log(3.0) + 0.0) / 4.0;
  CHECK(out.loss == Approx(want).epsilon(1e-5));
  const double e1 = std::exp(1.0), e2 = std::exp(2.0), z = 1.0 + e1 + e2;
  // clang-format off
  const std::vector<double> grad{(1.0 / z - 1.0) / 4, e1 / z / 4, e2 / z / 4,
                                 -0.25,               0.0,        0.25,
                                 1.0 / 12,            1.0 / 12,   -2.0 / 12,
                                 0.0,                 0.0,        0.0};
  // clang-format on
  REQUIRE(out.dlogits.shape() == logits.shape());
  for (int64_t i = 0; i < out.dlogits.numel(); ++i) CHECK(std::isfinite(out.dlogits.at(i)));
  CHECK(test::max_abs_diff(out.dlogits, grad) < 1e-6);
}

TEST_CASE("softmax_cross_entropy: one class gives loss 0, and the logits are left unchanged",
          "[softmax_cross_entropy]") {
  const dl::Tensor single = dl::Tensor::from_data({1, 1}, {3.5f});
  const std::vector<int> zero{0};
  const ex::LossAndGrad one = ex::softmax_cross_entropy(single, zero);
  CHECK(one.loss == 0.0f);
  CHECK(one.dlogits.to_vector() == std::vector<float>{0.0f});
  CHECK(single.at(0) == 3.5f);

  const dl::Tensor logits = test::random_tensor({3, 4}, 9);
  const std::vector<float> before = logits.to_vector();
  const std::vector<int> targets{3, 1, 0};
  ex::softmax_cross_entropy(logits, targets);
  CHECK(logits.to_vector() == before);
}

TEST_CASE("softmax_cross_entropy: a wrong number of targets is a ShapeError, a bad index is out_of_range",
          "[softmax_cross_entropy]") {
  const dl::Tensor logits = dl::Tensor::zeros({3, 4});
  CHECK_THROWS_AS(ex::softmax_cross_entropy(logits, std::vector<int>{0, 1}), dl::ShapeError);
  CHECK_THROWS_AS(ex::softmax_cross_entropy(logits, std::vector<int>{0, 1, 2, 3}), dl::ShapeError);
  CHECK_THROWS_AS(ex::softmax_cross_entropy(logits, std::vector<int>{0, -1, 2}), std::out_of_range);
  CHECK_THROWS_AS(ex::softmax_cross_entropy(logits, std::vector<int>{0, 1, 4}), std::out_of_range);
}

// Tests of the exercise clip_grad_norm; its stub and task are in exercises/03-rnn/clip_grad_norm/.
#include <cmath>
#include <stdexcept>

#include "dl/optim.hpp"
#include "exercise_support.hpp"

TEST_CASE("clip_grad_norm: gradients 3 and 4 have norm 5 and are scaled down to norm 1", "[clip_grad_norm]") {
  std::vector<dl::Tensor> grads{dl::Tensor::from_data({1}, {3.0f}), dl::Tensor::from_data({1}, {4.0f})};
  CHECK(ex::clip_grad_norm(grads, 1.0f) == Approx(5.0f).epsilon(1e-7));
  CHECK(grads[0].at(0) == Approx(3.0 / (5.0 + 1e-6)).epsilon(1e-6));
  CHECK(grads[1].at(0) == Approx(4.0 / (5.0 + 1e-6)).epsilon(1e-6));
}

TEST_CASE("clip_grad_norm: a norm at or below max_norm leaves the gradients exactly as they were", "[clip_grad_norm]") {
  std::vector<dl::Tensor> grads{dl::Tensor::from_data({2}, {3.0f, 0.0f}), dl::Tensor::from_data({1, 1}, {-4.0f})};
  CHECK(ex::clip_grad_norm(grads, 10.0f) == 5.0f);
  CHECK(grads[0].to_vector() == std::vector<float>{3.0f, 0.0f});
  CHECK(grads[1].to_vector() == std::vector<float>{-4.0f});
  INFO("the norm must exceed max_norm for clipping to apply; equal is not enough");
  CHECK(ex::clip_grad_norm(grads, 5.0f) == 5.0f);
  CHECK(grads[0].to_vector() == std::vector<float>{3.0f, 0.0f});
  CHECK(grads[1].to_vector() == std::vector<float>{-4.0f});
}

TEST_CASE("clip_grad_norm: matches dl::optim::clip_grad_norm on random gradients of several shapes",
          "[clip_grad_norm]") {
  const std::vector<dl::Shape> shapes{{3, 4}, {5}, {2, 3, 2}, {}, {1, 7}};
  for (const float max_norm : {0.5f, 2.0f, 100.0f}) {
    INFO("max_norm " << max_norm);
    std::vector<dl::Tensor> params, grads;
    uint64_t seed = 700;
    for (const dl::Shape& shape : shapes) {
      const dl::Tensor g = test::random_tensor(shape, ++seed);
      dl::Tensor p = dl::Tensor::zeros(shape).requires_grad_();
      (p * g).sum().backward();  // p.grad() is now a copy of g
      params.push_back(p);
      grads.push_back(g.clone());
    }
    const float want = dl::optim::clip_grad_norm(params, max_norm);
    const float got = ex::clip_grad_norm(grads, max_norm);
    CHECK(got == Approx(want).epsilon(1e-6));
    REQUIRE(grads.size() == params.size());
    for (size_t k = 0; k < grads.size(); ++k) CHECK(test::max_scaled_diff(grads[k], params[k].grad()) < 1e-6f);
  }
}

TEST_CASE("clip_grad_norm: scales the caller's tensors in place", "[clip_grad_norm]") {
  const dl::Tensor a = test::random_tensor({4, 4}, 720, 3.0f);
  const dl::Tensor b = test::random_tensor({6}, 721, 3.0f);
  const std::vector<float> a0 = a.to_vector(), b0 = b.to_vector();
  std::vector<dl::Tensor> grads{a, b};  // handles sharing a's and b's storage
  const float norm = ex::clip_grad_norm(grads, 1.0f);
  REQUIRE(norm > 1.0f);
  REQUIRE(grads.size() == 2);
  CHECK(grads[0].data() == a.data());
  CHECK(grads[1].data() == b.data());
  double squares = 0;
  const double scale = 1.0 / (double(norm) + 1e-6);
  for (size_t i = 0; i < a0.size(); ++i) {
    CHECK(a.at(int64_t(i)) == Approx(a0[i] * scale).margin(1e-6));
    squares += double(a.at(int64_t(i))) * a.at(int64_t(i));
  }
  for (size_t i = 0; i < b0.size(); ++i) {
    CHECK(b.at(int64_t(i)) == Approx(b0[i] * scale).margin(1e-6));
    squares += double(b.at(int64_t(i))) * b.at(int64_t(i));
  }
  CHECK(std::sqrt(squares) == Approx(1.0).epsilon(1e-5));
}

TEST_CASE("clip_grad_norm: huge and tiny gradients give their true norm, and zeros give 0", "[clip_grad_norm]") {
  // The squares 9e40 and 16e40 overflow a float, 9e-50 and 16e-50 underflow it.
  std::vector<dl::Tensor> huge{dl::Tensor::from_data({2}, {3e20f, -4e20f})};
  CHECK(ex::clip_grad_norm(huge, 1.0f) == Approx(5e20f).epsilon(1e-6));
  CHECK(huge[0].at(0) == Approx(0.6f).epsilon(1e-5));
  CHECK(huge[0].at(1) == Approx(-0.8f).epsilon(1e-5));

  std::vector<dl::Tensor> tiny{dl::Tensor::from_data({2}, {3e-25f, 4e-25f})};
  CHECK(ex::clip_grad_norm(tiny, 1.0f) == Approx(5e-25f).epsilon(1e-6));
  CHECK(tiny[0].to_vector() == std::vector<float>{3e-25f, 4e-25f});

  std::vector<dl::Tensor> zeros{dl::Tensor::zeros({3, 2}), dl::Tensor::zeros({4})};
  CHECK(ex::clip_grad_norm(zeros, 1.0f) == 0.0f);
  CHECK(zeros[0].to_vector() == std::vector<float>(6, 0.0f));

  std::vector<dl::Tensor> none;
  CHECK(ex::clip_grad_norm(none, 1.0f) == 0.0f);
}

TEST_CASE("clip_grad_norm: a max_norm of 0 or below throws std::invalid_argument", "[clip_grad_norm]") {
  std::vector<dl::Tensor> grads{dl::Tensor::from_data({2}, {3.0f, 4.0f})};
  CHECK_THROWS_AS(ex::clip_grad_norm(grads, 0.0f), std::invalid_argument);
  CHECK_THROWS_AS(ex::clip_grad_norm(grads, -1.0f), std::invalid_argument);
}

// Tests of the exercise relu; its stub and task are in exercises/01-deep-learning/relu/.
#include "exercise_support.hpp"

TEST_CASE("relu: forward keeps the positive values and zeroes the rest", "[relu]") {
  const dl::Tensor x = dl::Tensor::from_data({2, 3}, {-2.0f, -0.0f, 0.0f, 0.5f, 3.0f, -1e-6f});
  const dl::Tensor y = ex::relu_forward(x);
  REQUIRE(y.shape() == x.shape());
  CHECK(y.to_vector() == std::vector<float>{0.0f, 0.0f, 0.0f, 0.5f, 3.0f, 0.0f});
  INFO("relu_forward must not change its input");
  CHECK(x.at(0) == -2.0f);
}

TEST_CASE("relu: forward matches dl::relu on a 3-D tensor", "[relu]") {
  const dl::Tensor x = test::random_tensor({3, 4, 5}, 1);
  const dl::Tensor y = ex::relu_forward(x);
  REQUIRE(y.shape() == x.shape());
  CHECK(test::max_abs_diff(y, dl::relu(x)) == 0.0f);
}

TEST_CASE("relu: backward passes the gradient where x is positive, 0 elsewhere, 0 at x equal to 0", "[relu]") {
  const dl::Tensor x = dl::Tensor::from_data({5}, {-1.0f, 0.0f, 2.0f, 1e-3f, -4.0f});
  const dl::Tensor g = dl::Tensor::from_data({5}, {10.0f, 20.0f, 30.0f, 40.0f, 50.0f});
  const dl::Tensor dx = ex::relu_backward(x, g);
  REQUIRE(dx.shape() == x.shape());
  CHECK(dx.to_vector() == std::vector<float>{0.0f, 0.0f, 30.0f, 40.0f, 0.0f});
}

TEST_CASE("relu: backward matches autograd and finite differences", "[relu]") {
  const dl::Tensor x = test::random_tensor({4, 6}, 2);
  const dl::Tensor g = test::random_tensor({4, 6}, 3);
  const dl::Tensor dx = ex::relu_backward(x, g);

  dl::Tensor leaf = x.clone().requires_grad_();
  dl::relu(leaf).backward(g);
  CHECK(test::max_abs_diff(dx, leaf.grad()) == 0.0f);

  // The random x has no element within 1e-3 of the kink, so a step of 1e-3 is exact.
  CHECK(test::max_abs_diff(dx, test::numeric_gradient([](const dl::Tensor& t) { return dl::relu(t); }, x, g, 1e-3f)) <
        1e-3);
}

TEST_CASE("relu: backward with a grad_out of another shape throws a ShapeError", "[relu]") {
  const dl::Tensor x = dl::Tensor::zeros({2, 3});
  CHECK_THROWS_AS(ex::relu_backward(x, dl::Tensor::zeros({3, 2})), dl::ShapeError);
  CHECK_THROWS_AS(ex::relu_backward(x, dl::Tensor::zeros({6})), dl::ShapeError);
}

// Tests of the exercise linear_forward (a "fix the bug" exercise); its stub and task are in
// exercises/01-deep-learning/linear_forward/.
#include "exercise_support.hpp"

TEST_CASE("linear_forward: a square 2-to-2 layer computed by hand", "[linear_forward]") {
  // Unit 0 has the weights (1, 2), unit 1 the weights (0, -1): for x = (3, 1),
  // y0 = 1*3 + 2*1 + 0.5 = 5.5 and y1 = 0*3 - 1*1 - 1 = -2.
  const dl::Tensor x = dl::Tensor::from_data({1, 2}, {3.0f, 1.0f});
  const dl::Tensor w = dl::Tensor::from_data({2, 2}, {1.0f, 2.0f, 0.0f, -1.0f});
  const dl::Tensor b = dl::Tensor::from_data({2}, {0.5f, -1.0f});
  const dl::Tensor y = ex::linear_forward(x, w, b);
  INFO("row o of w holds the weights of output unit o: y0 = 1*3 + 2*1 + 0.5, y1 = 0*3 - 1*1 - 1");
  REQUIRE(y.shape() == dl::Shape{1, 2});
  CHECK(y.to_vector() == std::vector<float>{5.5f, -2.0f});
}

TEST_CASE("linear_forward: 3 inputs to 2 outputs give a (N, 2) result", "[linear_forward]") {
  const dl::Tensor x = dl::Tensor::from_data({2, 3}, {1.0f, 2.0f, 3.0f, -1.0f, 0.0f, 1.0f});
  const dl::Tensor w = dl::Tensor::from_data({2, 3}, {1.0f, 0.0f, 0.0f, 1.0f, 1.0f, 1.0f});
  const dl::Tensor b = dl::Tensor::from_data({2}, {0.0f, 10.0f});
  INFO("x is (2, 3), w is (out 2, in 3): the layer maps 3 features to 2");
  dl::Tensor y;
  REQUIRE_NOTHROW(y = ex::linear_forward(x, w, b));
  REQUIRE(y.shape() == dl::Shape{2, 2});
  CHECK(y.to_vector() == std::vector<float>{1.0f, 16.0f, -1.0f, 10.0f});
}

TEST_CASE("linear_forward: matches dl::linear on random shapes", "[linear_forward]") {
  struct Case {
    int64_t batch, in, out;
  };
  for (const Case c : {Case{4, 4, 4}, Case{5, 7, 3}, Case{1, 4, 6}, Case{8, 1, 1}, Case{3, 16, 9}}) {
    INFO("N " << c.batch << ", in " << c.in << ", out " << c.out);
    const dl::Tensor x = test::random_tensor({c.batch, c.in}, 41);
    const dl::Tensor w = test::random_tensor({c.out, c.in}, 42);
    const dl::Tensor b = test::random_tensor({c.out}, 43);
    dl::Tensor y;
    REQUIRE_NOTHROW(y = ex::linear_forward(x, w, b));
    REQUIRE(y.shape() == dl::Shape{c.batch, c.out});
    CHECK(test::max_scaled_diff(y, dl::linear(x, w, b)) < 1e-5f);
  }
}

TEST_CASE("linear_forward: shapes that do not fit throw a ShapeError", "[linear_forward]") {
  const dl::Tensor w = dl::Tensor::zeros({3, 5});
  const dl::Tensor b = dl::Tensor::zeros({3});
  CHECK_THROWS_AS(ex::linear_forward(dl::Tensor::zeros({4, 3}), w, b), dl::ShapeError);
  CHECK_THROWS_AS(ex::linear_forward(dl::Tensor::zeros({4, 5}), w, dl::Tensor::zeros({5})), dl::ShapeError);
  CHECK_THROWS_AS(ex::linear_forward(dl::Tensor::zeros({5}), w, b), dl::ShapeError);
  CHECK_THROWS_AS(ex::linear_forward(dl::Tensor::zeros({4, 5}), dl::Tensor::zeros({15}), b), dl::ShapeError);
}

// Tests of the exercise linear_backward; its stub and task are in exercises/01-deep-learning/linear_backward/.
#include "exercise_support.hpp"

namespace {

// The library's gradients of y = linear(x, w, b) for the upstream gradient g.
ex::LinearGrads autograd_linear(const dl::Tensor& x, const dl::Tensor& w, const dl::Tensor& g) {
  dl::Tensor lx = x.clone().requires_grad_();
  dl::Tensor lw = w.clone().requires_grad_();
  dl::Tensor lb = dl::Tensor::zeros({w.size(0)}).requires_grad_();
  dl::linear(lx, lw, lb).backward(g);
  return {lx.grad(), lw.grad(), lb.grad()};
}

}  // namespace

TEST_CASE("linear_backward: a 2x2 input through 3 outputs, computed by hand", "[linear_backward]") {
  const dl::Tensor x = dl::Tensor::from_data({2, 2}, {1.0f, 2.0f, 3.0f, -1.0f});
  const dl::Tensor w = dl::Tensor::from_data({3, 2}, {1.0f, 0.0f, 0.0f, 1.0f, 2.0f, -1.0f});
  const dl::Tensor g = dl::Tensor::from_data({2, 3}, {1.0f, 0.0f, 1.0f, 0.0f, 2.0f, -1.0f});
  const ex::LinearGrads grads = ex::linear_backward(x, w, g);
  REQUIRE(grads.dx.shape() == dl::Shape{2, 2});
  REQUIRE(grads.dw.shape() == dl::Shape{3, 2});
  REQUIRE(grads.db.shape() == dl::Shape{3});
  CHECK(grads.dx.to_vector() == std::vector<float>{3.0f, -1.0f, -2.0f, 3.0f});
  CHECK(grads.dw.to_vector() == std::vector<float>{1.0f, 2.0f, 6.0f, -2.0f, -2.0f, 3.0f});
  CHECK(grads.db.to_vector() == std::vector<float>{1.0f, 2.0f, 0.0f});
}

TEST_CASE("linear_backward: matches autograd through dl::linear on random non-square shapes", "[linear_backward]") {
  struct Case {
    int64_t batch, in, out;
  };
  for (const Case c : {Case{5, 7, 3}, Case{1, 4, 6}, Case{8, 1, 1}, Case{3, 16, 9}}) {
    INFO("N " << c.batch << ", in " << c.in << ", out " << c.out);
    const dl::Tensor x = test::random_tensor({c.batch, c.in}, 11);
    const dl::Tensor w = test::random_tensor({c.out, c.in}, 12);
    const dl::Tensor g = test::random_tensor({c.batch, c.out}, 13);
    const ex::LinearGrads got = ex::linear_backward(x, w, g);
    const ex::LinearGrads want = autograd_linear(x, w, g);
    CHECK(test::max_scaled_diff(got.dx, want.dx) < 1e-5f);
    CHECK(test::max_scaled_diff(got.dw, want.dw) < 1e-5f);
    CHECK(test::max_scaled_diff(got.db, want.db) < 1e-5f);
  }
}

TEST_CASE("linear_backward: every gradient matches finite differences", "[linear_backward]") {
  const dl::Tensor x = test::random_tensor({4, 5}, 21);
  const dl::Tensor w = test::random_tensor({3, 5}, 22);
  const dl::Tensor b = test::random_tensor({3}, 23);
  const dl::Tensor g = test::random_tensor({4, 3}, 24);
  const ex::LinearGrads grads = ex::linear_backward(x, w, g);
  CHECK(test::max_abs_diff(
            grads.dx, test::numeric_gradient([&](const dl::Tensor& t) { return dl::linear(t, w, b); }, x, g)) < 1e-3);
  CHECK(test::max_abs_diff(
            grads.dw, test::numeric_gradient([&](const dl::Tensor& t) { return dl::linear(x, t, b); }, w, g)) < 1e-3);
  CHECK(test::max_abs_diff(
            grads.db, test::numeric_gradient([&](const dl::Tensor& t) { return dl::linear(x, w, t); }, b, g)) < 1e-3);
}

TEST_CASE("linear_backward: leaves its inputs unchanged and returns fresh tensors", "[linear_backward]") {
  const dl::Tensor x = test::random_tensor({3, 4}, 31);
  const dl::Tensor w = test::random_tensor({2, 4}, 32);
  const dl::Tensor g = test::random_tensor({3, 2}, 33);
  const std::vector<float> x0 = x.to_vector(), w0 = w.to_vector(), g0 = g.to_vector();
  const ex::LinearGrads first = ex::linear_backward(x, w, g);
  CHECK(x.to_vector() == x0);
  CHECK(w.to_vector() == w0);
  CHECK(g.to_vector() == g0);
  INFO("a second call must give the same gradients, not add to the first ones");
  const ex::LinearGrads second = ex::linear_backward(x, w, g);
  CHECK(second.dx.to_vector() == first.dx.to_vector());
  CHECK(second.dw.to_vector() == first.dw.to_vector());
  CHECK(second.db.to_vector() == first.db.to_vector());
}

TEST_CASE("linear_backward: shapes that do not fit throw a ShapeError", "[linear_backward]") {
  const dl::Tensor x = dl::Tensor::zeros({4, 5});
  const dl::Tensor w = dl::Tensor::zeros({3, 5});
  CHECK_THROWS_AS(ex::linear_backward(x, dl::Tensor::zeros({3, 4}), dl::Tensor::zeros({4, 3})), dl::ShapeError);
  CHECK_THROWS_AS(ex::linear_backward(x, dl::Tensor::zeros({5, 3}), dl::Tensor::zeros({4, 5})), dl::ShapeError);
  CHECK_THROWS_AS(ex::linear_backward(x, w, dl::Tensor::zeros({4, 4})), dl::ShapeError);
  CHECK_THROWS_AS(ex::linear_backward(x, w, dl::Tensor::zeros({3, 4})), dl::ShapeError);
  CHECK_THROWS_AS(ex::linear_backward(x, w, dl::Tensor::zeros({12})), dl::ShapeError);
  CHECK_THROWS_AS(ex::linear_backward(dl::Tensor::zeros({20}), w, dl::Tensor::zeros({4, 3})), dl::ShapeError);
}

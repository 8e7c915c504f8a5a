// Tests of the exercise max_pool2d_backward; its stub and task are in exercises/02-cnn/max_pool2d_backward/.
#include "dl/conv.hpp"
#include "exercise_support.hpp"

namespace {

// dL/dx of dl::max_pool2d through autograd, for the upstream gradient g.
dl::Tensor autograd_pool(const dl::Tensor& x, const dl::Tensor& g, int64_t kernel, int64_t stride) {
  dl::Tensor leaf = x.clone().requires_grad_();
  dl::max_pool2d(leaf, kernel, stride).backward(g);
  return leaf.grad();
}

// A tensor whose values are the integers 0, 1, ..., n-1 in a random order, times `step`:
// every window has a single maximum, at least `step` above the rest.
dl::Tensor distinct_tensor(const dl::Shape& shape, uint64_t seed, float step) {
  std::vector<int64_t> order(static_cast<size_t>(dl::numel(shape)));
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  dl::Generator gen(seed);
  gen.shuffle(order);
  std::vector<float> values;
  for (int64_t v : order) values.push_back(static_cast<float>(v) * step);
  return dl::Tensor::from_data(shape, values);
}

struct Pool {
  int64_t n, c, h, w, kernel, stride;
};

const Pool kPools[] = {
    {2, 3, 7, 6, 3, 2},  // overlapping windows, non-square
    {1, 2, 5, 5, 2, 1},  // batch 1, heavy overlap
    {2, 2, 8, 8, 2, 2},  // the usual 2x2 pool
    {1, 3, 7, 9, 3, 3},  // the last row and columns are never in a window
    {3, 1, 4, 6, 4, 1},  // the window as tall as the image
};

}  // namespace

TEST_CASE("max_pool2d_backward: a 2x2 pool of a 4x4 image, computed by hand", "[max_pool2d_backward]") {
  const dl::Tensor x = dl::Tensor::from_data({1, 1, 4, 4}, {1, 5, 2, 0,  //
                                                            3, 4, 8, 1,  //
                                                            0, 2, 6, 7,  //
                                                            9, 1, 3, 5});
  const dl::Tensor g = dl::Tensor::from_data({1, 1, 2, 2}, {10, 20, 30, 40});
  const dl::Tensor dx = ex::max_pool2d_backward(x, g, 2, 2);
  REQUIRE(dx.shape() == x.shape());
  CHECK(dx.to_vector() == std::vector<float>{0, 10, 0, 0,  //
                                             0, 0, 20, 0,  //
                                             0, 0, 0, 40,  //
                                             30, 0, 0, 0});
}

TEST_CASE("max_pool2d_backward: on a tie the first maximum in row-major order gets the gradient",
          "[max_pool2d_backward]") {
  const dl::Tensor x = dl::Tensor::from_data({1, 1, 2, 4}, {2, 2, 1, 7,  //
                                                            2, 0, 7, 7});
  const dl::Tensor dx = ex::max_pool2d_backward(x, dl::Tensor::from_data({1, 1, 1, 2}, {1, 2}), 2, 2);
  CHECK(dx.to_vector() == std::vector<float>{1, 0, 0, 2,  //
                                             0, 0, 0, 0});
  // A constant negative plane: every window's maximum is its top-left corner.
  const dl::Tensor flat = dl::Tensor::full({1, 1, 4, 4}, -3.0f);
  const dl::Tensor dflat = ex::max_pool2d_backward(flat, dl::Tensor::from_data({1, 1, 2, 2}, {1, 2, 3, 4}), 3, 1);
  CHECK(dflat.to_vector() == std::vector<float>{1, 2, 0, 0,  //
                                                3, 4, 0, 0,  //
                                                0, 0, 0, 0,  //
                                                0, 0, 0, 0});
}

TEST_CASE("max_pool2d_backward: overlapping windows that share a maximum add their gradients",
          "[max_pool2d_backward]") {
  const dl::Tensor x = dl::Tensor::from_data({1, 1, 3, 3}, {1, 2, 3,  //
                                                            4, 9, 5,  //
                                                            6, 7, 8});
  const dl::Tensor dx = ex::max_pool2d_backward(x, dl::Tensor::from_data({1, 1, 2, 2}, {1, 2, 3, 4}), 2, 1);
  CHECK(dx.to_vector() == std::vector<float>{0, 0, 0,   //
                                             0, 10, 0,  //
                                             0, 0, 0});
}

TEST_CASE("max_pool2d_backward: matches autograd through dl::max_pool2d, ties included", "[max_pool2d_backward]") {
  uint64_t seed = 400;
  for (const Pool& p : kPools) {
    INFO("x (" << p.n << "," << p.c << "," << p.h << "," << p.w << "), kernel " << p.kernel << ", stride " << p.stride);
    const int64_t out_h = (p.h - p.kernel) / p.stride + 1, out_w = (p.w - p.kernel) / p.stride + 1;
    const dl::Tensor g = test::random_tensor({p.n, p.c, out_h, out_w}, ++seed);

    const dl::Tensor x = test::random_tensor({p.n, p.c, p.h, p.w}, ++seed);
    CHECK(test::max_scaled_diff(ex::max_pool2d_backward(x, g, p.kernel, p.stride),
                                autograd_pool(x, g, p.kernel, p.stride)) < 1e-6f);

    // Values from {0, 1, 2}: most windows hold a tie for their maximum.
    dl::Generator gen(++seed);
    std::vector<float> few(static_cast<size_t>(p.n * p.c * p.h * p.w));
    for (float& v : few) v = static_cast<float>(gen.below(3));
    const dl::Tensor ties = dl::Tensor::from_data({p.n, p.c, p.h, p.w}, few);
    CHECK(test::max_scaled_diff(ex::max_pool2d_backward(ties, g, p.kernel, p.stride),
                                autograd_pool(ties, g, p.kernel, p.stride)) < 1e-6f);
  }
}

TEST_CASE("max_pool2d_backward: matches finite differences of dl::max_pool2d", "[max_pool2d_backward]") {
  // Distinct values 0.05 apart: a step of 0.01 never changes which input wins a window.
  const dl::Tensor x = distinct_tensor({2, 2, 7, 6}, 450, 0.05f);
  const dl::Tensor g = test::random_tensor({2, 2, 3, 2}, 451);
  const dl::Tensor dx = ex::max_pool2d_backward(x, g, 3, 2);
  CHECK(test::max_abs_diff(dx, test::numeric_gradient([](const dl::Tensor& t) { return dl::max_pool2d(t, 3, 2); }, x, g,
                                                      1e-2f)) < 1e-3);
}

TEST_CASE("max_pool2d_backward: leaves x and grad_out unchanged", "[max_pool2d_backward]") {
  const dl::Tensor x = test::random_tensor({2, 3, 6, 6}, 470);
  const dl::Tensor g = test::random_tensor({2, 3, 3, 3}, 471);
  const std::vector<float> x0 = x.to_vector(), g0 = g.to_vector();
  const dl::Tensor dx = ex::max_pool2d_backward(x, g, 2, 2);
  CHECK(dx.shape() == x.shape());
  CHECK(x.to_vector() == x0);
  CHECK(g.to_vector() == g0);
}

TEST_CASE("max_pool2d_backward: bad shapes throw a ShapeError", "[max_pool2d_backward]") {
  const dl::Tensor x = test::random_tensor({1, 2, 4, 4}, 71);
  CHECK_THROWS_AS(ex::max_pool2d_backward(x, dl::Tensor::zeros({1, 2, 3, 3}), 2, 2), dl::ShapeError);  // pooled is 2x2
  CHECK_THROWS_AS(ex::max_pool2d_backward(x.reshape({2, 4, 4}), dl::Tensor::zeros({2, 2, 2}), 2, 2), dl::ShapeError);
  CHECK_THROWS_AS(ex::max_pool2d_backward(x, dl::Tensor::zeros({1, 2, 1, 1}), 5, 1), dl::ShapeError);  // no window fits
}

// Tests of the exercise conv2d_loops; its stub and task are in exercises/02-cnn/conv2d_loops/.
#include "dl/conv.hpp"
#include "exercise_support.hpp"

namespace {

// The 3x3 image 1..9 and the 2x2 kernel (1 2; 3 4) with bias 0.5.
const dl::Tensor& small_image() {
  static const dl::Tensor x = dl::Tensor::from_data({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  return x;
}
const dl::Tensor& small_kernel() {
  static const dl::Tensor w = dl::Tensor::from_data({1, 1, 2, 2}, {1, 2, 3, 4});
  return w;
}

}  // namespace

TEST_CASE("conv2d_loops: a 2x2 kernel over a 3x3 image, computed by hand", "[conv2d_loops]") {
  const dl::Tensor y = ex::conv2d_loops(small_image(), small_kernel(), dl::Tensor::from_data({1}, {0.5f}), 1, 0);
  REQUIRE(y.shape() == dl::Shape{1, 1, 2, 2});
  // (0, 0): 1*1 + 2*2 + 3*4 + 4*5 = 37, and so on, each plus the bias.
  CHECK(y.to_vector() == std::vector<float>{37.5f, 47.5f, 67.5f, 77.5f});
}

TEST_CASE("conv2d_loops: padding 1 reads zeros outside the image", "[conv2d_loops]") {
  const dl::Tensor y = ex::conv2d_loops(small_image(), small_kernel(), dl::Tensor::from_data({1}, {0.5f}), 1, 1);
  REQUIRE(y.shape() == dl::Shape{1, 1, 4, 4});
  // Each corner window holds one pixel of the image, under the opposite tap of the kernel.
  CHECK(y.at(0) == 4.0f * 1 + 0.5f);
  CHECK(y.at(3) == 3.0f * 3 + 0.5f);
  CHECK(y.at(12) == 2.0f * 7 + 0.5f);
  CHECK(y.at(15) == 1.0f * 9 + 0.5f);
  CHECK(y.at(5) == 37.5f);  // (1, 1) is the unpadded (0, 0)
}

TEST_CASE("conv2d_loops: matches dl::conv2d on random inputs with strides, paddings and odd shapes", "[conv2d_loops]") {
  struct Case {
    int64_t n, c, h, w, o, k, stride, padding;
  };
  const Case cases[] = {
      {2, 3, 7, 5, 4, 3, 1, 0},  // non-square image
      {2, 3, 7, 5, 4, 3, 2, 1},  // stride 2, padding 1
      {1, 2, 6, 9, 3, 5, 1, 2},  // batch 1, padding 2, 5x5 kernel
      {3, 1, 8, 8, 2, 1, 1, 0},  // 1x1 kernel
      {1, 4, 6, 6, 2, 3, 2, 0},  // the last row and column are never reached
      {1, 2, 5, 4, 3, 2, 3, 1},  // stride 3, even kernel
      {2, 3, 4, 4, 5, 4, 1, 2},  // kernel as large as the image, padded
  };
  uint64_t seed = 100;
  for (const Case& c : cases) {
    INFO("x (" << c.n << "," << c.c << "," << c.h << "," << c.w << "), weight (" << c.o << "," << c.c << "," << c.k
               << "," << c.k << "), stride " << c.stride << ", padding " << c.padding);
    const dl::Tensor x = test::random_tensor({c.n, c.c, c.h, c.w}, ++seed);
    const dl::Tensor weight = test::random_tensor({c.o, c.c, c.k, c.k}, ++seed);
    const dl::Tensor bias = test::random_tensor({c.o}, ++seed);
    const dl::Tensor want = dl::conv2d(x, weight, bias, {.stride = c.stride, .padding = c.padding});
    const dl::Tensor got = ex::conv2d_loops(x, weight, bias, c.stride, c.padding);
    REQUIRE(got.shape() == want.shape());
    CHECK(test::max_scaled_diff(got, want) < 1e-4f);
  }
}

TEST_CASE("conv2d_loops: leaves its inputs unchanged", "[conv2d_loops]") {
  const dl::Tensor x = test::random_tensor({2, 2, 5, 5}, 201);
  const dl::Tensor weight = test::random_tensor({3, 2, 3, 3}, 202);
  const dl::Tensor bias = test::random_tensor({3}, 203);
  const std::vector<float> x0 = x.to_vector(), w0 = weight.to_vector(), b0 = bias.to_vector();
  ex::conv2d_loops(x, weight, bias, 2, 1);
  CHECK(x.to_vector() == x0);
  CHECK(weight.to_vector() == w0);
  CHECK(bias.to_vector() == b0);
}

TEST_CASE("conv2d_loops: other channel counts or an empty output throw a ShapeError", "[conv2d_loops]") {
  const dl::Tensor bias = dl::Tensor::zeros({2});
  CHECK_THROWS_AS(ex::conv2d_loops(dl::Tensor::zeros({1, 3, 5, 5}), dl::Tensor::zeros({2, 2, 3, 3}), bias, 1, 0),
                  dl::ShapeError);
  CHECK_THROWS_AS(ex::conv2d_loops(dl::Tensor::zeros({1, 1, 3, 3}), dl::Tensor::zeros({2, 1, 5, 5}), bias, 1, 0),
                  dl::ShapeError);
  CHECK_THROWS_AS(ex::conv2d_loops(dl::Tensor::zeros({1, 1, 8, 3}), dl::Tensor::zeros({2, 1, 6, 6}), bias, 1, 1),
                  dl::ShapeError);
  // (2 - 3) / 2 rounds to 0 in C++, yet no 3x3 window fits into a 2x2 image.
  CHECK_THROWS_AS(ex::conv2d_loops(dl::Tensor::zeros({1, 1, 2, 2}), dl::Tensor::zeros({2, 1, 3, 3}), bias, 2, 0),
                  dl::ShapeError);
}

// Tests of the exercise im2col; its stub and task are in exercises/02-cnn/im2col/.
#include "dl/conv.hpp"
#include "exercise_support.hpp"

namespace {

struct Geometry {
  int64_t c, h, w, kernel, stride, padding;
};

// The library's im2col kernel (common/src/ops_conv.cpp) on one image, as a (C K K, OH OW) tensor.
dl::Tensor library_im2col(const dl::Tensor& image, const Geometry& s) {
  dl::Conv2dGeometry g{1, s.c, s.h, s.w, s.kernel, s.kernel, s.stride, s.padding, 1, 0, 0};
  g.out_h = (s.h + 2 * s.padding - s.kernel) / s.stride + 1;
  g.out_w = (s.w + 2 * s.padding - s.kernel) / s.stride + 1;
  dl::Tensor col = dl::Tensor::zeros({g.patch(), g.positions()});
  dl::im2col(image.data(), g, col.data(), g.positions());
  return col;
}

const Geometry kGeometries[] = {
    {1, 5, 5, 3, 1, 0},  // one channel
    {3, 7, 5, 3, 1, 1},  // non-square, padding 1
    {2, 6, 9, 3, 2, 0},  // stride 2, the last row is never reached
    {2, 5, 4, 2, 2, 1},  // even kernel, stride 2, padding 1
    {4, 4, 4, 5, 1, 2},  // kernel larger than the image, padding 2
    {3, 8, 6, 1, 3, 0},  // 1x1 kernel, stride 3
};

}  // namespace

TEST_CASE("im2col: a 2x2 kernel over a 3x3 image, computed by hand", "[im2col]") {
  const dl::Tensor image = dl::Tensor::from_data({1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  const dl::Tensor col = ex::im2col(image, 2, 1, 0);
  REQUIRE(col.shape() == dl::Shape{4, 4});
  // Row (ky, kx), column (oy, ox): image[oy + ky][ox + kx].
  CHECK(col.to_vector() == std::vector<float>{1, 2, 4, 5,  //
                                              2, 3, 5, 6,  //
                                              4, 5, 7, 8,  //
                                              5, 6, 8, 9});
}

TEST_CASE("im2col: padding 1 writes exact zeros outside the image", "[im2col]") {
  // Leave a buffer of the result's size full of 7s in the allocator's cache, so that
  // entries never written would show up as 7, not as zeros by luck.
  { const dl::Tensor junk = dl::Tensor::full({9, 4}, 7.0f); }
  const dl::Tensor image = dl::Tensor::from_data({1, 2, 2}, {1, 2, 3, 4});
  const dl::Tensor col = ex::im2col(image, 3, 1, 1);
  REQUIRE(col.shape() == dl::Shape{9, 4});
  CHECK(col.to_vector() == std::vector<float>{0, 0, 0, 1,  //
                                              0, 0, 1, 2,  //
                                              0, 0, 2, 0,  //
                                              0, 1, 0, 3,  //
                                              1, 2, 3, 4,  //
                                              2, 0, 4, 0,  //
                                              0, 3, 0, 0,  //
                                              3, 4, 0, 0,  //
                                              4, 0, 0, 0});
}

TEST_CASE("im2col: a 1x1 kernel lays the channels out as rows, in order", "[im2col]") {
  const dl::Tensor image = test::random_tensor({3, 4, 5}, 301);
  const dl::Tensor col = ex::im2col(image, 1, 1, 0);
  REQUIRE(col.shape() == dl::Shape{3, 20});
  CHECK(col.to_vector() == image.to_vector());
  // With stride 2 the columns are the pixels (0, 0), (0, 2), (0, 4), (2, 0), (2, 2), (2, 4) of each channel.
  const dl::Tensor strided = ex::im2col(image, 1, 2, 0);
  REQUIRE(strided.shape() == dl::Shape{3, 6});
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t j = 0; j < 6; ++j) {
      const int64_t y = 2 * (j / 3), x = 2 * (j % 3);
      CHECK(strided.at(c * 6 + j) == image.at((c * 4 + y) * 5 + x));
    }
}

TEST_CASE("im2col: equals the library's im2col kernel on random images", "[im2col]") {
  uint64_t seed = 310;
  for (const Geometry& g : kGeometries) {
    INFO("image (" << g.c << "," << g.h << "," << g.w << "), kernel " << g.kernel << ", stride " << g.stride
                   << ", padding " << g.padding);
    const dl::Tensor image = test::random_tensor({g.c, g.h, g.w}, ++seed);
    const std::vector<float> before = image.to_vector();
    const dl::Tensor col = ex::im2col(image, g.kernel, g.stride, g.padding);
    const dl::Tensor want = library_im2col(image, g);
    REQUIRE(col.shape() == want.shape());
    CHECK(test::max_abs_diff(col, want) == 0.0f);
    CHECK(image.to_vector() == before);
  }
}

TEST_CASE("im2col: the reshaped weights times the matrix is dl::conv2d", "[im2col]") {
  uint64_t seed = 330;
  for (const Geometry& g : kGeometries) {
    INFO("image (" << g.c << "," << g.h << "," << g.w << "), kernel " << g.kernel << ", stride " << g.stride
                   << ", padding " << g.padding);
    const int64_t out_channels = 3;
    const dl::Tensor image = test::random_tensor({g.c, g.h, g.w}, ++seed);
    const dl::Tensor weight = test::random_tensor({out_channels, g.c, g.kernel, g.kernel}, ++seed);
    const dl::Tensor col = ex::im2col(image, g.kernel, g.stride, g.padding);
    REQUIRE(col.dim() == 2);
    REQUIRE(col.size(0) == g.c * g.kernel * g.kernel);
    const dl::Tensor product = dl::matmul(weight.reshape({out_channels, g.c * g.kernel * g.kernel}), col);
    const dl::Tensor conv =
        dl::conv2d(image.reshape({1, g.c, g.h, g.w}), weight, {}, {.stride = g.stride, .padding = g.padding});
    REQUIRE(product.numel() == conv.numel());
    CHECK(test::max_scaled_diff(product, conv.reshape(product.shape())) < 1e-4f);
  }
}

TEST_CASE("im2col: an image that is not 3-D, or too small for the kernel, throws a ShapeError", "[im2col]") {
  CHECK_THROWS_AS(ex::im2col(dl::Tensor::zeros({1, 2, 5, 5}), 3, 1, 0), dl::ShapeError);
  CHECK_THROWS_AS(ex::im2col(dl::Tensor::zeros({25}), 3, 1, 0), dl::ShapeError);
  CHECK_THROWS_AS(ex::im2col(dl::Tensor::zeros({2, 2, 2}), 3, 1, 0), dl::ShapeError);
}

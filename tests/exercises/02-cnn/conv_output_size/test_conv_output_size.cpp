// Tests of the exercise conv_output_size; its stub and task are in exercises/02-cnn/conv_output_size/.
#include "dl/conv.hpp"
#include "exercise_support.hpp"

TEST_CASE("conv_output_size: sizes of common layers, computed by hand", "[conv_output_size]") {
  CHECK(ex::conv_output_size(28, 3, 1, 0, 1) == 26);    // valid 3x3
  CHECK(ex::conv_output_size(28, 3, 1, 1, 1) == 28);    // same 3x3
  CHECK(ex::conv_output_size(28, 2, 2, 0, 1) == 14);    // 2x2 pool
  CHECK(ex::conv_output_size(224, 7, 2, 3, 1) == 112);  // ResNet's stem
  CHECK(ex::conv_output_size(7, 3, 2, 0, 1) == 3);
  CHECK(ex::conv_output_size(6, 3, 2, 0, 1) == 2);    // the last column is never reached: floor
  CHECK(ex::conv_output_size(32, 3, 1, 2, 2) == 32);  // dilation 2 spans 5
  CHECK(ex::conv_output_size(10, 3, 1, 0, 3) == 4);   // dilation 3 spans 7
  CHECK(ex::conv_output_size(5, 5, 1, 0, 1) == 1);    // the kernel covers the whole input
  CHECK(ex::conv_output_size(1, 1, 1, 0, 1) == 1);
  CHECK(ex::conv_output_size(5, 1, 10, 0, 1) == 1);  // a stride longer than the input
  CHECK(ex::conv_output_size(1, 3, 1, 1, 1) == 1);   // padding alone makes room
}

TEST_CASE("conv_output_size: agrees with the library's formula over a grid of arguments", "[conv_output_size]") {
  int checked = 0;
  for (int64_t in = 1; in <= 12; ++in)
    for (int64_t kernel = 1; kernel <= 5; ++kernel)
      for (int64_t stride = 1; stride <= 3; ++stride)
        for (int64_t padding = 0; padding <= 2; ++padding)
          for (int64_t dilation = 1; dilation <= 3; ++dilation) {
            const dl::WindowOptions options{stride, padding, dilation};
            int64_t want = -1;
            try {
              want = dl::conv_output_size(in, kernel, options, "test", {in}, {kernel});
            } catch (const dl::ShapeError&) {
              want = -1;
            }
            INFO("in " << in << ", kernel " << kernel << ", stride " << stride << ", padding " << padding
                       << ", dilation " << dilation);
            if (want < 0) {
              CHECK_THROWS_AS(ex::conv_output_size(in, kernel, stride, padding, dilation), dl::ShapeError);
            } else {
              CHECK(ex::conv_output_size(in, kernel, stride, padding, dilation) == want);
            }
            ++checked;
          }
  CHECK(checked == 12 * 5 * 3 * 3 * 3);
}

TEST_CASE("conv_output_size: matches the output shapes of dl::conv2d and dl::max_pool2d", "[conv_output_size]") {
  const dl::Tensor x = dl::Tensor::zeros({1, 1, 11, 9});
  const dl::Tensor y = dl::conv2d(x, dl::Tensor::zeros({1, 1, 3, 3}), {}, {.stride = 2, .padding = 1, .dilation = 2});
  CHECK(y.size(2) == ex::conv_output_size(11, 3, 2, 1, 2));
  CHECK(y.size(3) == ex::conv_output_size(9, 3, 2, 1, 2));
  const dl::Tensor p = dl::max_pool2d(x, 3, 2);
  CHECK(p.size(2) == ex::conv_output_size(11, 3, 2, 0, 1));
  CHECK(p.size(3) == ex::conv_output_size(9, 3, 2, 0, 1));
}

TEST_CASE("conv_output_size: a window larger than the padded input throws a ShapeError", "[conv_output_size]") {
  CHECK_THROWS_AS(ex::conv_output_size(2, 3, 1, 0, 1), dl::ShapeError);
  CHECK_THROWS_AS(ex::conv_output_size(4, 3, 1, 0, 2), dl::ShapeError);  // dilation 2 spans 5
  CHECK_THROWS_AS(ex::conv_output_size(1, 4, 1, 1, 1), dl::ShapeError);  // spans 4, padded input 3
  // With a stride, (in + 2 padding - span) / stride rounds -1/2 to 0 in C++: still no window fits.
  CHECK_THROWS_AS(ex::conv_output_size(2, 3, 2, 0, 1), dl::ShapeError);
  CHECK_THROWS_AS(ex::conv_output_size(3, 5, 3, 0, 1), dl::ShapeError);
  CHECK_THROWS_AS(ex::conv_output_size(5, 3, 4, 0, 3), dl::ShapeError);
}

TEST_CASE("conv_output_size: arguments below their minimum throw a ShapeError", "[conv_output_size]") {
  CHECK_THROWS_AS(ex::conv_output_size(0, 1, 1, 1, 1), dl::ShapeError);  // in 0, even though padding makes room
  CHECK_THROWS_AS(ex::conv_output_size(-4, 1, 1, 3, 1), dl::ShapeError);
  CHECK_THROWS_AS(ex::conv_output_size(8, 0, 1, 0, 1), dl::ShapeError);
  CHECK_THROWS_AS(ex::conv_output_size(8, 3, 0, 0, 1), dl::ShapeError);
  CHECK_THROWS_AS(ex::conv_output_size(8, 3, -1, 0, 1), dl::ShapeError);
  CHECK_THROWS_AS(ex::conv_output_size(8, 3, 1, -1, 1), dl::ShapeError);
  CHECK_THROWS_AS(ex::conv_output_size(8, 3, 1, 0, 0), dl::ShapeError);
}

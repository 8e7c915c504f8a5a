// The worked examples of chapter 02's lesson (lesson.md pulls each one in between
// its markers), each checked against numbers worked out by hand in the lesson.
#include <catch2/catch.hpp>
#include <dl/conv.hpp>
#include <vector>

TEST_CASE("lesson: a 3x3 kernel on a 4x4 image gives the hand-computed outputs", "[chapter][lesson]") {
  // [worked-example]
  // One image, one channel, 4x4: x is (B,C,H,W) = (1,1,4,4).
  const dl::Tensor x = dl::Tensor::from_data({1, 1, 4, 4}, {1, 0, 2, 1,
                                                            0, 3, 1, 0,
                                                            2, 1, 0, 1,
                                                            1, 0, 1, 2});
  // One 3x3 filter (a Sobel kernel: left column minus right column): (O,C,kh,kw) = (1,1,3,3).
  const dl::Tensor w = dl::Tensor::from_data({1, 1, 3, 3}, {1, 0, -1,
                                                            2, 0, -2,
                                                            1, 0, -1});
  const dl::Tensor no_bias;  // an undefined tensor: no bias term

  // Stride 1, no padding: out = floor((4 + 0 - 2 - 1)/1) + 1 = 2, so the output is 2x2.
  const dl::Tensor y = dl::conv2d(x, w, no_bias);
  CHECK(y.shape() == dl::Shape{1, 1, 2, 2});
  CHECK(y.to_vector() == std::vector<float>{-1, 5,
                                            3, 1});

  // Stride 2, padding 1: out = floor((4 + 2 - 2 - 1)/2) + 1 = 2; the windows start at -1 and 1.
  const dl::Tensor z = dl::conv2d(x, w, no_bias, {.stride = 2, .padding = 1});
  CHECK(z.shape() == dl::Shape{1, 1, 2, 2});
  CHECK(z.to_vector() == std::vector<float>{-3, 1,
                                            -5, 1});
  // [worked-example]
}

TEST_CASE("lesson: a kernel larger than the padded input is a ShapeError that shows the formula",
          "[chapter][lesson]") {
  // [too-large]
  const dl::Tensor x = dl::Tensor::ones({1, 1, 4, 4});
  const dl::Tensor w = dl::Tensor::ones({1, 1, 5, 5});  // a 5x5 window cannot fit into 4x4 without padding
  CHECK_THROWS_AS(dl::conv2d(x, w, dl::Tensor()), dl::ShapeError);
  CHECK_THROWS_WITH(dl::conv2d(x, w, dl::Tensor()),
                    "conv2d: input [1,1,4,4] with window [1,1,5,5]: the window spans 5 but the padded input is only 4 "
                    "(out = floor((in + 2*padding - dilation*(kernel-1) - 1)/stride) + 1 = "
                    "floor((4 + 2*0 - 1*4 - 1)/1) + 1 < 1)");
  CHECK(dl::conv2d(x, w, dl::Tensor(), {.padding = 1}).shape() == dl::Shape{1, 1, 2, 2});  // 4 + 2 - 4 - 1 + 1 = 2
  // [too-large]
}

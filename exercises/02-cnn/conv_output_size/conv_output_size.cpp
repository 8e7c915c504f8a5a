// Exercise conv_output_size (chapter 02): the output size of a convolution.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade conv_output_size`.
#include "exercises.hpp"

namespace ex {

int64_t conv_output_size([[maybe_unused]] int64_t in, [[maybe_unused]] int64_t kernel, [[maybe_unused]] int64_t stride,
                         [[maybe_unused]] int64_t padding, [[maybe_unused]] int64_t dilation) {
  // TODO: first reject the arguments that make no sense (in, kernel, stride or
  // dilation below 1, padding below 0) with a dl::ShapeError naming them.
  // A dilated kernel spans dilation * (kernel - 1) + 1 input positions; if that is
  // more than the padded input (in + 2 * padding), no window fits: throw a
  // dl::ShapeError too. Otherwise return how many times the window fits when it
  // moves by `stride`. Careful: C++ integer division rounds towards zero, not down,
  // so do the check before you divide.
  throw dl::NotImplemented(
      "conv_output_size is not written yet (exercises/02-cnn/conv_output_size/conv_output_size.cpp)");
}

}  // namespace ex

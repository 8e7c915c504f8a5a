// Chapter 02: turning Fashion-MNIST into the seed network's 3x24x24 inputs.
#include "cnn.hpp"

#include <algorithm>

namespace ch02 {

dl::data::Dataset lesson_inputs(const dl::data::Dataset& data) {
  constexpr int64_t kSide = 24, kChannels = 3;
  const int64_t offset = (data.rows - kSide) / 2;  // 2 pixels of border on each side of 28
  if (data.rows < kSide || data.cols < kSide)
    throw dl::ShapeError("lesson_inputs: images of " + std::to_string(data.rows) + "x" + std::to_string(data.cols) +
                         " are smaller than the 24x24 crop");
  dl::data::Dataset out;
  out.labels = data.labels;
  out.rows = out.cols = kSide;
  out.images = dl::Tensor::empty({data.size(), kChannels * kSide * kSide});
  for (int64_t n = 0; n < data.size(); ++n) {
    const float* src = data.images.data() + n * data.rows * data.cols;
    float* dst = out.images.data() + n * kChannels * kSide * kSide;
    for (int64_t y = 0; y < kSide; ++y)
      std::copy_n(src + (y + offset) * data.cols + offset, kSide, dst + y * kSide);
    for (int64_t c = 1; c < kChannels; ++c) std::copy_n(dst, kSide * kSide, dst + c * kSide * kSide);
  }
  return out;
}

}  // namespace ch02

// Reference solution of the exercise causal_mask (chapter 04).
#include <limits>
#include <stdexcept>
#include <string>

#include "exercises.hpp"

namespace ex {

dl::Tensor causal_mask(int64_t t, int64_t s, std::span<const int> key_padding) {
  // out: (T, S)  key_padding: S entries or none
  if (t < 0 || s < 0)
    throw std::invalid_argument("causal_mask: T and S must be 0 or more, got T = " + std::to_string(t) +
                                " and S = " + std::to_string(s));
  if (!key_padding.empty() && static_cast<int64_t>(key_padding.size()) != s)
    throw dl::ShapeError("causal_mask: key_padding has " + std::to_string(key_padding.size()) +
                         " entries, but there are S = " + std::to_string(s) + " keys");
  for (size_t j = 0; j < key_padding.size(); ++j)
    if (key_padding[j] != 0 && key_padding[j] != 1)
      throw std::invalid_argument("causal_mask: key_padding holds 1 for a real key and 0 for padding, got " +
                                  std::to_string(key_padding[j]) + " at " + std::to_string(j));

  const float hidden = -std::numeric_limits<float>::infinity();
  dl::Tensor mask = dl::Tensor::zeros({t, s});
  float* m = mask.data();
  for (int64_t i = 0; i < t; ++i)
    for (int64_t j = 0; j < s; ++j) {
      const bool padded = !key_padding.empty() && key_padding[static_cast<size_t>(j)] == 0;
      if (j > i || padded) m[i * s + j] = hidden;  // a future key, or padding
    }
  return mask;
}

}  // namespace ex

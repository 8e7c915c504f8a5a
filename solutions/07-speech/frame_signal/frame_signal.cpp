// Reference solution of the exercise frame_signal (chapter 07).
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

#include "exercises.hpp"

namespace ex {

dl::Tensor frame_signal(std::span<const float> signal, int64_t win_length, int64_t hop_length) {
  // signal: (N)  out: (F, win_length) with F = 1 + (N - win_length) / hop_length, or 0
  if (win_length < 1 || hop_length < 1)
    throw std::invalid_argument("frame_signal: win_length and hop_length must be 1 or more, got " +
                                std::to_string(win_length) + " and " + std::to_string(hop_length));
  const auto n = static_cast<int64_t>(signal.size());
  const int64_t frames = n < win_length ? 0 : 1 + (n - win_length) / hop_length;

  // The periodic Hann window: one period of the cosine over win_length samples.
  std::vector<float> window(static_cast<size_t>(win_length));
  for (int64_t i = 0; i < win_length; ++i)
    window[static_cast<size_t>(i)] =
        static_cast<float>(0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * double(i) / double(win_length)));

  dl::Tensor out = dl::Tensor::zeros({frames, win_length});
  float* o = out.data();
  for (int64_t f = 0; f < frames; ++f)
    for (int64_t i = 0; i < win_length; ++i)
      o[f * win_length + i] = signal[static_cast<size_t>(f * hop_length + i)] * window[static_cast<size_t>(i)];
  return out;
}

}  // namespace ex

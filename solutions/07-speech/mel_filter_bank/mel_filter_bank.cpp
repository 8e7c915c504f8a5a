// Reference solution of the exercise mel_filter_bank (chapter 07).
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "exercises.hpp"

namespace ex {

namespace {
double hz_to_mel(double f) { return 2595.0 * std::log10(1.0 + f / 700.0); }
double mel_to_hz(double m) { return 700.0 * (std::pow(10.0, m / 2595.0) - 1.0); }
}  // namespace

dl::Tensor mel_filter_bank(int64_t n_fft, int64_t n_mels, double sample_rate, double f_min, double f_max) {
  // out: (n_mels, n_fft / 2 + 1), row i is filter i over the FFT bins
  if (n_fft < 2 || n_mels < 1)
    throw std::invalid_argument("mel_filter_bank: need n_fft >= 2 and n_mels >= 1, got " + std::to_string(n_fft) +
                                " and " + std::to_string(n_mels));
  if (!(sample_rate > 0) || !(f_min >= 0) || !(f_min < f_max) || !(f_max <= sample_rate / 2))
    throw std::invalid_argument("mel_filter_bank: need 0 <= f_min < f_max <= sample_rate / 2, got f_min " +
                                std::to_string(f_min) + ", f_max " + std::to_string(f_max) + ", sample_rate " +
                                std::to_string(sample_rate));
  const int64_t bins = n_fft / 2 + 1;

  // n_mels + 2 points equally spaced in mel, both ends included, back in Hz.
  const double m_min = hz_to_mel(f_min), m_max = hz_to_mel(f_max);
  std::vector<double> hz(static_cast<size_t>(n_mels + 2));
  for (int64_t j = 0; j < n_mels + 2; ++j)
    hz[static_cast<size_t>(j)] = mel_to_hz(m_min + (m_max - m_min) * double(j) / double(n_mels + 1));

  dl::Tensor out = dl::Tensor::zeros({n_mels, bins});
  float* w = out.data();
  for (int64_t i = 0; i < n_mels; ++i) {
    const double lo = hz[static_cast<size_t>(i)], mid = hz[static_cast<size_t>(i + 1)],
                 hi = hz[static_cast<size_t>(i + 2)];
    for (int64_t k = 0; k < bins; ++k) {
      const double f = double(k) * sample_rate / double(n_fft);
      const double rising = (f - lo) / (mid - lo), falling = (hi - f) / (hi - mid);
      w[i * bins + k] = static_cast<float>(std::max(0.0, std::min(rising, falling)));
    }
  }
  return out;
}

}  // namespace ex

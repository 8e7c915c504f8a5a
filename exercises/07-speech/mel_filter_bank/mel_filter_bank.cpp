// Exercise mel_filter_bank (chapter 07): the triangular filters of a mel filter bank.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade mel_filter_bank`.
#include "exercises.hpp"

namespace ex {

dl::Tensor mel_filter_bank([[maybe_unused]] int64_t n_fft, [[maybe_unused]] int64_t n_mels,
                           [[maybe_unused]] double sample_rate, [[maybe_unused]] double f_min,
                           [[maybe_unused]] double f_max) {
  // out: (n_mels, n_fft / 2 + 1), row i is filter i over the FFT bins
  // TODO: std::invalid_argument unless n_fft >= 2, n_mels >= 1, sample_rate > 0 and
  // 0 <= f_min < f_max <= sample_rate / 2.
  // Convert f_min and f_max to mel (m = 2595 log10(1 + f / 700)), take n_mels + 2 equally
  // spaced mel points between them (both ends included), and convert each back to Hz
  // (f = 700 (10^(m / 2595) - 1)). Then, for filter i and bin k at f = k sample_rate / n_fft,
  // the weight rises from 0 at point i to 1 at point i + 1 and falls to 0 at point i + 2,
  // linearly in Hz; outside that range it is 0.
  throw dl::NotImplemented(
      "mel_filter_bank is not written yet (exercises/07-speech/mel_filter_bank/mel_filter_bank.cpp)");
}

}  // namespace ex

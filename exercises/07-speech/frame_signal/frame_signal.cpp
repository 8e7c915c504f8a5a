// Exercise frame_signal (chapter 07): cut a signal into windowed frames.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade frame_signal`.
#include "exercises.hpp"

namespace ex {

dl::Tensor frame_signal([[maybe_unused]] std::span<const float> signal, [[maybe_unused]] int64_t win_length,
                        [[maybe_unused]] int64_t hop_length) {
  // signal: (N)  out: (F, win_length) with F = 1 + (N - win_length) / hop_length, or 0
  // TODO: std::invalid_argument unless win_length >= 1 and hop_length >= 1.
  // Count the frames (none when N < win_length), make a (F, win_length) tensor with
  // dl::Tensor::zeros, and fill row f with signal[f hop_length + n] w[n] for
  // n = 0 .. win_length - 1, where w[n] = 0.5 - 0.5 cos(2 pi n / win_length) (periodic:
  // divide by win_length, not win_length - 1).
  throw dl::NotImplemented("frame_signal is not written yet (exercises/07-speech/frame_signal/frame_signal.cpp)");
}

}  // namespace ex

// Exercise ctc_forward_step (chapter 07): one step of CTC's forward recursion, in log space.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade ctc_forward_step`.
#include "exercises.hpp"

namespace ex {

std::vector<float> ctc_forward_step([[maybe_unused]] std::span<const float> log_alpha_prev,
                                    [[maybe_unused]] std::span<const int> extended,
                                    [[maybe_unused]] std::span<const float> log_probs, [[maybe_unused]] int blank) {
  // log_alpha_prev: (S)  extended: (S), S = 2 L + 1  log_probs: (C)  out: (S)
  // TODO: dl::ShapeError unless log_alpha_prev and extended have the same length;
  // std::out_of_range unless blank and every extended[s] are in [0, C).
  // For each s, gather alpha_{t-1}(s), alpha_{t-1}(s - 1) when s >= 1, and alpha_{t-1}(s - 2)
  // when s >= 2 and extended[s] is neither the blank nor equal to extended[s - 2]. Add them
  // with a log-sum-exp (the largest first: m + log(sum exp(x - m))) that returns minus
  // infinity when m is minus infinity, then add log_probs[extended[s]].
  throw dl::NotImplemented(
      "ctc_forward_step is not written yet (exercises/07-speech/ctc_forward_step/ctc_forward_step.cpp)");
}

}  // namespace ex

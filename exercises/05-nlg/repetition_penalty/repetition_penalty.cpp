// Exercise repetition_penalty (chapter 05): CTRL's penalty on the tokens already generated.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade repetition_penalty`.
#include "exercises.hpp"

namespace ex {

void repetition_penalty([[maybe_unused]] std::span<float> logits, [[maybe_unused]] std::span<const int> previous,
                        [[maybe_unused]] float penalty) {
  // logits: V scores, changed in place  previous: token ids, each in [0, V), repeats allowed
  // TODO: std::invalid_argument unless penalty is positive and finite; std::out_of_range
  // for an id outside [0, V). Check everything before you change a score.
  // Then, once for each distinct id in previous: divide its score by penalty when the
  // score is positive, multiply it by penalty when it is negative.
  throw dl::NotImplemented(
      "repetition_penalty is not written yet (exercises/05-nlg/repetition_penalty/repetition_penalty.cpp)");
}

}  // namespace ex

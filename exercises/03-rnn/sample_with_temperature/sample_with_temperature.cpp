// Exercise sample_with_temperature (chapter 03): sampling a character with a temperature.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade sample_with_temperature`.
#include "exercises.hpp"

namespace ex {

int sample_with_temperature([[maybe_unused]] std::span<const float> logits, [[maybe_unused]] float temperature,
                            [[maybe_unused]] dl::Generator& gen) {
  // TODO: throw std::invalid_argument for an empty logits or a negative temperature.
  // Temperature 0 is greedy: return the index of the largest logit, the first one
  // on a tie, and do not call gen at all.
  // Otherwise p_i = exp((z_i - max z) / temperature) / (the sum of those exps):
  // subtracting the maximum keeps exp from overflowing. Draw u = gen.uniform()
  // exactly once, then walk i = 0, 1, ... adding p_i to a running sum, and return
  // the first i at which the sum exceeds u. If rounding leaves the sum at or below
  // u after the last index, return the last index.
  throw dl::NotImplemented(
      "sample_with_temperature is not written yet "
      "(exercises/03-rnn/sample_with_temperature/sample_with_temperature.cpp)");
}

}  // namespace ex

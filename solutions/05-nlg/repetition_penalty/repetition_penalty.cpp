// Reference solution of the exercise repetition_penalty (chapter 05).
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "exercises.hpp"

namespace ex {

void repetition_penalty(std::span<float> logits, std::span<const int> previous, float penalty) {
  // logits: V scores, changed in place  previous: token ids, each in [0, V), repeats allowed
  if (!(penalty > 0) || !std::isfinite(penalty))
    throw std::invalid_argument("repetition_penalty: the penalty must be positive and finite, got " +
                                std::to_string(penalty));
  const auto vocab = static_cast<int64_t>(logits.size());
  for (const int id : previous)
    if (id < 0 || id >= vocab)
      throw std::out_of_range("repetition_penalty: id " + std::to_string(id) + " is outside a vocabulary of " +
                              std::to_string(vocab));

  // Each distinct id once: Hugging Face gathers the scores of `previous`, penalises them
  // and scatters them back, so a repeated id is written twice with the same value.
  std::vector<bool> seen(logits.size(), false);
  for (const int id : previous) {
    const auto i = static_cast<size_t>(id);
    if (seen[i]) continue;
    seen[i] = true;
    float& score = logits[i];
    score = score < 0 ? score * penalty : score / penalty;
  }
}

}  // namespace ex

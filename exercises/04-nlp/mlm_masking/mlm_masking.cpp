// Exercise mlm_masking (chapter 04): BERT's 80/10/10 masking for masked language modelling.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade mlm_masking`.
#include "exercises.hpp"

namespace ex {

MlmExample mlm_masking([[maybe_unused]] std::span<const int> ids, [[maybe_unused]] std::span<const int> special_ids,
                       [[maybe_unused]] float mask_prob, [[maybe_unused]] int mask_id,
                       [[maybe_unused]] int vocab_size, [[maybe_unused]] dl::Generator& gen) {
  // TODO: std::invalid_argument unless 0 <= mask_prob <= 1 (a NaN is neither),
  // vocab_size >= 1 and 0 <= mask_id < vocab_size; std::out_of_range for an id
  // outside [0, vocab_size).
  // Start from a copy of ids and labels of -100. For each position that is not a
  // special token, draw gen.uniform(): below mask_prob, the position is chosen. A
  // chosen position's label is its original id; then draw again to decide between
  // mask_id (80%), gen.below(vocab_size) (10%) and the token as it was (10%).
  throw dl::NotImplemented("mlm_masking is not written yet (exercises/04-nlp/mlm_masking/mlm_masking.cpp)");
}

}  // namespace ex

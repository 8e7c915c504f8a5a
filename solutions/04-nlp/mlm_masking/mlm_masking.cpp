// Reference solution of the exercise mlm_masking (chapter 04).
#include <algorithm>
#include <stdexcept>
#include <string>

#include "exercises.hpp"

namespace ex {

MlmExample mlm_masking(std::span<const int> ids, std::span<const int> special_ids, float mask_prob, int mask_id,
                       int vocab_size, dl::Generator& gen) {
  if (!(mask_prob >= 0.0f && mask_prob <= 1.0f))
    throw std::invalid_argument("mlm_masking: mask_prob must be in [0, 1], got " + std::to_string(mask_prob));
  if (vocab_size < 1)
    throw std::invalid_argument("mlm_masking: the vocabulary is empty (vocab_size " + std::to_string(vocab_size) + ")");
  if (mask_id < 0 || mask_id >= vocab_size)
    throw std::invalid_argument("mlm_masking: mask_id " + std::to_string(mask_id) + " is not an id of a vocabulary of " +
                                std::to_string(vocab_size));
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] < 0 || ids[i] >= vocab_size)
      throw std::out_of_range("mlm_masking: id " + std::to_string(ids[i]) + " at position " + std::to_string(i) +
                              " is outside the vocabulary [0, " + std::to_string(vocab_size) + ")");

  constexpr int kIgnore = -100;  // dl::CrossEntropyOptions::ignore_index
  MlmExample out{std::vector<int>(ids.begin(), ids.end()), std::vector<int>(ids.size(), kIgnore)};
  for (size_t i = 0; i < ids.size(); ++i) {
    if (std::find(special_ids.begin(), special_ids.end(), ids[i]) != special_ids.end()) continue;
    if (!(gen.uniform() < mask_prob)) continue;  // not chosen
    out.labels[i] = ids[i];
    const float r = gen.uniform();
    if (r < 0.8f)
      out.ids[i] = mask_id;  // 80%: [MASK]
    else if (r < 0.9f)
      out.ids[i] = static_cast<int>(gen.below(static_cast<uint64_t>(vocab_size)));  // 10%: any token
    // else 10%: left as it was, so the model cannot trust an unmasked token blindly
  }
  return out;
}

}  // namespace ex

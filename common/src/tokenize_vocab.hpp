// What the tokenizers share: looking token strings up by id.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "dl/error.hpp"

namespace dl::tokenize::detail {

/// The token strings of `ids` in `vocabulary`; throws `dl::Error` naming `who` and the
/// valid range for an id outside it.
inline std::vector<std::string> lookup_tokens(const std::vector<std::string>& vocabulary, std::span<const int> ids,
                                              const char* who) {
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (int id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= vocabulary.size())
      throw Error(std::string(who) + ": id " + std::to_string(id) + " is outside the vocabulary (0.." +
                  std::to_string(vocabulary.size() - 1) + ")");
    out.push_back(vocabulary[static_cast<size_t>(id)]);
  }
  return out;
}

}  // namespace dl::tokenize::detail

// Reference solution of the exercise bpe_merge_step (chapter 04).
#include <map>
#include <stdexcept>
#include <string>
#include <utility>

#include "exercises.hpp"

namespace ex {

BpePair bpe_merge_step(std::vector<BpeWord>& words, int new_id) {
  // A std::map keeps the pairs sorted by (left, right), so walking it and keeping the
  // first pair with the highest count breaks ties towards the smaller ids.
  std::map<std::pair<int, int>, int64_t> counts;
  for (size_t w = 0; w < words.size(); ++w) {
    const BpeWord& word = words[w];
    if (word.count < 0)
      throw std::invalid_argument("bpe_merge_step: word " + std::to_string(w) + " has count " +
                                  std::to_string(word.count) + " (counts are 0 or more)");
    for (const int s : word.symbols)
      if (s < 0)
        throw std::invalid_argument("bpe_merge_step: word " + std::to_string(w) + " holds the symbol " +
                                    std::to_string(s) + " (symbols are token ids, 0 or more)");
    for (size_t k = 0; k + 1 < word.symbols.size(); ++k) counts[{word.symbols[k], word.symbols[k + 1]}] += word.count;
  }

  BpePair best;
  for (const auto& [pair, count] : counts)
    if (count > best.count) best = {pair.first, pair.second, count};
  if (best.count < 2) return {};  // a pair seen once is not worth a token, as in train_bpe

  for (BpeWord& word : words) {
    std::vector<int>& s = word.symbols;
    // Left to right, writing over the same vector: after a merge the scan jumps past
    // both symbols, so in "a a a" only the first two join.
    size_t out = 0;
    for (size_t k = 0; k < s.size(); ++out) {
      if (k + 1 < s.size() && s[k] == best.left && s[k + 1] == best.right) {
        s[out] = new_id;
        k += 2;
      } else {
        s[out] = s[k];
        k += 1;
      }
    }
    s.resize(out);
  }
  return best;
}

}  // namespace ex

// Reference solution of the exercise wordpiece_greedy (chapter 04).
#include "exercises.hpp"

namespace ex {

std::vector<std::string> wordpiece_greedy(const std::string& word, const std::unordered_set<std::string>& vocab,
                                          size_t max_chars) {
  // Where each character starts: every byte except the continuation bytes 10xxxxxx.
  // starts.back() is the end of the word, so character i is [starts[i], starts[i+1]).
  std::vector<size_t> starts;
  for (size_t b = 0; b < word.size(); ++b)
    if ((static_cast<unsigned char>(word[b]) & 0xC0) != 0x80) starts.push_back(b);
  const size_t chars = starts.size();
  starts.push_back(word.size());
  if (chars > max_chars) return {"[UNK]"};

  std::vector<std::string> pieces;
  for (size_t start = 0; start < chars;) {
    // The longest candidate first: from the whole rest of the word down to one character.
    size_t end = chars;
    std::string candidate;
    for (; end > start; --end) {
      candidate = (start > 0 ? "##" : "") + word.substr(starts[start], starts[end] - starts[start]);
      if (vocab.count(candidate) != 0) break;
    }
    if (end == start) return {"[UNK]"};  // nothing matched here: the whole word is unknown
    pieces.push_back(std::move(candidate));
    start = end;
  }
  return pieces;
}

}  // namespace ex

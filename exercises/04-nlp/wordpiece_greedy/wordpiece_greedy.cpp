// Exercise wordpiece_greedy (chapter 04): WordPiece's greedy longest match.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade wordpiece_greedy`.
#include "exercises.hpp"

namespace ex {

std::vector<std::string> wordpiece_greedy([[maybe_unused]] const std::string& word,
                                          [[maybe_unused]] const std::unordered_set<std::string>& vocab,
                                          [[maybe_unused]] size_t max_chars) {
  // TODO: first find where each character starts: in UTF-8 every byte that is not a
  // continuation byte (one of the form 10xxxxxx) starts a character. More than
  // max_chars characters: return {"[UNK]"}.
  // Then from start = 0: try the candidate from start to the end of the word, then one
  // character shorter, and so on down to one character; a candidate that does not
  // begin the word gets "##" in front. Keep the first (longest) one that is in vocab
  // and continue from where it ended. If no candidate matches, return {"[UNK]"}:
  // the whole word is unknown, not only the rest of it.
  throw dl::NotImplemented(
      "wordpiece_greedy is not written yet (exercises/04-nlp/wordpiece_greedy/wordpiece_greedy.cpp)");
}

}  // namespace ex

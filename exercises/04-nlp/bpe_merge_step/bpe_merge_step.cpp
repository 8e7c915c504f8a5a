// Exercise bpe_merge_step (chapter 04): one merge of BPE training.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade bpe_merge_step`.
#include "exercises.hpp"

namespace ex {

BpePair bpe_merge_step([[maybe_unused]] std::vector<BpeWord>& words, [[maybe_unused]] int new_id) {
  // TODO: throw std::invalid_argument if a word has a negative count or a negative symbol.
  // Count the pairs: for each word, for each position k with a symbol after it, add
  // the word's count to the pair (symbols[k], symbols[k + 1]). A std::map keyed by
  // std::pair<int, int> keeps the pairs sorted, which makes the tie rule easy.
  // The best pair has the highest count; on a tie, the smaller left id, then the
  // smaller right id. If its count is below 2 (or there are no pairs at all),
  // return BpePair{} and leave the words as they are.
  // Otherwise rewrite every word left to right: where symbols[k] and symbols[k + 1]
  // are the pair, write new_id and skip both; else keep symbols[k]. Return the pair.
  throw dl::NotImplemented("bpe_merge_step is not written yet (exercises/04-nlp/bpe_merge_step/bpe_merge_step.cpp)");
}

}  // namespace ex

// Tokenizers on any bytes: GPT-2's pieces put the text back together; byte-level BPE
// decodes what it encodes; WordPiece's ids are in the vocabulary between [CLS] and
// [SEP]; invalid UTF-8 is a dl::Error, never a crash.
#include <dl/error.hpp>
#include <dl/tokenize.hpp>

#include "fuzz_support.hpp"

namespace {

const dl::tokenize::ByteLevelBPE& bpe() {
  static const dl::tokenize::ByteLevelBPE tokenizer = dl::tokenize::train_bpe(
      std::vector<std::string>{"the quick brown fox jumps over the lazy dog's back", "春眠不觉晓，处处闻啼鸟。",
                               "it's 1234 o'clock!!  \n\n", "naïve café 🙂🙂"},
      300);
  return tokenizer;
}

const dl::tokenize::WordPiece& wordpiece() {
  static const dl::tokenize::WordPiece tokenizer({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "##s", "un",
                                                  "##aff", "##able", "a", "##a", "春", ",", "!", "cafe"});
  return tokenizer;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    std::string joined;
    for (std::string_view piece : dl::tokenize::gpt2_pieces(text)) {
      fuzz::require(!piece.empty(), "no piece is empty");
      joined += piece;
    }
    fuzz::require(joined == text, "the pieces concatenate to the text");
    fuzz::require(bpe().decode(bpe().encode(text)) == text, "byte-level BPE decodes what it encodes");
  } catch (const dl::Error&) {
  }
  try {
    const std::vector<int> ids = wordpiece().encode(text);
    fuzz::require(ids.size() >= 2 && ids.front() == wordpiece().id("[CLS]") && ids.back() == wordpiece().id("[SEP]"),
                  "WordPiece wraps its ids in [CLS] and [SEP]");
    wordpiece().decode(ids);  // every id is in the vocabulary, or this throws
  } catch (const dl::Error&) {
  }
  return 0;
}

// The worked examples of chapter 04's lesson, "Text to numbers" (lesson.md pulls each
// one in between its markers): BPE learned step by step on a tiny corpus, the byte
// tokens that make an unknown token unnecessary, GPT-2's pre-tokenisation, and the
// real GPT-2 and bert-base-uncased vocabularies, read from DL_VOCAB_DIR (the files
// that ./book deps fetches into build/vocab).
#include <catch2/catch.hpp>
#include <dl/tokenize.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using dl::tokenize::ByteLevelBPE;
using dl::tokenize::WordPiece;
using Strings = std::vector<std::string>;
using Ids = std::vector<int>;

namespace {

// The merges as vocab.bpe spells them, one "left right" per merge, by rank.
Strings merge_lines(const ByteLevelBPE& bpe) {
  Strings lines;
  for (const dl::tokenize::Merge& m : bpe.merges()) lines.push_back(m.left + " " + m.right);
  return lines;
}

// The token strings `bpe` cuts `text` into.
Strings spelled(const ByteLevelBPE& bpe, std::string_view text) { return bpe.tokens(bpe.encode(text)); }

// The tiny corpus of the lesson: four words, each repeated as often as it "occurs".
Strings tiny_corpus() {
  // [tiny-corpus]
  Strings corpus;
  for (const auto& [word, count] : {std::pair{"low", 5}, {"lower", 2}, {"newest", 6}, {"widest", 3}})
    corpus.insert(corpus.end(), count, word);  // "low" five times, "lower" twice, ...
  // [tiny-corpus]
  return corpus;
}

}  // namespace

TEST_CASE("lesson: BPE on a tiny corpus merges the most frequent pair first", "[ch04][lesson]") {
  // [train-tiny]
  // 256 byte tokens to start with, then room for 10 merges.
  const ByteLevelBPE bpe = dl::tokenize::train_bpe(tiny_corpus(), 256 + 10);
  CHECK(bpe.vocab_size() == 266);
  CHECK(merge_lines(bpe) == Strings{
                                "e s",      // 9: newest (6) + widest (3); ties with "s t", and "e s" sorts first
                                "es t",     // 9: the same nine words
                                "l o",      // 7: low (5) + lower (2); ties with "o w"
                                "lo w",     // 7: "low" is now one token
                                "e w",      // 6: newest; ties with "n e" and "w est"
                                "n ew",     // 6
                                "new est",  // 6: newest is one token
                                "d est",    // 3: widest; ties with "w i" and "i d"
                                "i dest",   // 3
                                "w idest",  // 3: widest is one token too
                            });
  // [train-tiny]
}

TEST_CASE("lesson: a word BPE never saw is spelled with the pieces it learned", "[ch04][lesson]") {
  const ByteLevelBPE bpe = dl::tokenize::train_bpe(tiny_corpus(), 256 + 10);
  // [new-words]
  CHECK(spelled(bpe, "newest") == Strings{"newest"});       // seen six times: one token
  CHECK(spelled(bpe, "lowest") == Strings{"low", "est"});   // never seen: two known pieces
  CHECK(spelled(bpe, "newer") == Strings{"new", "e", "r"});
  CHECK(spelled(bpe, "wider") == Strings{"w", "i", "d", "e", "r"});  // "wid" was never a pair on its own
  CHECK(bpe.decode(bpe.encode("lowest")) == "lowest");     // the pieces join back into the text
  // [new-words]
}

TEST_CASE("lesson: byte-level BPE needs no unknown token because every byte is a token", "[ch04][lesson]") {
  const ByteLevelBPE bpe = dl::tokenize::train_bpe(tiny_corpus(), 256 + 10);
  // [bytes]
  // Each of the 256 bytes has a visible stand-in: printable ones stand for themselves,
  // the others (space, newline, ...) are moved to the code points from 256 on.
  CHECK(dl::tokenize::byte_to_unicode('w') == "w");
  CHECK(dl::tokenize::byte_to_unicode(' ') == "Ġ");   // U+0120
  CHECK(dl::tokenize::byte_to_unicode('\n') == "Ċ");  // U+010A
  // "é" is two bytes in UTF-8, C3 A9; the corpus never had it, so they stay two tokens,
  // shown as the Latin-1 characters of those bytes.
  CHECK(spelled(bpe, "wé") == Strings{"w", "Ã", "©"});
  CHECK(bpe.encode("wé") == Ids{'w', 0xC3, 0xA9});   // a byte token's id is the byte itself
  CHECK(spelled(bpe, "语").size() == 3);              // one Chinese character, three bytes
  CHECK(bpe.decode(bpe.encode("wé 语")) == "wé 语");   // nothing lost
  // [bytes]
}

TEST_CASE("lesson: GPT-2's pattern cuts text into pieces that keep the space before a word", "[ch04][lesson]") {
  const auto pieces = [](std::string_view text) {
    Strings out;
    for (std::string_view p : dl::tokenize::gpt2_pieces(text)) out.emplace_back(p);
    return out;
  };
  // [pieces]
  CHECK(pieces("Hello world, it's 2024!") == Strings{"Hello", " world", ",", " it", "'s", " 2024", "!"});
  CHECK(pieces("two  spaces") == Strings{"two", " ", " spaces"});  // a run leaves its last space to the word
  CHECK(pieces("自然语言 NLP") == Strings{"自然语言", " NLP"});       // letters of any script
  // [pieces]
}

TEST_CASE("lesson: the real GPT-2 and bert-base-uncased vocabularies give the published ids", "[ch04][lesson]") {
  // [real-vocabularies]
  const std::string vocab = DL_VOCAB_DIR;  // build/vocab, filled by ./book deps
  const ByteLevelBPE gpt2 = ByteLevelBPE::load(vocab + "/gpt2");
  const WordPiece bert = WordPiece::load(vocab + "/bert-base-uncased/vocab.txt");
  CHECK(gpt2.vocab_size() == 50257);  // 256 bytes + 50000 merges + <|endoftext|>
  CHECK(gpt2.merges().size() == 50000);
  CHECK(merge_lines(gpt2).front() == "Ġ t");  // rank 0: a space and a t, as in " the", " to"
  CHECK(bert.vocab_size() == 30522);

  CHECK(gpt2.encode("Hello world") == Ids{15496, 995});
  CHECK(gpt2.tokens(gpt2.encode("Hello world")) == Strings{"Hello", "Ġworld"});

  // The seed's sentence, as BertTokenizer.from_pretrained("bert-base-uncased") encodes it:
  const Ids ids = bert.encode("Hello, my dog is cute");
  CHECK(ids == Ids{101, 7592, 1010, 2026, 3899, 2003, 10140, 102});
  CHECK(bert.tokens(ids) == Strings{"[CLS]", "hello", ",", "my", "dog", "is", "cute", "[SEP]"});
  CHECK(bert.decode(ids) == "[CLS] hello , my dog is cute [SEP]");  // the capital H is gone for good
  // The same sentence in GPT-2: other ids, other tokens, no [CLS] or [SEP], and nothing lost.
  CHECK(gpt2.encode("Hello, my dog is cute") == Ids{15496, 11, 616, 3290, 318, 13779});
  CHECK(gpt2.decode(Ids{15496, 11, 616, 3290, 318, 13779}) == "Hello, my dog is cute");
  // [real-vocabularies]

  // [word-pieces]
  CHECK(bert.tokens(bert.encode("tokenization")) == Strings{"[CLS]", "token", "##ization", "[SEP]"});
  CHECK(gpt2.tokens(gpt2.encode("tokenization")) == Strings{"token", "ization"});
  CHECK(bert.tokens(bert.encode("unaffable")) == Strings{"[CLS]", "una", "##ffa", "##ble", "[SEP]"});
  CHECK(gpt2.tokens(gpt2.encode("unaffable")) == Strings{"un", "aff", "able"});
  CHECK(bert.tokens(bert.encode("Naïve CAFÉ")) == Strings{"[CLS]", "naive", "cafe", "[SEP]"});  // lower-cased, accents gone
  CHECK(bert.encode("Hello, my [MASK] is cute.")[4] == bert.id("[MASK]"));  // 103: written in the text, still special
  // [word-pieces]

  // [chinese]
  // bert-base-uncased knows only a few hundred Chinese characters: 爱, 自, 然, ... are [UNK].
  CHECK(bert.tokens(bert.encode("我爱自然语言处理")) ==
        Strings{"[CLS]", "我", "[UNK]", "[UNK]", "[UNK]", "[UNK]", "[UNK]", "[UNK]", "[UNK]", "[SEP]"});
  // GPT-2 loses nothing, but pays with length: 8 characters, 24 bytes, 19 tokens.
  CHECK(gpt2.encode("我爱自然语言处理").size() == 19);
  CHECK(gpt2.decode(gpt2.encode("我爱自然语言处理")) == "我爱自然语言处理");
  // [chinese]
}

// Tokenizers on small vocabularies the tests write themselves: GPT-2's pre-tokenisation,
// byte-level BPE by merge rank, the BPE trainer, WordPiece, and their file formats.
// (tests/tokenize/ checks the real GPT-2 and bert-base-uncased files.)
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "dl/error.hpp"
#include "dl/random.hpp"
#include "dl/tokenize.hpp"
#include "test_support.hpp"

using Catch::Matchers::Contains;
using dl::tokenize::ByteLevelBPE;
using dl::tokenize::WordPiece;

namespace {

std::vector<std::string> pieces(std::string_view text) {
  std::vector<std::string> out;
  for (std::string_view p : dl::tokenize::gpt2_pieces(text)) out.emplace_back(p);
  return out;
}

// The 256 byte tokens, then `extra` tokens.
std::vector<std::string> byte_tokens(std::vector<std::string> extra = {}) {
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b) tokens.push_back(dl::tokenize::byte_to_unicode(static_cast<uint8_t>(b)));
  tokens.insert(tokens.end(), extra.begin(), extra.end());
  return tokens;
}

std::string space() { return dl::tokenize::byte_to_unicode(' '); }  // "Ġ"

WordPiece small_wordpiece() {
  return WordPiece({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello", ",", "un", "##aff", "##able", "my", "dog", "你",
                    "cafe", "!", "a", "##a", "[MASK]", "[", "]", "mask"});
}

}  // namespace

TEST_CASE("gpt2_pieces: contractions, letter, number and symbol runs keep the space before them", "[tokenize]") {
  CHECK(pieces("Hello world") == std::vector<std::string>{"Hello", " world"});
  CHECK(pieces("I'm sure it's the cat's") ==
        std::vector<std::string>{"I", "'m", " sure", " it", "'s", " the", " cat", "'s"});
  CHECK(pieces("we'll they've you're I'd") ==
        std::vector<std::string>{"we", "'ll", " they", "'ve", " you", "'re", " I", "'d"});
  CHECK(pieces("DON'T") == std::vector<std::string>{"DON", "'", "T"});  // contractions are lower-case only
  CHECK(pieces("abc123 4.5!!?") == std::vector<std::string>{"abc", "123", " 4", ".", "5", "!!?"});
  CHECK(pieces("héllo 世界") == std::vector<std::string>{"héllo", " 世界"});
}

TEST_CASE("gpt2_pieces: a whitespace run leaves its last space to the word after it", "[tokenize]") {
  CHECK(pieces("a  b") == std::vector<std::string>{"a", " ", " b"});
  CHECK(pieces("a\n\nb") == std::vector<std::string>{"a", "\n", "\n", "b"});
  CHECK(pieces("a\nb") == std::vector<std::string>{"a", "\n", "b"});
  CHECK(pieces("end   ") == std::vector<std::string>{"end", "   "});  // at the end, the whole run
  CHECK(pieces("  ") == std::vector<std::string>{"  "});
  CHECK(pieces("").empty());
  CHECK_THROWS_WITH(dl::tokenize::gpt2_pieces("ok\xff"), Contains("byte offset 2"));
}

TEST_CASE("gpt2_pieces: the pieces always put the text back together", "[tokenize]") {
  dl::Generator gen(5);
  const std::vector<std::string> atoms = {"a", "Z", "é", "9", " ", "  ", "\n", "\t", "'", "'s", "!", "世", "🙂", "\u00a0",
                                          "\u200b", "x\u0301"};
  for (int trial = 0; trial < 300; ++trial) {
    std::string text;
    for (int k = 0; k < 12; ++k) text += atoms[gen.below(atoms.size())];
    std::string joined;
    for (std::string_view p : dl::tokenize::gpt2_pieces(text)) {
      REQUIRE_FALSE(p.empty());
      joined += p;
    }
    CHECK(joined == text);
  }
}

TEST_CASE("byte-level BPE: merges apply by rank, not by order of appearance", "[tokenize]") {
  // Ranks: "l l" first, then "h e", then "he ll"; "e l" ranks last, so "hello"
  // becomes he + ll + o, not h + el + lo.
  const ByteLevelBPE bpe(byte_tokens({"ll", "he", "hell", "el"}), {{"l", "l"}, {"h", "e"}, {"he", "ll"}, {"e", "l"}});
  const std::vector<int> ids = bpe.encode("hello");
  CHECK(bpe.tokens(ids) == std::vector<std::string>{"hell", "o"});
  CHECK(bpe.decode(ids) == "hello");
  CHECK(bpe.tokens(bpe.encode("eel")) == std::vector<std::string>{"e", "el"});
  CHECK(bpe.encode("").empty());
  // A space is the byte token "Ġ" and starts the next word's piece.
  CHECK(bpe.tokens(bpe.encode("he ll")) == std::vector<std::string>{"he", space(), "ll"});
}

TEST_CASE("byte-level BPE: any UTF-8 text round-trips through bytes, a cut character decodes to U+FFFD", "[tokenize]") {
  const ByteLevelBPE bpe(byte_tokens(), {});
  const std::string text = "naïve 世界 🙂\t\x01 end";
  const std::vector<int> ids = bpe.encode(text);
  CHECK(ids.size() == text.size());  // no merges: one token per byte
  CHECK(bpe.decode(ids) == text);
  const std::vector<int> cut(ids.begin(), ids.begin() + 8);  // "naïve 世" without its last byte
  CHECK(bpe.decode(cut) == "naïve \xEF\xBF\xBD");
  CHECK_THROWS_WITH(bpe.decode(std::vector<int>{256}), Contains("id 256") && Contains("0..255"));
  CHECK_THROWS_WITH(bpe.encode("bad \xc3("), Contains("byte offset 4"));
}

TEST_CASE("byte-level BPE: a vocabulary without a merge's parts or result is refused", "[tokenize][errors]") {
  CHECK_THROWS_WITH(ByteLevelBPE(byte_tokens(), {{"a", "b"}}), Contains("merge 1 (a b): result \"ab\""));
  CHECK_THROWS_WITH(ByteLevelBPE(byte_tokens({"ab"}), {{"a", "zz"}}), Contains("part \"zz\""));
  CHECK_THROWS_WITH(ByteLevelBPE({"a", "b"}, {}), Contains("byte token"));
  CHECK_THROWS_WITH(ByteLevelBPE(byte_tokens({"a"}), {}), Contains("\"a\" appears twice"));
}

TEST_CASE("BPE trainer: learns the frequent pairs, round-trips, and saves files that load with the same ids", "[tokenize]") {
  std::vector<std::string> corpus;
  for (int i = 0; i < 50; ++i) corpus.push_back("low lower lowest newer wider low low");
  const ByteLevelBPE bpe = dl::tokenize::train_bpe(corpus, 256 + 10);
  CHECK(bpe.vocab_size() == 266);
  REQUIRE(bpe.merges().size() == 10);
  // " low" occurs most: its pieces merge first ("Ġ l" or "l o", both 200+ times).
  const std::vector<int> ids = bpe.encode(" low");
  CHECK(ids.size() <= 2);
  for (const std::string& text : {std::string("lowest lower"), std::string("unseen 字 bytes\n")})
    CHECK(bpe.decode(bpe.encode(text)) == text);
  // Same corpus, same merges: training is deterministic.
  const ByteLevelBPE again = dl::tokenize::train_bpe(corpus, 266);
  for (size_t k = 0; k < bpe.merges().size(); ++k) {
    CHECK(again.merges()[k].left == bpe.merges()[k].left);
    CHECK(again.merges()[k].right == bpe.merges()[k].right);
  }
  test::TempDir dir;
  bpe.save(dir.file("bpe"));
  const ByteLevelBPE loaded = ByteLevelBPE::load(dir.file("bpe"));
  CHECK(loaded.encode("lowest newer low") == bpe.encode("lowest newer low"));
  CHECK(test::read_text(dir.file("bpe/vocab.bpe")).starts_with("#version: 0.2\n"));
  // A corpus with no repeated pair adds nothing beyond the bytes.
  CHECK(dl::tokenize::train_bpe(std::vector<std::string>{"ab"}, 300).vocab_size() == 256);
  CHECK_THROWS_WITH(dl::tokenize::train_bpe(corpus, 100), Contains("at least 256"));
}

TEST_CASE("BPE files: a missing or malformed encoder.json or vocab.bpe names the file and the line", "[tokenize][errors]") {
  test::TempDir dir;
  const ByteLevelBPE bpe(byte_tokens({"ab"}), {{"a", "b"}});
  bpe.save(dir.file("ok"));
  CHECK(ByteLevelBPE::load(dir.file("ok")).encode("ab").size() == 1);
  CHECK_THROWS_WITH(ByteLevelBPE::load(dir.file("missing")), Contains("missing/encoder.json") && Contains("./book deps"));
  std::filesystem::copy(dir.file("ok"), dir.file("bad"));
  std::ofstream(dir.file("bad/vocab.bpe")) << "#version: 0.2\na b\nonly-one-token\n";
  CHECK_THROWS_WITH(ByteLevelBPE::load(dir.file("bad")), Contains("vocab.bpe: line 3") && Contains("two tokens"));
  std::ofstream(dir.file("bad/vocab.bpe")) << "#version: 0.2\na c\n";
  CHECK_THROWS_WITH(ByteLevelBPE::load(dir.file("bad")), Contains("result \"ac\""));
  std::ofstream(dir.file("bad/encoder.json")) << "{\"a\": 0, \"b\": 0}";
  CHECK_THROWS_WITH(ByteLevelBPE::load(dir.file("bad")), Contains("encoder.json") && Contains("id 0 is given to"));
  std::ofstream(dir.file("bad/encoder.json")) << "{\"a\": 0,";
  CHECK_THROWS_WITH(ByteLevelBPE::load(dir.file("bad")), Contains("not valid JSON at byte"));
}

TEST_CASE("WordPiece: lower-case, accents, punctuation, CJK and the longest continuation", "[tokenize]") {
  const WordPiece wp = small_wordpiece();
  CHECK(wp.basic_tokens("Hello, my DOG!") == std::vector<std::string>{"hello", ",", "my", "dog", "!"});
  CHECK(wp.basic_tokens("Café\u0301 naïve") == std::vector<std::string>{"cafe", "naive"});
  CHECK(wp.basic_tokens("你好world") == std::vector<std::string>{"你", "好", "world"});
  CHECK(wp.basic_tokens("a\u200bb\x07" "c\td") == std::vector<std::string>{"abc", "d"});  // controls dropped
  CHECK(wp.basic_tokens("$5+x") == std::vector<std::string>{"$", "5", "+", "x"});       // ASCII symbols split
  const std::vector<int> ids = wp.encode("Hello, UNAFFABLE!");
  CHECK(wp.tokens(ids) ==
        std::vector<std::string>{"[CLS]", "hello", ",", "un", "##aff", "##able", "!", "[SEP]"});
  CHECK(wp.decode(ids) == "[CLS] hello , unaffable ! [SEP]");
  CHECK(wp.tokens(wp.encode("你好")) == std::vector<std::string>{"[CLS]", "你", "[UNK]", "[SEP]"});
  CHECK(wp.tokens(wp.encode("unx")) == std::vector<std::string>{"[CLS]", "[UNK]", "[SEP]"});  // a gap: the whole word
  CHECK(wp.encode("") == std::vector<int>{wp.id("[CLS]"), wp.id("[SEP]")});
}

TEST_CASE("WordPiece: a special token written in the text keeps its id, only in its own spelling", "[tokenize]") {
  const WordPiece wp = small_wordpiece();
  CHECK(wp.tokens(wp.encode("my [MASK] dog")) == std::vector<std::string>{"[CLS]", "my", "[MASK]", "dog", "[SEP]"});
  CHECK(wp.tokens(wp.encode("a[MASK][SEP]")) == std::vector<std::string>{"[CLS]", "a", "[MASK]", "[SEP]", "[SEP]"});
  CHECK(wp.tokens(wp.encode("[mask] [MASK")) ==
        std::vector<std::string>{"[CLS]", "[", "mask", "]", "[", "mask", "[SEP]"});
  CHECK_THROWS_WITH(wp.encode("[MASK] \xff"), Contains("byte offset 7"));
}

TEST_CASE("gpt2_pieces: the pieces of the test set match GPT-2's pattern run by the regex module", "[tokenize]") {
  // tests/tokenize/gpt2_pieces_cases.jsonl: what `regex.findall` gives with GPT-2's pattern
  // (tests/tokenize/reference.py), for the texts of the tokenizer test set.
  std::ifstream in(std::string(DL_SOURCE_DIR) + "/tests/tokenize/gpt2_pieces_cases.jsonl");
  REQUIRE(in.good());
  std::string line;
  int cases = 0;
  while (std::getline(in, line)) {
    const auto c = nlohmann::json::parse(line);
    INFO(c["name"].get<std::string>());
    CHECK(pieces(c["text"].get<std::string>()) == c["pieces"].get<std::vector<std::string>>());
    ++cases;
  }
  CHECK(cases >= 60);
}

TEST_CASE("WordPiece: a word over 100 characters becomes the unknown token, one of 100 is split", "[tokenize]") {
  const WordPiece wp = small_wordpiece();
  CHECK(wp.tokens(wp.encode(std::string(100, 'a'))).size() == 2 + 100);  // a ##a ##a ...
  CHECK(wp.tokens(wp.encode(std::string(101, 'a'))) == std::vector<std::string>{"[CLS]", "[UNK]", "[SEP]"});
}

TEST_CASE("WordPiece: bad vocabularies, ids and text are refused with what was wrong", "[tokenize][errors]") {
  CHECK_THROWS_WITH(WordPiece({"[UNK]", "[CLS]", "a"}), Contains("[SEP]"));
  CHECK_THROWS_WITH(WordPiece({"[UNK]", "[CLS]", "[SEP]", "a", "a"}), Contains("\"a\" appears twice (lines 4 and 5)"));
  CHECK_THROWS_WITH(WordPiece::load("/nonexistent/vocab.txt"), Contains("/nonexistent/vocab.txt"));
  const WordPiece wp = small_wordpiece();
  CHECK_THROWS_WITH(wp.decode(std::vector<int>{-1}), Contains("id -1"));
  CHECK_THROWS_WITH(wp.encode("x\xe4\xb8"), Contains("byte offset 1"));
}

// Tests of the exercise wordpiece_greedy; its stub and task are in exercises/04-nlp/wordpiece_greedy/.
#include <string>
#include <unordered_set>

#include "exercise_support.hpp"

namespace {

using Tokens = std::vector<std::string>;
using Vocab = std::unordered_set<std::string>;

const Tokens unknown{"[UNK]"};

}  // namespace

TEST_CASE("wordpiece_greedy: takes the longest prefix and then the longest ## continuations",
          "[wordpiece_greedy]") {
  // The lesson's example: "una" is longer than "un", so it wins although "un" "##aff"
  // "##able" would read better.
  const Vocab vocab{"un", "una", "##aff", "##ffa", "##able", "##ble", "a", "##a"};
  CHECK(ex::wordpiece_greedy("unaffable", vocab) == Tokens{"una", "##ffa", "##ble"});
  CHECK(ex::wordpiece_greedy("un", vocab) == Tokens{"un"});
  CHECK(ex::wordpiece_greedy("una", vocab) == Tokens{"una"});
  CHECK(ex::wordpiece_greedy("aaa", vocab) == Tokens{"a", "##a", "##a"});
  CHECK(ex::wordpiece_greedy("unable", vocab) == Tokens{"una", "##ble"});
}

TEST_CASE("wordpiece_greedy: a whole word in the vocabulary is one token", "[wordpiece_greedy]") {
  const Vocab vocab{"play", "playing", "##ing", "##s", "p", "##l", "##a", "##y"};
  CHECK(ex::wordpiece_greedy("playing", vocab) == Tokens{"playing"});
  CHECK(ex::wordpiece_greedy("plays", vocab) == Tokens{"play", "##s"});
  CHECK(ex::wordpiece_greedy("ply", vocab) == Tokens{"p", "##l", "##y"});
}

TEST_CASE("wordpiece_greedy: greedy does not back off when the longest first piece strands the rest",
          "[wordpiece_greedy]") {
  // "ab" "##cd" would cover the word, but the longest first piece is "abc", and
  // nothing matches "d" after it.
  const Vocab vocab{"ab", "abc", "##cd"};
  CHECK(ex::wordpiece_greedy("abcd", vocab) == unknown);
  CHECK(ex::wordpiece_greedy("abc", vocab) == Tokens{"abc"});
}

TEST_CASE("wordpiece_greedy: one unmatched character makes the whole word unknown", "[wordpiece_greedy]") {
  const Vocab vocab{"hello", "##o", "z"};
  CHECK(ex::wordpiece_greedy("helloz", vocab) == unknown);  // not {"hello", "[UNK]"}
  CHECK(ex::wordpiece_greedy("xhello", vocab) == unknown);
  CHECK(ex::wordpiece_greedy("hellooo", vocab) == Tokens{"hello", "##o", "##o"});
}

TEST_CASE("wordpiece_greedy: a continuation needs its ## and the first piece must not have one",
          "[wordpiece_greedy]") {
  CHECK(ex::wordpiece_greedy("ab", Vocab{"a", "b"}) == unknown);        // "b" is not "##b"
  CHECK(ex::wordpiece_greedy("ab", Vocab{"##a", "##b"}) == unknown);    // "##a" cannot start the word
  CHECK(ex::wordpiece_greedy("ab", Vocab{"a", "##b"}) == Tokens{"a", "##b"});
  CHECK(ex::wordpiece_greedy("a", Vocab{}) == unknown);
}

TEST_CASE("wordpiece_greedy: an empty word gives no tokens", "[wordpiece_greedy]") {
  CHECK(ex::wordpiece_greedy("", Vocab{"a"}).empty());
  CHECK(ex::wordpiece_greedy("", Vocab{}).empty());
}

TEST_CASE("wordpiece_greedy: pieces are whole UTF-8 characters", "[wordpiece_greedy]") {
  // é is two bytes (C3 A9), 深 and 度 three each.
  const Vocab vocab{"caf", "##é", "##s", "深", "##度", "\xC3", "##\xA9"};
  CHECK(ex::wordpiece_greedy("cafés", vocab) == Tokens{"caf", "##é", "##s"});
  CHECK(ex::wordpiece_greedy("深度", vocab) == Tokens{"深", "##度"});
  INFO("the vocabulary holds the two bytes of é as pieces, but a piece never ends inside a character");
  CHECK(ex::wordpiece_greedy("é", vocab) == unknown);
  CHECK(ex::wordpiece_greedy("度", vocab) == unknown);
}

TEST_CASE("wordpiece_greedy: words over max_chars characters are unknown", "[wordpiece_greedy]") {
  const Vocab vocab{"a", "##a", "é", "##é"};
  const Tokens hundred = ex::wordpiece_greedy(std::string(100, 'a'), vocab);
  REQUIRE(hundred.size() == 100);
  CHECK(hundred.front() == "a");
  CHECK(hundred.back() == "##a");
  CHECK(ex::wordpiece_greedy(std::string(101, 'a'), vocab) == unknown);  // BERT's limit is 100
  CHECK(ex::wordpiece_greedy("aaaa", vocab, 3) == unknown);
  CHECK(ex::wordpiece_greedy("aaa", vocab, 3) == Tokens{"a", "##a", "##a"});
  INFO("the limit counts characters, not bytes: éé is 2 characters in 4 bytes");
  CHECK(ex::wordpiece_greedy("éé", vocab, 2) == Tokens{"é", "##é"});
}

TEST_CASE("wordpiece_greedy: agrees with dl::tokenize::WordPiece on random words and vocabularies",
          "[wordpiece_greedy]") {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    INFO("seed " << seed);
    dl::Generator gen(seed);
    const auto random_string = [&](size_t length) {
      std::string s(length, ' ');
      for (char& c : s) c = static_cast<char>('a' + gen.below(3));  // letters a to c
      return s;
    };
    std::vector<std::string> tokens{"[PAD]", "[UNK]", "[CLS]", "[SEP]"};
    Vocab vocab;
    for (int i = 0; i < 25; ++i) {
      std::string token = (gen.below(2) == 0 ? "##" : "") + random_string(1 + gen.below(3));
      if (vocab.insert(token).second) tokens.push_back(token);
    }
    const dl::tokenize::WordPiece library(tokens);
    for (int w = 0; w < 30; ++w) {
      const std::string word = random_string(1 + gen.below(8));
      INFO("word " << word);
      const std::vector<int> ids = library.encode(word);  // [CLS] ... [SEP]
      Tokens want = library.tokens(ids);
      want = Tokens(want.begin() + 1, want.end() - 1);
      CHECK(ex::wordpiece_greedy(word, vocab) == want);
    }
  }
}

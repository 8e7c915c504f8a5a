// Tests of the exercise bpe_merge_step; its stub and task are in exercises/04-nlp/bpe_merge_step/.
#include <stdexcept>
#include <string>

#include "exercise_support.hpp"

namespace {

// A word written as its bytes, which are also the ids of the 256 byte tokens.
ex::BpeWord bytes(const std::string& word, int64_t count) {
  ex::BpeWord w{{}, count};
  for (const char c : word) w.symbols.push_back(static_cast<unsigned char>(c));
  return w;
}

// Merges with bpe_merge_step until no pair occurs twice or `limit` merges are made, new
// ids from 256 up, and returns each merge as the library writes it ("e s", "es t", ...).
std::vector<std::string> learn_merges(std::vector<ex::BpeWord> words, int limit) {
  std::vector<std::string> token(256);
  for (int b = 0; b < 256; ++b) token[static_cast<size_t>(b)] = std::string(1, static_cast<char>(b));
  std::vector<std::string> merges;
  for (int m = 0; m < limit; ++m) {
    const int new_id = static_cast<int>(token.size());
    const ex::BpePair pair = ex::bpe_merge_step(words, new_id);
    if (pair.count == 0) break;
    REQUIRE(pair.left >= 0);
    REQUIRE(pair.left < new_id);
    REQUIRE(pair.right >= 0);
    REQUIRE(pair.right < new_id);
    const std::string left = token[static_cast<size_t>(pair.left)], right = token[static_cast<size_t>(pair.right)];
    merges.push_back(left + " " + right);
    token.push_back(left + right);
  }
  return merges;
}

// The merges dl::tokenize::train_bpe learns from `words` (each listed `count` times), as "a b".
std::vector<std::string> library_merges(const std::vector<std::pair<std::string, int>>& words, int limit) {
  std::vector<std::string> texts;
  for (const auto& [word, count] : words) texts.insert(texts.end(), static_cast<size_t>(count), word);
  const dl::tokenize::ByteLevelBPE bpe = dl::tokenize::train_bpe(texts, 256 + limit);
  std::vector<std::string> merges;
  for (const dl::tokenize::Merge& m : bpe.merges()) merges.push_back(m.left + " " + m.right);
  return merges;
}

}  // namespace

TEST_CASE("bpe_merge_step: the lesson's corpus of four words gives its ten merges in order", "[bpe_merge_step]") {
  const std::vector<ex::BpeWord> corpus{bytes("low", 5), bytes("lower", 2), bytes("newest", 6), bytes("widest", 3)};
  CHECK(learn_merges(corpus, 10) == std::vector<std::string>{"e s", "es t", "l o", "lo w", "e w", "n ew", "new est",
                                                             "d est", "i dest", "w idest"});
}

TEST_CASE("bpe_merge_step: returns the pair with its count and rewrites every word that holds it",
          "[bpe_merge_step]") {
  std::vector<ex::BpeWord> words{bytes("newest", 6), bytes("widest", 3), bytes("low", 5)};
  const ex::BpePair pair = ex::bpe_merge_step(words, 300);
  CHECK(pair.left == 'e');
  CHECK(pair.right == 's');
  CHECK(pair.count == 9);
  CHECK(words[0].symbols == std::vector<int>{'n', 'e', 'w', 300, 't'});
  CHECK(words[1].symbols == std::vector<int>{'w', 'i', 'd', 300, 't'});
  CHECK(words[2].symbols == std::vector<int>{'l', 'o', 'w'});
  CHECK(words[0].count == 6);  // counts stay as they are
  CHECK(words[1].count == 3);
}

TEST_CASE("bpe_merge_step: a repeated symbol counts once per position and merges left to right",
          "[bpe_merge_step]") {
  std::vector<ex::BpeWord> words{{{1, 1, 1}, 1}, {{1, 1, 1, 1}, 1}, {{2, 1, 1, 2}, 1}};
  const ex::BpePair pair = ex::bpe_merge_step(words, 9);
  INFO("a a a holds the pair a a twice, a a a a three times, b a a b once");
  CHECK(pair.left == 1);
  CHECK(pair.right == 1);
  CHECK(pair.count == 6);
  CHECK(words[0].symbols == std::vector<int>{9, 1});
  CHECK(words[1].symbols == std::vector<int>{9, 9});
  CHECK(words[2].symbols == std::vector<int>{2, 9, 2});
}

TEST_CASE("bpe_merge_step: each pair is weighted by the count of its word", "[bpe_merge_step]") {
  // Three words hold 3 4 (count 3 each: 9 in all); one word holds 7 8 and occurs 10 times.
  std::vector<ex::BpeWord> words{{{3, 4}, 3}, {{3, 4, 5}, 3}, {{6, 3, 4}, 3}, {{7, 8}, 10}};
  const ex::BpePair pair = ex::bpe_merge_step(words, 20);
  CHECK(pair.left == 7);
  CHECK(pair.right == 8);
  CHECK(pair.count == 10);
  CHECK(words[3].symbols == std::vector<int>{20});
  CHECK(words[1].symbols == std::vector<int>{3, 4, 5});
}

TEST_CASE("bpe_merge_step: on a tie the smaller left id wins and then the smaller right id",
          "[bpe_merge_step]") {
  {
    std::vector<ex::BpeWord> words{{{5, 3}, 2}, {{2, 7}, 2}, {{2, 4}, 2}, {{9, 1}, 2}};
    const ex::BpePair pair = ex::bpe_merge_step(words, 10);
    CHECK(pair.left == 2);
    CHECK(pair.right == 4);
    CHECK(pair.count == 2);
    CHECK(words[2].symbols == std::vector<int>{10});
    CHECK(words[1].symbols == std::vector<int>{2, 7});
  }
  {
    INFO("a higher count beats smaller ids");
    std::vector<ex::BpeWord> words{{{1, 2}, 2}, {{9, 9}, 3}};
    const ex::BpePair pair = ex::bpe_merge_step(words, 10);
    CHECK(pair.left == 9);
    CHECK(pair.right == 9);
  }
}

TEST_CASE("bpe_merge_step: when no pair occurs twice nothing changes and the pair is -1 -1 0",
          "[bpe_merge_step]") {
  const std::vector<std::vector<ex::BpeWord>> corpora{
      {},                                       // no words
      {{{4}, 10}, {{5}, 3}, {{}, 2}},           // words of one symbol, or none
      {{{1, 2}, 1}, {{3, 4}, 1}, {{2, 1}, 1}},  // every pair once
      {{{1, 2, 3}, 0}, {{1, 2}, 1}},            // a word that occurs 0 times adds nothing
  };
  for (size_t c = 0; c < corpora.size(); ++c) {
    INFO("corpus " << c);
    std::vector<ex::BpeWord> words = corpora[c];
    const ex::BpePair pair = ex::bpe_merge_step(words, 99);
    CHECK(pair.left == -1);
    CHECK(pair.right == -1);
    CHECK(pair.count == 0);
    for (size_t w = 0; w < words.size(); ++w) CHECK(words[w].symbols == corpora[c][w].symbols);
  }
}

TEST_CASE("bpe_merge_step: learns the same merges as dl::tokenize::train_bpe on random corpora",
          "[bpe_merge_step]") {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    INFO("seed " << seed);
    dl::Generator gen(seed);
    std::vector<std::pair<std::string, int>> corpus;
    for (int w = 0; w < 40; ++w) {
      std::string word(1 + gen.below(8), ' ');
      for (char& c : word) c = static_cast<char>('a' + gen.below(5));  // letters a to e
      corpus.push_back({word, 1 + static_cast<int>(gen.below(4))});
    }
    std::vector<ex::BpeWord> words;
    for (const auto& [word, count] : corpus) words.push_back(bytes(word, count));
    CHECK(learn_merges(words, 40) == library_merges(corpus, 40));
  }
}

TEST_CASE("bpe_merge_step: a negative count or symbol throws std::invalid_argument", "[bpe_merge_step]") {
  std::vector<ex::BpeWord> negative_count{{{1, 2}, 3}, {{1, 2}, -1}};
  CHECK_THROWS_AS(ex::bpe_merge_step(negative_count, 10), std::invalid_argument);
  std::vector<ex::BpeWord> negative_symbol{{{1, 2}, 3}, {{1, -2}, 1}};
  CHECK_THROWS_AS(ex::bpe_merge_step(negative_symbol, 10), std::invalid_argument);
}

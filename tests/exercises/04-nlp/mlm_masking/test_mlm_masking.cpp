// Tests of the exercise mlm_masking; its stub and task are in exercises/04-nlp/mlm_masking/.
//
// The masking is random, so most checks count: over many tokens each observed fraction
// must lie within kZ binomial standard errors of the probability the task states. With
// kZ = 5 a correct solution, whatever order it draws its random numbers in, fails one such
// check with probability below 1e-6; a rule off by a few percent fails it for sure.
#include <cmath>
#include <limits>
#include <stdexcept>

#include "exercise_support.hpp"

namespace {

constexpr double kZ = 5.0;
constexpr int kIgnore = -100;
constexpr int kVocab = 30522, kMask = 103, kPad = 0, kCls = 101, kSep = 102;  // BERT's sizes and ids
const std::vector<int> kSpecials{kPad, kCls, kSep};

// Checks that `hits` out of `trials` is within kZ standard errors of probability p.
void check_fraction(const char* what, int64_t hits, int64_t trials, double p) {
  REQUIRE(trials > 0);
  const double fraction = double(hits) / double(trials);
  const double se = std::sqrt(p * (1 - p) / double(trials));
  INFO(what << ": " << hits << " of " << trials << " = " << fraction << ", expected " << p << " +- " << kZ << " x "
            << se);
  CHECK(std::abs(fraction - p) <= kZ * se);
}

// Sentences of ordinary ids in [200, kVocab) between [CLS] and [SEP], some padded at the end.
std::vector<int> corpus(int64_t sentences, uint64_t seed) {
  dl::Generator gen(seed);
  std::vector<int> ids;
  for (int64_t s = 0; s < sentences; ++s) {
    ids.push_back(kCls);
    const auto words = 5 + gen.below(60);
    for (uint64_t w = 0; w < words; ++w) ids.push_back(200 + static_cast<int>(gen.below(kVocab - 200)));
    ids.push_back(kSep);
    for (uint64_t p = gen.below(4); p > 0; --p) ids.push_back(kPad);
  }
  return ids;
}

bool is_special(int id) { return id == kPad || id == kCls || id == kSep; }

}  // namespace

TEST_CASE("mlm_masking: labels are -100 exactly where a token was not chosen", "[mlm_masking]") {
  const std::vector<int> ids = corpus(300, 61);
  dl::Generator gen(62);
  const ex::MlmExample out = ex::mlm_masking(ids, kSpecials, 0.15f, kMask, kVocab, gen);
  REQUIRE(out.ids.size() == ids.size());
  REQUIRE(out.labels.size() == ids.size());
  int64_t chosen = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    INFO("position " << i << ": id " << ids[i] << " became " << out.ids[i] << " with label " << out.labels[i]);
    if (out.labels[i] == kIgnore) {
      CHECK(out.ids[i] == ids[i]);  // not chosen: left alone
    } else {
      CHECK(out.labels[i] == ids[i]);  // chosen: the label is the original id
      CHECK(!is_special(ids[i]));
      CHECK((out.ids[i] >= 0 && out.ids[i] < kVocab));
      ++chosen;
    }
  }
  CHECK(chosen > 0);
}

TEST_CASE("mlm_masking: special tokens are never chosen", "[mlm_masking]") {
  const std::vector<int> ids = corpus(200, 71);
  dl::Generator gen(72);
  INFO("with mask_prob 1 every other token is chosen, and no special one");
  const ex::MlmExample out = ex::mlm_masking(ids, kSpecials, 1.0f, kMask, kVocab, gen);
  REQUIRE(out.labels.size() == ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    INFO("position " << i << ", id " << ids[i]);
    if (is_special(ids[i])) {
      CHECK(out.labels[i] == kIgnore);
      CHECK(out.ids[i] == ids[i]);
    } else {
      CHECK(out.labels[i] == ids[i]);
    }
  }

  INFO("special ids are whatever the caller says: here 500 and 501 as well");
  const std::vector<int> more{kPad, kCls, kSep, 500, 501};
  const std::vector<int> few{101, 500, 7, 501, 501, 8, 102};
  const ex::MlmExample some = ex::mlm_masking(few, more, 1.0f, kMask, kVocab, gen);
  CHECK(some.labels == std::vector<int>{kIgnore, kIgnore, 7, kIgnore, kIgnore, 8, kIgnore});
}

TEST_CASE("mlm_masking: mask_prob 0 changes nothing", "[mlm_masking]") {
  const std::vector<int> ids = corpus(50, 81);
  dl::Generator gen(82);
  const ex::MlmExample out = ex::mlm_masking(ids, kSpecials, 0.0f, kMask, kVocab, gen);
  CHECK(out.ids == ids);
  CHECK(out.labels == std::vector<int>(ids.size(), kIgnore));
  const ex::MlmExample empty = ex::mlm_masking({}, kSpecials, 0.15f, kMask, kVocab, gen);
  CHECK(empty.ids.empty());
  CHECK(empty.labels.empty());
}

TEST_CASE("mlm_masking: tokens are chosen with mask_prob and split 80/10/10", "[mlm_masking]") {
  const std::vector<int> ids = corpus(8000, 91);  // about 300,000 tokens
  for (const float p : {0.15f, 0.4f}) {
    INFO("mask_prob " << p);
    dl::Generator gen(92);
    const ex::MlmExample out = ex::mlm_masking(ids, kSpecials, p, kMask, kVocab, gen);
    REQUIRE(out.ids.size() == ids.size());
    REQUIRE(out.labels.size() == ids.size());
    int64_t ordinary = 0, chosen = 0, masked = 0, kept = 0, replaced = 0;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (is_special(ids[i])) continue;
      ++ordinary;
      if (out.labels[i] == kIgnore) continue;
      ++chosen;
      if (out.ids[i] == kMask)
        ++masked;
      else if (out.ids[i] == ids[i])
        ++kept;
      else
        ++replaced;
    }
    check_fraction("chosen among the ordinary tokens", chosen, ordinary, p);
    // A random id can be [MASK] or the original by chance, 1 in kVocab each time. The
    // ordinary ids are 200 and up, so none of them is [MASK].
    const double chance = 0.1 / kVocab;
    check_fraction("[MASK] among the chosen", masked, chosen, 0.8 + chance);
    check_fraction("kept among the chosen", kept, chosen, 0.1 + chance);
    check_fraction("replaced by another id among the chosen", replaced, chosen, 0.1 - 2 * chance);
  }
}

TEST_CASE("mlm_masking: a random replacement is uniform over the whole vocabulary", "[mlm_masking]") {
  // A vocabulary of 10: every ordinary token is 4, [MASK] is 9 and 0 is special. Each
  // chosen token becomes a given other id c (not 4 and not 9) only through the random
  // branch: with probability 0.1 / 10. That includes c = 0: the draw is over all ids.
  constexpr int vocab = 10, mask = 9, word = 4;
  std::vector<int> ids(120000, word);
  for (size_t i = 0; i < ids.size(); i += 10) ids[i] = 0;
  const std::vector<int> specials{0};
  dl::Generator gen(101);
  const ex::MlmExample out = ex::mlm_masking(ids, specials, 0.5f, mask, vocab, gen);
  REQUIRE(out.ids.size() == ids.size());
  std::vector<int64_t> counts(vocab, 0);
  int64_t chosen = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (out.labels[i] == kIgnore) continue;
    ++chosen;
    REQUIRE((out.ids[i] >= 0 && out.ids[i] < vocab));
    ++counts[static_cast<size_t>(out.ids[i])];
  }
  for (int c = 0; c < vocab; ++c) {
    if (c == word || c == mask) continue;
    INFO("id " << c);
    check_fraction("became this id", counts[static_cast<size_t>(c)], chosen, 0.1 / vocab);
  }
  check_fraction("kept", counts[static_cast<size_t>(word)], chosen, 0.1 + 0.1 / vocab);
  check_fraction("[MASK]", counts[static_cast<size_t>(mask)], chosen, 0.8 + 0.1 / vocab);
}

TEST_CASE("mlm_masking: the same seed gives the same masking and the next call another", "[mlm_masking]") {
  const std::vector<int> ids = corpus(100, 111);
  dl::Generator a(112), b(112);
  const ex::MlmExample first = ex::mlm_masking(ids, kSpecials, 0.15f, kMask, kVocab, a);
  const ex::MlmExample again = ex::mlm_masking(ids, kSpecials, 0.15f, kMask, kVocab, b);
  CHECK(first.ids == again.ids);
  CHECK(first.labels == again.labels);
  INFO("dynamic masking: each pass over the data masks the same text afresh");
  const ex::MlmExample next = ex::mlm_masking(ids, kSpecials, 0.15f, kMask, kVocab, a);
  CHECK(next.labels != first.labels);
}

TEST_CASE("mlm_masking: bad arguments throw", "[mlm_masking]") {
  const std::vector<int> ids{101, 2000, 3000, 102};
  dl::Generator gen(121);
  CHECK_THROWS_AS(ex::mlm_masking(ids, kSpecials, -0.01f, kMask, kVocab, gen), std::invalid_argument);
  CHECK_THROWS_AS(ex::mlm_masking(ids, kSpecials, 1.01f, kMask, kVocab, gen), std::invalid_argument);
  CHECK_THROWS_AS(ex::mlm_masking(ids, kSpecials, std::numeric_limits<float>::quiet_NaN(), kMask, kVocab, gen),
                  std::invalid_argument);
  CHECK_THROWS_AS(ex::mlm_masking({}, {}, 0.15f, 0, 0, gen), std::invalid_argument);  // an empty vocabulary
  CHECK_THROWS_AS(ex::mlm_masking(ids, kSpecials, 0.15f, kVocab, kVocab, gen), std::invalid_argument);
  CHECK_THROWS_AS(ex::mlm_masking(ids, kSpecials, 0.15f, -1, kVocab, gen), std::invalid_argument);
  const std::vector<int> outside{101, kVocab, 102};
  CHECK_THROWS_AS(ex::mlm_masking(outside, kSpecials, 0.15f, kMask, kVocab, gen), std::out_of_range);
  const std::vector<int> negative{101, -5, 102};
  CHECK_THROWS_AS(ex::mlm_masking(negative, kSpecials, 0.15f, kMask, kVocab, gen), std::out_of_range);
}

// Decoding strategies: greedy, softmax, temperature, top-k, top-p, repetition penalty,
// sampling, next_token, beam search and distinct-n.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "dl/decode.hpp"
#include "dl/error.hpp"

using Catch::Matchers::Contains;
namespace dd = dl::decode;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<float> softmax_of(const std::vector<float>& logits) {
  std::vector<float> probs(logits.size());
  dd::softmax(logits, probs);
  return probs;
}

// Scores whose softmax is exactly `probs` (up to float rounding).
std::vector<float> logits_of(const std::vector<double>& probs) {
  std::vector<float> logits;
  for (double p : probs) logits.push_back(static_cast<float>(std::log(p)));
  return logits;
}

int kept(const std::vector<float>& logits) {
  int n = 0;
  for (float x : logits) n += x > -kInf;
  return n;
}

// A toy deterministic "model": the log-probabilities of the next token depend only on the
// last one (-1 before the first), rows given as probabilities.
dd::NextLogProbs bigram_model(std::vector<std::vector<double>> start_and_rows, int* calls = nullptr) {
  return [table = std::move(start_and_rows), calls](const std::vector<std::vector<int>>& beams) {
    if (calls) ++*calls;
    std::vector<std::vector<float>> rows;
    for (const auto& ids : beams) rows.push_back(logits_of(table[ids.empty() ? 0 : ids.back() + 1]));
    return rows;
  };
}

}  // namespace

TEST_CASE("greedy: the largest score and the first one on ties", "[decode]") {
  CHECK(dd::greedy(std::vector<float>{0.1f, 2.0f, -1.0f}) == 1);
  CHECK(dd::greedy(std::vector<float>{1.0f, 3.0f, 3.0f, 2.0f}) == 1);
  CHECK(dd::greedy(std::vector<float>{-kInf, -kInf, -5.0f}) == 2);
  CHECK_THROWS_AS(dd::greedy(std::vector<float>{}), dl::Error);
  CHECK_THROWS_WITH(dd::greedy(std::vector<float>{1.0f, kNaN}), Contains("greedy") && Contains("NaN"));
}

TEST_CASE("softmax: sums to 1 and matches hand values even for large or -inf scores", "[decode]") {
  const auto probs = softmax_of({1.0f, 2.0f, 3.0f});
  CHECK(probs[0] + probs[1] + probs[2] == Approx(1.0f));
  // e^3 / (e + e^2 + e^3) = 1 / (e^-2 + e^-1 + 1)
  CHECK(probs[2] == Approx(1.0 / (std::exp(-2.0) + std::exp(-1.0) + 1.0)));
  const auto quarter = softmax_of({0.0f, std::log(3.0f)});
  CHECK(quarter[0] == Approx(0.25f));
  CHECK(quarter[1] == Approx(0.75f));
  // Without the max subtracted, exp(1000) overflows to inf and inf / inf is NaN.
  const auto big = softmax_of({1000.0f, 1000.0f, -kInf});
  CHECK(big[0] == Approx(0.5f));
  CHECK(big[1] == Approx(0.5f));
  CHECK(big[2] == 0.0f);
}

TEST_CASE("softmax: all -inf or NaN or sizes that differ are errors", "[decode][errors]") {
  std::vector<float> probs(2);
  CHECK_THROWS_WITH(dd::softmax(std::vector<float>{-kInf, -kInf}, probs), Contains("softmax") && Contains("-inf"));
  CHECK_THROWS_WITH(dd::softmax(std::vector<float>{kNaN, kNaN}, probs), Contains("softmax") && Contains("nan"));
  CHECK_THROWS_WITH(dd::softmax(std::vector<float>{0.0f, kNaN}, probs), Contains("token 1"));
  CHECK_THROWS_WITH(dd::softmax(std::vector<float>{1.0f, 2.0f, 3.0f}, probs), Contains("3 scores"));
}

TEST_CASE("temperature: below 1 sharpens and above 1 flattens", "[decode]") {
  const std::vector<float> logits{1.0f, 2.0f};
  const float plain = softmax_of(logits)[1];
  auto cold = logits, hot = logits;
  dd::apply_temperature(cold, 0.5f);
  dd::apply_temperature(hot, 2.0f);
  CHECK(cold == std::vector<float>{2.0f, 4.0f});
  CHECK(hot == std::vector<float>{0.5f, 1.0f});
  CHECK(softmax_of(cold)[1] > plain + 0.1f);
  CHECK(softmax_of(hot)[1] < plain - 0.1f);
  CHECK(softmax_of(hot)[1] > 0.5f);  // flatter, but the order stays
}

TEST_CASE("temperature: 0 and negative and NaN and inf are rejected", "[decode][errors]") {
  std::vector<float> logits{1.0f, 2.0f};
  for (float t : {0.0f, -1.0f, kNaN, kInf})
    CHECK_THROWS_WITH(dd::apply_temperature(logits, t), Contains("apply_temperature") && Contains("temperature"));
  CHECK(logits == std::vector<float>{1.0f, 2.0f});
}

TEST_CASE("top_k: keeps exactly the k largest and every tie at the k-th", "[decode]") {
  std::vector<float> logits{1.0f, 5.0f, 3.0f, 4.0f, 2.0f};
  dd::top_k_filter(logits, 2);
  CHECK(logits == std::vector<float>{-kInf, 5.0f, -kInf, 4.0f, -kInf});

  std::vector<float> ties{3.0f, 1.0f, 3.0f, 2.0f};
  dd::top_k_filter(ties, 1);
  CHECK(ties == std::vector<float>{3.0f, -kInf, 3.0f, -kInf});

  for (int64_t k : {0, 4, 10}) {
    std::vector<float> all{3.0f, 1.0f, 3.0f, 2.0f};
    dd::top_k_filter(all, k);
    CHECK(kept(all) == 4);
  }
  std::vector<float> three{0.5f, -2.0f, 7.0f, 1.0f, 0.0f};
  dd::top_k_filter(three, 3);
  CHECK(kept(three) == 3);
  CHECK(three[1] == -kInf);
  CHECK(three[4] == -kInf);
}

TEST_CASE("top_p: keeps the smallest set of most likely tokens whose mass reaches p", "[decode]") {
  const auto logits = logits_of({0.15, 0.5, 0.05, 0.3});  // most likely: 1, 3, 0, 2
  auto filtered = [&](float p) {
    auto copy = logits;
    dd::top_p_filter(copy, p);
    return copy;
  };
  CHECK(kept(filtered(0.8f)) == 2);  // 0.5 + 0.3 reaches 0.8 exactly
  const auto two = filtered(0.8f);
  CHECK(two[1] == logits[1]);
  CHECK(two[3] == logits[3]);
  CHECK(kept(filtered(0.81f)) == 3);
  CHECK(filtered(0.81f)[2] == -kInf);
  CHECK(kept(filtered(0.5f)) == 1);
  CHECK(kept(filtered(0.51f)) == 2);
  CHECK(kept(filtered(1.0f)) == 4);
  CHECK(kept(filtered(1e-9f)) == 1);  // the most likely token always stays
  CHECK(filtered(1e-9f)[1] == logits[1]);
  // Ties: the lower id first.
  std::vector<float> even(4, 0.0f);
  dd::top_p_filter(even, 0.5f);
  CHECK(even == std::vector<float>{0.0f, 0.0f, -kInf, -kInf});
}

TEST_CASE("top_p: p of 0 or below or NaN is rejected", "[decode][errors]") {
  std::vector<float> logits{1.0f, 2.0f};
  for (float p : {0.0f, -0.5f, kNaN}) CHECK_THROWS_WITH(dd::top_p_filter(logits, p), Contains("top_p_filter"));
}

TEST_CASE("repetition_penalty: divides positive and multiplies negative scores once per distinct id", "[decode]") {
  std::vector<float> logits{2.0f, -2.0f, 1.0f, 0.0f};
  const std::vector<int> previous{0, 1, 0, 0, 1};
  dd::repetition_penalty(logits, previous, 2.0f);
  CHECK(logits == std::vector<float>{1.0f, -4.0f, 1.0f, 0.0f});  // 0 and 1 each penalised once

  std::vector<float> unchanged{2.0f, -2.0f};
  dd::repetition_penalty(unchanged, std::vector<int>{0, 1}, 1.0f);
  CHECK(unchanged == std::vector<float>{2.0f, -2.0f});
}

TEST_CASE("repetition_penalty: an id outside the vocabulary or a bad penalty is rejected", "[decode][errors]") {
  std::vector<float> logits{2.0f, -2.0f};
  CHECK_THROWS_WITH(dd::repetition_penalty(logits, std::vector<int>{0, 2}, 1.2f), Contains("token id 2"));
  CHECK_THROWS_WITH(dd::repetition_penalty(logits, std::vector<int>{-1}, 1.2f), Contains("token id -1"));
  CHECK(logits == std::vector<float>{2.0f, -2.0f});  // checked before anything changes
  for (float penalty : {0.0f, -1.0f, kNaN, kInf})
    CHECK_THROWS_WITH(dd::repetition_penalty(logits, std::vector<int>{0}, penalty), Contains("penalty"));
}

TEST_CASE("sample: a fixed seed replays exactly and frequencies follow the softmax", "[decode]") {
  const std::vector<float> logits{0.5f, -1.0f, 2.0f, -kInf, 1.0f};
  dl::Generator a(42), b(42);
  std::vector<int> first, second;
  for (int i = 0; i < 200; ++i) {
    first.push_back(dd::sample(logits, a));
    second.push_back(dd::sample(logits, b));
  }
  CHECK(first == second);

  constexpr int kDraws = 20000;
  dl::Generator gen(7);
  std::vector<int> counts(logits.size(), 0);
  for (int i = 0; i < kDraws; ++i) ++counts[dd::sample(logits, gen)];
  const auto probs = softmax_of(logits);
  for (size_t i = 0; i < logits.size(); ++i) {
    CAPTURE(i, counts[i], probs[i]);
    CHECK(std::abs(counts[i] / double(kDraws) - probs[i]) < 0.01);
  }
  CHECK(counts[3] == 0);  // -inf: never drawn
}

TEST_CASE("strategy names: parse and name round-trip and an unknown name lists the choices", "[decode]") {
  for (auto s : {dd::Strategy::greedy, dd::Strategy::sample, dd::Strategy::top_k, dd::Strategy::top_p})
    CHECK(dd::parse_strategy(dd::strategy_name(s)) == s);
  CHECK(dd::strategy_name(dd::Strategy::top_p) == "top-p");
  CHECK_THROWS_WITH(dd::parse_strategy("beam"), Contains("'beam'") && Contains("greedy") && Contains("top-k"));
}

TEST_CASE("sampling options: each setting out of range is named", "[decode][errors]") {
  dd::SamplingOptions options;
  CHECK_NOTHROW(options.validate());
  auto with = [](auto change) {
    dd::SamplingOptions o;
    change(o);
    return o;
  };
  CHECK_THROWS_WITH(with([](auto& o) { o.temperature = 0.0f; }).validate(), Contains("temperature"));
  CHECK_THROWS_WITH(with([](auto& o) { o.repetition_penalty = -1.0f; }).validate(), Contains("repetition_penalty"));
  CHECK_THROWS_WITH(with([](auto& o) { o.strategy = dd::Strategy::top_k, o.top_k = 0; }).validate(), Contains("top_k"));
  CHECK_THROWS_WITH(with([](auto& o) { o.strategy = dd::Strategy::top_p, o.top_p = 1.5f; }).validate(),
                    Contains("top_p"));
  CHECK_THROWS_WITH(with([](auto& o) { o.strategy = dd::Strategy::top_p, o.top_p = 0.0f; }).validate(),
                    Contains("top_p"));
  // Greedy does not use the temperature.
  CHECK_NOTHROW(with([](auto& o) { o.strategy = dd::Strategy::greedy, o.temperature = 0.0f; }).validate());
}

TEST_CASE("next_token: greedy takes the argmax after the penalty and leaves the generator alone", "[decode]") {
  dd::SamplingOptions greedy{.strategy = dd::Strategy::greedy};
  dl::Generator gen(3);
  std::vector<float> logits{2.0f, 1.9f, -1.0f};
  CHECK(dd::next_token(logits, std::vector<int>{}, greedy, gen) == 0);
  CHECK(gen.uniform() == dl::Generator(3).uniform());  // no number was drawn

  greedy.repetition_penalty = 1.2f;  // 2 / 1.2 = 1.67 < 1.9
  std::vector<float> again{2.0f, 1.9f, -1.0f};
  CHECK(dd::next_token(again, std::vector<int>{0, 0}, greedy, gen) == 1);
}

TEST_CASE("next_token: top-k of 1 and a tiny top-p always give the most likely token", "[decode]") {
  dl::Generator gen(11);
  const std::vector<float> logits{0.3f, 1.0f, 0.9f, -0.5f};
  dd::SamplingOptions top_k{.strategy = dd::Strategy::top_k, .temperature = 5.0f, .top_k = 1};
  dd::SamplingOptions top_p{.strategy = dd::Strategy::top_p, .temperature = 5.0f, .top_p = 1e-4f};
  dd::SamplingOptions plain{.strategy = dd::Strategy::sample, .temperature = 5.0f};
  bool plain_varied = false;
  for (int i = 0; i < 50; ++i) {
    auto a = logits, b = logits, c = logits;
    CHECK(dd::next_token(a, std::vector<int>{}, top_k, gen) == 1);
    CHECK(dd::next_token(b, std::vector<int>{}, top_p, gen) == 1);
    plain_varied |= dd::next_token(c, std::vector<int>{}, plain, gen) != 1;
  }
  CHECK(plain_varied);  // without the filter, a hot temperature does draw other tokens
  std::vector<float> bad = logits;
  CHECK_THROWS_WITH(dd::next_token(bad, std::vector<int>{}, {.temperature = -1.0f}, gen), Contains("temperature"));
}

TEST_CASE("next_token: penalty then temperature then the filter then one draw", "[decode]") {
  const std::vector<float> logits{1.0f, 0.2f, 2.0f, -0.4f, 1.5f, 0.9f};
  const std::vector<int> previous{2, 2, 4};
  for (auto strategy : {dd::Strategy::sample, dd::Strategy::top_k, dd::Strategy::top_p}) {
    const dd::SamplingOptions options{
        .strategy = strategy, .temperature = 0.7f, .top_k = 3, .top_p = 0.6f, .repetition_penalty = 1.3f};
    dl::Generator by_call(5), by_hand(5);
    for (int i = 0; i < 100; ++i) {
      auto a = logits, b = logits;
      const int got = dd::next_token(a, previous, options, by_call);
      dd::repetition_penalty(b, previous, 1.3f);
      dd::apply_temperature(b, 0.7f);
      if (strategy == dd::Strategy::top_k) dd::top_k_filter(b, 3);
      if (strategy == dd::Strategy::top_p) dd::top_p_filter(b, 0.6f);
      CAPTURE(dd::strategy_name(strategy), i);
      CHECK(got == dd::sample(b, by_hand));
      CHECK(a == b);  // the scores are changed in place, as documented
    }
  }
}

TEST_CASE("beam_search_step: finished beams compete as they are and ties go to the lower beam then token",
          "[decode]") {
  const std::vector<dd::Beam> beams{{{4}, -1.0, true}, {{5}, -0.5, false}};
  const std::vector<std::vector<float>> log_probs{{}, {-0.5f, -0.5f, -2.0f}};
  const auto next = dd::beam_search_step(beams, log_probs, 3, /*stop_id=*/1);
  REQUIRE(next.size() == 3);
  CHECK(next[0].ids == std::vector<int>{4});  // -1.0, beam 0
  CHECK(next[0].finished);
  CHECK(next[1].ids == std::vector<int>{5, 0});  // -1.0, beam 1, token 0
  CHECK(next[1].log_prob == -1.0);
  CHECK_FALSE(next[1].finished);
  CHECK(next[2].ids == std::vector<int>{5, 1});  // -1.0, beam 1, token 1: the stop token
  CHECK(next[2].finished);

  const auto wide = dd::beam_search_step(beams, log_probs, 10);
  CHECK(wide.size() == 4);  // one finished beam + three tokens
  CHECK(wide.back().log_prob == -2.5);
  CHECK_THROWS_WITH(dd::beam_search_step(beams, log_probs, 0), Contains("width"));
  CHECK_THROWS_WITH(dd::beam_search_step(beams, {{}}, 2), Contains("one row per beam"));
}

TEST_CASE("beam_search: width 1 is greedy decoding", "[decode]") {
  // log P(t | last) from a fixed pseudo-random table; the row after -1 is the first step.
  auto model = [](const std::vector<std::vector<int>>& beams) {
    std::vector<std::vector<float>> rows;
    for (const auto& ids : beams) {
      const int last = ids.empty() ? -1 : ids.back();
      std::vector<float> scores(6), row(6);
      for (int t = 0; t < 6; ++t) scores[t] = static_cast<float>(((last + 2) * 7 + t * 3) % 5) + 0.1f * t;
      dd::softmax(scores, row);
      for (float& p : row) p = std::log(p);
      rows.push_back(row);
    }
    return rows;
  };
  std::vector<int> ids;
  double total = 0.0;
  for (int step = 0; step < 8; ++step) {
    const auto row = model({ids})[0];
    const int t = dd::greedy(row);
    ids.push_back(t);
    total += row[t];
  }
  const dd::Beam beam = dd::beam_search(model, 1, 8);
  CHECK(beam.ids == ids);
  CHECK(beam.log_prob == Approx(total));
  CHECK_FALSE(beam.finished);
  CHECK(dd::beam_search(model, 1, 0).ids.empty());
  CHECK_THROWS_WITH(dd::beam_search(model, 0, 8), Contains("beam_search") && Contains("width"));
}

TEST_CASE("beam_search: width 2 beats short-sighted greedy", "[decode]") {
  // First token: 0 (0.55) or 1 (0.4). After 0 every token is 1/3; after 1, token 2 has 0.9.
  // Greedy: 0.55 * 1/3 = 0.18; the beam keeps 1 around and finds 0.4 * 0.9 = 0.36.
  const auto model = bigram_model({{0.55, 0.4, 0.05},
                                   {1.0 / 3, 1.0 / 3, 1.0 / 3},
                                   {0.05, 0.05, 0.9},
                                   {0.4, 0.3, 0.3}});
  const dd::Beam greedy = dd::beam_search(model, 1, 2);
  const dd::Beam beam = dd::beam_search(model, 2, 2);
  CHECK(greedy.ids == std::vector<int>{0, 0});
  CHECK(beam.ids == std::vector<int>{1, 2});
  CHECK(beam.log_prob == Approx(std::log(0.4 * 0.9)));
  CHECK(beam.log_prob > greedy.log_prob + 0.5);
}

TEST_CASE("beam_search: the stop token finishes a beam and the search ends when all have", "[decode]") {
  // Token 2 is the stop token; after the start, 2 is the most likely; later, 0 is.
  int calls = 0;
  const auto model = bigram_model({{0.3, 0.1, 0.6},
                                   {0.5, 0.3, 0.2},
                                   {0.5, 0.3, 0.2},
                                   {0.5, 0.3, 0.2}},
                                  &calls);
  const dd::Beam one = dd::beam_search(model, 1, 10, /*stop_id=*/2);
  CHECK(one.ids == std::vector<int>{2});
  CHECK(one.finished);
  CHECK(one.log_prob == Approx(std::log(0.6)));
  CHECK(calls == 1);  // stopped as soon as its only beam finished

  // Width 2: the finished [2] (0.6) outscores every continuation of [0] (at most 0.3 * 0.5).
  calls = 0;
  const dd::Beam two = dd::beam_search(model, 2, 10, 2);
  CHECK(two.ids == std::vector<int>{2});
  CHECK(two.finished);
  CHECK(calls == 10);  // the other beam goes on until max_new_tokens

  // Without a stop token, 2 is an ordinary token.
  const dd::Beam none = dd::beam_search(model, 1, 3);
  CHECK(none.ids == std::vector<int>{2, 0, 0});
  CHECK_FALSE(none.finished);
}

TEST_CASE("distinct_n: distinct n-grams over all n-grams", "[decode]") {
  const std::vector<int> abab{1, 2, 1, 2};
  CHECK(dd::distinct_n(abab, 2) == Approx(2.0 / 3.0));
  CHECK(dd::distinct_n(abab, 1) == Approx(0.5));
  CHECK(dd::distinct_n(abab, 3) == Approx(1.0));  // 121 and 212
  CHECK(dd::distinct_n(std::vector<int>{7, 7, 7, 7, 7}, 2) == Approx(0.25));
  CHECK(dd::distinct_n(std::vector<int>{1, 2}, 3) == 0.0);
  CHECK(dd::distinct_n(std::vector<int>{}, 1) == 0.0);
  CHECK_THROWS_WITH(dd::distinct_n(abab, 0), Contains("distinct_n") && Contains("got 0"));
}

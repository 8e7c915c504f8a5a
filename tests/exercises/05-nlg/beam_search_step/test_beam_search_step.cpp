// Tests of the exercise beam_search_step; its stub and task are in exercises/05-nlg/beam_search_step/.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "exercise_support.hpp"

namespace {

struct Expected {
  std::vector<int> ids;
  double log_prob;
};

void check_beams(const std::vector<ex::Beam>& got, const std::vector<Expected>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("beam " << i << " of the result");
    CHECK(got[i].ids == want[i].ids);
    CHECK(got[i].log_prob == want[i].log_prob);
  }
}

// Every extension, sorted by the rule; the reference the random tests compare with.
std::vector<Expected> reference(const std::vector<ex::Beam>& beams, const std::vector<std::vector<float>>& rows,
                                size_t width) {
  struct Candidate {
    double score;
    size_t b, t;
  };
  std::vector<Candidate> all;
  for (size_t b = 0; b < beams.size(); ++b)
    for (size_t t = 0; t < rows[b].size(); ++t) all.push_back({beams[b].log_prob + double(rows[b][t]), b, t});
  std::sort(all.begin(), all.end(), [](const Candidate& x, const Candidate& y) {
    if (x.score != y.score) return x.score > y.score;
    return x.b != y.b ? x.b < y.b : x.t < y.t;
  });
  std::vector<Expected> out;
  for (size_t i = 0; i < std::min(width, all.size()); ++i) {
    std::vector<int> ids = beams[all[i].b].ids;
    ids.push_back(static_cast<int>(all[i].t));
    out.push_back({ids, all[i].score});
  }
  return out;
}

}  // namespace

TEST_CASE("beam_search_step: a worked example ranks extensions by their total log-probability",
          "[beam_search_step]") {
  // Beam 0 has log-probability -1, beam 1 -0.5. The totals: beam 0 + token 0, 1, 2 is
  // -1.125, -3, -1.75; beam 1 + token 0, 1, 2 is -1.75, -0.75, -1. (Powers of two: exact.)
  const std::vector<ex::Beam> beams{{{5}, -1.0}, {{7}, -0.5}};
  const std::vector<std::vector<float>> rows{{-0.125f, -2.0f, -0.75f}, {-1.25f, -0.25f, -0.5f}};
  INFO("a beam's own log-probability counts: token 0 of beam 0 alone (-0.125) looks best, but in total it is third");
  check_beams(ex::beam_search_step(beams, rows, 3), {{{7, 1}, -0.75}, {{7, 2}, -1.0}, {{5, 0}, -1.125}});
  INFO("both beams may lose extensions, and one beam may provide all the best ones");
  check_beams(ex::beam_search_step(beams, rows, 2), {{{7, 1}, -0.75}, {{7, 2}, -1.0}});
  INFO("-1.75 twice: beam 0 before beam 1");
  check_beams(ex::beam_search_step(beams, rows, 5),
              {{{7, 1}, -0.75}, {{7, 2}, -1.0}, {{5, 0}, -1.125}, {{5, 2}, -1.75}, {{7, 0}, -1.75}});
  INFO("a width above B V returns all B V extensions");
  CHECK(ex::beam_search_step(beams, rows, 100).size() == 6);
}

TEST_CASE("beam_search_step: equal scores go by the lower beam index, then the lower token id",
          "[beam_search_step]") {
  const std::vector<ex::Beam> one{{{}, 0.0}};
  check_beams(ex::beam_search_step(one, {{-1.0f, -0.5f, -0.5f, -0.5f}}, 2), {{{1}, -0.5}, {{2}, -0.5}});
  const std::vector<ex::Beam> two{{{3}, -2.0}, {{4}, -2.0}};
  check_beams(ex::beam_search_step(two, {{-1.0f, -1.0f}, {-1.0f, -1.0f}}, 4),
              {{{3, 0}, -3.0}, {{3, 1}, -3.0}, {{4, 0}, -3.0}, {{4, 1}, -3.0}});
}

TEST_CASE("beam_search_step: the scores are added in double", "[beam_search_step]") {
  // After many tokens a beam's log-probability is large; a float holds about 7 digits, so
  // -1000 - 3e-5 and -1000 - 1e-5 would both round to -1000 and tie.
  const std::vector<ex::Beam> beams{{{9, 9}, -1000.0}};
  const std::vector<std::vector<float>> rows{{-3e-5f, -1e-5f}};
  check_beams(ex::beam_search_step(beams, rows, 2),
              {{{9, 9, 1}, -1000.0 + double(-1e-5f)}, {{9, 9, 0}, -1000.0 + double(-3e-5f)}});
}

TEST_CASE("beam_search_step: repeated steps find what greedy decoding misses", "[beam_search_step]") {
  // A two-token vocabulary whose next-token distribution depends on the last token:
  // first P(0) = 0.6, P(1) = 0.4; after a 0 both are 0.5; after a 1, P(0) = 0.9. Greedy
  // takes 0 first and ends with probability 0.6 * 0.5 = 0.3; two beams keep the 1 and
  // find 1, 0 with 0.4 * 0.9 = 0.36.
  const auto next = [](const std::vector<int>& ids) -> std::vector<float> {
    if (ids.empty()) return {std::log(0.6f), std::log(0.4f)};
    if (ids.back() == 0) return {std::log(0.5f), std::log(0.5f)};
    return {std::log(0.9f), std::log(0.1f)};
  };
  for (const int64_t width : {1, 2}) {
    INFO("width " << width);
    std::vector<ex::Beam> beams{{{}, 0.0}};
    for (int step = 0; step < 2; ++step) {
      std::vector<std::vector<float>> rows;
      for (const ex::Beam& b : beams) rows.push_back(next(b.ids));
      beams = ex::beam_search_step(beams, rows, width);
      REQUIRE(beams.size() == static_cast<size_t>(width));
    }
    CHECK(beams[0].ids == (width == 1 ? std::vector<int>{0, 0} : std::vector<int>{1, 0}));
    CHECK(std::exp(beams[0].log_prob) == Approx(width == 1 ? 0.3 : 0.36).epsilon(1e-6));
  }
}

TEST_CASE("beam_search_step: matches the reference on random beams", "[beam_search_step]") {
  dl::Generator gen(5500);
  for (int trial = 0; trial < 20; ++trial) {
    const size_t count = 1 + gen.below(5), vocab = 1 + gen.below(trial < 10 ? 8 : 3000);
    const auto width = static_cast<size_t>(1 + gen.below(12));
    const dl::Shape shape{static_cast<int64_t>(count), static_cast<int64_t>(vocab)};
    const dl::Tensor logits = test::random_tensor(shape, 5600 + static_cast<uint64_t>(trial), 2.0f);
    const dl::Tensor log_probs = dl::log_softmax(logits, -1);
    std::vector<ex::Beam> beams;
    std::vector<std::vector<float>> rows;
    for (size_t b = 0; b < count; ++b) {
      std::vector<int> ids(gen.below(4));
      for (int& id : ids) id = static_cast<int>(gen.below(vocab));
      beams.push_back({ids, -double(gen.uniform(0.0f, 6.0f))});
      rows.emplace_back(log_probs.data() + b * vocab, log_probs.data() + (b + 1) * vocab);
    }
    INFO("trial " << trial << ": " << count << " beams, V = " << vocab << ", width " << width);
    check_beams(ex::beam_search_step(beams, rows, static_cast<int64_t>(width)), reference(beams, rows, width));
  }
}

TEST_CASE("beam_search_step: no beams or an empty vocabulary give no extensions", "[beam_search_step]") {
  CHECK(ex::beam_search_step({}, {}, 3).empty());
  CHECK(ex::beam_search_step({{{1}, -1.0}, {{2}, -2.0}}, {{}, {}}, 3).empty());
}

TEST_CASE("beam_search_step: bad arguments throw", "[beam_search_step]") {
  const std::vector<ex::Beam> beams{{{1}, -1.0}, {{2}, -2.0}};
  const std::vector<std::vector<float>> rows{{-0.5f, -1.0f}, {-0.25f, -2.0f}};
  CHECK_THROWS_AS(ex::beam_search_step(beams, rows, 0), std::invalid_argument);
  CHECK_THROWS_AS(ex::beam_search_step(beams, rows, -2), std::invalid_argument);
  CHECK_THROWS_AS(ex::beam_search_step(beams, {{-0.5f, -1.0f}}, 2), dl::ShapeError);
  CHECK_THROWS_AS(ex::beam_search_step(beams, {{-0.5f, -1.0f}, {-0.5f, -1.0f}, {-0.5f, -1.0f}}, 2), dl::ShapeError);
  CHECK_THROWS_AS(ex::beam_search_step(beams, {{-0.5f, -1.0f}, {-0.5f}}, 2), dl::ShapeError);
}

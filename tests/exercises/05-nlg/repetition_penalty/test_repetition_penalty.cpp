// Tests of the exercise repetition_penalty; its stub and task are in exercises/05-nlg/repetition_penalty/.
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>

#include "exercise_support.hpp"

namespace {

std::vector<float> penalised(std::vector<float> logits, const std::vector<int>& previous, float penalty) {
  ex::repetition_penalty(logits, previous, penalty);
  return logits;
}

}  // namespace

TEST_CASE("repetition_penalty: positive scores are divided, negative ones multiplied", "[repetition_penalty]") {
  // penalty 2: token 0 (2) becomes 1, token 1 (-2) becomes -4, token 5 (0) stays 0; the
  // tokens not generated yet keep their scores.
  const std::vector<float> logits{2.0f, -2.0f, 3.0f, 0.5f, -1.0f, 0.0f};
  CHECK(penalised(logits, {0, 1, 5}, 2.0f) == std::vector<float>{1.0f, -4.0f, 3.0f, 0.5f, -1.0f, 0.0f});
  INFO("dividing a negative score would make a repeated token more likely, not less");
  CHECK(penalised(logits, {4}, 2.0f) == std::vector<float>{2.0f, -2.0f, 3.0f, 0.5f, -2.0f, 0.0f});
}

TEST_CASE("repetition_penalty: an id that occurs several times is penalised once", "[repetition_penalty]") {
  const std::vector<float> logits{1.0f, 4.0f, 3.0f, 0.5f, -1.0f};
  // Token 2 three times: 3 / 2 = 1.5, not 3 / 8. Token 4 twice: -1 * 2 = -2, not -4.
  CHECK(penalised(logits, {2, 2, 4, 2, 4}, 2.0f) == std::vector<float>{1.0f, 4.0f, 1.5f, 0.5f, -2.0f});
  CHECK(penalised(logits, {1, 1}, 4.0f) == std::vector<float>{1.0f, 1.0f, 3.0f, 0.5f, -1.0f});
}

TEST_CASE("repetition_penalty: a penalty below 1 favours repeats, 1 changes nothing", "[repetition_penalty]") {
  const std::vector<float> logits{2.0f, -2.0f, 3.0f};
  CHECK(penalised(logits, {0, 1}, 0.5f) == std::vector<float>{4.0f, -1.0f, 3.0f});
  CHECK(penalised(logits, {0, 1, 2}, 1.0f) == logits);
  CHECK(penalised(logits, {}, 3.0f) == logits);
  std::vector<float> empty;
  ex::repetition_penalty(empty, {}, 1.2f);
  CHECK(empty.empty());
}

TEST_CASE("repetition_penalty: matches the reference on random rows", "[repetition_penalty]") {
  dl::Generator gen(5300);
  for (int trial = 0; trial < 50; ++trial) {
    const auto vocab = static_cast<int64_t>(1 + gen.below(200));
    const std::vector<float> logits =
        test::random_tensor({vocab}, 5400 + static_cast<uint64_t>(trial), 3.0f).to_vector();
    std::vector<int> previous(gen.below(3 * static_cast<uint64_t>(vocab)));
    for (int& id : previous) id = static_cast<int>(gen.below(static_cast<uint64_t>(vocab)));
    const float penalty = gen.uniform(0.5f, 2.5f);
    const std::set<int> distinct(previous.begin(), previous.end());
    const std::vector<float> got = penalised(logits, previous, penalty);
    REQUIRE(got.size() == logits.size());
    for (size_t i = 0; i < logits.size(); ++i) {
      const float z = logits[i];
      const bool seen = distinct.count(static_cast<int>(i)) > 0;
      const double want = !seen ? z : z < 0 ? double(z) * penalty : double(z) / penalty;
      INFO("trial " << trial << ", token " << i << (seen ? " (generated before)" : " (not generated)")
                    << ", penalty " << penalty);
      CHECK(got[i] == Approx(want).epsilon(1e-6).margin(1e-30));
    }
  }
}

TEST_CASE("repetition_penalty: bad arguments throw before any score changes", "[repetition_penalty]") {
  const std::vector<float> logits{1.0f, -2.0f, 3.0f, 4.0f, 5.0f};
  std::vector<float> row = logits;
  for (float bad : {0.0f, -1.5f, std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()}) {
    INFO("penalty " << bad);
    CHECK_THROWS_AS(ex::repetition_penalty(row, std::vector<int>{0, 1}, bad), std::invalid_argument);
    CHECK(row == logits);
  }
  CHECK_THROWS_AS(ex::repetition_penalty(row, std::vector<int>{0, 1, 5}, 2.0f), std::out_of_range);
  CHECK_THROWS_AS(ex::repetition_penalty(row, std::vector<int>{3, -1}, 2.0f), std::out_of_range);
  INFO("the valid ids before the bad one are not penalised either");
  CHECK(row == logits);
}

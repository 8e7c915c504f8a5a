// Tests of the exercise top_p_filter; its stub and task are in exercises/05-nlg/top_p_filter/.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "exercise_support.hpp"

namespace {

constexpr float kHidden = -std::numeric_limits<float>::infinity();

// Runs the filter on a copy of `logits` and checks the result: the scores at `keep`
// exactly as they were, every other one minus infinity.
void check_kept(const std::vector<float>& logits, float p, const std::vector<size_t>& keep) {
  std::vector<float> row = logits;
  ex::top_p_filter(row, p);
  REQUIRE(row.size() == logits.size());
  for (size_t i = 0; i < row.size(); ++i) {
    const bool kept = std::find(keep.begin(), keep.end(), i) != keep.end();
    INFO("p = " << p << ", token " << i << " should be " << (kept ? "kept" : "removed"));
    CHECK(row[i] == (kept ? logits[i] : kHidden));
  }
}

// The reference, in double: the tokens that top-p keeps, and how far p is from the
// nearest cumulative sum (a p that close to one is left out of the random tests).
std::vector<size_t> reference(const std::vector<float>& logits, double p, double& margin) {
  const double top = *std::max_element(logits.begin(), logits.end());
  std::vector<double> probs;
  double total = 0;
  for (float z : logits) total += probs.emplace_back(std::exp(z - top));
  for (double& x : probs) x /= total;
  std::vector<size_t> order(logits.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return probs[a] > probs[b]; });
  std::vector<size_t> keep;
  double mass = 0;
  margin = INFINITY;
  for (size_t i : order) {
    if (mass >= p && !keep.empty()) break;
    keep.push_back(i);
    mass += probs[i];
    margin = std::min(margin, std::abs(mass - p));
  }
  return keep;
}

}  // namespace

TEST_CASE("top_p_filter: a worked example keeps the most likely tokens until their mass reaches p",
          "[top_p_filter]") {
  // Probabilities 0.1, 0.4, 0.2, 0.3: from the most likely down, tokens 1, 3, 2, 0, with
  // running sums 0.4, 0.7, 0.9, 1.0.
  const std::vector<float> logits{std::log(0.1f), std::log(0.4f), std::log(0.2f), std::log(0.3f)};
  check_kept(logits, 0.35f, {1});        // 0.4 already reaches 0.35
  check_kept(logits, 0.6f, {1, 3});      // 0.4 is short of 0.6, 0.7 reaches it: token 3 is the last kept
  check_kept(logits, 0.69f, {1, 3});
  check_kept(logits, 0.71f, {1, 3, 2});  // 0.7 is short of 0.71
  check_kept(logits, 0.95f, {1, 3, 2, 0});
}

TEST_CASE("top_p_filter: the token that reaches p exactly is the last one kept, not one more", "[top_p_filter]") {
  // Four equal scores: each has probability exactly 1/4, so the running sums 0.25, 0.5, 0.75
  // are exact. Keeping tokens while the sum is <= p (one too many) keeps a third token at
  // p = 0.5. Equal probabilities join in increasing index order.
  const std::vector<float> equal{2.0f, 2.0f, 2.0f, 2.0f};
  check_kept(equal, 0.25f, {0});
  check_kept(equal, 0.5f, {0, 1});
  check_kept(equal, 0.75f, {0, 1, 2});
  check_kept(equal, 0.8f, {0, 1, 2, 3});
  INFO("a score already at minus infinity has probability 0 and stays there");
  const std::vector<float> filtered{0.0f, kHidden, 0.0f, 0.0f, kHidden, 0.0f};
  check_kept(filtered, 0.5f, {0, 2});
  check_kept(filtered, 0.6f, {0, 2, 3});
}

TEST_CASE("top_p_filter: the most likely token is always kept, and p >= 1 keeps everything", "[top_p_filter]") {
  check_kept({0.0f, 10.0f, 0.0f}, 1e-6f, {1});
  check_kept({3.0f, 3.0f}, 0.1f, {0});  // a tie: the lower index
  check_kept({-7.0f}, 0.5f, {0});
  // p = 1 keeps every token, also those whose probability is too small to count.
  const std::vector<float> wide{0.0f, -50.0f, -1e4f, 5.0f, kHidden};
  check_kept(wide, 1.0f, {0, 1, 2, 3, 4});
  check_kept(wide, 2.5f, {0, 1, 2, 3, 4});
  std::vector<float> empty;
  ex::top_p_filter(empty, 0.9f);
  CHECK(empty.empty());
}

TEST_CASE("top_p_filter: scores in the thousands do not overflow", "[top_p_filter]") {
  // With the largest subtracted: e^-1, e^-0.5, e^-1.5, e^0, probabilities about 0.167,
  // 0.276, 0.102, 0.455 (tokens 3, 1, 0, 2 from the most likely down). Without it, exp
  // overflows to infinity and every probability is NaN.
  const std::vector<float> high{1000.0f, 1000.5f, 999.5f, 1001.0f};
  check_kept(high, 0.5f, {3, 1});
  check_kept(high, 0.8f, {3, 1, 0});
  const std::vector<float> low{-3000.0f, -2999.0f, -3001.0f};
  check_kept(low, 0.6f, {1});
  check_kept(low, 0.9f, {1, 0});
}

TEST_CASE("top_p_filter: matches the reference on random rows", "[top_p_filter]") {
  dl::Generator gen(5100);
  int checked = 0;
  for (int trial = 0; trial < 200; ++trial) {
    const auto vocab = static_cast<int64_t>(1 + gen.below(60));
    const float spread = gen.uniform(0.2f, 6.0f);
    const dl::Tensor t = test::random_tensor({vocab}, 5200 + static_cast<uint64_t>(trial), spread);
    const std::vector<float> logits = t.to_vector();
    const float p = gen.uniform(0.02f, 0.999f);
    double margin = 0;
    const std::vector<size_t> keep = reference(logits, p, margin);
    if (margin < 1e-4) continue;  // too close to a boundary for float rounding to agree
    INFO("trial " << trial << ", V = " << vocab);
    check_kept(logits, p, keep);
    ++checked;
  }
  CHECK(checked > 150);
}

TEST_CASE("top_p_filter: bad arguments throw", "[top_p_filter]") {
  std::vector<float> row{1.0f, 2.0f, 3.0f};
  CHECK_THROWS_AS(ex::top_p_filter(row, 0.0f), std::invalid_argument);
  CHECK_THROWS_AS(ex::top_p_filter(row, -0.5f), std::invalid_argument);
  CHECK_THROWS_AS(ex::top_p_filter(row, std::numeric_limits<float>::quiet_NaN()), std::invalid_argument);
  std::vector<float> nothing{kHidden, kHidden};
  CHECK_THROWS_AS(ex::top_p_filter(nothing, 0.5f), std::invalid_argument);
}

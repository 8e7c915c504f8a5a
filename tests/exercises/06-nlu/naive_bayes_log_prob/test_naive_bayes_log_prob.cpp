// Tests of the exercise naive_bayes_log_prob; its stub and task are in exercises/06-nlu/naive_bayes_log_prob/.
#include <cmath>
#include <limits>
#include <stdexcept>

#include "exercise_support.hpp"

namespace {

using Counts = std::vector<std::vector<int64_t>>;

std::vector<double> log_prob(const Counts& counts, double alpha, const std::vector<int64_t>& tokens) {
  return ex::naive_bayes_log_prob(counts, alpha, tokens);
}

}  // namespace

TEST_CASE("naive_bayes_log_prob: a document worked out by hand", "[naive_bayes_log_prob]") {
  // V = 3, both classes saw 4 tokens; alpha = 1 adds 1 to each count and 3 to each total:
  //   class 0: (3 + 1, 1 + 1, 0 + 1) / 7 = 4/7, 2/7, 1/7
  //   class 1: (0 + 1, 2 + 1, 2 + 1) / 7 = 1/7, 3/7, 3/7
  // The document {0, 2, 0}: class 0 gives 4/7 1/7 4/7 = 16/343, class 1 gives 1/7 3/7 1/7 = 3/343.
  const Counts counts{{3, 1, 0}, {0, 2, 2}};
  const std::vector<double> got = log_prob(counts, 1.0, {0, 2, 0});
  REQUIRE(got.size() == 2);
  CHECK(got[0] == Approx(std::log(16.0 / 343.0)).epsilon(1e-12));
  CHECK(got[1] == Approx(std::log(3.0 / 343.0)).epsilon(1e-12));
}

TEST_CASE("naive_bayes_log_prob: alpha smooths every count and the total", "[naive_bayes_log_prob]") {
  // alpha = 0.5, V = 3: class 0's total 4 becomes 4 + 1.5 = 5.5, and its counts 3.5, 1.5, 0.5.
  const Counts counts{{3, 1, 0}, {0, 2, 2}};
  const std::vector<double> got = log_prob(counts, 0.5, {1, 2});
  REQUIRE(got.size() == 2);
  CHECK(got[0] == Approx(std::log(1.5 / 5.5) + std::log(0.5 / 5.5)).epsilon(1e-12));
  CHECK(got[1] == Approx(std::log(2.5 / 5.5) + std::log(2.5 / 5.5)).epsilon(1e-12));
  // A token a class never saw still has a probability: alpha / (total + alpha V), not 0.
  const std::vector<double> unseen = log_prob({{5, 0}}, 2.0, {1});
  REQUIRE(unseen.size() == 1);
  CHECK(std::isfinite(unseen[0]));
  CHECK(unseen[0] == Approx(std::log(2.0 / 9.0)).epsilon(1e-12));
}

TEST_CASE("naive_bayes_log_prob: each class's token probabilities sum to 1", "[naive_bayes_log_prob]") {
  // P(v | c) over the whole vocabulary is a distribution: the one-token documents {v} add up to 1.
  const Counts counts{{7, 0, 3, 1, 0}, {0, 0, 0, 0, 0}, {1, 2, 3, 4, 5}};
  for (double alpha : {0.01, 1.0, 3.5}) {
    std::vector<double> sum(counts.size(), 0.0);
    for (int64_t v = 0; v < 5; ++v) {
      const std::vector<double> got = log_prob(counts, alpha, {v});
      REQUIRE(got.size() == counts.size());
      for (size_t c = 0; c < counts.size(); ++c) sum[c] += std::exp(got[c]);
    }
    INFO("alpha = " << alpha);
    for (double s : sum) CHECK(s == Approx(1.0).epsilon(1e-12));
  }
}

TEST_CASE("naive_bayes_log_prob: an empty document gives 0 and a repeated token counts each time",
          "[naive_bayes_log_prob]") {
  const Counts counts{{3, 1, 0}, {0, 2, 2}, {1, 1, 1}};
  CHECK(log_prob(counts, 1.0, {}) == std::vector<double>{0.0, 0.0, 0.0});
  const std::vector<double> once = log_prob(counts, 1.0, {1}), thrice = log_prob(counts, 1.0, {1, 1, 1});
  REQUIRE(once.size() == 3);
  REQUIRE(thrice.size() == 3);
  for (size_t c = 0; c < 3; ++c) CHECK(thrice[c] == Approx(3 * once[c]).epsilon(1e-12));
}

TEST_CASE("naive_bayes_log_prob: counts beyond 32 bits are added without overflow", "[naive_bayes_log_prob]") {
  // total = 3000000001, which an int would wrap; alpha V = 2.
  const std::vector<double> got = log_prob({{3000000000LL, 1}}, 1.0, {0, 1});
  REQUIRE(got.size() == 1);
  CHECK(got[0] == Approx(std::log(3000000001.0 / 3000000003.0) + std::log(2.0 / 3000000003.0)).epsilon(1e-12));
}

TEST_CASE("naive_bayes_log_prob: random counts match the count-of-each-token reference", "[naive_bayes_log_prob]") {
  // The reference groups the document by token: sum_v n_v (log(counts[c][v] + alpha) - log(total_c + alpha V)).
  dl::Generator gen(6100);
  for (int trial = 0; trial < 30; ++trial) {
    const size_t C = 1 + gen.below(6), V = 1 + gen.below(40);
    const double alpha = 0.05 + gen.uniform() * 2.0;
    Counts counts(C, std::vector<int64_t>(V));
    for (auto& row : counts)
      for (auto& n : row) n = gen.below(3) == 0 ? 0 : static_cast<int64_t>(gen.below(500));
    std::vector<int64_t> tokens(gen.below(60));
    std::vector<int64_t> occurrences(V, 0);
    for (auto& t : tokens) {
      t = static_cast<int64_t>(gen.below(V));
      ++occurrences[static_cast<size_t>(t)];
    }
    const std::vector<double> got = log_prob(counts, alpha, tokens);
    INFO("trial " << trial << ": C = " << C << ", V = " << V << ", alpha = " << alpha << ", " << tokens.size()
                  << " tokens");
    REQUIRE(got.size() == C);
    for (size_t c = 0; c < C; ++c) {
      long double total = 0, want = 0;
      for (int64_t n : counts[c]) total += n;
      for (size_t v = 0; v < V; ++v)
        want += occurrences[v] * (std::log(counts[c][v] + (long double)alpha) - std::log(total + alpha * V));
      CHECK(got[c] == Approx(static_cast<double>(want)).epsilon(1e-10).margin(1e-10));
    }
  }
}

TEST_CASE("naive_bayes_log_prob: bad input throws std::invalid_argument", "[naive_bayes_log_prob]") {
  const Counts counts{{3, 1, 0}, {0, 2, 2}};
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  for (double alpha : {0.0, -1.0, nan, inf}) {
    INFO("alpha = " << alpha);
    CHECK_THROWS_AS(log_prob(counts, alpha, {0}), std::invalid_argument);
  }
  CHECK_THROWS_AS(log_prob(counts, 1.0, {0, 3}), std::invalid_argument);   // V = 3: ids 0 .. 2
  CHECK_THROWS_AS(log_prob(counts, 1.0, {-1}), std::invalid_argument);
  CHECK_THROWS_AS(log_prob({{3, 1, 0}, {0, 2}}, 1.0, {0}), std::invalid_argument);  // ragged
  CHECK_THROWS_AS(log_prob({{3, 1}, {0, 2, 2}}, 1.0, {}), std::invalid_argument);   // ragged, empty doc
  CHECK_THROWS_AS(log_prob({{3, -1, 0}, {0, 2, 2}}, 1.0, {0}), std::invalid_argument);  // a negative count
}

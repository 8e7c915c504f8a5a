// Tests of the exercise bayes_posterior; its stub and task are in exercises/06-nlu/bayes_posterior/.
#include <cmath>
#include <limits>
#include <stdexcept>

#include "exercise_support.hpp"

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

ex::Posterior posterior(const std::vector<double>& log_likelihood, const std::vector<double>& log_prior) {
  return ex::bayes_posterior(log_likelihood, log_prior);
}

std::vector<double> logs(const std::vector<double>& p) {
  std::vector<double> out;
  for (double x : p) out.push_back(std::log(x));
  return out;
}

void check_close(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t k = 0; k < want.size(); ++k) {
    INFO("class " << k);
    CHECK_FALSE(std::isnan(got[k]));
    CHECK(got[k] == Approx(want[k]).epsilon(1e-12).margin(1e-15));
  }
}

}  // namespace

TEST_CASE("bayes_posterior: with a uniform prior the posterior is the normalised likelihood", "[bayes_posterior]") {
  const ex::Posterior p = posterior(logs({0.1, 0.3}), logs({0.5, 0.5}));
  check_close(p.posterior, {0.25, 0.75});
  CHECK(p.best == 1);
  const ex::Posterior q = posterior(logs({0.02, 0.05, 0.03}), logs({1.0 / 3, 1.0 / 3, 1.0 / 3}));
  check_close(q.posterior, {0.2, 0.5, 0.3});
  CHECK(q.best == 1);
}

TEST_CASE("bayes_posterior: a prior can flip the decision", "[bayes_posterior]") {
  // The likelihood prefers class 0 (0.6 against 0.4), but class 1 is four times as common:
  // P(x|y) P(y) = 0.6 * 0.2 = 0.12 against 0.4 * 0.8 = 0.32, so the posterior is 12/44 and 32/44.
  const ex::Posterior uniform = posterior(logs({0.6, 0.4}), logs({0.5, 0.5}));
  CHECK(uniform.best == 0);
  const ex::Posterior skewed = posterior(logs({0.6, 0.4}), logs({0.2, 0.8}));
  check_close(skewed.posterior, {12.0 / 44.0, 32.0 / 44.0});
  CHECK(skewed.best == 1);
}

TEST_CASE("bayes_posterior: log-likelihoods far below exp's range still give the posterior", "[bayes_posterior]") {
  // exp(-5000) is 0 in double: dividing first would give 0/0. The posterior depends only on the
  // differences: proportional to 1, e^-1, e^-3.
  const double z = 1 + std::exp(-1.0) + std::exp(-3.0);
  const ex::Posterior p = posterior({-5000, -5001, -5003}, logs({1.0 / 3, 1.0 / 3, 1.0 / 3}));
  check_close(p.posterior, {1 / z, std::exp(-1.0) / z, std::exp(-3.0) / z});
  CHECK(p.best == 0);
  // The prior shifts it as before: log 4 more for class 2 turns e^-3 into 4 e^-3.
  const ex::Posterior q = posterior({-5000, -5001, -5003}, {0.0, 0.0, std::log(4.0)});
  const double zq = 1 + std::exp(-1.0) + 4 * std::exp(-3.0);
  check_close(q.posterior, {1 / zq, std::exp(-1.0) / zq, 4 * std::exp(-3.0) / zq});
  // A long document: the gap of 2000 nats leaves class 0 nothing (exp(-2000) is 0).
  const ex::Posterior r = posterior({-12000, -10000}, {0.0, 0.0});
  check_close(r.posterior, {0.0, 1.0});
  CHECK(r.best == 1);
}

TEST_CASE("bayes_posterior: large positive log-likelihoods do not overflow", "[bayes_posterior]") {
  // Densities can exceed 1: exp(800) is infinity in double.
  const double z = 1 + std::exp(1.0);
  const ex::Posterior p = posterior({800, 801}, {0.0, 0.0});
  check_close(p.posterior, {1 / z, std::exp(1.0) / z});
  CHECK(p.best == 1);
}

TEST_CASE("bayes_posterior: a class of prior 0 gets posterior 0, and ties go to the lower index",
          "[bayes_posterior]") {
  const ex::Posterior p = posterior({0.0, 0.0, 0.0}, {-kInf, std::log(0.5), std::log(0.5)});
  check_close(p.posterior, {0.0, 0.5, 0.5});
  CHECK(p.best == 1);
  const ex::Posterior q = posterior({-kInf, -3.0, -3.0, -7.0}, {0.0, 0.0, 0.0, 0.0});
  REQUIRE(q.posterior.size() == 4);
  CHECK(q.posterior[0] == 0.0);
  CHECK(q.best == 1);
  const ex::Posterior one = posterior({-42.0}, {0.0});
  check_close(one.posterior, {1.0});
  CHECK(one.best == 0);
}

TEST_CASE("bayes_posterior: random inputs sum to 1 and ignore a constant added to every class",
          "[bayes_posterior]") {
  dl::Generator gen(6200);
  for (int trial = 0; trial < 50; ++trial) {
    const size_t K = 1 + gen.below(26);
    std::vector<double> ll(K), prior(K), shifted(K);
    const double shift = (gen.uniform() - 0.5) * 20000.0;
    for (size_t k = 0; k < K; ++k) {
      ll[k] = -gen.uniform() * 30.0;
      prior[k] = std::log(0.01 + gen.uniform());
      shifted[k] = ll[k] + shift;
    }
    INFO("trial " << trial << ": K = " << K << ", shift = " << shift);
    const ex::Posterior p = posterior(ll, prior), s = posterior(shifted, prior);
    REQUIRE(p.posterior.size() == K);
    double sum = 0;
    size_t best = 0;
    for (size_t k = 0; k < K; ++k) {
      sum += p.posterior[k];
      if (ll[k] + prior[k] > ll[best] + prior[best]) best = k;
      CHECK(p.posterior[k] >= 0);
    }
    CHECK(sum == Approx(1.0).epsilon(1e-12));
    CHECK(p.best == static_cast<int64_t>(best));
    CHECK(s.best == p.best);
    for (size_t k = 0; k < K; ++k) CHECK(s.posterior[k] == Approx(p.posterior[k]).epsilon(1e-6).margin(1e-12));
  }
}

TEST_CASE("bayes_posterior: bad input throws std::invalid_argument", "[bayes_posterior]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(posterior({-1.0, -2.0}, {0.0}), std::invalid_argument);
  CHECK_THROWS_AS(posterior({}, {}), std::invalid_argument);
  CHECK_THROWS_AS(posterior({-1.0, nan}, {0.0, 0.0}), std::invalid_argument);
  CHECK_THROWS_AS(posterior({-1.0, -2.0}, {nan, 0.0}), std::invalid_argument);
  CHECK_THROWS_AS(posterior({-1.0, kInf}, {0.0, 0.0}), std::invalid_argument);
  CHECK_THROWS_AS(posterior({-kInf, -kInf}, {0.0, 0.0}), std::invalid_argument);  // no class possible
  CHECK_THROWS_AS(posterior({-1.0, -2.0}, {-kInf, -kInf}), std::invalid_argument);
}

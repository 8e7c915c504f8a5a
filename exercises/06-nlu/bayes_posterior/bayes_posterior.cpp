// Exercise bayes_posterior (chapter 06): Bayes' rule in log space, with a log-sum-exp.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade bayes_posterior`.
#include "exercises.hpp"

namespace ex {

Posterior bayes_posterior([[maybe_unused]] std::span<const double> log_likelihood,
                          [[maybe_unused]] std::span<const double> log_prior) {
  // log_likelihood: (K)  log_prior: (K)  out: posterior (K), best in [0, K)
  // TODO: std::invalid_argument for lengths that differ, no classes, a NaN or +infinity,
  // or no class with a finite log P(x | y) + log P(y).
  // The posterior of y is exp(j_y) / sum_y' exp(j_y') with j_y = log P(x | y) + log P(y);
  // subtract the largest j before taking exp. best is the first index of the largest.
  throw dl::NotImplemented("bayes_posterior is not written yet (exercises/06-nlu/bayes_posterior/bayes_posterior.cpp)");
}

}  // namespace ex

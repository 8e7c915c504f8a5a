// Reference solution of the exercise bayes_posterior (chapter 06).
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "exercises.hpp"

namespace ex {

Posterior bayes_posterior(std::span<const double> log_likelihood, std::span<const double> log_prior) {
  // log_likelihood: (K)  log_prior: (K)  out: posterior (K), best in [0, K)
  if (log_likelihood.size() != log_prior.size() || log_likelihood.empty())
    throw std::invalid_argument("bayes_posterior: needs one log-likelihood and one log-prior per class, got " +
                                std::to_string(log_likelihood.size()) + " and " + std::to_string(log_prior.size()));
  const size_t K = log_likelihood.size();
  std::vector<double> joint(K);  // log P(x | y) + log P(y)
  double top = -std::numeric_limits<double>::infinity();
  for (size_t k = 0; k < K; ++k) {
    const double a = log_likelihood[k], b = log_prior[k];
    if (std::isnan(a) || std::isnan(b) || a == std::numeric_limits<double>::infinity() ||
        b == std::numeric_limits<double>::infinity())
      throw std::invalid_argument("bayes_posterior: class " + std::to_string(k) + " has a NaN or +infinity");
    joint[k] = a + b;
    top = std::max(top, joint[k]);
  }
  if (top == -std::numeric_limits<double>::infinity())
    throw std::invalid_argument("bayes_posterior: every class has probability 0");
  double z = 0;  // the largest term is exp(0) = 1, so z >= 1: nothing underflows to 0/0
  for (double j : joint) z += std::exp(j - top);
  Posterior out;
  for (size_t k = 0; k < K; ++k) {
    out.posterior.push_back(std::exp(joint[k] - top) / z);
    if (out.best < 0 || joint[k] > joint[static_cast<size_t>(out.best)]) out.best = static_cast<int64_t>(k);
  }
  return out;
}

}  // namespace ex

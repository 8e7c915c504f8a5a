// Reference solution of the exercise naive_bayes_log_prob (chapter 06).
#include <cmath>
#include <stdexcept>
#include <string>

#include "exercises.hpp"

namespace ex {

std::vector<double> naive_bayes_log_prob(const std::vector<std::vector<int64_t>>& counts, double alpha,
                                         std::span<const int64_t> tokens) {
  // counts: (C, V)  tokens: (T), each in [0, V)  out: (C)
  if (!(alpha > 0) || !std::isfinite(alpha))
    throw std::invalid_argument("naive_bayes_log_prob: alpha must be finite and > 0, got " + std::to_string(alpha));
  const size_t V = counts.empty() ? 0 : counts[0].size();
  for (const auto& row : counts) {
    if (row.size() != V)
      throw std::invalid_argument("naive_bayes_log_prob: every class needs V = " + std::to_string(V) +
                                  " counts, one row has " + std::to_string(row.size()));
    for (int64_t n : row)
      if (n < 0) throw std::invalid_argument("naive_bayes_log_prob: a count is negative: " + std::to_string(n));
  }
  for (int64_t v : tokens)
    if (v < 0 || static_cast<size_t>(v) >= V)
      throw std::invalid_argument("naive_bayes_log_prob: token id " + std::to_string(v) + " is outside [0, " +
                                  std::to_string(V) + ")");
  std::vector<double> out;
  for (const auto& row : counts) {
    double total = 0;
    for (int64_t n : row) total += static_cast<double>(n);
    const double log_denominator = std::log(total + alpha * static_cast<double>(V));
    double sum = 0;
    for (int64_t v : tokens) sum += std::log(static_cast<double>(row[static_cast<size_t>(v)]) + alpha) - log_denominator;
    out.push_back(sum);
  }
  return out;
}

}  // namespace ex

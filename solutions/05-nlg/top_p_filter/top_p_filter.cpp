// Reference solution of the exercise top_p_filter (chapter 05).
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "exercises.hpp"

namespace ex {

void top_p_filter(std::span<float> logits, float p) {
  // logits: V scores, changed in place
  if (!(p > 0)) throw std::invalid_argument("top_p_filter: p must be above 0, got " + std::to_string(p));
  if (logits.empty()) return;
  const float hidden = -std::numeric_limits<float>::infinity();
  const float top = *std::max_element(logits.begin(), logits.end());
  if (top == hidden)
    throw std::invalid_argument("top_p_filter: every score is minus infinity, there is nothing to keep");
  if (p >= 1) return;

  // softmax in double; exp(-inf - top) is exactly 0.
  std::vector<double> probs(logits.size());
  double total = 0;
  for (size_t i = 0; i < logits.size(); ++i) total += probs[i] = std::exp(double(logits[i]) - double(top));
  for (double& x : probs) x /= total;

  // Most likely first; equal probabilities by lower index (stable_sort keeps index order).
  std::vector<size_t> order(logits.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return probs[a] > probs[b]; });

  // Keep tokens until the kept mass reaches p: the token that gets there is the last kept.
  size_t kept = 0;
  double mass = 0;
  while (kept < order.size() && mass < p) mass += probs[order[kept++]];
  for (size_t r = kept; r < order.size(); ++r) logits[order[r]] = hidden;
}

}  // namespace ex

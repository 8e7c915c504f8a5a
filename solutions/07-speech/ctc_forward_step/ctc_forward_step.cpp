// Reference solution of the exercise ctc_forward_step (chapter 07).
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "exercises.hpp"

namespace ex {

std::vector<float> ctc_forward_step(std::span<const float> log_alpha_prev, std::span<const int> extended,
                                    std::span<const float> log_probs, int blank) {
  // log_alpha_prev: (S)  extended: (S), S = 2 L + 1  log_probs: (C)  out: (S)
  if (log_alpha_prev.size() != extended.size())
    throw dl::ShapeError("ctc_forward_step: " + std::to_string(log_alpha_prev.size()) + " values of log alpha for " +
                         std::to_string(extended.size()) + " extended labels; they must be as many");
  const auto classes = static_cast<int64_t>(log_probs.size());
  auto check = [&](int label, const char* what) {
    if (label < 0 || label >= classes)
      throw std::out_of_range(std::string("ctc_forward_step: ") + what + " " + std::to_string(label) +
                              " is outside [0, " + std::to_string(classes) + ")");
  };
  check(blank, "blank");
  for (int label : extended) check(label, "label");

  constexpr double minus_inf = -std::numeric_limits<double>::infinity();
  std::vector<float> out(extended.size());
  for (size_t s = 0; s < extended.size(); ++s) {
    // The states a path can come from: stay at s, move on from s - 1, or skip the blank
    // from s - 2 (only onto a label that differs from the one two states back).
    double from[3] = {log_alpha_prev[s], minus_inf, minus_inf};
    if (s >= 1) from[1] = log_alpha_prev[s - 1];
    if (s >= 2 && extended[s] != blank && extended[s] != extended[s - 2]) from[2] = log_alpha_prev[s - 2];
    const double top = std::max({from[0], from[1], from[2]});
    // All three at minus infinity: no path reaches s (and -inf - -inf would be NaN).
    const double sum =
        top == minus_inf ? minus_inf
                         : top + std::log(std::exp(from[0] - top) + std::exp(from[1] - top) + std::exp(from[2] - top));
    out[s] = static_cast<float>(sum + double(log_probs[static_cast<size_t>(extended[s])]));
  }
  return out;
}

}  // namespace ex

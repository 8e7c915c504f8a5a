// Exercise naive_bayes_log_prob (chapter 06): a document's log-likelihood under each class of
// multinomial naive Bayes, with Laplace smoothing.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade naive_bayes_log_prob`.
#include "exercises.hpp"

namespace ex {

std::vector<double> naive_bayes_log_prob([[maybe_unused]] const std::vector<std::vector<int64_t>>& counts,
                                         [[maybe_unused]] double alpha,
                                         [[maybe_unused]] std::span<const int64_t> tokens) {
  // counts: (C, V)  tokens: (T), each in [0, V)  out: (C)
  // TODO: std::invalid_argument unless alpha is finite and > 0, all rows of counts have the
  // same length V, no count is negative and every token id is in [0, V).
  // Then for each class c: total_c = the sum of its row, and the answer is the sum over the
  // tokens v of log((counts[c][v] + alpha) / (total_c + alpha V)), in double.
  throw dl::NotImplemented(
      "naive_bayes_log_prob is not written yet (exercises/06-nlu/naive_bayes_log_prob/naive_bayes_log_prob.cpp)");
}

}  // namespace ex

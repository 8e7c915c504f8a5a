// Reference solution of the exercise beam_search_step (chapter 05).
#include <algorithm>
#include <stdexcept>
#include <string>

#include "exercises.hpp"

namespace ex {

std::vector<Beam> beam_search_step(const std::vector<Beam>& beams, const std::vector<std::vector<float>>& log_probs,
                                   int64_t width) {
  // beams: B of them  log_probs: (B, V), row b for beam b  out: min(width, B V) beams
  if (width < 1) throw std::invalid_argument("beam_search_step: width must be 1 or more, got " + std::to_string(width));
  if (log_probs.size() != beams.size())
    throw dl::ShapeError("beam_search_step: " + std::to_string(beams.size()) + " beams but " +
                         std::to_string(log_probs.size()) + " rows of log-probabilities");
  const size_t vocab = log_probs.empty() ? 0 : log_probs[0].size();
  for (size_t b = 0; b < log_probs.size(); ++b)
    if (log_probs[b].size() != vocab)
      throw dl::ShapeError("beam_search_step: row " + std::to_string(b) + " has " +
                           std::to_string(log_probs[b].size()) + " log-probabilities, row 0 has " +
                           std::to_string(vocab));

  struct Candidate {
    double score;
    size_t beam, token;
  };
  std::vector<Candidate> candidates;
  candidates.reserve(beams.size() * vocab);
  for (size_t b = 0; b < beams.size(); ++b)
    for (size_t t = 0; t < vocab; ++t) candidates.push_back({beams[b].log_prob + double(log_probs[b][t]), b, t});

  // Higher score first; equal scores by lower beam, then lower token.
  const size_t keep = std::min(candidates.size(), static_cast<size_t>(width));
  std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(keep), candidates.end(),
                    [](const Candidate& x, const Candidate& y) {
                      if (x.score != y.score) return x.score > y.score;
                      return x.beam != y.beam ? x.beam < y.beam : x.token < y.token;
                    });
  std::vector<Beam> out;
  out.reserve(keep);
  for (size_t i = 0; i < keep; ++i) {
    const Candidate& c = candidates[i];
    Beam& next = out.emplace_back(Beam{beams[c.beam].ids, c.score});
    next.ids.push_back(static_cast<int>(c.token));
  }
  return out;
}

}  // namespace ex

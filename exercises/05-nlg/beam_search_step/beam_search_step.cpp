// Exercise beam_search_step (chapter 05): one step of beam search.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade beam_search_step`.
#include "exercises.hpp"

namespace ex {

std::vector<Beam> beam_search_step([[maybe_unused]] const std::vector<Beam>& beams,
                                   [[maybe_unused]] const std::vector<std::vector<float>>& log_probs,
                                   [[maybe_unused]] int64_t width) {
  // beams: B of them  log_probs: (B, V), row b for beam b  out: min(width, B V) beams
  // TODO: std::invalid_argument for width < 1; dl::ShapeError unless log_probs has B
  // rows of one length V.
  // Every (b, t) is a candidate with the score beams[b].log_prob + log_probs[b][t], in
  // double. Keep the width best, best first; equal scores go by lower b, then lower t.
  // Each one you return is a Beam with beams[b].ids followed by t, and that score.
  throw dl::NotImplemented(
      "beam_search_step is not written yet (exercises/05-nlg/beam_search_step/beam_search_step.cpp)");
}

}  // namespace ex

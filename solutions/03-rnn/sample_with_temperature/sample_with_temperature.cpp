// Reference solution of the exercise sample_with_temperature (chapter 03).
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "exercises.hpp"

namespace ex {

int sample_with_temperature(std::span<const float> logits, float temperature, dl::Generator& gen) {
  if (logits.empty()) throw std::invalid_argument("sample_with_temperature: no logits to sample from");
  if (!(temperature >= 0.0f))
    throw std::invalid_argument("sample_with_temperature: temperature must be 0 or more, got " +
                                std::to_string(temperature));
  const int count = static_cast<int>(logits.size());
  int best = 0;
  for (int i = 1; i < count; ++i)
    if (logits[static_cast<size_t>(i)] > logits[static_cast<size_t>(best)]) best = i;  // strict: first on a tie
  // The limit of softmax(z / T) as T -> 0 puts all the mass on the maximum; no draw needed.
  if (temperature == 0.0f) return best;

  // Shifting by the maximum changes no probability, and makes the largest weight
  // exactly 1, so the sum can neither overflow nor be 0.
  const double top = logits[static_cast<size_t>(best)];
  std::vector<double> weights(logits.size());
  double total = 0.0;
  for (size_t i = 0; i < logits.size(); ++i) total += weights[i] = std::exp((logits[i] - top) / temperature);

  // Token i is returned when u falls into [p_0 + ... + p_{i-1}, p_0 + ... + p_i),
  // an interval of width p_i, and u is uniform on [0, 1).
  const double u = gen.uniform();
  double running = 0.0;
  for (int i = 0; i < count; ++i) {
    running += weights[static_cast<size_t>(i)] / total;
    if (running > u) return i;
  }
  return count - 1;
}

}  // namespace ex

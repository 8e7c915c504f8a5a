// The deterministic random number generator (dl/random.hpp).
#include "dl/random.hpp"

#include <cmath>
#include <numbers>

#include "dl/error.hpp"

namespace dl {

float Generator::uniform(float lo, float hi) {
  // 24 random bits give every float in [0, 1) with a step of 2^-24.
  const float u = static_cast<float>(engine_() >> 40) * (1.0f / 16777216.0f);
  return lo + (hi - lo) * u;
}

float Generator::normal() {
  // Box-Muller on two uniforms in (0, 1]; one sample per call keeps the stream simple.
  const double u1 = (static_cast<double>(engine_() >> 11) + 1.0) * 0x1.0p-53;
  const double u2 = static_cast<double>(engine_() >> 11) * 0x1.0p-53;
  return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2));
}

uint64_t Generator::below(uint64_t n) {
  // Rejection sampling written out (std::uniform_int_distribution differs between
  // standard libraries): drop the first 2^64 mod n values so that what remains is a
  // multiple of n and every residue is equally likely.
  if (n == 0) throw Error("Generator::below: n must be positive");
  const uint64_t threshold = (0 - n) % n;
  for (;;) {
    const uint64_t r = engine_();
    if (r >= threshold) return r % n;
  }
}

void Generator::shuffle(std::vector<int64_t>& order) {
  // Fisher-Yates: position i takes a uniformly chosen element of [0, i].
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[below(i)]);
}

Generator& default_generator() {
  static Generator gen(0);
  return gen;
}

void manual_seed(uint64_t seed) { default_generator().seed(seed); }

}  // namespace dl

/// @file random.hpp
/// @brief The deterministic random number generator behind initialisation, dropout,
/// shuffling and sampling: same seed, same numbers, with every standard library.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace dl {

/// Deterministic random number source. Same seed, same numbers, on every run.
class Generator {
 public:
  /// Seeds the generator.
  explicit Generator(uint64_t seed = 0) : engine_(seed) {}
  /// Re-seeds the generator.
  void seed(uint64_t seed) { engine_.seed(seed); }
  /// A uniform float in [lo, hi).
  float uniform(float lo = 0.0f, float hi = 1.0f);
  /// A standard normal float (Box-Muller, so the stream is the same on every standard library).
  float normal();
  /// A uniform integer in [0, n).
  uint64_t below(uint64_t n);
  /// Puts `order` in a uniformly random order (Fisher-Yates on `below`, so the result
  /// is the same with every standard library).
  void shuffle(std::vector<int64_t>& order);
  /// The underlying 64-bit engine, for std::shuffle and friends.
  std::mt19937_64& engine() { return engine_; }

 private:
  std::mt19937_64 engine_;
};

/// The generator used by factories and initialisers when none is passed.
Generator& default_generator();

/// Seeds the default generator (like `torch.manual_seed`).
void manual_seed(uint64_t seed);

}  // namespace dl

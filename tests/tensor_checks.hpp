// Comparisons of tensors for the tests.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "dl/tensor.hpp"

namespace test {

/// The largest |a_i - b_i|; the shapes must match.
inline float max_abs_diff(const dl::Tensor& a, const dl::Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  float worst = 0;
  for (int64_t i = 0; i < a.numel(); ++i) worst = std::max(worst, std::abs(a.at(i) - b.at(i)));
  return worst;
}

/// The largest |a_i - b_i| against a reference computed in double.
inline double max_abs_diff(const dl::Tensor& a, const std::vector<double>& b) {
  REQUIRE(a.numel() == static_cast<int64_t>(b.size()));
  double worst = 0;
  for (int64_t i = 0; i < a.numel(); ++i) worst = std::max(worst, std::abs(a.at(i) - b[static_cast<size_t>(i)]));
  return worst;
}

/// The largest |a_i - b_i| / max(1, |b_i|): absolute for small values, relative for large ones.
inline float max_scaled_diff(const dl::Tensor& a, const dl::Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  float worst = 0;
  for (int64_t i = 0; i < a.numel(); ++i)
    worst = std::max(worst, std::abs(a.at(i) - b.at(i)) / std::max(1.0f, std::abs(b.at(i))));
  return worst;
}

}  // namespace test

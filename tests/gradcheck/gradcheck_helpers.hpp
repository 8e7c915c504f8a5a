// Shared by the gradient-check tests: random inputs and a REQUIRE with a useful message.
#pragma once

#include <catch2/catch.hpp>
#include <functional>
#include <vector>

#include "dl/gradcheck.hpp"
#include "dl/autograd.hpp"
#include "dl/ops.hpp"

namespace test {

/// A leaf with requires_grad, normal entries.
inline dl::Tensor param(const dl::Shape& shape, dl::Generator& gen) {
  dl::Tensor t = dl::Tensor::randn(shape, gen);
  t.requires_grad_();
  return t;
}

/// A leaf with entries uniform in [lo, hi).
inline dl::Tensor param_uniform(const dl::Shape& shape, float lo, float hi, dl::Generator& gen) {
  dl::Tensor t = dl::Tensor::uniform(shape, lo, hi, gen);
  t.requires_grad_();
  return t;
}

/// A leaf whose entries keep at least `gap` away from 0, so finite differences
/// never straddle the kink of relu-like functions.
inline dl::Tensor param_away_from_zero(const dl::Shape& shape, float gap, dl::Generator& gen) {
  dl::Tensor t = dl::Tensor::randn(shape, gen);
  for (int64_t i = 0; i < t.numel(); ++i) {
    float& v = t.data()[i];
    v = v >= 0 ? v + gap : v - gap;
  }
  t.requires_grad_();
  return t;
}

/// A leaf whose entries are distinct multiples of `spacing` in random order, so a
/// small perturbation never changes which element is the maximum.
inline dl::Tensor param_distinct(const dl::Shape& shape, float spacing, dl::Generator& gen) {
  dl::Tensor t = dl::Tensor::empty(shape);
  const int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i) t.data()[i] = spacing * static_cast<float>(i - n / 2);
  for (int64_t i = n - 1; i > 0; --i) std::swap(t.data()[i], t.data()[gen.below(static_cast<uint64_t>(i + 1))]);
  t.requires_grad_();
  return t;
}

/// Runs dl::gradcheck and fails with the worst element when it does not pass.
inline void require_gradcheck(const std::function<dl::Tensor(const std::vector<dl::Tensor>&)>& f,
                              const std::vector<dl::Tensor>& inputs, const dl::GradcheckOptions& options = {}) {
  const dl::GradcheckResult r = dl::gradcheck(f, inputs, options);
  INFO("worst element: " << r.worst << " (error/tolerance " << r.worst_ratio << ", " << r.checked << " checked)");
  REQUIRE(r.checked > 0);
  REQUIRE(r.ok);
}

}  // namespace test

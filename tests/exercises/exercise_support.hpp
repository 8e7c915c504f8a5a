// Helpers shared by the exercise tests: the library's ops are the reference, and
// finite differences check every backward a learner writes.
#pragma once

#include <functional>

#include "dl/dl.hpp"
#include "exercises.hpp"
#include "tensor_checks.hpp"

namespace test {

/// Central differences of L(x) = sum(f(x) * upstream) with respect to every element of x,
/// in double: the gradient a correct backward of f must return for that upstream.
inline std::vector<double> numeric_gradient(const std::function<dl::Tensor(const dl::Tensor&)>& f, const dl::Tensor& x,
                                            const dl::Tensor& upstream, float eps = 1e-2f) {
  auto loss = [&](const dl::Tensor& at) {
    const dl::Tensor y = f(at);
    REQUIRE(y.shape() == upstream.shape());
    double s = 0;
    for (int64_t i = 0; i < y.numel(); ++i) s += double(y.at(i)) * upstream.at(i);
    return s;
  };
  std::vector<double> grad(static_cast<size_t>(x.numel()));
  dl::Tensor probe = x.clone();
  for (int64_t i = 0; i < x.numel(); ++i) {
    const float saved = probe.data()[i];
    probe.data()[i] = saved + eps;
    const double up = loss(probe);
    probe.data()[i] = saved - eps;
    const double down = loss(probe);
    probe.data()[i] = saved;
    grad[static_cast<size_t>(i)] = (up - down) / (2.0 * eps);
  }
  return grad;
}

/// A tensor of N(0, 1) samples from a fixed seed, so every run checks the same numbers.
inline dl::Tensor random_tensor(const dl::Shape& shape, uint64_t seed, float scale = 1.0f) {
  dl::Generator gen(seed);
  return dl::Tensor::randn(shape, gen) * scale;
}

/// Random weights of a recurrent cell, `gates` blocks of H rows each (1 for an RNN, 4 for
/// an LSTM), drawn N(0, 0.25) from seeds `seed` to `seed + 3`.
struct RandomCell {
  dl::Tensor w_ih;  ///< (gates H, I)
  dl::Tensor w_hh;  ///< (gates H, H)
  dl::Tensor b_ih;  ///< (gates H)
  dl::Tensor b_hh;  ///< (gates H)
};

inline RandomCell random_cell(int64_t in, int64_t hidden, int64_t gates, uint64_t seed) {
  return {random_tensor({gates * hidden, in}, seed, 0.5f), random_tensor({gates * hidden, hidden}, seed + 1, 0.5f),
          random_tensor({gates * hidden}, seed + 2, 0.5f), random_tensor({gates * hidden}, seed + 3, 0.5f)};
}

}  // namespace test

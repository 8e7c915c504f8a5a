/// @file gradcheck.hpp
/// @brief Finite-difference gradient checking: the proof that a backward is right.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "dl/tensor.hpp"

namespace dl {

/// Tolerances of `gradcheck`. An element passes when
/// |analytic - numeric| <= atol + rtol * |numeric|.
struct GradcheckOptions {
  float eps = 1e-2f;    ///< central-difference step (float32 data: too small drowns in rounding)
  double atol = 1e-3;   ///< absolute tolerance
  double rtol = 1e-2;   ///< relative tolerance
  uint64_t seed = 1;    ///< seed of the random upstream gradient
};

/// Outcome of `gradcheck`, with the worst element for the failure message.
struct GradcheckResult {
  bool ok = true;            ///< every element within tolerance
  double worst_ratio = 0.0;  ///< largest |error| / tolerance (<= 1 passes)
  std::string worst;         ///< "input 0 element 5: analytic 0.31 numeric 0.29"
  int64_t checked = 0;       ///< number of elements compared
};

/// Compares the backward of `f` with central differences of `f`.
///
/// The scalar probed is L = sum(f(inputs) * R) for a fixed random R, so every
/// output element carries a different upstream gradient. Only inputs with
/// `requires_grad()` are checked; others (e.g. targets) are held fixed.
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f, std::vector<Tensor> inputs,
                          const GradcheckOptions& options = {});

}  // namespace dl

// Reference solution of the exercise sgns_gradient (chapter 04).
#include <algorithm>
#include <cmath>

#include "exercises.hpp"

namespace ex {

SgnsGrads sgns_gradient(const dl::Tensor& v, const dl::Tensor& u) {
  // v: (D)  u: (1+K, D)  dv: (D)  du: (1+K, D)
  if (v.dim() != 1 || u.dim() != 2 || u.size(0) < 1 || u.size(1) != v.size(0))
    throw dl::ShapeError("sgns_gradient: need v (D) and u (1+K, D) with at least one row, got v " +
                         dl::to_string(v.shape()) + " and u " + dl::to_string(u.shape()));
  const int64_t rows = u.size(0), dim = v.size(0);
  SgnsGrads out{0.0f, dl::Tensor::zeros({dim}), dl::Tensor::zeros({rows, dim})};
  const float* pv = v.data();
  float* dv = out.dv.data();
  double loss = 0;
  for (int64_t j = 0; j < rows; ++j) {
    const float* uj = u.data() + j * dim;
    double s = 0;  // s = u_j·v
    for (int64_t d = 0; d < dim; ++d) s += double(uj[d]) * pv[d];
    // The context word (j = 0) has label 1, a negative label 0. Its loss is
    // -log σ(s) = log(1 + e^-s), a negative's -log σ(-s) = log(1 + e^s); with z = ∓s,
    // log(1 + e^z) = max(z, 0) + log1p(e^-|z|), which neither overflows nor rounds to log(0).
    const double label = j == 0 ? 1.0 : 0.0;
    const double e = std::exp(-std::abs(s));
    loss += std::max(j == 0 ? -s : s, 0.0) + std::log1p(e);
    const double sigma = s >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);  // σ(s), stable for either sign
    const double g = sigma - label;                                 // dL/ds
    float* duj = out.du.data() + j * dim;
    for (int64_t d = 0; d < dim; ++d) {
      dv[d] += static_cast<float>(g * uj[d]);   // s = u_j·v  =>  dv += dL/ds u_j
      duj[d] += static_cast<float>(g * pv[d]);  //            =>  du_j += dL/ds v
    }
  }
  out.loss = static_cast<float>(loss);
  return out;
}

}  // namespace ex

// Exercise sgns_gradient (chapter 04): the skip-gram negative-sampling loss and its gradient.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade sgns_gradient`.
#include "exercises.hpp"

namespace ex {

SgnsGrads sgns_gradient([[maybe_unused]] const dl::Tensor& v, [[maybe_unused]] const dl::Tensor& u) {
  // v: (D)  u: (1+K, D)  dv: (D)  du: (1+K, D)
  // TODO: throw dl::ShapeError unless v is 1-D and u is 2-D with at least one row
  // and v.size(0) columns.
  // For each row j of u: s = u_j·v; the label is 1 for j = 0 (the context word) and
  // 0 for the negatives. The loss adds -log σ(s) for j = 0 and -log σ(-s) for the
  // others; write both as log(1 + e^z) = max(z, 0) + log1p(e^-|z|) so that a large
  // |s| neither overflows exp nor takes the log of 0. dL/ds = σ(s) - label, so
  // dv += dL/ds u_j and du_j = dL/ds v.
  throw dl::NotImplemented("sgns_gradient is not written yet (exercises/04-nlp/sgns_gradient/sgns_gradient.cpp)");
}

}  // namespace ex

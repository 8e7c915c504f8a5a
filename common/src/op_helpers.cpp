#include "op_helpers.hpp"

namespace dl::detail {

int64_t normalize_dim(int64_t dim, int64_t ndim, const char* op, const Shape& shape) {
  if (dim < -ndim || dim >= ndim)
    throw ShapeError(std::string(op) + ": dimension " + std::to_string(dim) + " out of range for shape " +
                     to_string(shape) + " (valid: " + std::to_string(-ndim) + " to " + std::to_string(ndim - 1) + ")");
  return dim < 0 ? dim + ndim : dim;
}

OuterDimInner outer_dim_inner(const Shape& shape, int64_t dim) {
  OuterDimInner s{1, shape[static_cast<size_t>(dim)], 1};
  for (int64_t d = 0; d < dim; ++d) s.outer *= shape[static_cast<size_t>(d)];
  for (size_t d = static_cast<size_t>(dim) + 1; d < shape.size(); ++d) s.inner *= shape[d];
  return s;
}

Shape broadcast_shape(const Shape& a, const Shape& b, const char* op) {
  const size_t nd = std::max(a.size(), b.size());
  Shape out(nd);
  for (size_t k = 0; k < nd; ++k) {
    const int64_t ea = k < a.size() ? a[a.size() - 1 - k] : 1;
    const int64_t eb = k < b.size() ? b[b.size() - 1 - k] : 1;
    if (ea != eb && ea != 1 && eb != 1)
      throw ShapeError(std::string(op) + ": " + to_string(a) + " and " + to_string(b) +
                       " do not broadcast: dimension " + std::to_string(static_cast<int64_t>(nd - 1 - k)) +
                       " is " + std::to_string(ea) + " vs " + std::to_string(eb) + " (extents must match or be 1)");
    out[nd - 1 - k] = ea == 1 ? eb : ea;
  }
  return out;
}

}  // namespace dl::detail

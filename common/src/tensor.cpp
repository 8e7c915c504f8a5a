// Tensor construction, element access and printing.
#include "dl/tensor.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "dl/autograd.hpp"
#include "dl/memory.hpp"

namespace dl {

int64_t numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw ShapeError("shape " + to_string(shape) + " has a negative extent");
    // Checked: a product that wraps around would allocate a small buffer for a huge shape.
    if (__builtin_mul_overflow(n, d, &n) || n > kMaxElements)
      throw ShapeError("shape " + to_string(shape) + " has more elements than memory can hold (at most 2^60)");
  }
  return n;
}

std::string to_string(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

// ---- storage and factories ------------------------------------------------

Storage::Storage(int64_t n) : data(nullptr), count(n) {
  data = static_cast<float*>(memory::allocate(static_cast<size_t>(std::max<int64_t>(n, 1)) * sizeof(float)));
}

Storage::~Storage() { memory::deallocate(data, static_cast<size_t>(std::max<int64_t>(count, 1)) * sizeof(float)); }

static void check_shape(const Shape& shape, const char* who) {
  for (int64_t d : shape)
    if (d < 0) throw ShapeError(std::string(who) + ": negative extent in shape " + to_string(shape));
  if (shape.size() > kMaxDims)
    throw ShapeError(std::string(who) + ": shape " + to_string(shape) + " has " + std::to_string(shape.size()) +
                     " dimensions, more than the " + std::to_string(kMaxDims) + " a tensor may have");
  numel(shape);  // throws for a shape too large to hold
}

Tensor Tensor::empty(const Shape& shape) {
  check_shape(shape, "empty");
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->storage = std::make_shared<Storage>(dl::numel(shape));
  return Tensor(std::move(impl));
}

Tensor Tensor::full(const Shape& shape, float value) {
  Tensor t = empty(shape);
  std::fill_n(t.data(), t.numel(), value);
  return t;
}

Tensor Tensor::zeros(const Shape& shape) { return full(shape, 0.0f); }
Tensor Tensor::ones(const Shape& shape) { return full(shape, 1.0f); }
Tensor Tensor::scalar(float value) { return full({}, value); }

Tensor Tensor::randn(const Shape& shape, Generator& gen) {
  Tensor t = empty(shape);
  float* p = t.data();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = gen.normal();
  return t;
}

Tensor Tensor::uniform(const Shape& shape, float lo, float hi, Generator& gen) {
  Tensor t = empty(shape);
  float* p = t.data();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = gen.uniform(lo, hi);
  return t;
}

Tensor Tensor::from_data(const Shape& shape, std::span<const float> values) {
  if (static_cast<int64_t>(values.size()) != dl::numel(shape))
    throw ShapeError("from_data: shape " + to_string(shape) + " holds " + std::to_string(dl::numel(shape)) +
                     " elements but " + std::to_string(values.size()) + " values were given");
  Tensor t = empty(shape);
  std::copy(values.begin(), values.end(), t.data());
  return t;
}

Tensor Tensor::from_data(const Shape& shape, std::initializer_list<float> values) {
  return from_data(shape, std::span<const float>(values.begin(), values.size()));
}

// ---- access ---------------------------------------------------------------

static const TensorImpl& checked(const std::shared_ptr<TensorImpl>& impl) {
  if (!impl) throw Error("use of an undefined tensor (default-constructed dl::Tensor)");
  return *impl;
}

const Shape& Tensor::shape() const { return checked(impl_).shape; }

int64_t Tensor::size(int64_t d) const {
  const int64_t n = dim();
  if (d < -n || d >= n)
    throw ShapeError("size: dimension " + std::to_string(d) + " out of range for shape " + to_string(shape()));
  return shape()[static_cast<size_t>(d < 0 ? d + n : d)];
}

// Storage always holds exactly numel(shape) floats (views share it only with an
// equal element count), so its count answers in O(1): loops may call numel() freely.
int64_t Tensor::numel() const { return checked(impl_).storage->count; }
float* Tensor::data() { return checked(impl_).storage->data; }
const float* Tensor::data() const { return checked(impl_).storage->data; }

float Tensor::item() const {
  if (numel() != 1) throw ShapeError("item: tensor of shape " + to_string(shape()) + " has " +
                                     std::to_string(numel()) + " elements, expected exactly 1");
  return data()[0];
}

float Tensor::at(int64_t i) const {
  if (i < 0 || i >= numel())
    throw ShapeError("at: index " + std::to_string(i) + " out of range for shape " + to_string(shape()));
  return data()[i];
}

std::vector<float> Tensor::to_vector() const { return {data(), data() + numel()}; }

Tensor Tensor::clone() const {
  Tensor t = empty(shape());
  std::copy_n(data(), numel(), t.data());
  return t;
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape();
  impl->storage = impl_->storage;
  return Tensor(std::move(impl));
}

void Tensor::copy_(const Tensor& src) {
  if (src.shape() != shape())
    throw ShapeError("copy_: destination " + to_string(shape()) + " and source " + to_string(src.shape()) + " differ");
  std::copy_n(src.data(), numel(), data());
}

void Tensor::fill_(float value) { std::fill_n(data(), numel(), value); }

// ---- printing -------------------------------------------------------------

namespace {
void print_values(std::ostream& os, const float* p, const Shape& shape, size_t d, int64_t& offset) {
  if (d == shape.size()) {
    os << p[offset++];
    return;
  }
  os << '[';
  constexpr int64_t kEdge = 3;  // like PyTorch, elide the middle of long dimensions
  const int64_t n = shape[d];
  const int64_t inner = numel(Shape(shape.begin() + static_cast<long>(d) + 1, shape.end()));
  for (int64_t i = 0; i < n; ++i) {
    if (n > 2 * kEdge && i == kEdge) {
      os << "..., ";
      offset += (n - 2 * kEdge) * inner;
      i = n - kEdge - 1;
      continue;
    }
    if (i > 0) os << (d + 1 == shape.size() ? ", " : ",\n" + std::string(d + 8, ' '));
    print_values(os, p, shape, d + 1, offset);
  }
  os << ']';
}
}  // namespace

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "tensor(undefined)";
  std::ostringstream body;
  body << std::setprecision(4);
  int64_t offset = 0;
  print_values(body, t.data(), t.shape(), 0, offset);
  os << "tensor(" << body.str() << ", shape=" << to_string(t.shape());
  if (t.requires_grad()) os << (t.is_leaf() ? ", requires_grad=true" : std::string(", grad_fn=") + t.op_name());
  return os << ')';
}

void check_finite(const Tensor& loss, int64_t step) {
  const float* p = loss.data();
  for (int64_t i = 0; i < loss.numel(); ++i)
    if (!std::isfinite(p[i]))
      throw NonFiniteError("loss became " + std::string(std::isnan(p[i]) ? "NaN" : "infinite") + " at step " +
                           std::to_string(step) + "; try a smaller learning rate (--lr) or gradient clipping");
}

}  // namespace dl

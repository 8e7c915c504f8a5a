/// @file tensor.hpp
/// @brief The `dl::Tensor`: a shape, contiguous float32 storage and an autograd record.
///
/// This header stays free of Eigen so that chapter programs compile fast; the
/// Eigen views of a tensor live in `dl/eigen.hpp`, which only library sources
/// (and lessons that show a kernel) include.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "dl/error.hpp"
#include "dl/random.hpp"

namespace dl {

/// A tensor's shape: one extent per dimension, outermost first (row-major).
using Shape = std::vector<int64_t>;

/// Most elements a tensor may hold (2^60 floats: far beyond any memory, and 4 bytes
/// each still fit in an int64); larger shapes are a ShapeError, never a wrapped product.
inline constexpr int64_t kMaxElements = int64_t{1} << 60;

/// Most dimensions a tensor may have.
inline constexpr size_t kMaxDims = 16;

/// Number of elements of a shape (1 for the empty shape of a scalar). Throws
/// `ShapeError` for a negative extent or more than `kMaxElements` elements.
int64_t numel(const Shape& shape);

/// A shape written the way error messages show it: `[32,784]`.
std::string to_string(const Shape& shape);

struct TensorImpl;

/// A handle to an n-dimensional float32 array with optional gradient tracking.
///
/// Copies of a `Tensor` share the same data (like `torch.Tensor`); use `clone()`
/// for an independent copy. Storage is always contiguous and row-major.
class Tensor {
 public:
  /// An undefined tensor (no shape, no data); `defined()` is false.
  Tensor() = default;
  /// Wraps an existing implementation (used by the autograd engine).
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  /// @name Factories
  /// @{

  /// A tensor of the given shape filled with 0.
  static Tensor zeros(const Shape& shape);
  /// A tensor of the given shape filled with 1.
  static Tensor ones(const Shape& shape);
  /// A tensor of the given shape filled with `value`.
  static Tensor full(const Shape& shape, float value);
  /// Samples of N(0, 1).
  static Tensor randn(const Shape& shape, Generator& gen = default_generator());
  /// Samples of U[lo, hi).
  static Tensor uniform(const Shape& shape, float lo, float hi, Generator& gen = default_generator());
  /// A tensor holding `values` (row-major); their count must equal the shape's element count.
  static Tensor from_data(const Shape& shape, std::span<const float> values);
  /// A tensor holding `values` (row-major); their count must equal the shape's element count.
  static Tensor from_data(const Shape& shape, std::initializer_list<float> values);
  /// A 0-dimensional tensor holding one value.
  static Tensor scalar(float value);
  /// Uninitialised storage, for ops that overwrite every element.
  static Tensor empty(const Shape& shape);
  /// @}

  /// True when the handle refers to a tensor.
  bool defined() const { return impl_ != nullptr; }
  /// The shape.
  const Shape& shape() const;
  /// Number of dimensions.
  int64_t dim() const { return static_cast<int64_t>(shape().size()); }
  /// Extent of dimension `d`; negative `d` counts from the end.
  int64_t size(int64_t d) const;
  /// Number of elements.
  int64_t numel() const;

  /// Pointer to the first element (contiguous, 64-byte aligned).
  float* data();
  /// Pointer to the first element (contiguous, 64-byte aligned).
  const float* data() const;
  /// The value of a one-element tensor.
  float item() const;
  /// Element at a flat (row-major) index, bounds-checked.
  float at(int64_t flat_index) const;
  /// A copy of the elements, row-major.
  std::vector<float> to_vector() const;

  /// A deep copy that does not track gradients.
  Tensor clone() const;
  /// A tensor sharing this one's data but cut off from the graph.
  Tensor detach() const;
  /// Copies `src`'s elements into this tensor in place (shapes must match); not recorded.
  void copy_(const Tensor& src);
  /// Sets every element to `value` in place; not recorded.
  void fill_(float value);

  /// @name Autograd
  /// @{

  /// True when gradients flow to or through this tensor.
  bool requires_grad() const;
  /// Marks a leaf tensor as a parameter whose gradient should be kept.
  Tensor& requires_grad_(bool on = true);
  /// True for tensors created by the user rather than by an op.
  bool is_leaf() const;
  /// Accumulated gradient (undefined until a backward pass reaches this leaf).
  Tensor grad() const;
  /// Drops the accumulated gradient (the next backward starts from zero).
  void zero_grad();
  /// Back-propagates from this one-element tensor (seed 1).
  void backward() const;
  /// Back-propagates with an explicit upstream gradient of this tensor's shape.
  void backward(const Tensor& grad_output) const;
  /// Name of the op that produced this tensor ("" for a leaf).
  std::string op_name() const;
  /// @}

  /// @name Shape helpers (same as the free functions)
  /// @{

  /// Same data, new shape; one extent may be -1. Differentiable.
  Tensor reshape(const Shape& shape) const;
  /// Alias of reshape (storage is always contiguous, so every reshape is a view).
  Tensor view(const Shape& shape) const;
  /// Sum of all elements. Differentiable.
  Tensor sum() const;
  /// Mean of all elements. Differentiable.
  Tensor mean() const;
  /// @}

  /// The implementation (for the library's own ops).
  const std::shared_ptr<TensorImpl>& impl() const { return impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

/// Tensors with names, in order: parameters, state dicts, checkpoints.
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

/// Prints values and shape, PyTorch style: `tensor([[1, 2], [3, 4]], requires_grad=true)`.
std::ostream& operator<<(std::ostream& os, const Tensor& t);

/// While alive, ops record no graph (like `with torch.no_grad():`). Nests.
class no_grad {
 public:
  /// Turns recording off for this thread.
  no_grad();
  /// Restores the previous state.
  ~no_grad();
  no_grad(const no_grad&) = delete;
  no_grad& operator=(const no_grad&) = delete;

 private:
  bool previous_;
};

/// True when ops record the graph (false inside a `no_grad` scope).
bool grad_enabled();

/// Throws `NonFiniteError` naming `step` when `loss` holds NaN or infinity.
void check_finite(const Tensor& loss, int64_t step);

}  // namespace dl

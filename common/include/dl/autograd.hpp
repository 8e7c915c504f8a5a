/// @file autograd.hpp
/// @brief The define-by-run tape: how an op records its backward next to its forward.
///
/// Every op builds its output, then calls `record(out, "name", {inputs}, backward)`
/// right below. The backward closure receives the output and its gradient and
/// *accumulates* into each input's gradient buffer (`grad_data(x)`), never
/// overwrites it, so an input used twice gets both contributions.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dl/tensor.hpp"

namespace dl {

/// Owns one contiguous, 64-byte aligned float buffer from the caching allocator.
struct Storage {
  /// Allocates `count` floats (uninitialised).
  explicit Storage(int64_t count);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  float* data;    ///< first element
  int64_t count;  ///< number of floats
};

/// Backward of one op: `out` is the op's result, `dout` the gradient of the loss with respect to it.
using BackwardFn = std::function<void(const Tensor& out, const Tensor& dout)>;

/// What a `Tensor` handle points to: data, and the graph node that made it.
struct TensorImpl {
  TensorImpl() = default;
  /// Unlinks the graph behind this tensor iteratively, so dropping a very deep
  /// graph (a long unrolled RNN) cannot overflow the call stack.
  ~TensorImpl();
  TensorImpl(const TensorImpl&) = delete;
  TensorImpl& operator=(const TensorImpl&) = delete;
  Shape shape;                       ///< extents, outermost first
  std::shared_ptr<Storage> storage;  ///< shared by reshaped views
  bool requires_grad = false;        ///< a leaf marked by the user, or an op output on such a leaf
  Tensor grad;                       ///< accumulated gradient (same shape), undefined until needed
  const char* op = "";               ///< name of the op that produced it ("" for a leaf)
  std::vector<Tensor> inputs;        ///< the op's inputs that require grad (graph edges)
  BackwardFn backward;               ///< empty for leaves
  bool graph_freed = false;          ///< backward already ran through this node
};

/// Records that `out` was produced by `op` from `inputs`; `backward` runs during `backward()`.
/// Does nothing when no input requires grad or inside `no_grad`.
void record(Tensor& out, const char* op, std::initializer_list<Tensor> inputs, BackwardFn backward);

/// Same as above for a variable number of inputs (concat).
void record(Tensor& out, const char* op, const std::vector<Tensor>& inputs, BackwardFn backward);

/// The gradient buffer of `t`, allocated as zeros on first use; backward code adds into it.
float* grad_data(const Tensor& t);

/// Where a backward may write the gradient of `t` without a zero fill first.
/// When `fresh`, the buffer was just allocated and is uninitialised: the caller
/// must assign every element (`=`). Otherwise it must add (`+=`). Large GEMM
/// backwards use this to skip zero-filling and re-reading a buffer they overwrite anyway.
struct GradSink {
  float* data;  ///< first element of the gradient buffer
  bool fresh;   ///< true: assign every element; false: accumulate
};

/// The gradient buffer of `t` for a backward that writes every element.
GradSink grad_sink(const Tensor& t);

/// The graph that produced `root`, as Graphviz DOT text (`dot -Tsvg` draws it).
///
/// One box per op, labelled with the op's name and output shape; one ellipse per
/// leaf that requires grad, labelled with its name in `names` (e.g. a model's
/// `named_parameters()`) or else "leaf"; an arrow from each input to the op that
/// used it, once per use (`x * x` draws two). One-element tensors show their value (4 significant digits).
/// Inputs that do not require grad (the data) are not on the tape, so not drawn.
/// Nodes are numbered breadth first from `root` (n0), so the same graph always
/// gives the same text. Call it before `backward()`, which
/// frees the graph.
/// @throws Error when `root` has no graph (nothing it came from requires grad, it
///         was made under `no_grad`, or `backward()` already freed the graph).
std::string to_dot(const Tensor& root, const NamedTensors& names = {});

}  // namespace dl

/// @file eigen.hpp
/// @brief Eigen views of tensors, for the library's kernels (not included by chapter programs).
#pragma once

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>

#include "dl/autograd.hpp"
#include "dl/tensor.hpp"

namespace dl {

/// Row-major float matrix, the layout of every tensor.
using MatrixRM = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
/// Mutable view of contiguous row-major memory as a matrix.
using MatMap = Eigen::Map<MatrixRM>;
/// Read-only view of contiguous row-major memory as a matrix.
using ConstMatMap = Eigen::Map<const MatrixRM>;
/// Mutable view of contiguous memory as a flat array.
using ArrMap = Eigen::Map<Eigen::ArrayXf>;
/// Read-only view of contiguous memory as a flat array.
using ConstArrMap = Eigen::Map<const Eigen::ArrayXf>;

/// The tensor's elements as a flat array.
inline ArrMap as_array(Tensor& t) { return {t.data(), t.numel()}; }
/// The tensor's elements as a flat array.
inline ConstArrMap as_array(const Tensor& t) { return {t.data(), t.numel()}; }

/// The tensor's elements as a `rows` x `cols` row-major matrix (rows*cols == numel).
inline MatMap as_matrix(Tensor& t, int64_t rows, int64_t cols) { return {t.data(), rows, cols}; }
/// The tensor's elements as a `rows` x `cols` row-major matrix (rows*cols == numel).
inline ConstMatMap as_matrix(const Tensor& t, int64_t rows, int64_t cols) { return {t.data(), rows, cols}; }

/// Runs Eigen on one thread while in scope (restoring the previous count after), for
/// loops of small products where a split across threads costs more than it saves.
class SingleThreadedEigen {
 public:
  SingleThreadedEigen() : saved_(Eigen::nbThreads()) { Eigen::setNbThreads(1); }
  ~SingleThreadedEigen() { Eigen::setNbThreads(saved_); }
  SingleThreadedEigen(const SingleThreadedEigen&) = delete;
  SingleThreadedEigen& operator=(const SingleThreadedEigen&) = delete;

 private:
  int saved_;
};

/// How `gemm` stores a product.
enum class Write {
  assign,  ///< dst = lhs * rhs
  add      ///< dst += lhs * rhs
};

/// Products smaller than this many FLOPs run on one thread (a fork and join costs more).
inline constexpr double kParallelGemmFlops = 1 << 23;

/// dst (row-major, lhs.rows() x rhs.cols()) = or += lhs * rhs, for Eigen matrix
/// expressions (maps, their transposes). Large products are split into one block
/// of rows (or columns) per thread, and each thread runs Eigen's single-threaded
/// GEMM on its block. Eigen's own parallel GEMM makes threads spin-wait for each
/// other inside every product, which stalls badly when another process holds a
/// core; here threads meet only once, at the end.
template <class Lhs, class Rhs>
void gemm(float* dst, const Lhs& lhs, const Rhs& rhs, Write mode = Write::assign) {
  const Eigen::Index m = lhs.rows(), n = rhs.cols(), k = lhs.cols();
  MatMap out(dst, m, n);
  const auto store = [mode](auto&& target, const auto& product) {
    if (mode == Write::assign)
      target.noalias() = product;
    else
      target.noalias() += product;
  };
  const bool nested = omp_in_parallel();
  const int threads = nested || 2.0 * static_cast<double>(m * n * k) < kParallelGemmFlops ? 1 : Eigen::nbThreads();
  if (threads <= 1) {
    if (nested) {
      store(out, lhs * rhs);  // Eigen runs single-threaded inside a parallel region
    } else {
      SingleThreadedEigen serial;
      store(out, lhs * rhs);
    }
    return;
  }
  // Split the longer side, in multiples of 16 so that every block stays vector-aligned.
  const bool by_rows = m >= n;
  const Eigen::Index extent = by_rows ? m : n;
  const Eigen::Index chunk = ((extent + threads - 1) / threads + 15) / 16 * 16;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int t = 0; t < threads; ++t) {
    const Eigen::Index begin = std::min<Eigen::Index>(t * chunk, extent);
    const Eigen::Index size = std::min<Eigen::Index>(chunk, extent - begin);
    if (size == 0) continue;
    if (by_rows)
      store(out.middleRows(begin, size), lhs.middleRows(begin, size) * rhs);
    else
      store(out.middleCols(begin, size), lhs * rhs.middleCols(begin, size));
  }
}

/// Writes lhs * rhs into a gradient buffer from `grad_sink()`: assigned when the
/// buffer is fresh (no zero fill first), added to earlier contributions otherwise.
template <class Lhs, class Rhs>
void write_grad(GradSink sink, const Lhs& lhs, const Rhs& rhs) {
  gemm(sink.data, lhs, rhs, sink.fresh ? Write::assign : Write::add);
}

/// Writes the column sums of `m` (a bias gradient) into a buffer from `grad_sink()`.
template <class M>
void write_column_sums(GradSink sink, const M& m) {
  Eigen::Map<Eigen::RowVectorXf> out(sink.data, m.cols());
  if (sink.fresh)
    out = m.colwise().sum();
  else
    out += m.colwise().sum();
}

}  // namespace dl

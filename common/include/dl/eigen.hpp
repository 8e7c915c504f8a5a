/// @file eigen.hpp
/// @brief Eigen views of tensors, for the library's kernels and the lessons that show one
/// (not included by chapter programs: Eigen is slow to compile). Matrix products go
/// through the library's private `gemm` (common/src/gemm.hpp), which picks OpenBLAS or Eigen.
#pragma once

#include <Eigen/Core>

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

}  // namespace dl

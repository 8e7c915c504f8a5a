// gemm: the one entry point of the library's large matrix products. It runs a product
// on OpenBLAS's SGEMM when this build has it (DL_HAVE_BLAS, a private definition of the
// library) and its kernels suit the CPU, otherwise on Eigen's GEMM split across threads.
// Private to the library's sources: chapter programs and tests never see DL_HAVE_BLAS.
#pragma once

#include <omp.h>

#include <algorithm>

#include "dl/autograd.hpp"
#include "dl/eigen.hpp"

namespace dl {

namespace detail {

#if DL_HAVE_BLAS
/// C = A B + beta C through the optimised BLAS (row-major; A is m x k, B is k x n
/// after the optional transposes). Defined in blas.cpp, the only file that sees cblas.h.
void blas_sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

#endif

/// True when `gemm` should use the BLAS: there is one, DL_GEMM=eigen does not switch it
/// off, and its kernels match the CPU (an AVX-512 CPU whose OpenBLAS was forced to AVX2
/// kernels by OPENBLAS_CORETYPE is faster on Eigen).
bool blas_preferred();

/// Sets the BLAS's thread count (nothing without a BLAS).
void blas_set_threads(int threads);

/// A matrix expression as BLAS sees it: a pointer, a leading dimension, and whether
/// the memory holds the matrix's transpose. `data` is null for expressions that are
/// not plain strided memory (a scaled matrix, a sum), which then go to Eigen.
struct BlasOperand {
  const float* data = nullptr;
  int64_t ld = 0;
  bool trans = false;
};

/// The BLAS view of `x`, or an empty operand when `x` is not plain strided memory.
template <class X>
BlasOperand blas_operand(const X& x) {
  if constexpr (static_cast<bool>(X::Flags & Eigen::DirectAccessBit)) {
    if (x.innerStride() != 1) return {};
    // A column-major view of row-major memory (a transpose) is that memory's transpose.
    return {x.data(), static_cast<int64_t>(x.outerStride()), !X::IsRowMajor};
  } else {
    return {};
  }
}

}  // namespace detail

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
///
/// When the library is built on OpenBLAS (`DL_HAVE_BLAS`, see `dl::blas_name`),
/// products of plain matrices and their transposes go to its SGEMM instead, whose
/// AVX-512 kernels are faster than Eigen's; OpenBLAS runs on one thread when called
/// inside a parallel region.
template <class Lhs, class Rhs>
void gemm(float* dst, const Lhs& lhs, const Rhs& rhs, Write mode = Write::assign) {
  const Eigen::Index m = lhs.rows(), n = rhs.cols(), k = lhs.cols();
#if DL_HAVE_BLAS
  // A matrix-vector product (one token's projections when a language model decodes) stays on
  // Eigen's GEMV: OpenBLAS's SGEMM would copy the whole matrix into its packed layout for
  // a single row, which cost more than the product itself.
  if (m > 1 && n > 1 && k > 0 && detail::blas_preferred()) {
    const detail::BlasOperand a = detail::blas_operand(lhs), b = detail::blas_operand(rhs);
    if (a.data != nullptr && b.data != nullptr) {
      detail::blas_sgemm(a.trans, b.trans, m, n, k, a.data, a.ld, b.data, b.ld, mode == Write::add ? 1.0f : 0.0f,
                         dst, n);
      return;
    }
  }
#endif
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

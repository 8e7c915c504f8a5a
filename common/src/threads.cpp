// The thread count, and the optimised BLAS behind dl::gemm when the build found
// OpenBLAS (DL_HAVE_BLAS=1): the one file that includes its header.
#include "dl/threads.hpp"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "gemm.hpp"

#if DL_HAVE_BLAS
#include <cblas.h>
#endif

namespace dl {

#if DL_HAVE_BLAS

namespace {

bool avx512_kernels() {
  std::string core = openblas_get_corename();
  std::transform(core.begin(), core.end(), core.begin(), [](unsigned char c) { return std::tolower(c); });
  return core == "skylakex" || core == "cooperlake" || core == "sapphirerapids";
}

bool eigen_requested() {
  const char* gemm = std::getenv("DL_GEMM");
  return gemm != nullptr && std::string(gemm) == "eigen";
}

}  // namespace

namespace detail {

void blas_sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
              static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k), 1.0f, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c, static_cast<blasint>(ldc));
}

void blas_set_threads(int threads) { openblas_set_num_threads(threads); }

// OPENBLAS_CORETYPE=Haswell on an AVX-512 machine makes OpenBLAS use its AVX2
// kernels, which are slower than Eigen's AVX-512 GEMM (measured here: 183 against
// 221 GFLOP/s at 1024); products then stay on Eigen. DL_GEMM=eigen asks for Eigen
// outright: the tests run that way too, so the Eigen path stays tested.
bool blas_preferred() {
  static const bool preferred = !eigen_requested() && (avx512_kernels() || !__builtin_cpu_supports("avx512f"));
  return preferred;
}

}  // namespace detail

std::string blas_name() {
  std::string version = OPENBLAS_VERSION;  // " OpenBLAS 0.3.21 "
  version.erase(0, version.find_first_not_of(' '));
  version.erase(version.find_last_not_of(' ') + 1);
  std::string name = version + " (" + openblas_get_corename() + " kernels, " +
                     (openblas_get_parallel() == 2 ? "OpenMP" : openblas_get_parallel() == 1 ? "pthreads" : "serial") +
                     ")";
  if (eigen_requested())
    name += ", not used: DL_GEMM=eigen";
  else if (!detail::blas_preferred()) {
    const char* coretype = std::getenv("OPENBLAS_CORETYPE");
    name += ", not used: its kernels are slower than Eigen's on this AVX-512 CPU (OPENBLAS_CORETYPE=" +
            std::string(coretype != nullptr ? coretype : "?") + ")";
  }
  return name;
}

bool blas_compiled_in() { return true; }

#else

namespace detail {
void blas_set_threads(int) {}
bool blas_preferred() { return false; }
}  // namespace detail

std::string blas_name() { return "none (Eigen's own GEMM)"; }

bool blas_compiled_in() { return false; }

#endif

bool blas_in_use() { return detail::blas_preferred(); }

void set_num_threads(int threads) {
  threads = std::max(1, threads);
  omp_set_num_threads(threads);
  Eigen::setNbThreads(threads);
  detail::blas_set_threads(threads);
}

int num_threads() { return Eigen::nbThreads(); }

}  // namespace dl

/// @file threads.hpp
/// @brief How many threads the library's matrix products and parallel loops use, and
/// which kernels run the products (OpenBLAS or Eigen), for logs and build records.
#pragma once

#include <string>

namespace dl {

/// Sets the number of threads used by GEMMs and parallel loops (OpenMP, Eigen and
/// OpenBLAS all follow it).
void set_num_threads(int threads);

/// The number of threads in use.
int num_threads();

/// The library behind large matrix products, e.g. "OpenBLAS 0.3.21 (SkylakeX kernels,
/// OpenMP)" or "none (Eigen's own GEMM)", with a note when OpenBLAS is present but not used.
std::string blas_name();

/// True when this build can run products on OpenBLAS (built with `DL_USE_OPENBLAS`).
bool blas_compiled_in();

/// True when products run on OpenBLAS now: compiled in, its kernels suit this CPU, and
/// `DL_GEMM=eigen` is not set.
bool blas_in_use();

}  // namespace dl

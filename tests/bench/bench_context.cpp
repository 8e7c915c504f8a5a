// Linked into every benchmark: records in the report's context which BLAS the
// library's matrix products ran on (./book bench --compare torch prints it).
#include <benchmark/benchmark.h>

#include "dl/threads.hpp"

namespace {

const bool registered = [] {
  benchmark::AddCustomContext("dl_blas", dl::blas_name());
  benchmark::AddCustomContext("dl_threads", std::to_string(dl::num_threads()));
  return true;
}();

}  // namespace

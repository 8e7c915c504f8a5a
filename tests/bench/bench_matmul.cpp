// The matmul op against the same GEMMs called directly through Eigen: what the
// autograd layer costs, and what the BLAS behind dl::gemm gains. Forward alone
// (one GEMM, the PyTorch comparison's matmul_1024) and forward + backward (three).
#include <benchmark/benchmark.h>

#include "dl/eigen.hpp"
#include "dl/ops.hpp"

namespace {

// Forward C = A B and backward dA = dC B^T, dB = A^T dC: 3 GEMMs of 2 n^3 flops.
double step_flops(int64_t n) { return 3.0 * 2.0 * static_cast<double>(n) * n * n; }

void BM_EigenGemm(benchmark::State& state) {
  const int64_t n = state.range(0);
  const dl::MatrixRM a = dl::MatrixRM::Random(n, n), b = dl::MatrixRM::Random(n, n), dc = dl::MatrixRM::Random(n, n);
  dl::MatrixRM c(n, n), da(n, n), db(n, n);
  for (auto _ : state) {
    c.noalias() = a * b;
    da.noalias() = dc * b.transpose();
    db.noalias() = a.transpose() * dc;
    benchmark::DoNotOptimize(c.data());
    benchmark::DoNotOptimize(da.data());
    benchmark::DoNotOptimize(db.data());
  }
  state.counters["flops"] = benchmark::Counter(step_flops(n), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_MatmulOp(benchmark::State& state) {
  const int64_t n = state.range(0);
  dl::Tensor a = dl::Tensor::uniform({n, n}, -1, 1).requires_grad_();
  dl::Tensor b = dl::Tensor::uniform({n, n}, -1, 1).requires_grad_();
  const dl::Tensor dc = dl::Tensor::uniform({n, n}, -1, 1);
  for (auto _ : state) {
    a.zero_grad();
    b.zero_grad();
    dl::Tensor c = dl::matmul(a, b);
    c.backward(dc);
    benchmark::DoNotOptimize(a.grad().data());
    benchmark::DoNotOptimize(b.grad().data());
  }
  state.counters["flops"] = benchmark::Counter(step_flops(n), benchmark::Counter::kIsIterationInvariantRate);
}

double gemm_flops(int64_t n) { return 2.0 * static_cast<double>(n) * n * n; }

void BM_EigenGemmForward(benchmark::State& state) {
  const int64_t n = state.range(0);
  const dl::MatrixRM a = dl::MatrixRM::Random(n, n), b = dl::MatrixRM::Random(n, n);
  dl::MatrixRM c(n, n);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["flops"] = benchmark::Counter(gemm_flops(n), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_MatmulForward(benchmark::State& state) {
  const int64_t n = state.range(0);
  const dl::Tensor a = dl::Tensor::uniform({n, n}, -1, 1), b = dl::Tensor::uniform({n, n}, -1, 1);
  for (auto _ : state) benchmark::DoNotOptimize(dl::matmul(a, b).data());
  state.counters["flops"] = benchmark::Counter(gemm_flops(n), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK(BM_EigenGemmForward)->Arg(256)->Arg(512)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_MatmulForward)->Arg(256)->Arg(512)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK(BM_EigenGemm)->Arg(128)->Arg(256)->Arg(512)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_MatmulOp)->Arg(128)->Arg(256)->Arg(512)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();

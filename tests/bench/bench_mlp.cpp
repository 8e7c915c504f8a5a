// One training step of chapter 01's MLP (forward, loss, backward, Adam) on a batch of 128.
#include <benchmark/benchmark.h>

#include "bench_support.hpp"
#include "mlp.hpp"

namespace {

void BM_MlpTrainStep(benchmark::State& state) {
  dl::manual_seed(0);
  ch01::MLP model;
  bench::train_step(state, model, state.range(0), 784);
}

}  // namespace

BENCHMARK(BM_MlpTrainStep)->Arg(128)->Unit(benchmark::kMicrosecond)->UseRealTime();

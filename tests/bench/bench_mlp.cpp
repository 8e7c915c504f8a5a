// One training step of chapter 01's MLP (forward, loss, backward, Adam) on a batch of 128.
#include <benchmark/benchmark.h>

#include <dl/optim.hpp>

#include "mlp.hpp"

namespace {

void BM_MlpTrainStep(benchmark::State& state) {
  const int64_t batch = state.range(0);
  dl::manual_seed(0);
  ch01::MLP model;
  dl::optim::Adam optimizer(model.parameters());
  const dl::Tensor x = dl::Tensor::uniform({batch, 784}, 0, 1);
  std::vector<int> y(static_cast<size_t>(batch));
  for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<int>(i % 10);
  for (auto _ : state) {
    optimizer.zero_grad();
    const dl::Tensor loss = dl::cross_entropy(model(x), y);
    loss.backward();
    optimizer.step();
    benchmark::DoNotOptimize(loss.item());
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

}  // namespace

BENCHMARK(BM_MlpTrainStep)->Arg(128)->Unit(benchmark::kMicrosecond)->UseRealTime();

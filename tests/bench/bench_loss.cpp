// Softmax + cross-entropy, forward and backward, on a classifier head of 10,000
// classes and a batch of 128 (the shape the PyTorch comparison uses).
#include <benchmark/benchmark.h>

#include <dl/ops.hpp>
#include <vector>

namespace {

void BM_CrossEntropy(benchmark::State& state) {
  const int64_t batch = state.range(0), classes = state.range(1);
  dl::Generator gen(3);
  dl::Tensor logits = dl::Tensor::randn({batch, classes}, gen).requires_grad_();
  std::vector<int> targets(static_cast<size_t>(batch));
  for (int& t : targets) t = static_cast<int>(gen.below(static_cast<uint64_t>(classes)));
  for (auto _ : state) {
    logits.zero_grad();
    dl::cross_entropy(logits, targets).backward();
    benchmark::DoNotOptimize(logits.grad().data());
  }
}

}  // namespace

BENCHMARK(BM_CrossEntropy)->Args({128, 10000})->Unit(benchmark::kMillisecond)->UseRealTime();

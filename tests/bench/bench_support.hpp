// Shared by the benchmark suites: one optimisation step of a classifier, timed.
#pragma once

#include <sys/resource.h>

#include <benchmark/benchmark.h>

#include <dl/memory.hpp>
#include <dl/nn.hpp>
#include <dl/optim.hpp>
#include <vector>

namespace bench {

/// Reports the process's resident memory after the timed steps, its peak so far
/// (run one benchmark alone, --benchmark_filter, for the peak of that one), and the
/// allocator's bytes in use or cached: a training step's footprint, flat when
/// buffers are reused.
inline void report_memory(benchmark::State& state) {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  state.counters["peak_rss_MiB"] = static_cast<double>(usage.ru_maxrss) / 1024;  // ru_maxrss is in KiB
  state.counters["rss_MiB"] = static_cast<double>(dl::memory::resident_bytes()) / (1 << 20);
  const dl::memory::Stats allocator = dl::memory::stats();
  state.counters["tensors_MiB"] = static_cast<double>(allocator.in_use_bytes + allocator.cached_bytes) / (1 << 20);
}

/// Times forward, cross-entropy, backward and an Adam step of `model` on one fixed
/// batch of `batch` random inputs with `features` values each.
inline void train_step(benchmark::State& state, dl::nn::Layer& model, int64_t batch, int64_t features) {
  dl::optim::Adam optimizer(model.parameters());
  const dl::Tensor x = dl::Tensor::uniform({batch, features}, 0, 1);
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
  report_memory(state);
}

}  // namespace bench

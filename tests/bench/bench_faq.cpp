// The FAQ lookup: building the index from the source file, and answering one query.
#include <benchmark/benchmark.h>

#include "faq.hpp"

namespace {

void BM_FaqLoadAndIndex(benchmark::State& state) {
  for (auto _ : state) {
    const faq::Index index(faq::load_entries(DL_FAQ_SOURCE));
    benchmark::DoNotOptimize(index.entries().data());
  }
}

void BM_FaqQuery(benchmark::State& state) {
  const faq::Index index(faq::load_entries(DL_FAQ_SOURCE));
  for (auto _ : state) benchmark::DoNotOptimize(index.search("why does my convolutoinal net overfit 过拟合", 3));
}

}  // namespace

BENCHMARK(BM_FaqLoadAndIndex)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FaqQuery)->Unit(benchmark::kMicrosecond);

// Chapter 03's hot spots: one LSTM step and a whole fused LSTM layer (batch 32, hidden
// 256), the output layer and the loss over a ~5k-character vocabulary, and one full
// training step of the character language model. Tokens/s = characters predicted per second.
#include <benchmark/benchmark.h>

#include "bench_support.hpp"

#include <vector>

#include "charlm.hpp"

namespace {

constexpr int64_t kBatch = 32, kSteps = 64, kEmbedding = 64, kHidden = 256, kVocab = 4859;

dl::Tensor leaf(const dl::Shape& shape) { return dl::Tensor::uniform(shape, -0.1f, 0.1f).requires_grad_(); }

std::vector<int> random_ids(int64_t n) {
  std::vector<int> ids(static_cast<size_t>(n));
  dl::Generator gen(7);
  for (int& id : ids) id = static_cast<int>(gen.below(kVocab));
  return ids;
}

// Arg: time steps (1 = one cell step).
void BM_LstmForwardBackward(benchmark::State& state) {
  const int64_t steps = state.range(0);
  dl::Tensor x = leaf({steps, kBatch, kEmbedding}), h = leaf({kBatch, kHidden}), c = leaf({kBatch, kHidden});
  dl::Tensor w_ih = leaf({4 * kHidden, kEmbedding}), w_hh = leaf({4 * kHidden, kHidden});
  dl::Tensor b_ih = leaf({4 * kHidden}), b_hh = leaf({4 * kHidden});
  const dl::Tensor dy = dl::Tensor::randn({steps + 1, kBatch, kHidden});
  for (auto _ : state) {
    for (dl::Tensor* t : {&x, &h, &c, &w_ih, &w_hh, &b_ih, &b_hh}) t->zero_grad();
    const dl::RecurrentSequence s = dl::lstm_layer(x, {h, c}, w_ih, w_hh, b_ih, b_hh);
    dl::concat({s.output, s.state.c.reshape({1, kBatch, kHidden})}, 0).backward(dy);
    benchmark::DoNotOptimize(w_hh.grad().data());
  }
  state.SetItemsProcessed(state.iterations() * steps * kBatch);
}

// The model's output layer, (T*B, H) -> (T*B, V), forward and backward.
void BM_OutputLayerForwardBackward(benchmark::State& state) {
  dl::Tensor x = leaf({kSteps * kBatch, kHidden}), w = leaf({kVocab, kHidden}), b = leaf({kVocab});
  const dl::Tensor dy = dl::Tensor::randn({kSteps * kBatch, kVocab});
  for (auto _ : state) {
    for (dl::Tensor* t : {&x, &w, &b}) t->zero_grad();
    dl::linear(x, w, b).backward(dy);
    benchmark::DoNotOptimize(w.grad().data());
  }
  state.counters["flops"] =
      benchmark::Counter(3 * 2.0 * kSteps * kBatch * kHidden * kVocab, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_CrossEntropyForwardBackward(benchmark::State& state) {
  dl::Tensor logits = dl::Tensor::randn({kSteps * kBatch, kVocab}).requires_grad_();
  const std::vector<int> targets = random_ids(kSteps * kBatch);
  for (auto _ : state) {
    logits.zero_grad();
    dl::cross_entropy(logits, targets).backward();
    benchmark::DoNotOptimize(logits.grad().data());
  }
}

void BM_CharLMTrainStep(benchmark::State& state) {
  dl::manual_seed(0);
  ch03::CharLM model(kVocab);
  dl::optim::Adam optimizer(model.parameters(), {.lr = 1e-3f});
  const std::vector<int> inputs = random_ids(kSteps * kBatch), targets = random_ids(kSteps * kBatch);
  dl::RecurrentState carried;
  for (auto _ : state) {
    const double loss = ch03::train_step(model, optimizer, inputs, targets, kSteps, kBatch, carried, 1.0f);
    benchmark::DoNotOptimize(loss);
  }
  state.SetItemsProcessed(state.iterations() * kSteps * kBatch);
  bench::report_memory(state);
}

}  // namespace

BENCHMARK(BM_LstmForwardBackward)->Arg(1)->Arg(kSteps)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_OutputLayerForwardBackward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CrossEntropyForwardBackward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CharLMTrainStep)->Unit(benchmark::kMillisecond)->UseRealTime();

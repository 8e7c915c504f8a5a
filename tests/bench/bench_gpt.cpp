// Chapter 05's GPT at the gpt program's default size (ch05::default_config: width 128, 4
// blocks of 4 heads, 128 positions) over fortunes-zh's 4859 characters:
//   BM_GptTrainStep   one training step on 32 windows of 128 tokens: forward, cross-entropy
//                     at every position, backward, gradient clipping, GPT's AdamW
//   BM_GenerateKV     greedy generation of 256 tokens after one, batch 1, with the KV cache,
//                     on the same model with 1024 positions (the time per token is the row)
// compare_torch.py gives PyTorch the same model, batch and loop (rows gpt_step, generate_kv).
#include <benchmark/benchmark.h>

#include "bench_support.hpp"
#include "gpt.hpp"

namespace {

constexpr int64_t kVocab = 4859;  // the characters of chapter 03's training text seen twice or more

void BM_GptTrainStep(benchmark::State& state) {
  const dl::nn::GPTConfig config = ch05::default_config(kVocab);
  const int64_t batch = ch05::kDefaultBatch, steps = config.n_positions;
  dl::Generator gen(7);
  dl::nn::GPT model(config, gen);
  std::vector<int> ids(static_cast<size_t>(batch * steps)), targets(ids.size());
  for (size_t i = 0; i < ids.size(); ++i)
    ids[i] = static_cast<int>(gen.below(kVocab)), targets[i] = static_cast<int>(gen.below(kVocab));
  dl::optim::MatrixDecayAdamW optimizer = ch05::gpt_adamw(model, 4e-3f, 0.1f);  // the program's defaults
  const std::vector<dl::Tensor> params = model.parameters();
  for (auto _ : state) {
    optimizer.zero_grad();
    const dl::Tensor loss = dl::cross_entropy(model.forward(ids, batch, steps), targets);
    loss.backward();
    dl::optim::clip_grad_norm(params, 1.0f);
    optimizer.step();
    benchmark::DoNotOptimize(loss.data());
  }
  state.counters["tokens_per_second"] =
      benchmark::Counter(static_cast<double>(batch * steps), benchmark::Counter::kIsIterationInvariantRate);
  bench::report_memory(state);
}

void BM_GenerateKV(benchmark::State& state) {
  dl::nn::GPTConfig config = ch05::default_config(kVocab);
  config.n_positions = 1024;
  dl::Generator gen(7);
  dl::nn::GPT model(config, gen);
  const std::vector<int> prompt = {1};
  const dl::nn::GenerateOptions options{.sampling = {.strategy = dl::decode::Strategy::greedy}, .max_new_tokens = 256};
  for (auto _ : state) {
    dl::Generator g(0);
    benchmark::DoNotOptimize(dl::nn::generate(model, prompt, options, g));
  }
  state.counters["tokens_per_second"] = benchmark::Counter(256.0, benchmark::Counter::kIsIterationInvariantRate);
  bench::report_memory(state);
}

}  // namespace

BENCHMARK(BM_GptTrainStep)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_GenerateKV)->Unit(benchmark::kMillisecond)->UseRealTime();

// One training step of chapter 04's BERT at the bert program's default size and settings
// (hidden 64, 2 layers of 2 heads, feed-forward 256, bert-base-uncased's 30522 tokens, no
// dropout), batch 32 sequences of 64 tokens with every 7th position masked (about 15%):
// forward, the masked-LM head on the chosen rows only, cross-entropy, backward, gradient
// clipping and AdamW.
// compare_torch.py gives PyTorch the same model and batch (row bert_step).
#include <benchmark/benchmark.h>

#include "bench_support.hpp"
#include "bert.hpp"

namespace {

void BM_BertTrainStep(benchmark::State& state) {
  const int64_t batch = 32, steps = 64;
  dl::Generator gen(7);
  ch04::BertConfig config;
  config.hidden_dropout_prob = config.attention_probs_dropout_prob = 0.0f;  // as the program's default run
  ch04::BertForMaskedLM model(config, gen);
  const int64_t vocab = model.config.vocab_size;
  std::vector<int> ids(static_cast<size_t>(batch * steps)), mask(ids.size(), 1), rows, labels;
  for (size_t i = 0; i < ids.size(); ++i) {
    ids[i] = 1000 + static_cast<int>(gen.below(static_cast<uint64_t>(vocab - 1000)));
    if (i % 7 == 3) rows.push_back(static_cast<int>(i)), labels.push_back(ids[i]), ids[i] = 103;  // [MASK]
  }
  dl::optim::MatrixDecayAdamW optimizer = ch04::bert_adamw(model, 3e-3f, 0.01f);  // the program's defaults
  const std::vector<dl::Tensor> params = model.parameters();
  for (auto _ : state) {
    optimizer.zero_grad();
    const dl::Tensor loss = dl::cross_entropy(model.logits_at(ids, mask, batch, steps, rows), labels);
    loss.backward();
    dl::optim::clip_grad_norm(params, 1.0f);
    optimizer.step();
    benchmark::DoNotOptimize(loss.data());
  }
  bench::report_memory(state);
}

}  // namespace

BENCHMARK(BM_BertTrainStep)->Unit(benchmark::kMillisecond)->UseRealTime();

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
  const int64_t vocab = model.config.vocab_size, hidden = model.config.hidden_size;
  std::vector<int> ids(static_cast<size_t>(batch * steps)), mask(ids.size(), 1), rows, labels;
  for (size_t i = 0; i < ids.size(); ++i) {
    ids[i] = 1000 + static_cast<int>(gen.below(static_cast<uint64_t>(vocab - 1000)));
    if (i % 7 == 3) rows.push_back(static_cast<int>(i)), labels.push_back(ids[i]), ids[i] = 103;  // [MASK]
  }
  std::vector<dl::Tensor> decayed, kept;
  for (const auto& [name, t] : model.named_parameters()) (t.dim() >= 2 ? decayed : kept).push_back(t);
  dl::optim::AdamW opt_decayed(decayed, {.lr = 3e-3f, .beta2 = 0.98f, .eps = 1e-6f, .weight_decay = 0.01f});
  dl::optim::AdamW opt_kept(kept, {.lr = 3e-3f, .beta2 = 0.98f, .eps = 1e-6f, .weight_decay = 0.0f});
  const std::vector<dl::Tensor> params = model.parameters();
  for (auto _ : state) {
    opt_decayed.zero_grad(), opt_kept.zero_grad();
    const dl::Tensor h = dl::reshape(model.encode(ids, mask, batch, steps), {batch * steps, hidden});
    const dl::Tensor logits = model.mlm_logits(dl::embedding(h, rows, {static_cast<int64_t>(rows.size())}));
    const dl::Tensor loss = dl::cross_entropy(logits, labels);
    loss.backward();
    dl::optim::clip_grad_norm(params, 1.0f);
    opt_decayed.step(), opt_kept.step();
    benchmark::DoNotOptimize(loss.data());
  }
  bench::report_memory(state);
}

}  // namespace

BENCHMARK(BM_BertTrainStep)->Unit(benchmark::kMillisecond)->UseRealTime();

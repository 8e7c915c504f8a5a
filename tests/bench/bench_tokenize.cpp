// Tokenizer speed: GPT-2 and bert-base-uncased encoding throughput (bytes per second on
// one thread) on the Chinese poems and sayings of fortunes-zh, and BPE training time.
// Needs the vocabulary files that ./book deps fetches into build/vocab.
#include <benchmark/benchmark.h>

#include <dl/text.hpp>
#include <dl/tokenize.hpp>
#include <string>
#include <vector>

namespace {

// The lines of fortunes-zh's collection of sayings and poems (about 2 MB).
const std::vector<std::string>& lines() {
  static const std::vector<std::string> text = [] {
    std::vector<std::string> out;
    for (const char* file : {"chinese", "tang300", "song100"})
      for (const dl::data::TextEntry& e : dl::data::read_fortunes(std::string(dl::data::kFortunesDir) + "/" + file))
        out.push_back(e.title + "\n" + e.author + "\n" + e.body);
    return out;
  }();
  return text;
}

int64_t total_bytes() {
  int64_t n = 0;
  for (const std::string& l : lines()) n += static_cast<int64_t>(l.size());
  return n;
}

// Characters (code points): the bytes that do not continue a UTF-8 sequence.
int64_t total_chars() {
  int64_t n = 0;
  for (const std::string& l : lines())
    for (char c : l) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

template <class Tokenizer>
void encode_all(benchmark::State& state, const Tokenizer& tokenizer) {
  int64_t tokens = 0;
  for (auto _ : state) {
    tokens = 0;
    for (const std::string& l : lines()) tokens += static_cast<int64_t>(tokenizer.encode(l).size());
  }
  state.SetBytesProcessed(state.iterations() * total_bytes());
  state.counters["chars_per_token"] = static_cast<double>(total_chars()) / static_cast<double>(tokens);
}

void BM_EncodeGpt2(benchmark::State& state) {
  static const auto gpt2 = dl::tokenize::ByteLevelBPE::load(std::string(DL_VOCAB_DIR) + "/gpt2");
  encode_all(state, gpt2);
}

void BM_EncodeBert(benchmark::State& state) {
  static const auto bert = dl::tokenize::WordPiece::load(std::string(DL_VOCAB_DIR) + "/bert-base-uncased/vocab.txt");
  encode_all(state, bert);
}

// Learning `state.range(0)` tokens of byte-level BPE from all of fortunes-zh.
void BM_TrainBpe(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(dl::tokenize::train_bpe(lines(), static_cast<int>(state.range(0))));
  state.SetBytesProcessed(state.iterations() * total_bytes());
}

}  // namespace

BENCHMARK(BM_EncodeGpt2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EncodeBert)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TrainBpe)->Arg(8000)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

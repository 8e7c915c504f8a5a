// Chapter 03: the lanes of truncated BPTT, the corpus and its baseline, sampling, the
// vanishing-gradient measurement, a model that memorises a line, and the program on
// bad input.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <dl/app/results.hpp>
#include <fstream>

#include "../../tests/test_support.hpp"
#include "charlm.hpp"

using dl::Tensor;

namespace {

std::vector<int> iota_ids(int n) {
  std::vector<int> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = i;
  return v;
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// A corpus folder like fortunes-zh: `poems` poems in tang300, one in song100, `sayings` in chinese.
void write_corpus(const test::TempDir& dir, int poems, int sayings) {
  std::string tang, chinese;
  for (int i = 0; i < poems; ++i)
    tang += "\x1b[1;33m《静夜思" + std::to_string(i) + "》\x1b[0m\n作者：李白\n床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n%\n";
  for (int i = 0; i < sayings; ++i) chinese += "学而时习之，不亦说乎？" + std::to_string(i) + "\n%\n";
  write_file(dir.file("tang300"), tang);
  write_file(dir.file("song100"), "《春晓》\n作者：孟浩然\n春眠不觉晓，处处闻啼鸟。\n%\n");
  write_file(dir.file("chinese"), chinese);
}

test::ProgramResult run_rnn(const std::string& args) { return test::run_program(CHAPTER_PROGRAM, args); }

}  // namespace

TEST_CASE("LaneReader: each window continues its lane, targets are the next characters", "[ch03]") {
  const std::vector<int> stream = iota_ids(23);  // 22 predictions: 2 lanes of 11
  const ch03::LaneReader reader(stream, 2, 4);
  CHECK(reader.windows() == 3);  // 4 + 4 + 3
  std::vector<int> x, y;
  CHECK(reader.window(0, x, y) == 4);
  CHECK(x == std::vector<int>{0, 11, 1, 12, 2, 13, 3, 14});  // (T, B): lane 0 starts at 0, lane 1 at 11
  CHECK(y == std::vector<int>{1, 12, 2, 13, 3, 14, 4, 15});
  CHECK(reader.window(1, x, y) == 4);
  CHECK(x.front() == 4);  // lane 0 goes on where window 0 stopped
  CHECK(reader.window(2, x, y) == 3);
  CHECK(y == std::vector<int>{9, 20, 10, 21, 11, 22});  // the last window is shorter, nothing is dropped
  CHECK_THROWS_WITH(ch03::LaneReader(stream, 2, 0), Catch::Contains("sequence length must be positive"));
  CHECK_THROWS_WITH(ch03::LaneReader(std::vector<int>{1, 2}, 4, 8), Catch::Contains("too short"));
}

TEST_CASE("corpus: entries keep their structure, the split is by entry, the unigram baseline is by hand", "[ch03]") {
  test::TempDir dir;
  write_corpus(dir, 12, 8);
  const dl::data::TextEntry poem{"春晓", "孟浩然", "春眠不觉晓，\n处处闻啼鸟。"};
  CHECK(ch03::entry_text(poem) == "《春晓》\n作者：孟浩然\n春眠不觉晓，\n处处闻啼鸟。\n%\n");
  const ch03::Corpus all = ch03::load_corpus(dir.str(), ch03::CorpusKind::all, 1, 1);
  CHECK(all.train_entries + all.validation_entries == 21);
  CHECK(all.validation_entries == 1);  // 5% of 21, rounded
  const ch03::Corpus poems = ch03::load_corpus(dir.str(), ch03::CorpusKind::poems, 1, 1);
  CHECK(poems.train_entries + poems.validation_entries == 13);
  CHECK(poems.vocab.id(U'学') == dl::data::CharVocab::kUnknown);  // sayings are left out
  CHECK(ch03::load_corpus(dir.str(), ch03::CorpusKind::all, 1, 1).train == all.train);  // same seed, same split

  // The baseline: -mean log((count + 1) / (total + V)) over the validation ids.
  const auto& counts = all.vocab.counts();
  double total = 0, expected = 0;
  for (int64_t c : counts) total += static_cast<double>(c);
  for (int id : all.validation)
    expected -= std::log((static_cast<double>(counts[static_cast<size_t>(id)]) + 1) / (total + static_cast<double>(counts.size())));
  CHECK(ch03::unigram_loss(all) == Approx(expected / static_cast<double>(all.validation.size())));
  CHECK(ch03::unigram_loss(all) > 0);
}

TEST_CASE("corpus: too few entries, an empty file and invalid UTF-8 are clear errors", "[ch03][errors]") {
  test::TempDir dir;
  write_corpus(dir, 3, 2);
  CHECK_THROWS_WITH(ch03::load_corpus(dir.str(), ch03::CorpusKind::all, 0), Catch::Contains("too few"));
  write_file(dir.file("tang300"), "");
  CHECK_THROWS_WITH(ch03::load_corpus(dir.str(), ch03::CorpusKind::all, 0), Catch::Contains("tang300"));
  write_file(dir.file("tang300"), "《诗》\n作者：某\n好\xff诗\n%\n");
  CHECK_THROWS_WITH(ch03::load_corpus(dir.str(), ch03::CorpusKind::all, 0), Catch::Contains("byte"));
}

TEST_CASE("the model memorises a repeated line: loss below 0.1", "[ch03]") {
  // '，' and '。' are each followed by two different characters, so the model must
  // remember the line so far, not just the last character.
  std::u32string text;
  for (int i = 0; i < 40; ++i) text += U"白日依山尽，黄河入海流。欲穷千里目，更上一层楼。\n";
  const dl::data::CharVocab vocab(text);
  const std::vector<int> stream = vocab.encode(text);
  dl::manual_seed(3);
  ch03::CharLM model(vocab.size(), 16, 64, 0.0f);
  dl::optim::Adam optimizer(model.parameters(), {.lr = 1e-2f});
  const ch03::LaneReader reader(stream, 4, 16);
  std::vector<int> x, y;
  dl::RecurrentState state;
  for (int step = 0; step < 300; ++step) {
    const int64_t k = step % reader.windows();
    if (k == 0) state = {};
    const int64_t t = reader.window(k, x, y);
    ch03::train_step(model, optimizer, x, y, t, 4, state, 1.0f);
  }
  CHECK(ch03::evaluate(model, stream, 4, 16) < 0.1);
  // Greedy decoding then writes the line out.
  dl::Generator gen(0);
  const std::vector<int> prime = vocab.encode(U"白日");
  CHECK(vocab.decode(ch03::sample(model, vocab, prime, {.temperature = 0.0f, .max_chars = 10}, gen)) == "依山尽，黄河入海流。");
}

TEST_CASE("sampling: greedy is deterministic, max_chars is respected, a '%' line ends the entry", "[ch03]") {
  std::u32string text;
  for (int i = 0; i < 30; ++i) text += U"春眠不觉晓\n%\n";
  const dl::data::CharVocab vocab(text);
  dl::manual_seed(5);
  ch03::CharLM model(vocab.size(), 8, 32, 0.0f);
  dl::optim::Adam optimizer(model.parameters(), {.lr = 2e-2f});
  const std::vector<int> stream = vocab.encode(text);
  const ch03::LaneReader reader(stream, 2, 20);
  std::vector<int> x, y;
  for (int step = 0; step < 150; ++step) {
    dl::RecurrentState state;
    const int64_t t = reader.window(step % reader.windows(), x, y);
    ch03::train_step(model, optimizer, x, y, t, 2, state, 1.0f);
  }
  dl::Generator a(1), b(2);
  const std::vector<int> prime = vocab.encode(U"春");
  const auto greedy = ch03::sample(model, vocab, prime, {.temperature = 0.0f, .max_chars = 50}, a);
  CHECK(greedy == ch03::sample(model, vocab, prime, {.temperature = 0.0f, .max_chars = 50}, b));
  CHECK(vocab.decode(greedy) == "眠不觉晓\n");  // stops before the '%' line
  CHECK(ch03::sample(model, vocab, prime, {.temperature = 1.5f, .max_chars = 3}, a).size() <= 3);
  // <unk> is never drawn, even when a high temperature flattens the distribution.
  int64_t drawn = 0;
  for (int k = 0; k < 20; ++k)
    for (int id : ch03::sample(model, vocab, prime, {.temperature = 5.0f, .max_chars = 20}, a)) {
      CHECK(id != dl::data::CharVocab::kUnknown);
      ++drawn;
    }
  CHECK(drawn > 50);
  CHECK(ch03::sample(model, vocab, prime, {.temperature = 1.0f, .max_chars = 0}, a).empty());
}

TEST_CASE("encode_prime: unknown characters become <unk> and are reported, bad UTF-8 names its byte", "[ch03]") {
  const dl::data::CharVocab vocab(U"春风");
  std::vector<char32_t> unknown;
  CHECK(ch03::encode_prime(vocab, "春𠀀风", unknown) == std::vector<int>{vocab.id(U'春'), 0, vocab.id(U'风')});
  CHECK(unknown == std::vector<char32_t>{U'𠀀'});
  CHECK_THROWS_WITH(ch03::encode_prime(vocab, "春\xe6", unknown), Catch::Contains("--prime") && Catch::Contains("byte offset 3"));
  CHECK_THROWS_WITH(ch03::encode_prime(vocab, "", unknown), Catch::Contains("empty"));
}

TEST_CASE("vanishing gradients: a plain RNN's gradient norm decays faster than an LSTM's on the same input", "[ch03]") {
  const int64_t steps = 60, batch = 4, in = 16, hidden = 64;
  dl::Generator gen(8);
  const Tensor inputs = Tensor::randn({steps, batch, in}, gen);
  dl::nn::RNNCell rnn(in, hidden, true, gen);
  dl::nn::LSTMCell lstm(in, hidden, true, gen);
  dl::Generator r1(9), r2(9);
  const auto rnn_norms = ch03::hidden_gradient_norms(
      [&](const Tensor& x, const dl::RecurrentState& s) { return dl::RecurrentState{rnn.forward(x, s.h), {}}; }, inputs, hidden,
      false, r1);
  const auto lstm_norms = ch03::hidden_gradient_norms(
      [&](const Tensor& x, const dl::RecurrentState& s) { return lstm.forward(x, s); }, inputs, hidden, true, r2);
  REQUIRE(rnn_norms.size() == static_cast<size_t>(steps));
  CHECK(rnn_norms.back() == Approx(lstm_norms.back()));  // distance 0: both are ||r||
  // Both shrink with distance, the RNN's faster: compare 30 steps back.
  const size_t far = static_cast<size_t>(steps - 1 - 30);
  CHECK(rnn_norms[far] < rnn_norms.back() * 1e-3);
  CHECK(rnn_norms[far] / rnn_norms.back() < lstm_norms[far] / lstm_norms.back());
}

TEST_CASE("contiguous_lanes: each lane reads a contiguous stretch of the text in time-major order", "[ch03]") {
  const std::vector<int> text = iota_ids(30);
  // 4 lanes of 3 steps: lane b reads characters 3b, 3b+1, 3b+2.
  CHECK(ch03::contiguous_lanes(text, 3, 4) == std::vector<int>{0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11});
  // Column b of the (T, B) grid is one lane: consecutive characters, not every B-th one.
  const std::vector<int> ids = ch03::contiguous_lanes(text, 5, 2);
  for (int64_t t = 1; t < 5; ++t)
    for (int64_t b = 0; b < 2; ++b) CHECK(ids[static_cast<size_t>(t * 2 + b)] == ids[static_cast<size_t>((t - 1) * 2 + b)] + 1);
  // A text shorter than steps * batch wraps round.
  CHECK(ch03::contiguous_lanes(iota_ids(5), 2, 3) == std::vector<int>{0, 2, 4, 1, 3, 0});
  CHECK_THROWS_WITH(ch03::contiguous_lanes(std::vector<int>{}, 2, 3), Catch::Contains("contiguous_lanes"));
}

TEST_CASE("vanishing gradients: the fresh RNN's largest singular value exceeds 1 so the bound predicts no decay", "[ch03]") {
  // The fresh RNN of grad_norms.json: RNNCell(64, 256) drawn from Generator(seed + 1), seed 0.
  // Entries U(+-1/sqrt(H)) have variance 1/(3H): sigma_max is near 2/sqrt(3), about 1.15,
  // while a random direction is scaled by about 1/sqrt(3), about 0.58.
  const int64_t hidden = 256;
  dl::Generator init(1);
  const dl::nn::RNNCell rnn(64, hidden, true, init);
  const std::vector<float> w = rnn.weight_hh.to_vector();
  const auto times = [&](const std::vector<double>& v, bool transpose) {
    std::vector<double> out(static_cast<size_t>(hidden), 0.0);
    for (int64_t i = 0; i < hidden; ++i)
      for (int64_t j = 0; j < hidden; ++j) {
        const double wij = w[static_cast<size_t>(i * hidden + j)];
        if (transpose)
          out[static_cast<size_t>(j)] += wij * v[static_cast<size_t>(i)];
        else
          out[static_cast<size_t>(i)] += wij * v[static_cast<size_t>(j)];
      }
    return out;
  };
  const auto norm = [](const std::vector<double>& v) {
    double sq = 0;
    for (double x : v) sq += x * x;
    return std::sqrt(sq);
  };
  std::vector<double> v(static_cast<size_t>(hidden));
  dl::Generator g(2);
  for (double& x : v) x = g.normal();
  const double typical_gain = norm(times(v, false)) / norm(v);
  double sigma = 0;
  for (int k = 0; k < 300; ++k) {  // power iteration on W^T W
    const double n = norm(v);
    for (double& x : v) x /= n;
    const std::vector<double> wv = times(v, false);
    sigma = norm(wv);
    v = times(wv, true);
  }
  CHECK(sigma > 1.05);
  CHECK(sigma < 1.25);
  CHECK(typical_gain > 0.5);
  CHECK(typical_gain < 0.65);
}

TEST_CASE("the seed's model in dl: (B, T, 100) in, 10 scores and the LSTM state out", "[ch03]") {
  ch03::SeedLessonRNN seed;
  const auto [scores, state] = seed.forward(Tensor::randn({2, 7, 100}));
  CHECK(scores.shape() == dl::Shape{2, 10});
  CHECK(state.h.shape() == dl::Shape{1, 2, 128});
  CHECK(state.c.shape() == dl::Shape{1, 2, 128});
  // The state can be fed back to continue the sequence.
  CHECK(seed.forward(Tensor::randn({2, 3, 100}), state).first.shape() == dl::Shape{2, 10});
  CHECK_THROWS_AS(seed.forward(Tensor::randn({2, 7, 99})), dl::ShapeError);
}

TEST_CASE("rnn program: bad flags, a corrupt corpus and an unknown prime character", "[ch03][cli]") {
  test::TempDir dir;
  const std::string out = " --out \"" + dir.file("out") + "\"";
  test::ProgramResult r = run_rnn("--seq-len 0" + out);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("rnn: error:") && Catch::Contains("--seq-len") && Catch::Contains("expected a number > 0, got 0"));
  r = run_rnn("--corpus novels" + out);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("--corpus") && Catch::Contains("all") && Catch::Contains("poems"));
  r = run_rnn("--data \"" + dir.file("missing") + "\"" + out);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("fortunes-zh"));

  test::TempDir corpus;
  write_corpus(corpus, 12, 8);
  const std::string data = " --data \"" + corpus.str() + "\"";
  r = run_rnn("--steps 4 --eval-every 2 --hidden 16 --embedding 8 --batch-size 2 --seq-len 8 --samples 1 --prime "
              "\"𠀀春\"" + data + out);
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("'𠀀' (U+20000)") && Catch::Contains("<unk>"));
  const auto summary = dl::app::read_json_file(dir.file("out") + "/summary.json");
  CHECK(summary.at("val_loss").get<double>() > 0);
  CHECK(summary.at("samples").size() == 1);
  for (const char* key : {"unigram_val_loss", "val_bpc", "train_seconds"}) CHECK(summary.contains(key));

  // --generate samples from the checkpoint the run left, without training.
  r = run_rnn("--generate --samples 2 --max-chars 5" + out);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("《春") == 0);  // --form poem: the prime opens a title
  size_t ends = 0;  // '%' lines: one after each sample
  for (size_t at = r.output.find("\n%\n"); at != std::string::npos; at = r.output.find("\n%\n", at + 1)) ++ends;
  CHECK(ends == 2);
  r = run_rnn("--generate --out \"" + dir.file("nothing-here") + "\"");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("nothing-here/charlm.safetensors"));
  r = run_rnn("--form sonnet" + out);
  CHECK(r.exit_code == 2);

  write_file(corpus.file("chinese"), "好\n%\n坏\xc3(\n%\n");
  r = run_rnn("--steps 1" + data + out);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("chinese") && Catch::Contains("byte offset 9"));
  write_file(corpus.file("chinese"), "");
  r = run_rnn("--steps 1" + data + out);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("chinese"));
}

TEST_CASE("rnn --generate: a checkpoint whose shapes would wrap a size product is refused before anything is allocated", "[ch03][errors]") {
  // A 3 KB file: 512 vocabulary characters and an embedding of shape [0, 8989641361456897]
  // (zero bytes of data, so the file itself is consistent). Building CharLM(512, E, H) from
  // it asked for 512 x E floats, a product that wraps a 64-bit byte count to 1,028 bytes.
  test::TempDir dir;
  std::u32string chars;
  for (char32_t c = 0x4E00; c < 0x4E00 + 512; ++c) chars += c;
  const std::string vocabulary = dl::encode_utf8(chars);
  const std::string header = R"({"__metadata__":{"chapter":"03-rnn","vocabulary":")" + vocabulary +
                             R"("},"embed.weight":{"dtype":"F32","shape":[0,8989641361456897],"data_offsets":[0,0]},)"
                             R"("lstm.weight_hh_l0":{"dtype":"F32","shape":[0,16],"data_offsets":[0,0]}})";
  std::string file;
  for (int i = 0; i < 8; ++i) file += static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  write_file(dir.file("charlm.safetensors"), file + header);
  const test::ProgramResult r = run_rnn("--generate --out \"" + dir.str() + "\"");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("rnn: error:") && Catch::Contains("more elements than memory can hold"));
}

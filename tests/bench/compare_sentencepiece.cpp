// compare_sentencepiece — our byte-level BPE against SentencePiece's BPE (the tokenizer
// library of T5 and LLaMA), trained at the same vocabulary size on the same text:
// characters per token, training time, and single-thread encoding throughput.
//
//   ./book bench --compare sentencepiece [--json FILE]
//   ./build/tests/bench/compare_sentencepiece --rounds 5 --vocab-size 8000 --json out.json
//
// Corpora: the Chinese poems and sayings of fortunes-zh, and the English quotes of
// fortunes. Both tokenizers encode every line of the corpus they were trained on,
// in interleaved rounds (ours, theirs, ours, ...), one thread; the table shows medians.
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <dl/app/program.hpp>
#include <dl/app/results.hpp>
#include <dl/text.hpp>
#include <dl/tokenize.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using dl::app::Json;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

struct Corpus {
  std::string name;
  std::vector<std::string> lines;  // one entry per line, newlines inside it made spaces
  int64_t bytes = 0, chars = 0;
};

// Every entry of the fortune files `files` in `dir`, one per line.
Corpus read_corpus(const std::string& name, const std::vector<fs::path>& files) {
  Corpus c{name, {}, 0, 0};
  for (const fs::path& file : files)
    for (const dl::data::TextEntry& e : dl::data::read_fortunes(file.string())) {
      std::string line = e.title + (e.title.empty() ? "" : " ") + e.body;
      std::replace(line.begin(), line.end(), '\n', ' ');
      c.bytes += static_cast<int64_t>(line.size());
      for (char ch : line) c.chars += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
      c.lines.push_back(std::move(line));
    }
  if (c.lines.empty()) throw dl::FileError(name + ": no text found (install fortunes and fortunes-zh)");
  return c;
}

// The English fortune files: every plain file in the folder but the Chinese ones.
std::vector<fs::path> english_files(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || entry.path().has_extension() || name == "chinese" || name == "tang300" ||
        name == "song100")
      continue;
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw dl::FileError(dir.string() + ": no English fortune files (install the Debian package fortunes)");
  return files;
}

struct Result {
  std::string tokenizer;
  int vocabulary = 0;  // tokens actually learned (training stops early when no pair repeats)
  double train_seconds = 0;
  int64_t tokens = 0;
  std::vector<double> encode_seconds;
};

Json row(const Corpus& c, const Result& r, int vocab_size) {
  const double encode = median(r.encode_seconds);
  return {{"corpus", c.name},
          {"tokenizer", r.tokenizer},
          {"vocab_size", vocab_size},
          {"vocabulary", r.vocabulary},
          {"train_seconds", r.train_seconds},
          {"chars_per_token", static_cast<double>(c.chars) / static_cast<double>(r.tokens)},
          {"tokens", r.tokens},
          {"encode_ms", encode * 1000},
          {"encode_mb_per_s", static_cast<double>(c.bytes) / 1e6 / encode},
          {"encode_seconds_rounds", r.encode_seconds}};
}

}  // namespace

int main(int argc, char** argv) {
  return dl::app::run_program("compare_sentencepiece", argc, argv, [&](dl::app::Program& program) {
    int rounds = 5, vocab_size = 8000;
    std::string json_path, dir = dl::data::kFortunesDir;
    CLI::App& cli = program.cli();
    cli.description("Our byte-level BPE against SentencePiece's BPE: compression, training time, encoding speed.");
    cli.add_option("--rounds", rounds, "interleaved encoding rounds (the table shows medians)")->check(dl::app::positive);
    cli.add_option("--vocab-size", vocab_size, "tokens each tokenizer learns")->check(CLI::Range(512, 50000));
    cli.add_option("--json", json_path, "also write the results here");
    cli.add_option("--data", dir, "folder with the fortune files");
    program.parse_own_flags();

    const std::vector<Corpus> corpora = {
        read_corpus("fortunes-zh (Chinese)", {fs::path(dir) / "chinese", fs::path(dir) / "tang300", fs::path(dir) / "song100"}),
        read_corpus("fortunes (English)", english_files(dir))};
    const fs::path work = fs::temp_directory_path() / ("compare_sentencepiece." + std::to_string(::getpid()));
    fs::create_directories(work);
    Json rows = Json::array();
    std::printf("%-22s %-14s %6s %9s %10s %12s %10s\n", "corpus", "tokenizer", "vocab", "train s", "chars/tok",
                "encode MB/s", "ours/spm");
    for (const Corpus& c : corpora) {
      // Ours: byte-level BPE, GPT-2's pre-tokenisation.
      Result ours{"dl byte-level BPE", 0, 0, 0, {}};
      auto start = std::chrono::steady_clock::now();
      const dl::tokenize::ByteLevelBPE bpe = dl::tokenize::train_bpe(c.lines, vocab_size);
      ours.train_seconds = seconds_since(start);
      ours.vocabulary = bpe.vocab_size();

      // SentencePiece: BPE over characters with byte fallback (so it loses nothing
      // either), trained on one thread on the same lines.
      Result spm{"SentencePiece BPE", 0, 0, 0, {}};
      const fs::path text = work / "corpus.txt", prefix = work / "spm";
      {
        std::ofstream out(text, std::ios::binary);
        for (const std::string& line : c.lines) out << line << '\n';
      }
      start = std::chrono::steady_clock::now();
      const auto status = sentencepiece::SentencePieceTrainer::Train(
          "--input=" + text.string() + " --model_prefix=" + prefix.string() + " --model_type=bpe --vocab_size=" +
          std::to_string(vocab_size) +
          " --num_threads=1 --byte_fallback=true --character_coverage=0.9995 --input_sentence_size=0"
          " --max_sentence_length=100000 --minloglevel=2");
      spm.train_seconds = seconds_since(start);
      if (!status.ok()) throw dl::Error("SentencePiece training failed: " + status.ToString());
      sentencepiece::SentencePieceProcessor processor;
      if (const auto loaded = processor.Load(prefix.string() + ".model"); !loaded.ok())
        throw dl::Error("SentencePiece model did not load: " + loaded.ToString());
      spm.vocabulary = processor.GetPieceSize();

      for (int r = 0; r < rounds; ++r) {
        start = std::chrono::steady_clock::now();
        int64_t n = 0;
        for (const std::string& line : c.lines) n += static_cast<int64_t>(bpe.encode(line).size());
        ours.encode_seconds.push_back(seconds_since(start));
        ours.tokens = n;
        start = std::chrono::steady_clock::now();
        n = 0;
        std::vector<int> ids;
        for (const std::string& line : c.lines) {
          processor.Encode(line, &ids).IgnoreError();
          n += static_cast<int64_t>(ids.size());
        }
        spm.encode_seconds.push_back(seconds_since(start));
        spm.tokens = n;
      }
      const Json a = row(c, ours, vocab_size), b = row(c, spm, vocab_size);
      const double ratio = a["encode_mb_per_s"].get<double>() / b["encode_mb_per_s"].get<double>();
      for (const Json* r : {&a, &b})
        std::printf("%-22s %-14s %6d %9.2f %10.2f %12.2f %10s\n", c.name.c_str(),
                    (*r)["tokenizer"].get<std::string>().substr(0, 14).c_str(), (*r)["vocabulary"].get<int>(),
                    (*r)["train_seconds"].get<double>(),
                    (*r)["chars_per_token"].get<double>(), (*r)["encode_mb_per_s"].get<double>(),
                    r == &a ? (std::to_string(ratio).substr(0, 4) + "x").c_str() : "");
      rows.push_back(a);
      rows.push_back(b);
    }
    fs::remove_all(work);
    const Json result = {{"vocab_size", vocab_size}, {"rounds", rounds}, {"threads", 1},
                         {"sentencepiece", "libsentencepiece " DL_SENTENCEPIECE_VERSION}, {"rows", rows}};
    if (!json_path.empty()) dl::app::write_json_file(json_path, result);
    return 0;
  });
}

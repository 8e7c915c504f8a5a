// Chapter 07: the synthesised data (split by voice, reproducible, cached while complete),
// the recogniser (lengths, padding, saving), the word error rate, learning on voices it
// never heard, transcribing a WAV made outside the book, and the program on bad input.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "../../tests/test_support.hpp"
#include "asr.hpp"

namespace {
namespace fs = std::filesystem;

test::ProgramResult run_asr(const std::string& args) { return test::run_program(CHAPTER_PROGRAM, args); }

ch07::DataSpec tiny_spec() {
  ch07::DataSpec spec;
  spec.train = 6, spec.validation = 2, spec.test = 3;
  return spec;
}

}  // namespace

TEST_CASE("asr: digit words and labels convert both ways and a stray word is an error", "[ch07]") {
  CHECK(ch07::labels_of("three one four") == std::vector<int>{3, 1, 4});
  CHECK(ch07::words_of({0, 9, 7}) == "zero nine seven");
  CHECK(ch07::labels_of(ch07::words_of({5, 5, 2})) == std::vector<int>{5, 5, 2});
  CHECK_THROWS_WITH(ch07::labels_of("one too three"), Catch::Contains("'too'"));
  CHECK_THROWS_WITH(ch07::words_of({10}), Catch::Contains("not a digit"));
}

TEST_CASE("asr: the voice split is disjoint and covers every variant espeak-ng has", "[ch07]") {
  const std::vector<std::string> variants = ch07::espeak_variants();
  const ch07::VoiceSplit split = ch07::split_variants(variants);
  std::set<std::string> seen;
  for (const auto* part : {&split.train, &split.validation, &split.test})
    for (const std::string& v : *part) CHECK(seen.insert(v).second);  // in one split only
  CHECK(seen.size() == variants.size());
  CHECK(split.test.size() >= 5);
  CHECK(split.validation.size() >= 3);
  CHECK(split.train.size() > split.test.size() + split.validation.size());
  // By name: the same variant lands in the same split whatever else is in the list.
  const ch07::VoiceSplit alone = ch07::split_variants({split.test.front()});
  CHECK(alone.test == std::vector<std::string>{split.test.front()});
  CHECK(ch07::espeak_accents().size() >= 3);
}

TEST_CASE("asr: the plan is the same on every run and keeps each split's voices apart", "[ch07]") {
  ch07::DataSpec spec;
  spec.train = 200, spec.validation = 20, spec.test = 40;
  const std::vector<std::string> accents = ch07::espeak_accents();
  const ch07::VoiceSplit voices = ch07::split_variants(ch07::espeak_variants());
  const std::vector<ch07::Utterance> a = ch07::plan_utterances(spec, accents, voices), b = ch07::plan_utterances(spec, accents, voices);
  REQUIRE(a.size() == 260);
  std::set<std::string> files;
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].voice == b[i].voice);
    CHECK(a[i].labels == b[i].labels);
    CHECK(files.insert(a[i].file).second);
    CHECK(a[i].labels.size() >= 1);
    CHECK(a[i].labels.size() <= 7);
    const auto& allowed = a[i].split == ch07::Split::train ? voices.train : a[i].split == ch07::Split::validation ? voices.validation : voices.test;
    CHECK(std::find(allowed.begin(), allowed.end(), a[i].variant) != allowed.end());
    CHECK(a[i].voice.ends_with("+" + a[i].variant));
  }
  spec.seed += 1;
  CHECK(ch07::plan_utterances(spec, accents, voices)[0].labels != a[0].labels);  // another seed, other texts (here)
}

TEST_CASE("asr: a synthesised utterance is speech-length and never clipped, and said again it lasts as long", "[ch07]") {
  const ch07::VoiceSplit voices = ch07::split_variants(ch07::espeak_variants());
  const std::vector<ch07::Utterance> plan = ch07::plan_utterances(tiny_spec(), ch07::espeak_accents(), voices);
  for (const ch07::Utterance& u : plan) {
    const dl::Audio a = ch07::synthesise(u, 7), b = ch07::synthesise(u, 7);
    // espeak-ng carries state between utterances: the same words again differ in detail, not in length.
    CHECK(std::abs(double(a.samples.size()) - double(b.samples.size())) < 0.05 * double(a.samples.size()));
    CHECK(a.seconds() > 0.1 + 0.2 * double(u.labels.size()));  // silence at both ends, and each word
    float peak = 0;
    for (const float x : a.samples) peak = std::max(peak, std::fabs(x));
    CHECK(peak >= 0.09f);
    CHECK(peak <= 0.91f);
  }
}

TEST_CASE("asr: the data set is made once, reused while complete, and remade when a file is missing", "[ch07]") {
  test::TempDir dir;
  const ch07::DataSpec spec = tiny_spec();
  const ch07::SpeechData first = ch07::ensure_speech_data(dir.path, spec);
  CHECK(first.generated);
  CHECK(first.train.size() == 6);
  CHECK(first.test.size() == 3);
  const ch07::SpeechData again = ch07::ensure_speech_data(dir.path, spec);
  CHECK_FALSE(again.generated);
  const dl::Audio read = dl::read_audio(dir.path / first.test[0].file, {});
  CHECK(read.sample_rate == 16000);
  fs::remove(dir.path / first.test[1].file);
  CHECK(ch07::ensure_speech_data(dir.path, spec).generated);
  CHECK(fs::exists(dir.path / first.test[1].file));
  ch07::DataSpec other = spec;
  other.train = 7;  // another spec: the manifest no longer matches
  CHECK(ch07::ensure_speech_data(dir.path, other).generated);
}

TEST_CASE("asr: edit distance counts substitutions insertions and deletions", "[ch07]") {
  const auto d = [](std::vector<int> a, std::vector<int> b) {
    return ch07::edit_distance(std::span<const int>(a), std::span<const int>(b));
  };
  CHECK(d({}, {}) == 0);
  CHECK(d({1, 2, 3}, {1, 2, 3}) == 0);
  CHECK(d({1, 2, 3}, {1, 5, 3}) == 1);
  CHECK(d({1, 2, 3}, {1, 3}) == 1);
  CHECK(d({1, 3}, {1, 2, 3}) == 1);
  CHECK(d({}, {4, 4}) == 2);
  CHECK(d({1, 2, 3, 4}, {4, 3, 2, 1}) == 4);
  CHECK(ch07::edit_distance(std::string("kitten"), std::string("sitting")) == 3);
}

TEST_CASE("asr: the network's output length is subsampled_length and padding does not change a recording's scores", "[ch07]") {
  dl::Generator gen(3);
  ch07::AsrConfig config;
  config.channels = 4, config.hidden = 8, config.layers = 2, config.dropout = 0.0f;
  ch07::AsrModel model(config, gen);
  model.eval();
  const dl::Tensor short_one = dl::Tensor::randn({37, 40}, gen), long_one = dl::Tensor::randn({90, 40}, gen);
  for (const int64_t frames : {1, 2, 3, 4, 5, 37, 90}) {
    const dl::Tensor f = dl::Tensor::randn({frames, 40}, gen);
    CHECK(model.forward({&f}).log_probs.shape()[0] == ch07::subsampled_length(frames));
  }
  const ch07::AsrModel::Output alone = model.forward({&short_one});
  const ch07::AsrModel::Output batched = model.forward({&long_one, &short_one});
  REQUIRE(batched.lengths == std::vector<int64_t>{ch07::subsampled_length(90), ch07::subsampled_length(37)});
  const int64_t steps = alone.lengths[0];
  for (int64_t t = 0; t < steps; ++t)
    for (int64_t c = 0; c < ch07::kClasses; ++c)
      CHECK(batched.log_probs.data()[(t * 2 + 1) * ch07::kClasses + c] ==
            Approx(alone.log_probs.data()[t * ch07::kClasses + c]).margin(1e-3));  // summation order differs with the batch; padding leaking in would differ by far more
}

TEST_CASE("asr: a saved model loads with the same scores and a foreign folder is refused", "[ch07]") {
  test::TempDir dir;
  dl::Generator gen(5);
  ch07::AsrConfig config;
  config.channels = 4, config.hidden = 8, config.layers = 1;
  ch07::AsrModel model(config, gen);
  model.eval();
  ch07::save_model(dir.file("m"), model);
  const std::unique_ptr<ch07::AsrModel> loaded = ch07::load_model(dir.file("m"));
  const dl::Tensor f = dl::Tensor::randn({50, 40}, gen);
  const dl::Tensor a = model.forward({&f}).log_probs, b = loaded->forward({&f}).log_probs;
  for (int64_t i = 0; i < a.numel(); ++i) CHECK(a.data()[i] == b.data()[i]);
  CHECK_THROWS_WITH(ch07::load_model(dir.file("nothing")), Catch::Contains("config.json"));
  std::ofstream(dir.file("m/config.json")) << R"({"model": "gpt2"})";
  CHECK_THROWS_WITH(ch07::load_model(dir.file("m")), Catch::Contains("not a chapter 07 recogniser"));
}

TEST_CASE("asr: trained on a small set it transcribes voices it never heard and a WAV made outside its data", "[ch07]") {
  test::TempDir dir;
  const std::string data = dir.file("data"), out = dir.file("out");
  const test::ProgramResult run = run_asr("--train-utterances 800 --validation-utterances 50 --test-utterances 200 --epochs 16 --data '" +
                                          data + "' --out '" + out + "'");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  const nlohmann::json s = nlohmann::json::parse(test::read_text(out + "/summary.json"));
  // Chance is a word error rate of 1 (all blanks) or more; the test voices were never heard.
  CHECK(s["test_wer"].get<double>() < 0.3);
  CHECK(s["train_wer"].get<double>() <= s["test_wer"].get<double>());
  std::set<std::string> train(s["voices"]["train"].begin(), s["voices"]["train"].end());
  for (const auto& v : s["voices"]["test"]) CHECK(train.count(v.get<std::string>()) == 0);
  CHECK(s["utterances"]["test"] == 200);
  for (const char* key : {"test_cer", "train_seconds", "parameters", "test_confusion", "build"}) CHECK(s.contains(key));
  CHECK(fs::exists(out + "/examples.json"));
  CHECK(fs::exists(out + "/metrics.jsonl"));

  // A recording made by the espeak-ng command, not by the book: a test voice (m2, never heard
  // in training), slower than any training utterance (120 words per minute against 130-230),
  // at 44.1 kHz in stereo (sox), so read_audio mixes it down and resamples.
  const std::string said = "seven three one nine", variant = "m2";
  REQUIRE(std::find(s["voices"]["test"].begin(), s["voices"]["test"].end(), variant) != s["voices"]["test"].end());
  const std::string mono = dir.file("mono.wav"), stereo = dir.file("stereo.wav");
  REQUIRE(std::system(("espeak-ng -v 'en-us+" + variant + "' -s 120 -w '" + mono + "' '" + said + "'").c_str()) == 0);
  REQUIRE(std::system(("sox '" + mono + "' -r 44100 -c 2 '" + stereo + "'").c_str()) == 0);
  const test::ProgramResult heard = run_asr("--transcribe '" + stereo + "' --json --model '" + out + "/model'");
  INFO(heard.output);
  REQUIRE(heard.exit_code == 0);
  const nlohmann::json j = nlohmann::json::parse(heard.output);
  const std::string text = j["text"];
  // A small model may slip on a word; the full run's model is measured in summary.json.
  CHECK(ch07::edit_distance(std::span<const int>(ch07::labels_of(said)), std::span<const int>(ch07::labels_of(text))) <= 1);
  REQUIRE(j["words"].size() == ch07::labels_of(text).size());
  double previous = -1;
  for (const auto& w : j["words"]) {
    CHECK(w["seconds"].get<double>() > previous);  // in the order they were said
    previous = w["seconds"].get<double>();
  }
  const test::ProgramResult plain = run_asr("--transcribe '" + stereo + "' --model '" + out + "/model'");
  CHECK(plain.output == text + "\n");
}

TEST_CASE("asr: bad flags and bad files get a clear message and no crash", "[ch07]") {
  test::TempDir dir;
  CHECK(run_asr("--epochs 0").exit_code == 2);
  CHECK(run_asr("--batch 0").exit_code == 2);
  CHECK(run_asr("--dropout 2").exit_code == 2);
  const test::ProgramResult missing = run_asr("--transcribe '" + dir.file("none.wav") + "' --model '" + dir.str() + "'");
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.output, Catch::Contains("config.json"));
  // A real model folder, then files that are not speech it can read.
  dl::Generator gen(1);
  ch07::AsrConfig config;
  config.channels = 2, config.hidden = 4, config.layers = 1;
  ch07::AsrModel model(config, gen);
  ch07::save_model(dir.file("m"), model);
  std::ofstream(dir.file("notes.wav")) << "not a sound file";
  const test::ProgramResult text = run_asr("--transcribe '" + dir.file("notes.wav") + "' --model '" + dir.file("m") + "'");
  CHECK(text.exit_code == 1);
  CHECK_THAT(text.output, Catch::Contains("not an audio file"));
  dl::write_wav(dir.file("blip.wav"), {std::vector<float>(100, 0.1f), 16000});  // shorter than one 25 ms window
  const test::ProgramResult blip = run_asr("--transcribe '" + dir.file("blip.wav") + "' --model '" + dir.file("m") + "'");
  CHECK(blip.exit_code == 1);
  CHECK_THAT(blip.output, Catch::Contains("window"));
  const test::ProgramResult dir_as_file = run_asr("--transcribe '" + dir.str() + "' --model '" + dir.file("m") + "'");
  CHECK(dir_as_file.exit_code == 1);
  CHECK_THAT(dir_as_file.output, Catch::Contains("regular file"));
}

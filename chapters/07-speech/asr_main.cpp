// asr — chapter 07: a speech recogniser for spoken digit strings, trained with CTC on
// recordings synthesised by espeak-ng, and tested on voices it never heard.
//
//   ./build/chapters/07-speech/asr                            # make the data once, train: about 5 min
//   ./build/chapters/07-speech/asr --transcribe FILE.wav [--json]
//
// Writes summary.json, metrics.jsonl, examples.json (a test utterance's features and the
// network's per-frame probabilities, for the lesson's plots) and model/ (model.safetensors,
// config.json) under --out; the data (WAVs and manifest.tsv) go to --data.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <dl/app.hpp>
#include <dl/ctc.hpp>
#include <dl/optim.hpp>
#include <filesystem>
#include <iostream>
#include <map>
#include <numeric>

#include "asr.hpp"

namespace {
namespace fs = std::filesystem;
using Json = dl::app::Json;

constexpr const char* kChapter = "07-speech";

struct Options {
  ch07::AsrConfig config;
  ch07::DataSpec data;
  int64_t epochs = 12, batch = 32, warmup = 100, log_every = 20, beam_width = 8;
  float lr = 2e-3f, weight_decay = 1e-2f, clip = 5.0f;
  std::string transcribe, model_dir;
  bool json = false;

  void add_to(CLI::App& cli) {
    const auto& positive = dl::app::positive;
    cli.add_option("--epochs", epochs, "passes over the training utterances")->check(positive);
    cli.add_option("--batch", batch, "utterances per step")->check(CLI::Range(int64_t{1}, int64_t{1024}));
    cli.add_option("--lr", lr, "peak learning rate of AdamW (linear warm-up, then cosine decay to a tenth)")->check(positive);
    cli.add_option("--warmup", warmup, "warm-up steps")->check(dl::app::non_negative);
    cli.add_option("--weight-decay", weight_decay, "AdamW's weight decay")->check(dl::app::non_negative);
    cli.add_option("--clip", clip, "largest gradient norm")->check(positive);
    cli.add_option("--hidden", config.hidden, "GRU state per direction")->check(CLI::Range(int64_t{1}, int64_t{4096}));
    cli.add_option("--layers", config.layers, "bidirectional GRU layers")->check(CLI::Range(int64_t{1}, int64_t{16}));
    cli.add_option("--channels", config.channels, "filters per convolution")->check(CLI::Range(int64_t{1}, int64_t{4096}));
    cli.add_option("--dropout", config.dropout, "dropout between layers")->check(CLI::Range(0.0, 0.9));
    cli.add_option("--train-utterances", data.train, "recordings by the training voices")->check(CLI::Range(int64_t{1}, int64_t{100000}));
    cli.add_option("--validation-utterances", data.validation, "recordings by the validation voices")
        ->check(CLI::Range(int64_t{1}, int64_t{100000}));
    cli.add_option("--test-utterances", data.test, "recordings by the test voices")->check(CLI::Range(int64_t{1}, int64_t{100000}));
    cli.add_option("--beam", beam_width, "beam width of the prefix beam search reported beside greedy decoding")
        ->check(CLI::Range(int64_t{1}, int64_t{256}));
    cli.add_option("--log-every", log_every, "steps between two training records of metrics.jsonl")->check(positive);
    cli.add_option("--transcribe", transcribe, "instead of training: print what FILE (a WAV, any rate, mono or stereo) says");
    cli.add_option("--model", model_dir, "with --transcribe: the model folder (default: build/results/07-speech/model)");
    cli.add_flag("--json", json, "with --transcribe: print {\"text\", \"words\"} as JSON");
  }
};

struct Example {
  const ch07::Utterance* utterance;
  dl::Tensor features;  // (frames, n_mels), normalised
};

std::vector<Example> load_split(const ch07::SpeechData& data, const std::vector<ch07::Utterance>& utterances) {
  std::vector<Example> out;
  out.reserve(utterances.size());
  for (const ch07::Utterance& u : utterances)
    out.push_back({&u, ch07::features_of(dl::read_audio(data.dir / u.file, {.sample_rate = ch07::feature_options().sample_rate}))});
  return out;
}

// Batches of neighbours in length order: little padding, so little wasted work.
std::vector<std::vector<const Example*>> length_batches(const std::vector<Example>& examples, int64_t batch) {
  std::vector<const Example*> sorted;
  for (const Example& e : examples) sorted.push_back(&e);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Example* a, const Example* b) { return a->features.shape()[0] < b->features.shape()[0]; });
  std::vector<std::vector<const Example*>> batches;
  for (size_t i = 0; i < sorted.size(); i += size_t(batch))
    batches.emplace_back(sorted.begin() + long(i), sorted.begin() + long(std::min(sorted.size(), i + size_t(batch))));
  return batches;
}

struct Scores {
  double loss = 0, wer = 0, cer = 0, beam_wer = 0;
  int64_t words = 0, utterances = 0, wrong = 0;
  std::map<std::string, std::pair<int64_t, int64_t>> errors_by_variant;  // variant -> (word errors, words)
  std::vector<std::vector<int64_t>> confusion = std::vector<std::vector<int64_t>>(10, std::vector<int64_t>(10, 0));
  std::vector<Json> mistakes;
};

// [ctc-of]
dl::Tensor ctc_of(const ch07::AsrModel::Output& out, const std::vector<const Example*>& batch, dl::CtcReduction reduction) {
  std::vector<int> targets;
  std::vector<int64_t> target_lengths;
  for (const Example* e : batch) {
    targets.insert(targets.end(), e->utterance->labels.begin(), e->utterance->labels.end());
    target_lengths.push_back(int64_t(e->utterance->labels.size()));
  }
  return dl::ctc_loss(out.log_probs, targets, out.lengths, target_lengths, {.blank = ch07::kBlank, .reduction = reduction});
}
// [ctc-of]

// Error rates of greedy decoding on `examples` (the first `limit`), and of prefix beam search
// when `beam_width` > 0 (0: not run, beam_wer stays 0).
Scores evaluate(ch07::AsrModel& model, const std::vector<Example>& examples, int64_t beam_width, size_t limit = SIZE_MAX) {
  dl::no_grad no_grad;
  model.eval();
  Scores s;
  int64_t word_errors = 0, beam_errors = 0, char_errors = 0, chars = 0;
  std::vector<const Example*> chosen;
  for (size_t i = 0; i < std::min(limit, examples.size()); ++i) chosen.push_back(&examples[i]);
  for (size_t i = 0; i < chosen.size(); i += 64) {
    const std::vector<const Example*> batch(chosen.begin() + long(i), chosen.begin() + long(std::min(chosen.size(), i + 64)));
    std::vector<const dl::Tensor*> features;
    for (const Example* e : batch) features.push_back(&e->features);
    const ch07::AsrModel::Output out = model.forward(features);
    s.loss += ctc_of(out, batch, dl::CtcReduction::sum).item();
    for (size_t b = 0; b < batch.size(); ++b) {
      const ch07::Utterance& u = *batch[b]->utterance;
      const ch07::Transcript t = ch07::transcribe_column(out, int64_t(b));
      const int64_t errors = ch07::edit_distance(std::span<const int>(u.labels), std::span<const int>(t.labels));
      if (beam_width > 0) {
        const dl::CtcBeamResult beam =
            dl::ctc_prefix_beam_search(ch07::column_of(out, int64_t(b)), out.lengths[b], int(beam_width), ch07::kBlank);
        beam_errors += ch07::edit_distance(std::span<const int>(u.labels), std::span<const int>(beam.labels));
      }
      word_errors += errors;
      s.words += int64_t(u.labels.size());
      const std::string ref = ch07::words_of(u.labels), hyp = t.text();
      char_errors += ch07::edit_distance(ref, hyp), chars += int64_t(ref.size());
      auto& [e, n] = s.errors_by_variant[u.variant];
      e += errors, n += int64_t(u.labels.size());
      // Confusions between digits, where the transcript has the right number of words: word k against word k.
      if (t.labels.size() == u.labels.size())
        for (size_t k = 0; k < u.labels.size(); ++k) ++s.confusion[size_t(u.labels[k])][size_t(t.labels[k])];
      if (errors > 0) {
        ++s.wrong;
        if (s.mistakes.size() < 12) s.mistakes.push_back({{"file", u.file}, {"voice", u.voice}, {"said", ref}, {"heard", hyp}});
      }
    }
    s.utterances += int64_t(batch.size());
  }
  s.loss /= double(std::max<int64_t>(s.words, 1));
  s.wer = double(word_errors) / double(std::max<int64_t>(s.words, 1));
  s.beam_wer = double(beam_errors) / double(std::max<int64_t>(s.words, 1));
  s.cer = double(char_errors) / double(std::max<int64_t>(chars, 1));
  model.train();
  return s;
}

// [learning-rate]
// Learning rate at `step` (1-based) of `total`: linear warm-up, then cosine decay to a tenth.
float learning_rate(const Options& o, int64_t step, int64_t total) {
  if (step <= o.warmup) return o.lr * float(step) / float(std::max<int64_t>(o.warmup, 1));
  return dl::optim::cosine_lr(step - o.warmup, std::max<int64_t>(total - o.warmup, 1), o.lr, o.lr / 10);
}
// [learning-rate]

// One test utterance for the lesson's plots: its waveform (every 8th sample), its features,
// and the network's probability of each class at each output frame.
Json example_for_plots(ch07::AsrModel& model, const ch07::SpeechData& data, const Example& e) {
  dl::no_grad no_grad;
  model.eval();
  const ch07::AsrModel::Output out = model.forward({&e.features});
  const ch07::Transcript t = ch07::transcribe_column(out, 0);
  model.train();
  const dl::Audio audio = dl::read_audio(data.dir / e.utterance->file, {.sample_rate = ch07::feature_options().sample_rate});
  // rows x cols floats from `p`, row-major, each through `f`, as a JSON array of rows.
  const auto matrix = [](const float* p, int64_t rows, int64_t cols, float (*f)(float)) {
    Json m = Json::array();
    for (int64_t r = 0; r < rows; ++r) {
      Json row = Json::array();
      for (int64_t c = 0; c < cols; ++c) row.push_back(dl::app::json_float(f(p[r * cols + c])));
      m.push_back(row);
    }
    return m;
  };
  const auto same = [](float x) { return x; };
  Json wave = Json::array();
  for (size_t i = 0; i < audio.samples.size(); i += 8) wave.push_back(dl::app::json_float(audio.samples[i]));
  const Json features = matrix(e.features.data(), e.features.shape()[0], e.features.shape()[1], same);
  const Json posteriors = matrix(out.log_probs.data(), out.lengths[0], ch07::kClasses, [](float x) { return std::exp(x); });
  const dl::LogMelOptions fo = ch07::feature_options();
  const dl::Tensor bank = dl::mel_filter_bank(fo);
  const Json filters = matrix(bank.data(), bank.shape()[0], bank.shape()[1], same);
  return {{"mel_filter_bank", filters}, {"n_fft", fo.n_fft}, {"feature_sample_rate", fo.sample_rate},
          {"file", e.utterance->file}, {"voice", e.utterance->voice}, {"said", ch07::words_of(e.utterance->labels)},
          {"heard", t.text()}, {"wave_sample_rate", fo.sample_rate / 8}, {"wave", wave}, {"frame_seconds", double(fo.hop_length) / fo.sample_rate},
          {"features", features}, {"output_frame_seconds", 4.0 * fo.hop_length / fo.sample_rate}, {"posteriors", posteriors},
          {"classes", [] { Json c = ch07::kDigitWords; c.push_back("blank"); return c; }()}};
}

int run_transcribe(const Options& o) {
  const std::string dir = o.model_dir.empty() ? dl::app::results_dir(kChapter) + "/model" : o.model_dir;
  const std::unique_ptr<ch07::AsrModel> model = ch07::load_model(dir);
  const dl::Audio audio = dl::read_audio(o.transcribe, {.sample_rate = ch07::feature_options().sample_rate});
  const dl::Tensor features = ch07::features_of(audio);
  dl::no_grad no_grad;
  const ch07::AsrModel::Output out = model->forward({&features});
  const ch07::Transcript t = ch07::transcribe_column(out, 0);
  if (o.json) {
    Json words = Json::array();
    for (size_t k = 0; k < t.labels.size(); ++k)
      words.push_back({{"word", ch07::kDigitWords[size_t(t.labels[k])]}, {"seconds", t.seconds[k]}});
    std::cout << Json{{"text", t.text()}, {"words", words}}.dump() << "\n";
  } else {
    std::cout << t.text() << "\n";
  }
  return 0;
}

Json variant_errors(const Scores& s) {
  Json out = Json::object();
  for (const auto& [variant, en] : s.errors_by_variant) out[variant] = {{"wer", double(en.first) / double(std::max<int64_t>(en.second, 1))}, {"words", en.second}};
  return out;
}

int run_train(const dl::app::Program& program, Options& o) {
  dl::app::Timer total_timer;
  const std::string out_dir = program.common.out_dir;
  fs::create_directories(out_dir);
  const ch07::SpeechData data = ch07::ensure_speech_data(program.common.data_dir, o.data);
  std::printf("data: %zu / %zu / %zu utterances (train / validation / test) by %zu / %zu / %zu voice variants, %s in %.1f s\n",
              data.train.size(), data.validation.size(), data.test.size(), data.voices.train.size(),
              data.voices.validation.size(), data.voices.test.size(), data.generated ? "made" : "checked", data.seconds);
  dl::app::Timer feature_timer;
  const std::vector<Example> train = load_split(data, data.train), validation = load_split(data, data.validation),
                             test = load_split(data, data.test);
  const double feature_seconds = feature_timer.seconds();
  std::printf("features: %.1f s\n", feature_seconds);

  dl::Generator gen(static_cast<uint64_t>(program.common.seed));
  ch07::AsrModel model(o.config, gen);
  std::printf("model: %lld parameters\n", static_cast<long long>(model.num_parameters()));
  dl::optim::AdamW optimizer(model.parameters(), {.lr = o.lr, .weight_decay = o.weight_decay});
  const std::vector<dl::Tensor> params = model.parameters();
  auto batches = length_batches(train, o.batch);
  const int64_t total_steps = o.epochs * int64_t(batches.size());
  dl::app::MetricsWriter metrics(out_dir + "/metrics.jsonl");
  dl::app::ProgressBar bar("asr", total_steps);
  dl::app::Timer timer;
  double eval_seconds = 0, loss_sum = 0;
  int64_t step = 0, loss_count = 0;
  std::vector<int64_t> order(batches.size());
  for (int64_t epoch = 1; epoch <= o.epochs; ++epoch) {
    std::iota(order.begin(), order.end(), 0);
    gen.shuffle(order);
    for (const int64_t index : order) {
      ++step;
      const auto& batch = batches[size_t(index)];
      // [train-step]
      optimizer.set_lr(learning_rate(o, step, total_steps));
      std::vector<const dl::Tensor*> features;
      for (const Example* e : batch) features.push_back(&e->features);
      optimizer.zero_grad();
      const dl::Tensor loss = ctc_of(model.forward(features), batch, dl::CtcReduction::mean);
      loss.backward();
      dl::optim::clip_grad_norm(params, o.clip);
      optimizer.step();
      // [train-step]
      loss_sum += loss.item(), ++loss_count;
      if (step % o.log_every == 0 || step == total_steps) {
        metrics.write({{"step", step}, {"epoch", epoch}, {"train_loss", loss_sum / double(loss_count)},
                       {"lr", dl::app::json_float(learning_rate(o, step, total_steps))}, {"seconds", timer.seconds() - eval_seconds}});
        bar.update(step, loss_sum / double(loss_count));
        loss_sum = 0, loss_count = 0;
      }
    }
    dl::app::Timer eval_timer;
    const Scores v = evaluate(model, validation, 0);
    eval_seconds += eval_timer.seconds();
    metrics.write({{"epoch", epoch}, {"step", step}, {"validation_loss", v.loss}, {"validation_wer", v.wer}, {"seconds", timer.seconds() - eval_seconds}});
    if (!bar.enabled()) std::printf("epoch %lld: validation WER %.3f\n", static_cast<long long>(epoch), v.wer);
  }
  bar.finish();
  const double train_seconds = timer.seconds() - eval_seconds;
  ch07::save_model(out_dir + "/model", model);

  const Scores te = evaluate(model, test, o.beam_width), va = evaluate(model, validation, 0), tr = evaluate(model, train, 0, 600);
  std::printf("word error rate: test %.3f (beam %lld: %.3f), validation %.3f, train %.3f; character error rate: test %.3f\n",
              te.wer, static_cast<long long>(o.beam_width), te.beam_wer, va.wer, tr.wer, te.cer);
  const Json results = {
      {"test_wer", te.wer},
      {"test_cer", te.cer},
      {"test_beam_wer", te.beam_wer},
      {"validation_wer", va.wer},
      {"train_wer", tr.wer},
      {"train_wer_utterances", tr.utterances},
      {"test_loss_per_word", te.loss},
      {"test_utterances_wrong", te.wrong},
      {"test_words", te.words},
      {"test_wer_by_variant", variant_errors(te)},
      {"test_confusion", te.confusion},
      {"test_mistakes", te.mistakes},
      {"train_seconds", train_seconds},
      {"data_seconds", data.seconds},
      {"data_generated", data.generated},
      {"feature_seconds", feature_seconds},
      {"parameters", model.num_parameters()},
      {"steps", total_steps},
      {"utterances", {{"train", data.train.size()}, {"validation", data.validation.size()}, {"test", data.test.size()}}},
      {"voices", {{"accents", data.accents}, {"train", data.voices.train}, {"validation", data.voices.validation}, {"test", data.voices.test}}},
      {"total_seconds", total_timer.seconds()}};
  const Json settings = {{"seed", program.common.seed},
                         {"threads", program.common.threads},
                         {"epochs", o.epochs},
                         {"batch", o.batch},
                         {"lr", dl::app::json_float(o.lr)},
                         {"warmup", o.warmup},
                         {"weight_decay", dl::app::json_float(o.weight_decay)},
                         {"clip", dl::app::json_float(o.clip)},
                         {"hidden", o.config.hidden},
                         {"layers", o.config.layers},
                         {"channels", o.config.channels},
                         {"dropout", dl::app::json_float(o.config.dropout)},
                         {"beam", o.beam_width},
                         {"data_seed", o.data.seed}};
  // The plotted example: the first test utterance of four digits or more.
  const auto shown = std::find_if(test.begin(), test.end(), [](const Example& e) { return e.utterance->labels.size() >= 4; });
  dl::app::write_json_file(out_dir + "/examples.json", example_for_plots(model, data, shown != test.end() ? *shown : test.front()));
  dl::app::write_json_file(out_dir + "/summary.json", dl::app::make_summary(kChapter, results, settings));
  std::printf("%.1f s in all; results in %s, the model in %s/model\n", total_timer.seconds(), out_dir.c_str(), out_dir.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return dl::app::run_program("asr", argc, argv, [](dl::app::Program& program) {
    Options o;
    program.cli().description(
        "Train a recogniser of spoken digit strings with CTC on speech synthesised by espeak-ng, tested on voices it "
        "never heard, or transcribe a WAV file with it (--transcribe) (chapter 07).");
    o.add_to(program.cli());
    program.common.data_dir = DL_SPEECH_DATA_DIR;
    program.common.threads = 2;
    program.parse();
    if (program.common.out_dir.empty()) program.common.out_dir = dl::app::results_dir(kChapter);
    if (!o.transcribe.empty()) return run_transcribe(o);
    return run_train(program, o);
  });
}

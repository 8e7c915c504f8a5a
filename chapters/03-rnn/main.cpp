// rnn — chapter 03: a character-level LSTM language model on Chinese poems and sayings.
//
//   ./build/chapters/03-rnn/rnn                      # default run: under 3 minutes on 2 cores
//   ./build/chapters/03-rnn/rnn --generate --prime 月 --temperature 0.6   # sample from the saved model
//   ./build/chapters/03-rnn/rnn --corpus poems       # 40k characters only: watch it overfit
//
// Writes summary.json, metrics.jsonl, charlm.safetensors (the best validation checkpoint),
// grad_norms.json (the vanishing-gradient measurement) and samples.txt under --out.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <dl/app.hpp>
#include <dl/io.hpp>
#include <iostream>
#include <map>
#include <numbers>

#include "charlm.hpp"

namespace {
constexpr const char* kChapter = "03-rnn";
constexpr const char* kPoemsRun = "03-rnn-poems";  // where --corpus poems writes
constexpr int64_t kGradNormSteps = 100;  // distances 0..99 in grad_norms.json
constexpr int64_t kGradNormBatch = 8;   // lanes; ||r|| = sqrt(8 * hidden), about 45

// The program's own flags; --data, --out, --seed and --threads are the shared ones.
struct Options {
  std::string corpus = "all", prime = "春";
  int64_t steps = 900, batch = 32, seq_len = 64, embedding = 64, hidden = 256, eval_every = 0, min_count = 2;
  int64_t seed = 0, samples = 3, max_chars = 120;
  float lr = 3e-3f, dropout = 0.1f, clip = 1.0f, temperature = 0.8f;
  std::string form = "poem", out_dir;
  bool full = false, generate = false;

  void add_to(CLI::App& cli) {
    const auto& positive = dl::app::positive;
    cli.add_option("--corpus", corpus, "all (poems and sayings, about 1M characters) or poems (about 40k)")
        ->check(CLI::IsMember({"all", "poems"}));
    cli.add_option("--steps", steps, "optimisation steps")->check(positive);
    cli.add_flag("--full", full, "train three times as many steps");
    cli.add_option("--batch-size", batch, "lanes read in parallel")->check(positive);
    cli.add_option("--seq-len", seq_len, "characters per window (truncated BPTT length)")->check(positive);
    cli.add_option("--embedding", embedding, "embedding size")->check(positive);
    cli.add_option("--hidden", hidden, "LSTM hidden size")->check(positive);
    cli.add_option("--lr", lr, "Adam's initial learning rate (cosine-annealed to a tenth)")->check(positive);
    cli.add_option("--dropout", dropout, "dropout on the embeddings and on the LSTM's outputs")
        ->check(dl::app::non_negative & CLI::Range(0.0, 0.999));
    cli.add_option("--clip", clip, "largest global gradient norm")->check(positive);
    cli.add_option("--eval-every", eval_every, "steps between validation passes (0: 100 for all, 25 for poems)")
        ->check(dl::app::non_negative);
    cli.add_option("--min-count", min_count, "characters seen fewer times in training become <unk>")->check(positive);
    cli.add_flag("--generate", generate, "skip training: sample from the checkpoint an earlier run left in --out");
    cli.add_option("--prime", prime, "text the samples start from");
    cli.add_option("--form", form, "poem (the prime opens a poem's title) or free (the prime opens any entry)")
        ->check(CLI::IsMember({"poem", "free"}));
    cli.add_option("--temperature", temperature, "sampling temperature (0: always the most likely character)")
        ->check(dl::app::non_negative);
    cli.add_option("--max-chars", max_chars, "characters per sample at most")->check(dl::app::non_negative);
    cli.add_option("--samples", samples, "number of samples to print")->check(dl::app::non_negative);
  }
};

std::string code_points(const std::vector<char32_t>& chars) {
  std::string out;
  for (char32_t c : chars) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(c));
    if (!out.empty()) out += ", ";
    out += "'" + dl::encode_utf8(std::u32string(1, c)) + "' (" + hex + ")";
  }
  return out;
}

// The context a sample starts from: the '%' line that ends an entry, so the model reads
// what follows as a new entry, then (for a poem) the 《 that opens a poem's title.
std::vector<int> sample_context(const dl::data::CharVocab& vocab, const Options& o) {
  std::vector<char32_t> unknown;
  std::vector<int> context = vocab.encode(o.form == "poem" ? U"%\n《" : U"%\n");
  for (int id : ch03::encode_prime(vocab, o.prime, unknown)) context.push_back(id);
  if (!unknown.empty())
    std::cerr << "rnn: note: --prime has characters outside the vocabulary: " << code_points(unknown)
              << "; each is fed to the model as <unk>, the id of every rare character\n";
  return context;
}

// `count` samples, each ended by a '%' line as in a fortune file.
std::vector<std::string> write_samples(ch03::CharLM& model, const dl::data::CharVocab& vocab, const Options& o,
                                       const std::vector<int>& context) {
  dl::Generator gen(static_cast<uint64_t>(o.seed) + 3);
  std::vector<std::string> samples;
  const std::string opening = o.form == "poem" ? "《" : "";
  for (int64_t k = 0; k < o.samples; ++k)
    samples.push_back(opening + o.prime +
                      vocab.decode(ch03::sample(model, vocab, context, {o.temperature, o.max_chars}, gen)));
  return samples;
}

std::string as_fortunes(const std::vector<std::string>& samples) {
  std::string text;
  for (const std::string& s : samples) text += s + (s.ends_with('\n') ? "" : "\n") + "%\n";
  return text;
}

// --generate: the model and vocabulary of an earlier run's checkpoint.
int generate_from_checkpoint(const Options& o) {
  const std::string path = o.out_dir + "/charlm.safetensors";
  std::map<std::string, std::string> metadata;
  const dl::NamedTensors weights = dl::load_safetensors(path, &metadata);
  if (!metadata.contains("vocabulary"))
    throw dl::FileError(path + ": no vocabulary in the metadata (expected a checkpoint written by rnn)");
  const auto vocab = dl::data::CharVocab::from_characters(dl::decode_utf8(metadata["vocabulary"], path + " vocabulary"));
  const auto shape_of = [&](const std::string& name) {
    for (const auto& [n, t] : weights)
      if (n == name) return t.shape();
    throw dl::FileError(path + ": no tensor '" + name + "' (expected a checkpoint written by rnn)");
  };
  const dl::Shape embedding = shape_of("embed.weight"), recurrent = shape_of("lstm.weight_hh_l0");
  ch03::CharLM model(vocab.size(), embedding.at(1), recurrent.at(1));
  model.load_state_dict(weights);  // also checks every shape against the vocabulary
  std::cout << as_fortunes(write_samples(model, vocab, o, sample_context(vocab, o)));
  return 0;
}

// ||dL/dh_t|| against the distance from the loss, for a fresh RNN, a fresh LSTM and the
// trained LSTM, all on the same input: kGradNormBatch lanes, each a contiguous stretch of
// kGradNormSteps characters of validation text, embedded by the trained model.
dl::app::Json measure_gradient_norms(ch03::CharLM& model, const ch03::Corpus& corpus, uint64_t seed) {
  const std::vector<int> ids = ch03::contiguous_lanes(corpus.validation, kGradNormSteps, kGradNormBatch);
  dl::Tensor inputs;
  {
    dl::no_grad guard;
    inputs = model.embed(ids, {kGradNormSteps, kGradNormBatch});
  }
  const int64_t e = model.embed.embedding_dim, h = model.lstm.hidden_size;
  dl::Generator init(seed + 1);
  dl::nn::RNNCell rnn(e, h, true, init);
  dl::nn::LSTMCell lstm(e, h, true, init), trained(e, h, true, init);
  dl::NamedTensors layer0;  // the stack's weight_ih_l0 ... are the cell's weight_ih ...
  for (const auto& [name, tensor] : model.lstm.named_parameters()) layer0.emplace_back(name.substr(0, name.size() - 3), tensor);
  trained.load_state_dict(layer0);
  const auto by_distance = [&](const ch03::CellStep& step, bool has_cell) {
    dl::Generator r(seed + 2);  // the same readout r for every model
    std::vector<double> norms = ch03::hidden_gradient_norms(step, inputs, h, has_cell, r);
    return dl::app::Json(std::vector<double>(norms.rbegin(), norms.rend()));  // index = distance
  };
  dl::app::Json out = dl::app::Json::object();
  dl::app::Json distance = dl::app::Json::array();
  for (int64_t d = 0; d < kGradNormSteps; ++d) distance.push_back(d);
  out["distance"] = distance;
  out["rnn_init"] = by_distance([&](const dl::Tensor& x, const dl::RecurrentState& s) { return dl::RecurrentState{rnn.forward(x, s.h), {}}; }, false);
  out["lstm_init"] = by_distance([&](const dl::Tensor& x, const dl::RecurrentState& s) { return lstm.forward(x, s); }, true);
  out["lstm_trained"] = by_distance([&](const dl::Tensor& x, const dl::RecurrentState& s) { return trained.forward(x, s); }, true);
  return out;
}
// Trains the model, keeps the weights with the best validation loss, and writes the
// checkpoint, the gradient-norm measurement, samples, metrics and summary.
int train(const dl::app::Program& program, const Options& o) {
  const bool poems = o.corpus == "poems";
  const ch03::Corpus corpus = ch03::load_corpus(program.common.data_dir, poems ? ch03::CorpusKind::poems : ch03::CorpusKind::all,
                                                static_cast<uint64_t>(o.seed), o.min_count);
  // The prime is checked before training, so a typo does not cost a training run.
  const std::vector<int> context = sample_context(corpus.vocab, o);
  const double unigram = ch03::unigram_loss(corpus);

  ch03::CharLM model(corpus.vocab.size(), o.embedding, o.hidden, o.dropout);
  std::cout << model << "\ncorpus " << o.corpus << ": " << corpus.train.size() << " training characters in "
            << corpus.train_entries << " entries, " << corpus.validation.size() << " validation characters in "
            << corpus.validation_entries << " entries, vocabulary " << corpus.vocab.size() << "\n";
  std::printf("unigram baseline on validation: %.3f nats per character\n", unigram);

  dl::optim::Adam optimizer(model.parameters(), {.lr = o.lr});
  const ch03::LaneReader reader(corpus.train, o.batch, o.seq_len);
  dl::app::MetricsWriter metrics(o.out_dir + "/metrics.jsonl");
  dl::app::ProgressBar bar("train", o.steps);
  dl::app::Timer timer;
  dl::RecurrentState state;
  std::vector<int> inputs, targets;
  double best = INFINITY, running = 0, last_train = 0, last_val = 0;
  int64_t best_step = 0, since_eval = 0, window = 0;
  dl::NamedTensors best_weights;
  for (int64_t step = 1; step <= o.steps; ++step) {
    if (window == reader.windows()) window = 0, state = {};  // a new pass over the text starts from zeros
    const int64_t t = reader.window(window++, inputs, targets);
    optimizer.set_lr(dl::optim::cosine_lr(step - 1, o.steps, o.lr, o.lr / 10));
    const double loss = ch03::train_step(model, optimizer, inputs, targets, t, o.batch, state, o.clip);
    if (!std::isfinite(loss)) throw dl::NonFiniteError("loss became " + std::to_string(loss) + " at step " + std::to_string(step));
    running += loss;
    ++since_eval;
    bar.update(step, loss);
    if (step % o.eval_every == 0 || step == o.steps) {
      const double val = ch03::evaluate(model, corpus.validation, o.batch, o.seq_len);
      last_train = running / static_cast<double>(since_eval), last_val = val;
      metrics.write({{"step", step},
                     {"train_loss", last_train},
                     {"val_loss", val},
                     {"lr", optimizer.lr()},
                     {"seconds", timer.seconds()}});
      running = 0, since_eval = 0;
      if (val < best) {  // keep the weights with the best validation loss
        best = val, best_step = step;
        best_weights.clear();
        for (const auto& [name, tensor] : model.state_dict()) best_weights.emplace_back(name, tensor.clone());
      }
    }
  }
  bar.finish();
  const double train_seconds = timer.seconds();
  model.load_state_dict(best_weights);
  // The vocabulary travels with the weights: its characters in id order, after <unk>.
  dl::save_safetensors(o.out_dir + "/charlm.safetensors", best_weights,
                       {{"chapter", kChapter}, {"vocabulary", corpus.vocab.characters()}});
  dl::app::write_json_file(o.out_dir + "/grad_norms.json", measure_gradient_norms(model, corpus, static_cast<uint64_t>(o.seed)));

  const std::vector<std::string> sample_texts = write_samples(model, corpus.vocab, o, context);
  const std::string samples_text = as_fortunes(sample_texts);
  dl::write_file_atomically(o.out_dir + "/samples.txt", samples_text);
  const dl::app::Json results = {{"corpus", o.corpus},
                                 {"val_loss", best},
                                 {"unigram_val_loss", unigram},
                                 {"val_bpc", best / std::numbers::ln2},
                                 {"val_perplexity", std::exp(best)},
                                 {"best_step", best_step},
                                 // The last evaluation: its training loss is the mean since the one before, dropout on.
                                 {"last_train_loss", last_train},
                                 {"last_val_loss", last_val},
                                 {"train_seconds", train_seconds},
                                 {"samples", sample_texts}};
  const dl::app::Json settings = {{"steps", o.steps},
                                  {"batch_size", o.batch},
                                  {"seq_len", o.seq_len},
                                  {"embedding", o.embedding},
                                  {"hidden", o.hidden},
                                  {"lr", dl::app::json_float(o.lr)},
                                  {"dropout", dl::app::json_float(o.dropout)},
                                  {"clip", dl::app::json_float(o.clip)},
                                  {"seed", o.seed},
                                  {"threads", program.common.threads},
                                  {"vocabulary", corpus.vocab.size()},
                                  {"parameters", model.num_parameters()},
                                  {"train_chars", corpus.train.size()},
                                  {"validation_chars", corpus.validation.size()},
                                  {"train_entries", corpus.train_entries},
                                  {"validation_entries", corpus.validation_entries},
                                  // Training characters outside the vocabulary (read as <unk>), as a fraction.
                                  {"unknown_fraction", static_cast<double>(std::count(corpus.train.begin(), corpus.train.end(),
                                                                                      dl::data::CharVocab::kUnknown)) /
                                                           static_cast<double>(corpus.train.size())},
                                  {"prime", o.prime},
                                  {"temperature", dl::app::json_float(o.temperature)},
                                  {"form", o.form}};
  dl::app::write_json_file(o.out_dir + "/summary.json", dl::app::make_summary(kChapter, results, settings));

  std::cout << "\nsamples (prime " << o.prime << ", temperature " << o.temperature << "):\n" << samples_text;
  std::printf("validation loss %.3f nats per character (%.3f bits) at step %lld, unigram %.3f; %.1f s of training; "
              "results in %s\n",
              best, best / std::numbers::ln2, static_cast<long long>(best_step), unigram, train_seconds, o.out_dir.c_str());
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  return dl::app::run_program("rnn", argc, argv, [](dl::app::Program& program) {
    Options o;
    program.cli().description("Train a character-level LSTM language model on fortunes-zh (chapter 03).");
    o.add_to(program.cli());
    program.common.data_dir = dl::data::kFortunesDir;
    program.common.threads = 2;
    program.parse();
    const bool poems = o.corpus == "poems";
    // --out defaults to build/results/03-rnn, or 03-rnn-poems for the poems alone.
    if (program.common.out_dir.empty()) program.common.out_dir = dl::app::results_dir(poems ? kPoemsRun : kChapter);
    o.out_dir = program.common.out_dir;
    o.seed = program.common.seed;
    if (o.full) o.steps *= 3;
    if (o.eval_every == 0) o.eval_every = poems ? 25 : 100;
    if (o.generate) return generate_from_checkpoint(o);
    return train(program, o);
  });
}


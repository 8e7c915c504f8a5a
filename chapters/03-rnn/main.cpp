// rnn — chapter 03: a character-level LSTM language model on Chinese poems and sayings.
//
//   ./build/chapters/03-rnn/rnn                      # default run: under 3 minutes on 2 cores
//   ./build/chapters/03-rnn/rnn --generate --prime 月 --temperature 0.6   # sample from the saved model
//   ./build/chapters/03-rnn/rnn --corpus poems       # 40k characters only: watch it overfit
//
// Writes summary.json, metrics.jsonl, charlm.safetensors (the best validation checkpoint),
// grad_norms.json (the vanishing-gradient measurement) and samples.txt under --out.
#include <cmath>
#include <cstdio>
#include <dl/io.hpp>
#include <dl/util.hpp>
#include <exception>
#include <iostream>
#include <map>
#include <numbers>

#include "charlm.hpp"

namespace {
constexpr const char* kChapter = "03-rnn";
constexpr int64_t kGradNormSteps = 100;  // distances 0..99 in grad_norms.json
constexpr int64_t kGradNormBatch = 8;

struct Options {
  std::string corpus = "all", data_dir = dl::data::kFortunesDir, out_dir, prime = "春";
  int64_t steps = 900, batch = 32, seq_len = 64, embedding = 64, hidden = 256, eval_every = 0, min_count = 2;
  int64_t seed = 0, samples = 3, max_chars = 120;
  int threads = 2;
  float lr = 3e-3f, dropout = 0.1f, clip = 1.0f, temperature = 0.8f;
  std::string form = "poem";
  bool full = false, generate = false;
};

[[noreturn]] void usage_error(const dl::util::ArgParser& args, const std::string& what) {
  std::cerr << "rnn: error: " << what << "\n\n" << args.usage();
  std::exit(2);
}

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

dl::Json to_json(const std::vector<double>& v) {
  dl::Json a = dl::Json::array();
  for (double x : v) a.push_back(x);
  return a;
}

// ||dL/dh_t|| against the distance from the loss, for a fresh RNN, a fresh LSTM and the
// trained LSTM, all on the same input: embedded validation text.
dl::Json measure_gradient_norms(ch03::CharLM& model, const ch03::Corpus& corpus, uint64_t seed) {
  std::vector<int> ids(static_cast<size_t>(kGradNormSteps * kGradNormBatch));
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = corpus.validation[i % corpus.validation.size()];
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
    return to_json(std::vector<double>(norms.rbegin(), norms.rend()));  // index = distance
  };
  dl::Json out = dl::Json::object();
  dl::Json distance = dl::Json::array();
  for (int64_t d = 0; d < kGradNormSteps; ++d) distance.push_back(d);
  out["distance"] = distance;
  out["rnn_init"] = by_distance([&](const dl::Tensor& x, const dl::LSTMState& s) { return dl::LSTMState{rnn.forward(x, s.h), {}}; }, false);
  out["lstm_init"] = by_distance([&](const dl::Tensor& x, const dl::LSTMState& s) { return lstm.forward(x, s); }, true);
  out["lstm_trained"] = by_distance([&](const dl::Tensor& x, const dl::LSTMState& s) { return trained.forward(x, s); }, true);
  return out;
}
}  // namespace

int main(int argc, char** argv) {
  Options o;
  const std::string default_out = std::string(DL_RESULTS_DIR) + "/" + kChapter;
  dl::util::ArgParser args("rnn", "Train a character-level LSTM language model on fortunes-zh (chapter 03).");
  args.add_option("--corpus", &o.corpus, "all (poems and sayings, about 1M characters) or poems (about 40k)");
  args.add_option("--data", &o.data_dir, "folder with the fortune files tang300, song100 and chinese");
  args.add_option("--out", &o.out_dir, "folder for the results (default build/results/03-rnn, or 03-rnn-poems)");
  args.add_option("--steps", &o.steps, "optimisation steps");
  args.add_flag("--full", &o.full, "train three times as many steps");
  args.add_option("--batch-size", &o.batch, "lanes read in parallel");
  args.add_option("--seq-len", &o.seq_len, "characters per window (truncated BPTT length)");
  args.add_option("--embedding", &o.embedding, "embedding size");
  args.add_option("--hidden", &o.hidden, "LSTM hidden size");
  args.add_option("--lr", &o.lr, "Adam's initial learning rate (cosine-annealed to a tenth)");
  args.add_option("--dropout", &o.dropout, "dropout on the embeddings and on the LSTM's outputs");
  args.add_option("--clip", &o.clip, "largest global gradient norm");
  args.add_option("--eval-every", &o.eval_every, "steps between validation passes (0: 100 for all, 25 for poems)");
  args.add_option("--min-count", &o.min_count, "characters seen fewer times in training become <unk>");
  args.add_option("--seed", &o.seed, "seed of the split, initialisation, dropout and sampling");
  args.add_option("--threads", &o.threads, "threads for matrix products");
  args.add_flag("--generate", &o.generate, "skip training: sample from the checkpoint an earlier run left in --out");
  args.add_option("--prime", &o.prime, "text the samples start from");
  args.add_option("--form", &o.form, "poem (the prime opens a poem's title) or free (the prime opens any entry)");
  args.add_option("--temperature", &o.temperature, "sampling temperature (0: always the most likely character)");
  args.add_option("--max-chars", &o.max_chars, "characters per sample at most");
  args.add_option("--samples", &o.samples, "number of samples to print");
  args.parse(argc, argv);

  const bool poems = o.corpus == "poems";
  if (!poems && o.corpus != "all") usage_error(args, "--corpus must be all or poems, got '" + o.corpus + "'");
  if (o.form != "poem" && o.form != "free") usage_error(args, "--form must be poem or free, got '" + o.form + "'");
  if (o.seq_len <= 0) usage_error(args, "--seq-len must be at least 1, got " + std::to_string(o.seq_len));
  if (o.steps <= 0 || o.batch <= 0 || o.embedding <= 0 || o.hidden <= 0 || o.eval_every < 0 || o.min_count < 1 ||
      o.seed < 0 || o.threads <= 0 || o.samples < 0 || o.max_chars < 0)
    usage_error(args, "sizes and counts must be positive (--eval-every may be 0 for the default)");
  if (!(o.lr > 0) || !(o.clip > 0) || !(o.dropout >= 0 && o.dropout < 1) || !(o.temperature >= 0))
    usage_error(args, "--lr and --clip must be positive, --dropout in [0, 1), --temperature not negative");
  if (o.full) o.steps *= 3;
  if (o.eval_every == 0) o.eval_every = poems ? 25 : 100;
  if (o.out_dir.empty()) o.out_dir = poems ? default_out + "-poems" : default_out;
  dl::set_num_threads(o.threads);
  dl::manual_seed(static_cast<uint64_t>(o.seed));

  try {
    if (o.generate) return generate_from_checkpoint(o);
    const ch03::Corpus corpus = ch03::load_corpus(o.data_dir, poems ? ch03::CorpusKind::poems : ch03::CorpusKind::all,
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
    dl::util::MetricsWriter metrics(o.out_dir + "/metrics.jsonl");
    dl::util::ProgressBar bar("train", o.steps);
    dl::util::Timer timer;
    dl::LSTMState state;
    std::vector<int> inputs, targets;
    double best = INFINITY, running = 0;
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
        dl::Json record = dl::Json::object();
        record["step"] = step;
        record["train_loss"] = running / static_cast<double>(since_eval);
        record["val_loss"] = val;
        record["lr"] = optimizer.lr();
        record["seconds"] = timer.seconds();
        metrics.write(record);
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
    dl::util::write_json_file(o.out_dir + "/grad_norms.json", measure_gradient_norms(model, corpus, static_cast<uint64_t>(o.seed)));

    const std::vector<std::string> sample_texts = write_samples(model, corpus.vocab, o, context);
    const std::string samples_text = as_fortunes(sample_texts);
    dl::util::write_file_atomically(o.out_dir + "/samples.txt", samples_text);
    dl::Json samples = dl::Json::array();
    for (const std::string& text : sample_texts) samples.push_back(text);

    dl::Json summary = dl::Json::object();
    summary["chapter"] = kChapter;
    summary["corpus"] = o.corpus;
    summary["val_loss"] = best;
    summary["unigram_val_loss"] = unigram;
    summary["val_bpc"] = best / std::numbers::ln2;
    summary["val_perplexity"] = std::exp(best);
    summary["best_step"] = best_step;
    summary["train_seconds"] = train_seconds;
    summary["steps"] = o.steps;
    summary["batch_size"] = o.batch;
    summary["seq_len"] = o.seq_len;
    summary["embedding"] = o.embedding;
    summary["hidden"] = o.hidden;
    summary["lr"] = o.lr;
    summary["dropout"] = o.dropout;
    summary["clip"] = o.clip;
    summary["seed"] = o.seed;
    summary["threads"] = o.threads;
    summary["vocabulary"] = corpus.vocab.size();
    summary["parameters"] = model.num_parameters();
    summary["train_chars"] = corpus.train.size();
    summary["validation_chars"] = corpus.validation.size();
    summary["prime"] = o.prime;
    summary["temperature"] = o.temperature;
    summary["form"] = o.form;
    summary["build"] = dl::util::build_info();  // commit, compiler, Eigen, date: the docs' "verified with" line
    summary["samples"] = samples;
    dl::util::write_json_file(o.out_dir + "/summary.json", summary);

    std::cout << "\nsamples (prime " << o.prime << ", temperature " << o.temperature << "):\n" << samples_text;
    std::printf("validation loss %.3f nats per character (%.3f bits) at step %lld, unigram %.3f; %.1f s of training; "
                "results in %s\n",
                best, best / std::numbers::ln2, static_cast<long long>(best_step), unigram, train_seconds, o.out_dir.c_str());
    return 0;
  } catch (const dl::NonFiniteError& e) {
    std::cerr << "rnn: training stopped: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "rnn: error: " << e.what() << "\n";
    return 1;
  }
}

// nlu — chapter 06: natural language understanding as a test you can score. Each noun gloss
// of WordNet is to be labelled with its supersense (noun.animal, noun.artifact, ...). Five
// models read the same glosses: two generative (naive Bayes, a class-conditional language
// model: the seed's P(x|y), turned into a classifier by Bayes' rule) and three discriminative
// (logistic regression, a Transformer encoder from scratch, chapter 04's BERT fine-tuned).
//
//   ./build/chapters/06-nlu/nlu                               # about 5 min on 2 cores
//   ./build/chapters/06-nlu/nlu --predict "a small furry animal that purrs" [--json]
//   ./build/chapters/06-nlu/nlu --full                        # the full learning curves
//
// Training writes summary.json, metrics.jsonl, examples.json and models/ under --out.
// It needs chapter 04's pretrained BERT (./build/chapters/04-nlp/bert, about 3.5 min).
#include <algorithm>
#include <cstdio>
#include <dl/app.hpp>
#include <dl/io.hpp>
#include <filesystem>
#include <iostream>
#include <memory>
#include <numeric>
#include <sstream>

#include "bag_of_words.hpp"
#include "class_lm.hpp"
#include "encoder.hpp"
#include "glosses.hpp"
#include "report.hpp"
#include "wordnet.hpp"

namespace {
namespace fs = std::filesystem;
using Json = dl::app::Json;

constexpr const char* kChapter = "06-nlu";
// The models in the order they are trained and reported, with their kind.
const std::vector<std::pair<std::string, std::string>> kModels = {
    {"naive_bayes", "generative"},           {"class_conditional_lm", "generative"},
    {"logistic_regression", "discriminative"}, {"encoder_from_scratch", "discriminative"},
    {"bert_finetuned", "discriminative"}};
// The models of the learning curves: the two of each kind that train fastest, and BERT.
const std::vector<std::string> kCurveModels = {"naive_bayes", "class_conditional_lm", "logistic_regression",
                                               "bert_finetuned"};
constexpr int64_t kExamples = 8;  // test glosses shown with every model's top 3 in examples.json

// The encoders' settings were chosen on the validation split within the time budget
// (2 threads): a peak learning rate of 3e-3 beat 1e-3 for both (20,000 glosses, 3 epochs:
// fine-tuned 0.72 against 0.66, from scratch 0.65 against 0.60); batches of 64 or 128 cost as
// much per gloss as 32 (the work is in the per-token products, not the per-step update)
// and learned less per pass; two passes over the full set fit the five minutes.
struct Options {
  std::string vocab = DL_VOCAB_DIR "/bert-base-uncased/vocab.txt";
  std::string bert_dir = dl::app::results_dir("04-nlp-bert") + "/hf";
  std::vector<std::string> models;  // empty: all
  std::vector<int64_t> curve_sizes = {100, 1000, 5000};
  int curve_seeds = 2;
  int64_t curve_eval = 1000;
  int64_t limit = -1;
  bool full = false;
  bool validate = false;
  ch06::FineTuneOptions finetune{.epochs = 2, .min_steps = 200, .lr = 3e-3f};
  ch06::FineTuneOptions scratch{.epochs = 2, .min_steps = 200, .lr = 3e-3f};
  float dropout = 0.1f;
  // The class-conditional LM learns slowly and cheaply (about 4 ms a step): on the full set
  // 700 steps gave 0.26 test accuracy, 2,000 gave 0.42, 5,000 gave 0.49 (18 s).
  ch06::ClassLMOptions lm{.max_steps = 5000};
  std::string dump_features;
  // --predict
  std::string predict;
  bool json = false;
  bool no_curves = false;

  void add_to(CLI::App& cli) {
    std::vector<std::string> names;
    for (const auto& [name, kind] : kModels) names.push_back(name);
    cli.add_option("--vocab", vocab, "bert-base-uncased's vocab.txt (./book deps fetches it)")->check(dl::app::non_empty);
    cli.add_option("--bert", bert_dir, "chapter 04's pretrained BERT: the hf folder its bert program saves")
        ->check(dl::app::non_empty);
    cli.add_option("--models", models, "train only these models (default: all)")->delimiter(',')->check(CLI::IsMember(names));
    cli.add_flag("--full", full, "the full learning curves: sizes 100, 300, 1000, 3000, 10000, 3 seeds, 2000 test glosses");
    // (A flag of its own: CLI11 reads --curve-sizes with no value as its default sizes.)
    cli.add_flag("--no-curves", no_curves, "no learning curves (the main table only)");
    cli.add_option("--curve-sizes", curve_sizes, "training-set sizes of the learning curves (the full set is always one)")
        ->check(dl::app::positive)->expected(1, -1);
    cli.add_option("--curve-seeds", curve_seeds, "samples per size of the learning curves")->check(dl::app::positive);
    cli.add_option("--curve-eval", curve_eval, "test glosses the learning curves are scored on")->check(dl::app::positive);
    cli.add_flag("--validate", validate, "score on the validation split instead of the test split (to choose settings)");
    cli.add_option("--limit", limit, "train on a random N of the training glosses (a quick run)")->check(dl::app::positive);
    cli.add_option("--finetune-epochs", finetune.epochs, "passes of fine-tuning BERT over the training set")
        ->check(dl::app::positive);
    cli.add_option("--finetune-lr", finetune.lr, "peak learning rate of fine-tuning BERT")->check(dl::app::positive);
    cli.add_option("--scratch-epochs", scratch.epochs, "passes of the encoder trained from scratch")->check(dl::app::positive);
    cli.add_option("--scratch-lr", scratch.lr, "peak learning rate of the encoder from scratch")->check(dl::app::positive);
    cli.add_option("--dropout", dropout, "dropout of the encoders")->check(dl::app::non_negative & CLI::Range(0.0, 0.9));
    cli.add_option("--lm-steps", lm.max_steps, "training steps of the class-conditional LM on the full set")
        ->check(dl::app::positive);
    cli.add_option("--dump-features", dump_features,
                   "write the word-piece counts of the train and test glosses in svmlight format and the bag-of-words "
                   "models' summary.json to this folder (for the scikit-learn comparison), then stop")
        ->check(dl::app::non_empty);
    CLI::Option* predicting =
        cli.add_option("--predict", predict, "instead of training: each saved model's top 3 supersenses for this text")
            ->check(dl::app::non_empty);
    cli.add_flag("--json", json, "with --predict: print one JSON object instead of text")->needs(predicting);
  }
  bool wants(const std::string& name) const {
    return models.empty() || std::find(models.begin(), models.end(), name) != models.end();
  }
};

// What every model needs besides its training glosses. The encoders' configuration and chapter
// 04's pretrained weights are read once here, not once per learning-curve run (load_state_dict
// copies them, so each fine-tuning starts from the same values).
struct Setup {
  int vocab_size = 0;
  ch06::SpecialIds specials;
  const Options* options = nullptr;
  std::string vocab_path;
  ch04::BertConfig encoder_config;  ///< when an encoder is trained
  dl::NamedTensors pretrained;      ///< chapter 04's BertForMaskedLM weights, when bert_finetuned is trained
};

// A trained model behind one interface: the main run, the learning curves and --predict
// all see P(y|x).
class Classifier {
 public:
  virtual ~Classifier() = default;
  virtual ch06::Probabilities predict_proba(std::span<const ch06::Example> examples) = 0;
  /// Writes the model under `models_dir` (a file or a folder named after the model).
  virtual void save(const std::string& models_dir) const = 0;
};

class NaiveBayesModel : public Classifier {
 public:
  explicit NaiveBayesModel(ch06::NaiveBayes nb) : nb_(std::move(nb)) {}
  ch06::Probabilities predict_proba(std::span<const ch06::Example> e) override { return nb_.predict_proba(e); }
  void save(const std::string& dir) const override { dl::save_safetensors(dir + "/naive_bayes.safetensors", nb_.state()); }

 private:
  ch06::NaiveBayes nb_;
};

class LogisticRegressionModel : public Classifier {
 public:
  explicit LogisticRegressionModel(int vocab_size) : model(vocab_size) {}
  ch06::Probabilities predict_proba(std::span<const ch06::Example> e) override { return model.predict_proba(e); }
  void save(const std::string& dir) const override {
    dl::save_safetensors(dir + "/logistic_regression.safetensors", model.state_dict());
  }
  ch06::LogisticRegression model;
};

class ClassLMModel : public Classifier {
 public:
  explicit ClassLMModel(std::unique_ptr<ch06::ClassConditionalLM> lm) : lm_(std::move(lm)) {}
  ch06::Probabilities predict_proba(std::span<const ch06::Example> e) override { return lm_->predict_proba(e); }
  void save(const std::string& dir) const override { lm_->save(dir + "/class_conditional_lm.safetensors"); }

 private:
  std::unique_ptr<ch06::ClassConditionalLM> lm_;
};

class EncoderModel : public Classifier {
 public:
  EncoderModel(std::string name, const ch04::BertConfig& config, const Setup& setup, int64_t max_len, uint64_t seed)
      : name_(std::move(name)), gen_(seed), model(config, gen_), setup_(setup), max_len_(max_len) {}
  ch06::Probabilities predict_proba(std::span<const ch06::Example> e) override {
    return ch06::predict_proba(model, e, setup_.specials, max_len_);
  }
  // Hugging Face's folder layout: BertForSequenceClassification.from_pretrained reads it.
  void save(const std::string& dir) const override {
    ch04::save_hf_folder(dir + "/" + name_, model.config_json(), model.hf_state_dict(), setup_.vocab_path,
                         model.config.max_position_embeddings);
  }

 private:
  std::string name_;
  dl::Generator gen_;  // before `model`: its initial weights and dropout masks come from it

 public:
  ch06::BertClassifier model;

 private:
  Setup setup_;
  int64_t max_len_;
};

ch04::BertConfig pretrained_config(const Options& o) {
  const std::string path = o.bert_dir + "/config.json";
  if (!fs::exists(path))
    throw dl::FileError(path + ": not found. Chapter 06 fine-tunes chapter 04's BERT: train it first with "
                        "./build/chapters/04-nlp/bert (about 3.5 min), or pass --bert DIR");
  ch04::BertConfig config = ch04::BertConfig::from_json(dl::app::read_json_file(path), path);
  config.hidden_dropout_prob = config.attention_probs_dropout_prob = o.dropout;
  return config;
}

// Trains model `name` on `train` with `seed`; `log` gets (step, steps, loss) of the neural ones.
std::unique_ptr<Classifier> train_model(const std::string& name, std::span<const ch06::Example> train,
                                        const Setup& setup, uint64_t seed, const ch06::StepCallback& log) {
  const Options& o = *setup.options;
  if (name == "naive_bayes") {
    ch06::NaiveBayes nb(setup.vocab_size);
    nb.fit(train);
    return std::make_unique<NaiveBayesModel>(std::move(nb));
  }
  if (name == "logistic_regression") {
    auto m = std::make_unique<LogisticRegressionModel>(setup.vocab_size);
    m->model.fit(train, {}, seed);
    return m;
  }
  if (name == "class_conditional_lm") {
    auto lm = std::make_unique<ch06::ClassConditionalLM>(setup.vocab_size, train, o.lm, seed);
    lm->fit(train, seed, log);
    return std::make_unique<ClassLMModel>(std::move(lm));
  }
  // The two encoders: the same architecture and training; only the starting weights differ.
  const bool pretrained = name == "bert_finetuned";
  const ch06::FineTuneOptions& options = pretrained ? o.finetune : o.scratch;
  auto m = std::make_unique<EncoderModel>(name, setup.encoder_config, setup, options.max_len, seed);
  if (pretrained) m->model.load_pretrained_encoder(setup.pretrained);
  ch06::fine_tune(m->model, train, setup.specials, options, seed, log);
  return m;
}

// The saved model `name` of `models_dir`, for --predict.
std::unique_ptr<Classifier> load_model(const std::string& name, const std::string& models_dir, const Setup& setup) {
  if (name == "naive_bayes")
    return std::make_unique<NaiveBayesModel>(
        ch06::NaiveBayes::from_state(dl::load_safetensors(models_dir + "/naive_bayes.safetensors")));
  if (name == "logistic_regression") {
    auto m = std::make_unique<LogisticRegressionModel>(setup.vocab_size);
    m->model.load_state_dict(dl::load_safetensors(models_dir + "/logistic_regression.safetensors"));
    return m;
  }
  if (name == "class_conditional_lm")
    return std::make_unique<ClassLMModel>(ch06::ClassConditionalLM::load(models_dir + "/class_conditional_lm.safetensors"));
  const std::string folder = models_dir + "/" + name;
  const ch04::BertConfig config =
      ch04::BertConfig::from_json(dl::app::read_json_file(folder + "/config.json"), folder + "/config.json");
  auto m = std::make_unique<EncoderModel>(name, config, setup, config.max_position_embeddings, 0);
  m->model.load_hf_state_dict(dl::load_safetensors(folder + "/model.safetensors"));
  return m;
}

// Is the saved model `name` in `models_dir`?
bool saved(const std::string& name, const std::string& models_dir) {
  return fs::exists(models_dir + "/" + name + ".safetensors") || fs::exists(models_dir + "/" + name + "/model.safetensors");
}

// One svmlight line per gloss: "label id:count id:count ..." with ids ascending.
void write_svmlight(const std::string& path, std::span<const ch06::Example> examples) {
  std::string out;
  for (const ch06::Example& e : examples) {
    std::vector<int> ids = e.pieces;
    std::sort(ids.begin(), ids.end());
    out += std::to_string(e.label);
    for (size_t i = 0; i < ids.size();) {
      size_t j = i;
      while (j < ids.size() && ids[j] == ids[i]) ++j;
      out += ' ' + std::to_string(ids[i]) + ':' + std::to_string(j - i);
      i = j;
    }
    out += '\n';
  }
  dl::write_file_atomically(path, out);
}

// The three most probable supersenses of row `row`: [{"label", "prob"}].
Json top3(const ch06::Probabilities& probs, size_t row) {
  std::vector<int> order(ch06::kClasses);
  std::iota(order.begin(), order.end(), 0);
  const double* p = probs.data() + row * ch06::kClasses;
  std::partial_sort(order.begin(), order.begin() + 3, order.end(), [&](int a, int b) { return p[a] > p[b]; });
  Json top = Json::array();
  for (int i = 0; i < 3; ++i)
    top.push_back({{"label", ch06::supersense_names()[static_cast<size_t>(order[static_cast<size_t>(i)])]},
                   {"prob", p[order[static_cast<size_t>(i)]]}});
  return top;
}

struct Trained {
  std::string name, kind;
  ch06::Report report;
  double train_seconds = 0;
  ch06::Probabilities test_probs;
};

Json model_json(const Trained& t) {
  Json j = ch06::to_json(t.report);
  j["name"] = t.name;
  j["kind"] = t.kind;
  j["train_seconds"] = t.train_seconds;
  j["confusion"] = t.report.confusion;
  return j;
}

Setup make_setup(const Options& o, const dl::tokenize::WordPiece& wp) {
  Setup setup{.vocab_size = wp.vocab_size(), .specials = {wp.id("[CLS]"), wp.id("[SEP]"), wp.id("[PAD]")}, .options = &o,
              .vocab_path = o.vocab, .encoder_config = {}, .pretrained = {}};
  if (setup.specials.cls < 0 || setup.specials.sep < 0 || setup.specials.pad < 0)
    throw dl::Error(o.vocab + ": no [CLS], [SEP] or [PAD] token (expected bert-base-uncased's vocab.txt)");
  return setup;
}

int run_predict(const Options& o, const std::string& out_dir) {
  const std::string models_dir = out_dir + "/models";
  const dl::tokenize::WordPiece wp = dl::tokenize::WordPiece::load(o.vocab);
  const Setup setup = make_setup(o, wp);
  ch06::Example e;
  e.gloss = o.predict;
  const std::vector<int> ids = wp.encode(o.predict);
  e.pieces.assign(ids.begin() + 1, ids.end() - 1);
  Json result = {{"text", o.predict}, {"pieces", wp.tokens(e.pieces)}, {"models", Json::object()}};
  for (const auto& [name, kind] : kModels) {
    if (!o.wants(name) || !saved(name, models_dir)) continue;
    const auto model = load_model(name, models_dir, setup);
    result["models"][name] = top3(model->predict_proba(std::span<const ch06::Example>(&e, 1)), 0);
  }
  if (result["models"].empty())
    throw dl::FileError(models_dir + ": no saved models (train first with ./build/chapters/06-nlu/nlu, or pass --out DIR)");
  if (o.json) {
    std::cout << result.dump() << '\n';
    return 0;
  }
  for (const auto& [name, top] : result["models"].items()) {
    std::printf("%-22s", name.c_str());
    for (const Json& t : top) std::printf("  %-18s %.3f", t["label"].get<std::string>().c_str(), t["prob"].get<double>());
    std::printf("\n");
  }
  return 0;
}

int run_train(const dl::app::Program& program, Options& o) {
  dl::app::Timer total_timer;
  const std::string& out_dir = program.common.out_dir;
  const uint64_t seed = static_cast<uint64_t>(program.common.seed);
  if (o.full) o.curve_sizes = {100, 300, 1000, 3000, 10000}, o.curve_seeds = 3, o.curve_eval = 2000;
  o.lm.min_steps = std::min(o.lm.min_steps, o.lm.max_steps);  // --lm-steps below the minimum: a quick run
  if (!o.dump_features.empty()) o.models = {"naive_bayes", "logistic_regression"}, o.curve_sizes.clear();
  if (o.no_curves) o.curve_sizes.clear();
  const dl::tokenize::WordPiece wp = dl::tokenize::WordPiece::load(o.vocab);
  Setup setup = make_setup(o, wp);
  // Read before the glosses, so that a missing chapter 04 run fails before any training.
  if (o.wants("bert_finetuned") || o.wants("encoder_from_scratch")) setup.encoder_config = pretrained_config(o);
  if (o.wants("bert_finetuned")) setup.pretrained = dl::load_safetensors(o.bert_dir + "/model.safetensors");
  ch06::Glosses data = ch06::read_glosses(program.common.data_dir, wp);
  // A random subset: data.noun lists the synsets roughly by supersense, so its first glosses would be a few classes.
  if (o.limit > 0 && static_cast<int64_t>(data.train.size()) > o.limit) data.train = ch06::sample(data.train, o.limit, seed);
  if (o.validate) data.test = data.validation;  // "test" below is then the validation split
  if (data.train.empty() || data.test.empty()) throw dl::Error("no glosses to train or test on in " + program.common.data_dir);
  std::printf("glosses: %zu train, %zu validation, %zu test (%.1f s to read and tokenise)\n", data.train.size(),
              data.validation.size(), data.test.size(), total_timer.seconds());

  if (!o.dump_features.empty()) {
    fs::create_directories(o.dump_features);
    write_svmlight(o.dump_features + "/train.svm", data.train);
    write_svmlight(o.dump_features + "/test.svm", data.test);
  }
  const std::string results_dir = o.dump_features.empty() ? out_dir : o.dump_features;
  const std::string models_dir = results_dir + "/models";
  fs::create_directories(models_dir);

  // The glosses the learning curves are scored on: a fixed sample of the test split.
  std::vector<int64_t> curve_order(data.test.size());
  std::iota(curve_order.begin(), curve_order.end(), 0);
  dl::Generator curve_gen(seed + 7);
  curve_gen.shuffle(curve_order);
  curve_order.resize(std::min(curve_order.size(), static_cast<size_t>(o.curve_eval)));
  std::vector<ch06::Example> curve_set;
  for (int64_t i : curve_order) curve_set.push_back(data.test[static_cast<size_t>(i)]);

  ch06::MajorityClass majority;
  majority.fit(data.train);
  const ch06::Report majority_report = ch06::evaluate(majority.predict_proba(data.test), data.test);
  const char* majority_name = ch06::supersense_names()[static_cast<size_t>(majority.majority())];
  std::printf("%-22s accuracy %.4f (always %s)\n", "majority class", majority_report.accuracy, majority_name);

  dl::app::MetricsWriter metrics(results_dir + "/metrics.jsonl");
  std::vector<Trained> trained;
  Json curve = Json::array();
  for (const auto& [name, kind] : kModels) {
    if (!o.wants(name)) continue;
    dl::app::Timer timer;
    dl::app::ProgressBar bar(name, 0);
    const auto log = [&](int64_t step, int64_t steps, double loss) {
      metrics.write({{"model", name}, {"step", step}, {"steps", steps}, {"loss", loss}, {"seconds", timer.seconds()}});
      bar.update(step, loss);
    };
    const auto model = train_model(name, data.train, setup, seed, log);
    bar.finish();
    Trained t{name, kind, {}, timer.seconds(), model->predict_proba(data.test)};
    t.report = ch06::evaluate(t.test_probs, data.test);
    model->save(models_dir);
    std::printf("%-22s accuracy %.4f  macro-F1 %.4f  ECE %.4f  (%.1f s to train)\n", name.c_str(), t.report.accuracy,
                t.report.macro_f1, t.report.ece, t.train_seconds);
    std::fflush(stdout);
    // The learning curve: the same model trained on samples of the training set.
    if (std::find(kCurveModels.begin(), kCurveModels.end(), name) != kCurveModels.end() && !o.curve_sizes.empty()) {
      // The full set's point is the model above, scored on the curve's glosses like the others.
      ch06::Probabilities curve_probs;
      for (int64_t i : curve_order)
        curve_probs.insert(curve_probs.end(), t.test_probs.begin() + i * ch06::kClasses,
                           t.test_probs.begin() + (i + 1) * ch06::kClasses);
      curve.push_back({{"model", name}, {"n", data.train.size()}, {"seed", seed},
                       {"accuracy", ch06::evaluate(curve_probs, curve_set).accuracy}});
      for (int64_t n : o.curve_sizes) {
        if (n >= static_cast<int64_t>(data.train.size())) continue;
        for (int s = 0; s < o.curve_seeds; ++s) {
          const uint64_t sample_seed = seed + 1000 + static_cast<uint64_t>(s);
          const std::vector<ch06::Example> sample = ch06::sample(data.train, n, sample_seed);
          const auto small = train_model(name, sample, setup, sample_seed, {});
          const double acc = ch06::evaluate(small->predict_proba(curve_set), curve_set).accuracy;
          curve.push_back({{"model", name}, {"n", n}, {"seed", sample_seed}, {"accuracy", acc}});
          std::printf("  learning curve: %s on %lld glosses (seed %llu): accuracy %.4f\n", name.c_str(),
                      static_cast<long long>(n), static_cast<unsigned long long>(sample_seed), acc);
        }
      }
      std::fflush(stdout);
    }
    trained.push_back(std::move(t));
  }

  // A few test glosses with each model's top 3.
  Json examples = Json::array();
  for (size_t k = 0; k < std::min<size_t>(kExamples, curve_order.size()); ++k) {
    const size_t i = static_cast<size_t>(curve_order[k]);
    Json predictions = Json::object();
    for (const Trained& t : trained) predictions[t.name] = top3(t.test_probs, i);
    examples.push_back({{"lemma", data.test[i].lemma}, {"gloss", data.test[i].gloss},
                        {"label", ch06::supersense_names()[static_cast<size_t>(data.test[i].label)]},
                        {"predictions", predictions}});
  }
  dl::app::write_json_file(results_dir + "/examples.json", {{"examples", examples}});

  Json model_list = Json::array();
  for (const Trained& t : trained) model_list.push_back(model_json(t));
  const Json results = {{"models", model_list},
                        {"majority_accuracy", majority_report.accuracy},
                        {"majority_class", majority_name},
                        {"learning_curve", curve},
                        {"curve_eval_glosses", curve_order.size()},
                        {"split", {{"train", data.train.size()}, {"validation", data.validation.size()}, {"test", data.test.size()}}},
                        {"classes", ch06::supersense_names()},
                        {"total_seconds", total_timer.seconds()}};
  const Json settings = {{"seed", program.common.seed}, {"threads", program.common.threads},
                         {"full", o.full}, {"limit", o.limit}, {"scored_on", o.validate ? "validation" : "test"},
                         {"finetune", {{"epochs", o.finetune.epochs}, {"lr", dl::app::json_float(o.finetune.lr)}, {"batch", o.finetune.batch}}},
                         {"scratch", {{"epochs", o.scratch.epochs}, {"lr", dl::app::json_float(o.scratch.lr)}, {"batch", o.scratch.batch}}},
                         {"dropout", dl::app::json_float(o.dropout)}, {"lm_max_steps", o.lm.max_steps},
                         {"curve_sizes", o.curve_sizes}, {"curve_seeds", o.curve_seeds},
                         {"bert", o.bert_dir}};  // the pretrained BERT that was fine-tuned
  dl::app::write_json_file(results_dir + "/summary.json", dl::app::make_summary(kChapter, results, settings));
  std::printf("%.1f s in all; results in %s, the models in %s\n", total_timer.seconds(), results_dir.c_str(),
              models_dir.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return dl::app::run_program("nlu", argc, argv, [](dl::app::Program& program) {
    Options o;
    program.cli().description(
        "Label WordNet's noun glosses with their supersense: naive Bayes and a class-conditional language model "
        "(generative) against logistic regression, a Transformer encoder from scratch and chapter 04's BERT "
        "fine-tuned (discriminative) (chapter 06).");
    o.add_to(program.cli());
    program.common.data_dir = ch04::kWordNetDir;
    program.common.out_dir = dl::app::results_dir(kChapter);
    program.common.threads = 2;
    program.parse();
    if (!o.predict.empty()) return run_predict(o, program.common.out_dir);
    return run_train(program, o);
  });
}

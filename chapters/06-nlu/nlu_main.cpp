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
#include <algorithm>
#include <cstdio>
#include <dl/app.hpp>
#include <dl/io.hpp>
#include <filesystem>
#include <iostream>

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

struct Options {
  std::string vocab = DL_VOCAB_DIR "/bert-base-uncased/vocab.txt";
  std::vector<int64_t> curve_sizes = {100, 300, 1000, 3000, 10000};
  int curve_seeds = 3;
  int64_t limit = -1;  // train on the first N training glosses only (tests)
  bool full = false;
  std::string dump_features;
  std::string bert_dir = dl::app::results_dir("04-nlp-bert") + "/hf";
  std::string models = "naive_bayes,logistic_regression,class_conditional_lm,encoder_from_scratch,bert_finetuned";
  ch06::FineTuneOptions finetune{}, scratch{.epochs = 6, .lr = 5e-4f};
  float dropout = 0.1f;
  int64_t encoder_batch = 32;
  // --predict
  std::string predict;
  bool json = false;

  void add_to(CLI::App& cli) {
    cli.add_option("--vocab", vocab, "bert-base-uncased's vocab.txt (./book deps fetches it)")->check(dl::app::non_empty);
    cli.add_option("--curve-sizes", curve_sizes, "training-set sizes of the learning curves (the full set is always one)")
        ->check(dl::app::positive);
    cli.add_option("--curve-seeds", curve_seeds, "samples per size of the learning curves")->check(dl::app::positive);
    cli.add_option("--limit", limit, "train on this many training glosses (a quick run)")->check(dl::app::positive);
    cli.add_flag("--full", full, "the full learning curves, every model at every size");
    cli.add_option("--dump-features", dump_features,
                   "write the bag-of-words features of the train and test glosses in svmlight format to this folder "
                   "(for the scikit-learn comparison) and the bag-of-words models' accuracies, then stop")
        ->check(dl::app::non_empty);
    cli.add_option("--bert", bert_dir, "chapter 04's pretrained BERT (the hf folder its bert program saves)")
        ->check(dl::app::non_empty);
    cli.add_option("--models", models, "the models to train, comma-separated");
    cli.add_option("--finetune-epochs", finetune.epochs, "passes of fine-tuning BERT")->check(dl::app::positive);
    cli.add_option("--finetune-lr", finetune.lr, "peak learning rate of fine-tuning BERT")->check(dl::app::positive);
    cli.add_option("--scratch-epochs", scratch.epochs, "passes of the encoder trained from scratch")->check(dl::app::positive);
    cli.add_option("--scratch-lr", scratch.lr, "peak learning rate of the encoder trained from scratch")->check(dl::app::positive);
    cli.add_option("--encoder-batch", encoder_batch, "glosses per step of both encoders")->check(dl::app::positive);
    cli.add_option("--dropout", dropout, "dropout of the encoders")->check(dl::app::non_negative & CLI::Range(0.0, 0.9));
    CLI::Option* predicting =
        cli.add_option("--predict", predict, "instead of training: each saved model's top 3 supersenses for this text");
    cli.add_flag("--json", json, "with --predict: print one JSON object instead of text")->needs(predicting);
  }
};

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

struct Trained {
  std::string name, kind;
  ch06::Report report;
  double train_seconds = 0;
};

Json model_json(const Trained& t) {
  Json j = ch06::to_json(t.report);
  j["name"] = t.name;
  j["kind"] = t.kind;
  j["train_seconds"] = t.train_seconds;
  j["confusion"] = t.report.confusion;
  return j;
}

int run_train(const dl::app::Program& program, Options& o) {
  dl::app::Timer total_timer;
  const std::string& out_dir = program.common.out_dir;
  const dl::tokenize::WordPiece wp = dl::tokenize::WordPiece::load(o.vocab);
  ch06::Glosses data = ch06::read_glosses(program.common.data_dir, wp);
  // A random subset: data.noun lists the synsets roughly by supersense, so its first glosses would be a few classes.
  if (o.limit > 0 && static_cast<int64_t>(data.train.size()) > o.limit)
    data.train = ch06::sample(data.train, o.limit, static_cast<uint64_t>(program.common.seed));
  std::printf("glosses: %zu train, %zu validation, %zu test (%.1f s to read and tokenise)\n", data.train.size(),
              data.validation.size(), data.test.size(), total_timer.seconds());

  if (!o.dump_features.empty()) {
    fs::create_directories(o.dump_features);
    write_svmlight(o.dump_features + "/train.svm", data.train);
    write_svmlight(o.dump_features + "/test.svm", data.test);
  }

  std::vector<Trained> models;
  ch06::MajorityClass majority;
  majority.fit(data.train);
  const ch06::Report majority_report = ch06::evaluate(majority.predict_proba(data.test), data.test);
  std::printf("majority class (%s): accuracy %.4f\n", ch06::supersense_names()[static_cast<size_t>(majority.majority())],
              majority_report.accuracy);

  {
    dl::app::Timer t;
    ch06::NaiveBayes nb(wp.vocab_size());
    nb.fit(data.train);
    const double seconds = t.seconds();
    models.push_back({"naive_bayes", "generative", ch06::evaluate(nb.predict_proba(data.test), data.test), seconds});
  }
  {
    dl::app::Timer t;
    ch06::LogisticRegression lr(wp.vocab_size());
    const double loss = lr.fit(data.train, {}, static_cast<uint64_t>(program.common.seed));
    const double seconds = t.seconds();
    std::printf("logistic regression: final training loss %.4f\n", loss);
    models.push_back({"logistic_regression", "discriminative", ch06::evaluate(lr.predict_proba(data.test), data.test), seconds});
  }
  {
    dl::app::Timer t;
    ch06::ClassConditionalLM lm(wp.vocab_size(), data.train, {}, static_cast<uint64_t>(program.common.seed));
    std::printf("class-conditional LM: %lld training steps\n",
                static_cast<long long>(ch06::ClassConditionalLM::steps_for(static_cast<int64_t>(data.train.size()), lm.options())));
    lm.fit(data.train, static_cast<uint64_t>(program.common.seed), [&](int64_t step, int64_t total, double loss) {
      std::fprintf(stderr, "  class-conditional LM step %lld/%lld: loss %.3f nats per token (%.0f s)\n",
                   static_cast<long long>(step), static_cast<long long>(total), loss, t.seconds());
    });
    const double seconds = t.seconds();
    dl::app::Timer scoring;
    const ch06::Report report = ch06::evaluate(lm.predict_proba(data.test), data.test);
    std::printf("class-conditional LM: %.1f s to train, %.1f s to score the test set\n", seconds, scoring.seconds());
    models.push_back({"class_conditional_lm", "generative", report, seconds});
  }
  const auto wanted = [&](const std::string& name) { return o.models.find(name) != std::string::npos; };
  const ch06::SpecialIds specials{wp.id("[CLS]"), wp.id("[SEP]"), wp.id("[PAD]")};
  for (const std::string name : {"encoder_from_scratch", "bert_finetuned"}) {
    if (!wanted(name)) continue;
    const std::string config_path = o.bert_dir + "/config.json";
    ch04::BertConfig config = ch04::BertConfig::from_json(dl::app::read_json_file(config_path), config_path);
    config.hidden_dropout_prob = config.attention_probs_dropout_prob = o.dropout;
    dl::Generator gen(static_cast<uint64_t>(program.common.seed));
    ch06::BertClassifier model(config, gen);
    const bool pretrained = std::string(name) == "bert_finetuned";
    if (pretrained) model.load_pretrained_encoder(dl::load_safetensors(o.bert_dir + "/model.safetensors"));
    dl::app::Timer t;
    ch06::FineTuneOptions fo = pretrained ? o.finetune : o.scratch;
    fo.batch = o.encoder_batch;
    ch06::fine_tune(model, data.train, specials, fo, static_cast<uint64_t>(program.common.seed),
                    [&](int64_t step, int64_t steps, double loss) {
                      if (step % 500 == 0 || step == steps)
                        std::printf("  %s step %lld/%lld loss %.4f (%.0f s)\n", name.c_str(), static_cast<long long>(step),
                                    static_cast<long long>(steps), loss, t.seconds()), std::fflush(stdout);
                    });
    const double seconds = t.seconds();
    const ch06::Report val = ch06::evaluate(ch06::predict_proba(model, data.validation, specials, fo.max_len), data.validation);
    std::printf("  %s validation accuracy %.4f\n", name.c_str(), val.accuracy);
    models.push_back({name, "discriminative", ch06::evaluate(ch06::predict_proba(model, data.test, specials, fo.max_len), data.test), seconds});
  }
  for (const Trained& m : models)
    std::printf("%-22s accuracy %.4f  macro-F1 %.4f  ECE %.4f  (%.1f s)\n", m.name.c_str(), m.report.accuracy,
                m.report.macro_f1, m.report.ece, m.train_seconds);

  Json model_list = Json::array();
  for (const Trained& m : models) model_list.push_back(model_json(m));
  const Json results = {{"models", model_list},
                        {"majority_accuracy", majority_report.accuracy},
                        {"majority_class", ch06::supersense_names()[static_cast<size_t>(majority.majority())]},
                        {"split", {{"train", data.train.size()}, {"validation", data.validation.size()}, {"test", data.test.size()}}},
                        {"classes", ch06::supersense_names()},
                        {"total_seconds", total_timer.seconds()}};
  const std::string summary_dir = o.dump_features.empty() ? out_dir : o.dump_features;
  dl::app::write_json_file(summary_dir + "/summary.json",
                           dl::app::make_summary(kChapter, results, {{"seed", program.common.seed},
                                                                     {"threads", program.common.threads}}));
  std::printf("%.1f s in all; results in %s\n", total_timer.seconds(), summary_dir.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return dl::app::run_program("nlu", argc, argv, [](dl::app::Program& program) {
    Options o;
    program.cli().description(
        "Label WordNet's noun glosses with their supersense: naive Bayes and a class-conditional language model "
        "(generative) against logistic regression, a Transformer encoder and chapter 04's BERT fine-tuned "
        "(discriminative) (chapter 06).");
    o.add_to(program.cli());
    program.common.data_dir = ch04::kWordNetDir;
    program.common.out_dir = dl::app::results_dir(kChapter);
    program.common.threads = 2;
    program.parse();
    return run_train(program, o);
  });
}

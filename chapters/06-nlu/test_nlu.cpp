#include <catch2/catch.hpp>

#include <filesystem>
#include <limits>
#include <map>
#include <memory>

#include <dl/io.hpp>

#include "bag_of_words.hpp"
#include "class_lm.hpp"
#include "glosses.hpp"
#include "report.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include <dl/app.hpp>
#include <dl/io.hpp>

#include "../../tests/test_support.hpp"
#include "encoder.hpp"

using Catch::Matchers::WithinAbs;

TEST_CASE("supersenses: 26 names in lexicographer-file order, and back", "[ch06]") {
  REQUIRE(ch06::supersense_names()[0] == std::string("noun.Tops"));
  REQUIRE(ch06::supersense_names()[2] == std::string("noun.animal"));
  REQUIRE(ch06::supersense_names()[25] == std::string("noun.time"));
  for (int c = 0; c < ch06::kClasses; ++c) REQUIRE(ch06::supersense_label(ch06::supersense_names()[static_cast<size_t>(c)]) == c);
  REQUIRE(ch06::supersense_label("noun.dog") == -1);
}

namespace {

// Glosses of `per_class` examples for classes 0..classes-1, each class writing with its own
// pieces (class c: pieces 10 c + 1 .. 10 c + 5) in a random order and length.
std::vector<ch06::Example> toy_glosses(int classes, int per_class, uint64_t seed) {
  dl::Generator gen(seed);
  std::vector<ch06::Example> out;
  for (int c = 0; c < classes; ++c)
    for (int i = 0; i < per_class; ++i) {
      ch06::Example e;
      e.offset = static_cast<int64_t>(out.size());
      e.label = c;
      const int length = 2 + static_cast<int>(gen.below(5));
      for (int t = 0; t < length; ++t) e.pieces.push_back(10 * c + 1 + static_cast<int>(gen.below(5)));
      out.push_back(e);
    }
  return out;
}

ch06::ClassLMOptions small_lm() {
  ch06::ClassLMOptions o;
  o.embedding_dim = 16;
  o.hidden_size = 32;
  o.min_steps = 150;
  o.max_steps = 150;
  o.batch = 16;
  o.lr = 1e-2f;
  o.score_batch = 3;  // several scoring batches, one of them partial
  return o;
}

}  // namespace

TEST_CASE("class-conditional LM: scoring all classes at once equals a plain forward of one class at a time", "[ch06]") {
  const std::vector<ch06::Example> train = toy_glosses(4, 5, 1);
  ch06::ClassLMOptions o = small_lm();
  o.vocab_cap = 12;  // some pieces share the rare id
  o.max_pieces = 4;  // and some glosses are cut
  ch06::ClassConditionalLM lm(300, train, o, 7);
  lm.eval();
  const std::vector<ch06::Example> some(train.begin(), train.begin() + 7);
  const std::vector<double> batched = lm.log_likelihoods(some);
  REQUIRE(batched.size() == some.size() * ch06::kClasses);
  dl::no_grad guard;
  for (size_t i = 0; i < some.size(); ++i)
    for (int y = 0; y < ch06::kClasses; y += 5) {
      const std::vector<int> ids = lm.encode(some[i].pieces);
      std::vector<int> inputs = {y};
      for (int id : ids) inputs.push_back(ch06::ClassConditionalLM::kPieceBase + id);
      const dl::Tensor logp = dl::log_softmax(lm.forward(inputs, static_cast<int64_t>(inputs.size()), 1), -1);
      double expected = 0;
      for (size_t t = 0; t <= ids.size(); ++t) {
        const int target = t < ids.size() ? ids[t] : ch06::ClassConditionalLM::kEnd;
        expected += logp.data()[t * static_cast<size_t>(lm.outputs()) + static_cast<size_t>(target)];
      }
      REQUIRE_THAT(batched[i * ch06::kClasses + static_cast<size_t>(y)], WithinAbs(expected, 1e-3));
    }
}

TEST_CASE("class-conditional LM: learns classes that write with their own pieces, probabilities, save and load", "[ch06]") {
  const std::vector<ch06::Example> train = toy_glosses(4, 12, 2), test = toy_glosses(4, 6, 3);
  ch06::ClassConditionalLM lm(100, train, small_lm(), 5);
  lm.fit(train, 9);
  const ch06::Probabilities probs = lm.predict_proba(test);
  REQUIRE(probs.size() == test.size() * ch06::kClasses);
  for (size_t i = 0; i < test.size(); ++i) {
    double total = 0;
    for (int y = 0; y < ch06::kClasses; ++y) total += probs[i * ch06::kClasses + static_cast<size_t>(y)];
    REQUIRE_THAT(total, WithinAbs(1.0, 1e-9));
  }
  REQUIRE(ch06::evaluate(probs, test).accuracy == 1.0);

  const std::string path = (std::filesystem::temp_directory_path() / "ch06_class_lm_test.safetensors").string();
  lm.save(path);
  const std::unique_ptr<ch06::ClassConditionalLM> loaded = ch06::ClassConditionalLM::load(path);
  const ch06::Probabilities again = loaded->predict_proba(test);
  REQUIRE(again.size() == probs.size());
  // The log prior is saved as float: the same to about 1e-7.
  for (size_t i = 0; i < probs.size(); ++i) REQUIRE_THAT(again[i], WithinAbs(probs[i], 1e-6));

  // Metadata claiming sizes the file's weights do not hold is refused before the model is
  // built (H = E = 65,536 would make a 128 GiB LSTM), and so is a log prior with NaN.
  std::map<std::string, std::string> meta;
  dl::NamedTensors tensors = dl::load_safetensors(path, &meta);
  std::map<std::string, std::string> huge = meta;
  huge["hidden_size"] = huge["embedding_dim"] = "65536";
  dl::save_safetensors(path, tensors, huge);
  REQUIRE_THROWS_WITH(ch06::ClassConditionalLM::load(path), Catch::Contains("weights but it holds"));
  for (auto& [name, t] : tensors)
    if (name == "log_prior") t.data()[0] = std::numeric_limits<float>::quiet_NaN();
  dl::save_safetensors(path, tensors, meta);
  REQUIRE_THROWS_WITH(ch06::ClassConditionalLM::load(path), Catch::Contains("'log_prior' holds NaN"));

  // A corrupt file and a missing one name the path.
  dl::write_file_atomically(path, "not a model");
  REQUIRE_THROWS_AS(ch06::ClassConditionalLM::load(path), dl::FileError);
  std::filesystem::remove(path);
  REQUIRE_THROWS_WITH(ch06::ClassConditionalLM::load(path), Catch::Contains(path));
}

TEST_CASE("class-conditional LM: bad input throws", "[ch06]") {
  const std::vector<ch06::Example> train = toy_glosses(2, 3, 4);
  REQUIRE_THROWS_AS(ch06::ClassConditionalLM(100, std::vector<ch06::Example>{}, small_lm()), dl::Error);
  ch06::ClassConditionalLM lm(100, train, small_lm());
  REQUIRE_THROWS_AS(lm.fit(std::vector<ch06::Example>{}, 0), dl::Error);
  std::vector<ch06::Example> bad = train;
  bad[1].pieces.push_back(100);  // the tokenizer has ids 0..99
  REQUIRE_THROWS_AS(ch06::ClassConditionalLM(100, bad, small_lm()), dl::Error);
  REQUIRE_THROWS_AS(lm.log_likelihoods(bad), dl::Error);
  bad[1].pieces.back() = -1;
  REQUIRE_THROWS_AS(lm.predict_proba(bad), dl::Error);
  bad = train;
  bad[0].label = ch06::kClasses;
  REQUIRE_THROWS_AS(lm.fit(bad, 0), dl::Error);
  // The step rule: epochs * n / batch within [min_steps, max_steps].
  ch06::ClassLMOptions o;
  o.epochs = 2, o.batch = 10, o.min_steps = 50, o.max_steps = 400;
  REQUIRE(ch06::ClassConditionalLM::steps_for(100, o) == 50);
  REQUIRE(ch06::ClassConditionalLM::steps_for(1000, o) == 200);
  REQUIRE(ch06::ClassConditionalLM::steps_for(100000, o) == 400);
}

// ---- naive Bayes, logistic regression, the encoder, the report and the program -------------

namespace {

ch06::Example example(int label, std::vector<int> pieces) {
  ch06::Example e;
  e.label = label;
  e.pieces = std::move(pieces);
  return e;
}

// Three classes that each write with their own pieces (ids 10-12, 20-22, 30-32), plus a shared piece 5.
std::vector<ch06::Example> separable(int per_class, uint64_t seed) {
  dl::Generator gen(seed);
  std::vector<ch06::Example> out;
  for (int i = 0; i < per_class; ++i)
    for (int c = 0; c < 3; ++c) {
      std::vector<int> pieces = {5};
      for (int k = 0; k < 3; ++k) pieces.push_back(10 * (c + 1) + static_cast<int>(gen.below(3)));
      out.push_back(example(c, pieces));
    }
  return out;
}

double accuracy_of(const ch06::Probabilities& probs, const std::vector<ch06::Example>& examples) {
  return ch06::evaluate(probs, examples).accuracy;
}

}  // namespace

TEST_CASE("naive Bayes: log P(y) + sum log P(x_t|y) with add-alpha smoothing, by hand", "[ch06]") {
  // Vocabulary of 4 pieces. Class 0: pieces 1, 1, 2 (one gloss); class 1: piece 3 (two glosses).
  const std::vector<ch06::Example> train = {example(0, {1, 1, 2}), example(1, {3}), example(1, {3})};
  ch06::NaiveBayes nb(4, 0.5);
  nb.fit(train);
  const std::vector<double> score = nb.log_joint(std::vector<int>{1, 3});
  // P(1|0) = (2 + .5) / (3 + 2), P(3|0) = (0 + .5) / 5; P(1|1) = .5 / (2 + 2), P(3|1) = 2.5 / 4.
  CHECK_THAT(score[0], WithinAbs(std::log(1.0 / 3) + std::log(2.5 / 5) + std::log(0.5 / 5), 1e-12));
  CHECK_THAT(score[1], WithinAbs(std::log(2.0 / 3) + std::log(0.5 / 4) + std::log(2.5 / 4), 1e-12));
  // Classes absent from training are never chosen.
  CHECK(std::isinf(score[5]));
  const ch06::Probabilities p = nb.predict_proba(train);
  CHECK(ch06::predictions_of(p) == std::vector<int>{0, 1, 1});
  // The saved tensors give the same probabilities.
  const ch06::NaiveBayes back = ch06::NaiveBayes::from_state(nb.state());
  const ch06::Probabilities q = back.predict_proba(train);
  for (size_t i = 0; i < p.size(); ++i) CHECK_THAT(q[i], WithinAbs(p[i], 1e-6));
  CHECK_THROWS_AS(ch06::NaiveBayes(4, 0.0), dl::Error);
  CHECK_THROWS_AS(nb.fit(std::vector<ch06::Example>{example(0, {7})}), dl::Error);  // piece outside the vocabulary
  CHECK_THROWS_AS(ch06::NaiveBayes::from_state({}), dl::Error);
  dl::NamedTensors corrupt = nb.state();
  corrupt[1].second.data()[5] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_AS(ch06::NaiveBayes::from_state(corrupt), dl::NonFiniteError);
}

TEST_CASE("logistic regression: learns held-out glosses of separable classes, rows are probabilities", "[ch06]") {
  const std::vector<ch06::Example> train = separable(30, 1), test = separable(20, 2);
  ch06::LogisticRegression lr(40);
  lr.fit(train, {.epochs = 20, .batch = 16, .lr = 0.1f}, 3);
  const ch06::Probabilities p = lr.predict_proba(test);
  CHECK(accuracy_of(p, test) == 1.0);
  for (size_t r = 0; r < test.size(); ++r) {
    double sum = 0;
    for (int c = 0; c < ch06::kClasses; ++c) sum += p[r * ch06::kClasses + static_cast<size_t>(c)];
    CHECK_THAT(sum, WithinAbs(1.0, 1e-5));
  }
  // [PAD]'s row stays 0: padding adds nothing to a gloss's logits.
  CHECK(lr.weight.weight.data()[0] == 0.0f);
  CHECK_THROWS_AS(lr.fit({}, {}, 0), dl::Error);
}

TEST_CASE("report: accuracy, macro-F1 and ECE of probabilities, sizes are checked", "[ch06]") {
  std::vector<ch06::Example> examples = {example(0, {}), example(1, {})};
  ch06::Probabilities p(2 * ch06::kClasses, 0.0);
  p[0] = 0.9, p[1] = 0.1;                              // right, 0.9 sure
  p[ch06::kClasses + 0] = 0.6, p[ch06::kClasses + 1] = 0.4;  // wrong, 0.6 sure
  const ch06::Report r = ch06::evaluate(p, examples);
  CHECK(r.accuracy == 0.5);
  CHECK_THAT(r.macro_f1, WithinAbs((2.0 / 3 + 0) / 2, 1e-12));
  CHECK_THAT(r.ece, WithinAbs(0.5 * 0.1 + 0.5 * 0.6, 1e-12));
  CHECK_THROWS_AS(ch06::evaluate(p, std::vector<ch06::Example>{example(0, {})}), dl::Error);
  CHECK(ch06::softmax_rows(std::vector<double>(ch06::kClasses, -5000.0))[0] == Approx(1.0 / ch06::kClasses));
}

namespace {
ch04::BertConfig tiny_bert() {
  ch04::BertConfig c;
  c.vocab_size = 40, c.hidden_size = 32, c.num_hidden_layers = 2, c.num_attention_heads = 2, c.intermediate_size = 64;
  c.max_position_embeddings = 16, c.hidden_dropout_prob = c.attention_probs_dropout_prob = 0;
  return c;
}
const ch06::SpecialIds kSpecials{.cls = 1, .sep = 2, .pad = 0};
}  // namespace

TEST_CASE("encoder: Hugging Face's BertForSequenceClassification names, pretrained weights in, same outputs back", "[ch06]") {
  dl::Generator gen(4);
  ch06::BertClassifier model(tiny_bert(), gen);
  std::set<std::string> names;
  for (const auto& [name, t] : model.hf_state_dict()) names.insert(name);
  for (const char* name : {"bert.embeddings.word_embeddings.weight", "bert.encoder.layer.0.attention.self.query.weight",
                           "bert.encoder.layer.0.output.LayerNorm.bias", "bert.pooler.dense.weight", "bert.pooler.dense.bias",
                           "classifier.weight", "classifier.bias"})
    CHECK(names.count(name) == 1);
  CHECK(model.config_json()["architectures"][0] == "BertForSequenceClassification");
  CHECK(model.config_json()["id2label"]["2"] == "noun.animal");

  // The encoder of a masked-LM checkpoint comes in; its head is left out.
  dl::Generator other(9);
  ch04::BertForMaskedLM mlm(tiny_bert(), other);
  model.load_pretrained_encoder(mlm.hf_state_dict());
  CHECK(std::equal(model.bert.embeddings.word_embeddings.weight.data(),
                   model.bert.embeddings.word_embeddings.weight.data() + 40 * 32, mlm.bert.embeddings.word_embeddings.weight.data()));
  dl::NamedTensors missing = mlm.hf_state_dict();
  missing.erase(std::find_if(missing.begin(), missing.end(),
                             [](const auto& e) { return e.first == "bert.embeddings.word_embeddings.weight"; }));
  CHECK_THROWS_WITH(model.load_pretrained_encoder(missing), Catch::Contains("no tensor bert.embeddings"));

  // Save and load: the same probabilities.
  const std::vector<ch06::Example> test = separable(3, 5);
  const ch06::Probabilities p = ch06::predict_proba(model, test, kSpecials, 16);
  dl::Generator third(11);
  ch06::BertClassifier back(tiny_bert(), third);
  back.load_hf_state_dict(model.hf_state_dict());
  const ch06::Probabilities q = ch06::predict_proba(back, test, kSpecials, 16);
  for (size_t i = 0; i < p.size(); ++i) CHECK_THAT(q[i], WithinAbs(p[i], 1e-6));
  dl::NamedTensors extra = model.hf_state_dict();
  extra.emplace_back("classifier.extra", dl::Tensor::zeros({1}));
  CHECK_THROWS_WITH(back.load_hf_state_dict(extra), Catch::Contains("unexpected tensor classifier.extra"));
}

TEST_CASE("encoder: CLS, pieces, SEP, cut to max_len, padded, fine-tuning learns separable classes", "[ch06]") {
  const ch06::Example a = example(0, {10, 11, 12, 13}), b = example(1, {20});
  const std::vector<const ch06::Example*> batch = {&a, &b};
  const ch06::EncoderBatch in = ch06::encoder_batch(batch, kSpecials, 5);
  CHECK(in.steps == 5);
  CHECK(in.ids == std::vector<int>{1, 10, 11, 12, 2, 1, 20, 2, 0, 0});
  CHECK(in.mask == std::vector<int>{1, 1, 1, 1, 1, 1, 1, 1, 0, 0});
  dl::Generator gen(6);
  ch06::BertClassifier model(tiny_bert(), gen);
  const std::vector<ch06::Example> train = separable(40, 7), test = separable(10, 8);
  ch06::fine_tune(model, train, kSpecials, {.epochs = 40, .min_steps = 0, .batch = 16, .max_len = 16, .lr = 3e-3f}, 1);
  CHECK(accuracy_of(ch06::predict_proba(model, test, kSpecials, 16), test) >= 0.95);
  CHECK_THROWS_AS(ch06::fine_tune(model, {}, kSpecials, {}, 1), dl::Error);
}

namespace {
test::ProgramResult run_nlu(const std::string& args) { return test::run_program(CHAPTER_PROGRAM, args); }

// A tiny "pretrained" BERT saved as chapter 04's bert program saves it (untrained: the
// program's plumbing is under test here, not pretraining).
std::string tiny_pretrained(const test::TempDir& dir) {
  ch04::BertConfig c;
  c.vocab_size = 30522, c.hidden_size = 16, c.num_hidden_layers = 1, c.num_attention_heads = 2, c.intermediate_size = 32;
  c.max_position_embeddings = 64, c.hidden_dropout_prob = c.attention_probs_dropout_prob = 0;
  dl::Generator gen(1);
  ch04::BertForMaskedLM model(c, gen);
  const std::string hf = dir.file("hf");
  std::filesystem::create_directories(hf);
  dl::app::write_json_file(hf + "/config.json", model.config.to_json());
  dl::save_safetensors(hf + "/model.safetensors", model.hf_state_dict());
  return hf;
}
}  // namespace

TEST_CASE("nlu: a quick run writes every model, the learning curve and examples, --predict reads them back", "[ch06][program]") {
  const test::TempDir dir;
  const std::string hf = tiny_pretrained(dir);
  const test::ProgramResult r =
      run_nlu("--limit 3000 --curve-sizes 200 --curve-seeds 2 --curve-eval 300 --lm-steps 100 --finetune-epochs 1 "
              "--scratch-epochs 1 --bert '" + hf + "' --out '" + dir.file("out") + "'");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const nlohmann::json s = dl::app::read_json_file(dir.file("out/summary.json"));
  REQUIRE(s["models"].size() == 5);
  const double majority = s["majority_accuracy"].get<double>();
  std::set<std::string> names;
  for (const auto& m : s["models"]) {
    names.insert(m["name"].get<std::string>());
    CHECK((m["kind"] == "generative" || m["kind"] == "discriminative"));
    CHECK(m["confusion"].size() == 26);
    CHECK(m["ece"].get<double>() >= 0);
  }
  CHECK(names == std::set<std::string>{"naive_bayes", "class_conditional_lm", "logistic_regression",
                                       "encoder_from_scratch", "bert_finetuned"});
  // On 3,000 glosses the bag-of-words models are far above always guessing the commonest supersense.
  for (const auto& m : s["models"])
    if (m["name"] == "naive_bayes" || m["name"] == "logistic_regression") CHECK(m["accuracy"].get<double>() > majority + 0.3);
  // Curves: 4 models x (2 seeds at 200 + the full set).
  CHECK(s["learning_curve"].size() == 12);
  CHECK(s["split"]["train"] == 3000);
  CHECK(dl::app::read_json_file(dir.file("out/examples.json"))["examples"].size() == 8);
  CHECK(std::filesystem::exists(dir.file("out/models/bert_finetuned/config.json")));

  const test::ProgramResult p = run_nlu("--predict 'a large cat with a mane' --json --out '" + dir.file("out") + "'");
  INFO(p.output);
  REQUIRE(p.exit_code == 0);
  const nlohmann::json j = nlohmann::json::parse(p.output);
  REQUIRE(j["models"].size() == 5);
  for (const auto& [name, top] : j["models"].items()) {
    REQUIRE(top.size() == 3);
    CHECK(top[0]["prob"].get<double>() >= top[1]["prob"].get<double>());
    CHECK(ch06::supersense_label(top[0]["label"].get<std::string>()) >= 0);
  }
}

TEST_CASE("nlu: --dump-features writes the svmlight features and needs no pretrained BERT", "[ch06][program]") {
  const test::TempDir dir;
  const auto r = run_nlu("--dump-features '" + dir.file("f") + "' --limit 500 --bert '" + dir.file("missing") + "'");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  std::ifstream train(dir.file("f/train.svm"));
  std::string line;
  int lines = 0;
  while (std::getline(train, line)) ++lines;
  CHECK(lines == 500);
  CHECK(dl::app::read_json_file(dir.file("f/summary.json"))["models"].size() == 2);
}

TEST_CASE("nlu: bad input ends with a clear message", "[ch06][program]") {
  const test::TempDir dir;
  auto r = run_nlu("--predict 'a dog' --out '" + dir.file("nothing") + "'");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("no saved models"));
  r = run_nlu("--models naive_bayes,bogus --out '" + dir.file("o") + "'");
  CHECK(r.exit_code == 2);
  r = run_nlu("--bert '" + dir.file("missing") + "' --out '" + dir.file("o") + "'");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("04-nlp/bert"));
  r = run_nlu("--models naive_bayes --data '" + dir.file("nowhere") + "' --out '" + dir.file("o") + "'");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("wordnet-base"));
  // A corrupt saved model: the path is named, nothing crashes.
  std::filesystem::create_directories(dir.file("bad/models"));
  std::ofstream(dir.file("bad/models/naive_bayes.safetensors")) << "not a safetensors file";
  r = run_nlu("--predict 'a dog' --models naive_bayes --out '" + dir.file("bad") + "'");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("naive_bayes.safetensors"));
}

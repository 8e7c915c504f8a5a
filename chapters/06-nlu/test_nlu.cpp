#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>

#include <dl/io.hpp>

#include "bag_of_words.hpp"
#include "class_lm.hpp"
#include "glosses.hpp"
#include "report.hpp"

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

TEST_CASE("class-conditional LM: learns classes that write with their own pieces; probabilities; save and load", "[ch06]") {
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

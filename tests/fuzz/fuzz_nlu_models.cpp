// Chapter 06's saved models, as `nlu --predict` reads them: any bytes as a safetensors file
// are refused with a dl::Error, or load into a model that scores a short gloss with one
// probability per supersense (for naive Bayes, finite and summing to 1). The readers:
// NaiveBayes::from_state, LogisticRegression::load_state_dict, ClassConditionalLM::load (which
// reads the file itself, metadata included) and BertClassifier::load_hf_state_dict.
#include <cmath>
#include <dl/error.hpp>
#include <dl/io.hpp>
#include <vector>

#include "bag_of_words.hpp"
#include "class_lm.hpp"
#include "encoder.hpp"
#include "fuzz_support.hpp"

namespace {

constexpr int kVocab = 16;  // the word pieces of the models built here

std::vector<ch06::Example> gloss() {
  ch06::Example e;
  e.gloss = "a small gloss";
  e.pieces = {1, 3, 5, 7};
  return {e};
}

void check_shape(const ch06::Probabilities& p) {
  fuzz::require(p.size() == ch06::kClasses, "one probability per supersense");
}

// A BERT small enough to build once; a load that fails halfway leaves it partly overwritten,
// which the next input may do again: only the reader's checks are under test.
ch06::BertClassifier& bert() {
  static ch06::BertClassifier model([] {
    ch04::BertConfig c;
    c.vocab_size = kVocab, c.hidden_size = 8, c.num_hidden_layers = 1, c.num_attention_heads = 2;
    c.intermediate_size = 16, c.max_position_embeddings = 8;
    return c;
  }());
  return model;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::as_file(data, size);
  const std::vector<ch06::Example> examples = gloss();
  dl::NamedTensors state;
  try {
    state = dl::load_safetensors(path);
  } catch (const dl::Error&) {
  }
  try {
    const ch06::NaiveBayes nb = ch06::NaiveBayes::from_state(state);
    const ch06::Probabilities p = nb.predict_proba(examples);
    check_shape(p);
    double sum = 0;
    for (double v : p) {
      fuzz::require(std::isfinite(v) && v >= 0 && v <= 1, "naive Bayes gives probabilities");
      sum += v;
    }
    fuzz::require(std::fabs(sum - 1) < 1e-6, "naive Bayes' probabilities sum to 1");
  } catch (const dl::Error&) {
  }
  try {
    ch06::LogisticRegression lr(kVocab);
    lr.load_state_dict(state);
    check_shape(lr.predict_proba(examples));
  } catch (const dl::Error&) {
  }
  try {
    const auto lm = ch06::ClassConditionalLM::load(path);
    fuzz::require(lm != nullptr, "a loaded model or an error");
    check_shape(lm->predict_proba(examples));  // pieces outside its vocabulary are a dl::Error
  } catch (const dl::Error&) {
  }
  try {
    bert().load_hf_state_dict(state);
    check_shape(ch06::predict_proba(bert(), examples, {.cls = 2, .sep = 3, .pad = 0}, 8));
  } catch (const dl::Error&) {
  }
  return 0;
}

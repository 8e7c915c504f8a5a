// Chapter 06: the Transformer encoder as a classifier, P(y|x) read off the [CLS] position:
// Hugging Face's BertForSequenceClassification. Trained from a random start ("from
// scratch") or from chapter 04's pretrained BERT ("fine-tuned"): the same architecture,
// the same data, only the starting weights differ.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include <dl/dl.hpp>

#include "bert.hpp"
#include "glosses.hpp"
#include "report.hpp"

namespace ch06 {

/// The special tokens an encoder's input needs, from the tokenizer.
struct SpecialIds {
  int cls = -1, sep = -1, pad = -1;
};

/// A padded batch for the encoder: [CLS] pieces [SEP], cut to `max_len`, ids and attention
/// mask B*T row-major.
struct EncoderBatch {
  std::vector<int> ids, mask, labels;
  int64_t batch = 0, steps = 0;
};
EncoderBatch encoder_batch(std::span<const Example* const> examples, const SpecialIds& specials, int64_t max_len);

// [classifier]
/// BERT with a classification head: the encoder (ch04::BertModel), the pooler (a dense layer
/// and tanh on the [CLS] position's last hidden state) and a linear layer to the 26 classes,
/// with dropout between. Parameters named as Hugging Face's BertForSequenceClassification.
class BertClassifier : public dl::nn::Module {
 public:
  BertClassifier(const ch04::BertConfig& config, dl::Generator& gen = dl::default_generator());
  /// The class logits of a batch: (B, kClasses).
  dl::Tensor forward(const EncoderBatch& batch);
  std::string type_name() const override { return "BertClassifier"; }

  /// Copies the encoder's weights from a BertForMaskedLM checkpoint (chapter 04's hf/
  /// model.safetensors, Hugging Face's names); its masked-LM head is not used, the pooler and
  /// classifier keep their random start (as `from_pretrained` does). Throws dl::Error naming
  /// a missing or misshapen tensor.
  void load_pretrained_encoder(const dl::NamedTensors& mlm_state);
  /// The parameters under Hugging Face's names of BertForSequenceClassification.
  dl::NamedTensors hf_state_dict() const;
  /// Loads `hf_state_dict()`'s tensors; throws dl::Error naming a missing, misshapen or
  /// unexpected one.
  void load_hf_state_dict(const dl::NamedTensors& state);
  /// Hugging Face's config.json of BertForSequenceClassification with the supersenses as labels.
  nlohmann::json config_json() const;

  ch04::BertConfig config;
  ch04::BertModel bert;
  dl::nn::Linear pooler;      ///< bert.pooler.dense (E, E)
  dl::nn::Linear classifier;  ///< classifier (K, E)

 private:
  dl::Generator* gen_;
};
// [classifier]

/// Settings of `fine_tune`.
struct FineTuneOptions {
  int epochs = 3;              ///< passes over the training set
  int64_t min_steps = 300;     ///< at least this many steps (small training sets take more passes)
  int64_t batch = 32;          ///< glosses per step
  int64_t max_len = 64;        ///< tokens per gloss at most, [CLS] and [SEP] included
  float lr = 1e-4f;            ///< AdamW's peak step size (linear warm-up over 10%, then linear decay to 0)
  float weight_decay = 0.01f;  ///< on the weight matrices only
  float clip = 1.0f;           ///< largest gradient norm
};

/// Called every few steps while training: step, steps in all, mean loss since the last call.
using StepCallback = std::function<void(int64_t step, int64_t steps, double loss)>;

/// Trains `model` on `train` with cross-entropy (dropout as the config says); batches are
/// drawn from glosses of similar length, so little of each batch is padding. Returns the
/// number of steps taken.
int64_t fine_tune(BertClassifier& model, std::span<const Example> train, const SpecialIds& specials,
                  const FineTuneOptions& options, uint64_t seed, const StepCallback& on_step = {});

/// P(y|x) of each example, in evaluation mode.
Probabilities predict_proba(BertClassifier& model, std::span<const Example> examples, const SpecialIds& specials,
                            int64_t max_len);

}  // namespace ch06

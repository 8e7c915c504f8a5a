// Chapter 06: the seed's formula for understanding as generation, P(x|y) = prod_t P(x_t | x_<t, y),
// made into a classifier. One language model reads every gloss; its first token is the class,
// so the same network writes like noun.animal after the token <noun.animal> and like noun.time
// after <noun.time>. Bayes' rule then picks argmax_y log P(x|y) + log P(y). Unlike naive Bayes
// (chapter 06's other generative model) the probability of each piece depends on the pieces
// before it, so "a small furry animal" and "an animal's small fur" are different evidence.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <dl/dl.hpp>

#include "glosses.hpp"
#include "report.hpp"

namespace ch06 {

/// Settings of the class-conditional language model: its size (saved with it) and its training.
///
/// The defaults fit the budget (2 threads: about 45 s of training on the full 65,649 glosses,
/// 700 steps = 0.7 epoch; scoring about 5 s per 1,000 glosses x 26 classes). Chosen on 1,000
/// validation glosses (full training set, 700 steps unless said):
///   cap 3000, E 64, H 256: 0.15 s a step and 39 s to score 1,000 glosses, far over budget;
///   cap 1000, E 32, H 64, class as first token only:        accuracy 0.215 (majority 0.2);
///   the same with the class embedding added at every step:   accuracy 0.279 (these defaults).
/// The model is small and under-trained for want of time, and pieces outside the 1,000 most
/// frequent (most content words) all read as one rare piece: far below naive Bayes (0.72).
struct ClassLMOptions {
  // The model (saved with it).
  int vocab_cap = 1000;         ///< the most frequent training pieces kept; the others share one "rare piece" id
  int64_t embedding_dim = 32;   ///< E
  int64_t hidden_size = 64;     ///< H of the one LSTM layer
  int max_pieces = 64;          ///< longer glosses are cut (training and scoring alike)
  /// The class token's embedding is also added to every input, not only read first.
  bool class_every_step = true;
  // Training.
  float dropout = 0.1f;         ///< on the embeddings and on the LSTM's outputs
  /// The number of steps: epochs * n / batch, then held within [min_steps, max_steps]. Small
  /// sets get min_steps (many passes, a model worth scoring), the full set max_steps (the
  /// time budget).
  double epochs = 3;
  int64_t min_steps = 200, max_steps = 700;
  int64_t batch = 64;           ///< glosses per step
  float lr = 3e-3f;             ///< AdamW's step size, cosine-annealed to 0
  float weight_decay = 0.01f;   ///< AdamW's decoupled decay
  float clip = 1.0f;            ///< gradient-norm clipping
  int64_t score_batch = 32;     ///< glosses per scoring forward (x 26 sequences)
};

/// What `fit` reports now and then (about 10 times per run): the step (1-based), the total,
/// and the mean training loss in nats per token since the previous report.
using ClassLMProgress = std::function<void(int64_t step, int64_t total, double loss)>;

// [class-lm]
/// A language model whose first token is the class: embedding -> LSTM -> linear scores over
/// the vocabulary (the kept pieces, the rare piece and the end of the gloss). Reading
/// <y> x_1 ... x_T it predicts x_1 ... x_T <end>; log P(x|y) is the sum of the
/// log-probabilities of those T + 1 tokens.
class ClassConditionalLM : public dl::nn::Module {
 public:
  /// Input ids: 0..25 the class tokens, then kPieceBase + an output id.
  static constexpr int kPieceBase = kClasses;
  /// Output ids: the end of the gloss, the shared rare piece, then the kept pieces.
  static constexpr int kEnd = 0, kRare = 1, kFirstKept = 2;

  /// Builds the vocabulary (the `options.vocab_cap` pieces most frequent in `train`) and the
  /// log prior (the class frequencies of `train`, add-one smoothed so that no class is
  /// impossible), and initialises the weights from `seed`. `vocab_size` is the tokenizer's
  /// (bert-base-uncased: 30,522): piece ids must lie in [0, vocab_size). Throws dl::Error for
  /// an empty `train`, a label outside 0..25, a piece out of range or a non-positive size.
  ClassConditionalLM(int vocab_size, std::span<const Example> train, const ClassLMOptions& options = {},
                     uint64_t seed = 0);

  /// Teacher forcing: cross-entropy over every position including <end>, AdamW, the
  /// cosine schedule, gradient clipping; batches of similar lengths. Returns the mean training
  /// loss (nats per token) of the last tenth of the steps.
  double fit(std::span<const Example> train, uint64_t seed, const ClassLMProgress& progress = {});

  /// The number of steps `fit` takes on `n` glosses with these options.
  static int64_t steps_for(int64_t n, const ClassLMOptions& options);

  /// Scores of the next token: `inputs` (T, B) input ids -> (T * B, outputs) logits, row t * B + b.
  dl::Tensor forward(std::span<const int> inputs, int64_t steps, int64_t batch);

  /// The output ids of a gloss's pieces (cut at max_pieces), without <end>. Throws dl::Error
  /// for a piece outside [0, vocab_size).
  std::vector<int> encode(std::span<const int> pieces) const;

  /// log P(x | y) of each example under each class: n x 26, row-major. For B glosses at a
  /// time, 26 B sequences (each gloss once per class token) go through one forward.
  std::vector<double> log_likelihoods(std::span<const Example> examples);
  /// P(y | x) = softmax over y of log P(x|y) + log P(y).
  Probabilities predict_proba(std::span<const Example> examples);

  /// One file (safetensors): the weights, "log_prior" (26), "pieces" (the kept word-piece
  /// ids, most frequent first), the sizes as metadata.
  void save(const std::string& path) const;
  /// Reads `save`'s file; throws dl::FileError naming the path for a missing, corrupt or
  /// mismatched file.
  static std::unique_ptr<ClassConditionalLM> load(const std::string& path);

  std::string type_name() const override { return "ClassConditionalLM"; }
  const ClassLMOptions& options() const { return options_; }
  const std::vector<double>& log_prior() const { return log_prior_; }
  int outputs() const { return static_cast<int>(kept_.size()) + kFirstKept; }

 private:
  // The kept pieces and the log prior.
  using Counted = std::pair<std::vector<int>, std::vector<double>>;
  ClassConditionalLM(int vocab_size, Counted counted, const ClassLMOptions& options, uint64_t seed);
  // The (T, B) inputs and targets of `sequences` (output ids) read after class tokens `classes`.
  // The (T, B, E) embedded inputs (class added at every step with class_every_step).
  dl::Tensor inputs_embedded(std::span<const int> inputs, int64_t steps, int64_t batch);
  static int64_t layout(const std::vector<const std::vector<int>*>& sequences, std::span<const int> classes,
                        std::vector<int>& inputs, std::vector<int>& targets);

  int vocab_size_;
  ClassLMOptions options_;
  std::vector<int> kept_;           // output id - kFirstKept -> word-piece id
  std::vector<int> compact_;        // word-piece id -> output id
  std::vector<double> log_prior_;   // 26
  dl::Generator gen_;               // initial weights and dropout masks

 public:
  dl::nn::Embedding embed;
  dl::nn::Dropout drop;
  dl::nn::LSTM lstm;
  dl::nn::Linear head;
};
// [class-lm]

}  // namespace ch06

// Chapter 06: the two models that read a gloss as a bag of word pieces, ignoring their
// order. Naive Bayes is generative (it models how each supersense writes, P(x|y)), logistic
// regression discriminative (it models P(y|x) directly); they see the same features.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <dl/dl.hpp>

#include "glosses.hpp"
#include "report.hpp"

namespace ch06 {

/// The baseline: always the most common supersense of the training set, with the training
/// set's class frequencies as its probabilities.
class MajorityClass {
 public:
  void fit(std::span<const Example> train);
  Probabilities predict_proba(std::span<const Example> examples) const;
  int majority() const { return majority_; }

 private:
  std::vector<double> prior_ = std::vector<double>(kClasses, 1.0 / kClasses);
  int majority_ = 0;
};

// [naive-bayes]
/// Multinomial naive Bayes: each supersense y is a bag of word pieces with its own
/// frequencies, P(x|y) = prod_t P(x_t|y), the seed's P(x|y) with no context.
/// P(v|y) = (count(v, y) + alpha) / (count(y) + alpha V), add-alpha (Laplace) smoothing, so
/// a piece never seen with y is unlikely, not impossible. Scikit-learn's MultinomialNB.
class NaiveBayes {
 public:
  /// `vocab_size` word pieces; `alpha` > 0 (throws dl::Error otherwise).
  explicit NaiveBayes(int vocab_size, double alpha = 1.0);
  /// Counts the pieces of each class and the classes.
  void fit(std::span<const Example> train);
  /// log P(y) + sum_t log P(x_t | y) for each class y (Bayes' rule up to the normaliser
  /// log P(x), which is the same for every class).
  std::vector<double> log_joint(std::span<const int> pieces) const;
  /// P(y | x) for each example: the log joints normalised.
  Probabilities predict_proba(std::span<const Example> examples) const;

  /// The parameters as tensors: "log_prior" (K) and "log_likelihood" (K, V).
  dl::NamedTensors state() const;
  /// From `state()`'s tensors; throws dl::Error for a missing or misshapen one, or one
  /// holding NaN or an infinity.
  static NaiveBayes from_state(const dl::NamedTensors& state);

 private:
  int vocab_size_;
  double alpha_;
  std::vector<double> log_prior_;       // K
  std::vector<double> log_likelihood_;  // K x V, row-major
};
// [naive-bayes]

/// Settings of `LogisticRegression::fit`.
struct LogisticRegressionOptions {
  double c = 1.0;         ///< inverse strength of the L2 penalty (scikit-learn's C)
  int epochs = 8;         ///< passes over the training set
  int64_t min_steps = 200;  ///< at least this many steps (a small training set takes more passes)
  int64_t batch = 256;    ///< glosses per step
  float lr = 0.05f;       ///< Adam's step size, cosine-annealed to 0
};

// [logistic-regression]
/// Multinomial logistic regression over the counts of word pieces: logits = counts W + b,
/// P(y|x) = softmax(logits). Counts times W is the sum of W's rows of the gloss's pieces,
/// so W is an embedding table of K-wide rows (row 0, [PAD], stays 0) and no V-wide count
/// vector is ever formed. Trained to minimise scikit-learn's objective divided by n:
/// the mean cross-entropy + ||W||^2 / (2 C n).
class LogisticRegression : public dl::nn::Module {
 public:
  explicit LogisticRegression(int vocab_size);
  /// The logits of a batch of glosses: (B, K).
  dl::Tensor forward(std::span<const Example* const> batch);
  /// Adam on shuffled batches with `seed`; returns the final epoch's mean training loss.
  double fit(std::span<const Example> train, const LogisticRegressionOptions& options, uint64_t seed);
  Probabilities predict_proba(std::span<const Example> examples);
  std::string type_name() const override { return "LogisticRegression"; }

  dl::nn::Embedding weight;  ///< (V, K)
  dl::Tensor bias;           ///< (K)
};
// [logistic-regression]

}  // namespace ch06

#include "bag_of_words.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ch06 {

void MajorityClass::fit(std::span<const Example> train) {
  std::vector<double> counts(kClasses, 0.0);
  for (const Example& e : train) counts[static_cast<size_t>(e.label)] += 1;
  const double n = std::max<double>(1, static_cast<double>(train.size()));
  for (int c = 0; c < kClasses; ++c) prior_[static_cast<size_t>(c)] = counts[static_cast<size_t>(c)] / n;
  majority_ = static_cast<int>(std::max_element(counts.begin(), counts.end()) - counts.begin());
}

Probabilities MajorityClass::predict_proba(std::span<const Example> examples) const {
  Probabilities probs;
  probs.reserve(examples.size() * kClasses);
  for (size_t i = 0; i < examples.size(); ++i) probs.insert(probs.end(), prior_.begin(), prior_.end());
  return probs;
}

NaiveBayes::NaiveBayes(int vocab_size, double alpha)
    : vocab_size_(vocab_size), alpha_(alpha), log_prior_(kClasses, 0.0),
      log_likelihood_(static_cast<size_t>(kClasses) * static_cast<size_t>(std::max(vocab_size, 0)), 0.0) {
  if (vocab_size < 1) throw dl::Error("NaiveBayes: the vocabulary must hold at least one piece");
  if (!(alpha > 0)) throw dl::Error("NaiveBayes: alpha must be positive, not " + std::to_string(alpha));
}

// [naive-bayes-fit]
void NaiveBayes::fit(std::span<const Example> train) {
  const size_t v = static_cast<size_t>(vocab_size_);
  std::vector<double> count(kClasses * v, 0.0), total(kClasses, 0.0), documents(kClasses, 0.0);
  for (const Example& e : train) {
    const size_t y = static_cast<size_t>(e.label);
    documents[y] += 1;
    for (int piece : e.pieces) {
      if (piece < 0 || piece >= vocab_size_)
        throw dl::Error("NaiveBayes: piece id " + std::to_string(piece) + " outside the vocabulary");
      count[y * v + static_cast<size_t>(piece)] += 1, total[y] += 1;
    }
  }
  for (size_t y = 0; y < kClasses; ++y) {
    // A class absent from the training set gets probability 0: log 0 = -inf, never chosen.
    log_prior_[y] = std::log(documents[y] / static_cast<double>(train.size()));
    const double denominator = std::log(total[y] + alpha_ * static_cast<double>(v));
    for (size_t p = 0; p < v; ++p) log_likelihood_[y * v + p] = std::log(count[y * v + p] + alpha_) - denominator;
  }
}
// [naive-bayes-fit]

std::vector<double> NaiveBayes::log_joint(std::span<const int> pieces) const {
  const size_t v = static_cast<size_t>(vocab_size_);
  std::vector<double> score(log_prior_);
  for (int piece : pieces) {
    if (piece < 0 || piece >= vocab_size_) continue;  // a piece this model never had a slot for
    for (size_t y = 0; y < kClasses; ++y) score[y] += log_likelihood_[y * v + static_cast<size_t>(piece)];
  }
  return score;
}

Probabilities NaiveBayes::predict_proba(std::span<const Example> examples) const {
  std::vector<double> scores;
  scores.reserve(examples.size() * kClasses);
  for (const Example& e : examples) {
    const std::vector<double> s = log_joint(e.pieces);
    scores.insert(scores.end(), s.begin(), s.end());
  }
  return softmax_rows(scores);
}

dl::NamedTensors NaiveBayes::state() const {
  std::vector<float> prior(log_prior_.begin(), log_prior_.end());
  std::vector<float> likelihood(log_likelihood_.begin(), log_likelihood_.end());
  for (float& p : prior) p = std::max(p, -1e30f);  // -inf (an absent class) as a very large negative number
  return {{"log_prior", dl::Tensor::from_data({kClasses}, prior)},
          {"log_likelihood", dl::Tensor::from_data({kClasses, vocab_size_}, likelihood)}};
}

NaiveBayes NaiveBayes::from_state(const dl::NamedTensors& state) {
  const auto find = [&](const std::string& name) -> const dl::Tensor& {
    for (const auto& [n, t] : state)
      if (n == name) return t;
    throw dl::Error("naive Bayes: no tensor '" + name + "' in the saved model");
  };
  const dl::Tensor& prior = find("log_prior");
  const dl::Tensor& likelihood = find("log_likelihood");
  if (prior.dim() != 1 || prior.size(0) != kClasses || likelihood.dim() != 2 || likelihood.size(0) != kClasses ||
      likelihood.size(1) < 1 || likelihood.size(1) > (int64_t{1} << 24))
    throw dl::Error("naive Bayes: the saved tensors have the wrong shapes");
  for (const dl::Tensor* t : {&prior, &likelihood})
    if (!std::all_of(t->data(), t->data() + t->numel(), [](float v) { return std::isfinite(v); }))
      throw dl::NonFiniteError("naive Bayes: the saved log-probabilities hold NaN or an infinity (a corrupt file)");
  NaiveBayes nb(static_cast<int>(likelihood.size(1)));
  nb.log_prior_.assign(prior.data(), prior.data() + kClasses);
  nb.log_likelihood_.assign(likelihood.data(), likelihood.data() + likelihood.numel());
  return nb;
}

LogisticRegression::LogisticRegression(int vocab_size)
    : weight(vocab_size, kClasses, /*padding_idx=*/0), bias(dl::Tensor::zeros({kClasses})) {
  std::fill(weight.weight.data(), weight.weight.data() + weight.weight.numel(), 0.0f);  // the convex problem starts at 0
  register_module("weight", weight);
  bias = register_parameter("bias", bias);
}

dl::Tensor LogisticRegression::forward(std::span<const Example* const> batch) {
  size_t steps = 1;
  for (const Example* e : batch) steps = std::max(steps, e->pieces.size());
  std::vector<int> ids(batch.size() * steps, 0);  // [PAD] = 0 adds row 0, which stays 0
  for (size_t b = 0; b < batch.size(); ++b)
    std::copy(batch[b]->pieces.begin(), batch[b]->pieces.end(), ids.begin() + static_cast<int64_t>(b * steps));
  const int64_t n = static_cast<int64_t>(batch.size());
  const dl::Tensor rows = weight(ids, {n, static_cast<int64_t>(steps)});  // (B, T, K)
  return dl::sum(rows, 1) + bias;                                           // (B, K)
}

double LogisticRegression::fit(std::span<const Example> train, const LogisticRegressionOptions& o, uint64_t seed) {
  if (train.empty()) throw dl::Error("logistic regression: no training examples");
  dl::Generator gen(seed);
  std::vector<int64_t> order(train.size());
  std::iota(order.begin(), order.end(), 0);
  dl::optim::Adam optimizer(parameters(), {.lr = o.lr});
  const int64_t steps_per_epoch = (static_cast<int64_t>(train.size()) + o.batch - 1) / o.batch;
  const int64_t epochs = std::max<int64_t>(o.epochs, (o.min_steps + steps_per_epoch - 1) / steps_per_epoch);
  const int64_t total = steps_per_epoch * epochs;
  // [logistic-regression-step]
  const float penalty = static_cast<float>(0.5 / (o.c * static_cast<double>(train.size())));
  double epoch_loss = 0;
  int64_t step = 0;
  for (int64_t epoch = 0; epoch < epochs; ++epoch) {
    gen.shuffle(order);
    epoch_loss = 0;
    for (int64_t start = 0; start < static_cast<int64_t>(order.size()); start += o.batch) {
      std::vector<const Example*> batch;
      std::vector<int> labels;
      for (int64_t i = start; i < std::min<int64_t>(start + o.batch, static_cast<int64_t>(order.size())); ++i)
        batch.push_back(&train[static_cast<size_t>(order[static_cast<size_t>(i)])]),
            labels.push_back(batch.back()->label);
      optimizer.set_lr(dl::optim::cosine_lr(step++, total, o.lr));
      optimizer.zero_grad();
      const dl::Tensor ce = dl::cross_entropy(forward(batch), labels);
      const dl::Tensor loss = ce + penalty * dl::sum(weight.weight * weight.weight);
      loss.backward();
      optimizer.step();
      epoch_loss += static_cast<double>(ce.item()) * static_cast<double>(batch.size());
    }
  }
  // [logistic-regression-step]
  return epoch_loss / static_cast<double>(train.size());
}

Probabilities LogisticRegression::predict_proba(std::span<const Example> examples) {
  dl::no_grad guard;
  Probabilities probs;
  probs.reserve(examples.size() * kClasses);
  for (size_t start = 0; start < examples.size(); start += 1024) {
    std::vector<const Example*> batch;
    for (size_t i = start; i < std::min(examples.size(), start + 1024); ++i) batch.push_back(&examples[i]);
    const dl::Tensor p = dl::softmax(forward(batch), -1);
    probs.insert(probs.end(), p.data(), p.data() + p.numel());
  }
  return probs;
}

}  // namespace ch06

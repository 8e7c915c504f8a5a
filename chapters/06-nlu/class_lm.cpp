// Chapter 06: the class-conditional language model: vocabulary, training, scoring over all
// classes at once, and its file.
#include "class_lm.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include <dl/eigen.hpp>
#include <dl/io.hpp>

namespace ch06 {

namespace {

void check_examples(std::span<const Example> examples, int vocab_size, const char* what) {
  for (const Example& e : examples) {
    if (e.label < 0 || e.label >= kClasses)
      throw dl::Error(std::string("class-conditional LM: ") + what + " gloss " + std::to_string(e.offset) +
                      " has label " + std::to_string(e.label) + ", outside 0.." + std::to_string(kClasses - 1));
    for (int p : e.pieces)
      if (p < 0 || p >= vocab_size)
        throw dl::Error(std::string("class-conditional LM: ") + what + " gloss " + std::to_string(e.offset) +
                        " has word piece " + std::to_string(p) + ", outside [0, " + std::to_string(vocab_size) + ")");
  }
}

// The `cap` pieces most frequent in `train`, most frequent first (ties: the smaller id), and
// the add-one smoothed log class frequencies.
std::pair<std::vector<int>, std::vector<double>> count_train(int vocab_size, std::span<const Example> train, int cap) {
  std::vector<int64_t> piece_counts(static_cast<size_t>(vocab_size), 0);
  std::vector<double> class_counts(kClasses, 1.0);
  for (const Example& e : train) {
    class_counts[static_cast<size_t>(e.label)] += 1;
    for (int p : e.pieces) ++piece_counts[static_cast<size_t>(p)];
  }
  std::vector<int> kept;
  for (int p = 0; p < vocab_size; ++p)
    if (piece_counts[static_cast<size_t>(p)] > 0) kept.push_back(p);
  std::stable_sort(kept.begin(), kept.end(), [&](int a, int b) {
    return piece_counts[static_cast<size_t>(a)] > piece_counts[static_cast<size_t>(b)];
  });
  if (static_cast<int64_t>(kept.size()) > cap) kept.resize(static_cast<size_t>(cap));
  const double total = std::accumulate(class_counts.begin(), class_counts.end(), 0.0);
  std::vector<double> log_prior;
  for (double c : class_counts) log_prior.push_back(std::log(c / total));
  return {kept, log_prior};
}

void check_options(const ClassLMOptions& o) {
  if (o.vocab_cap < 1 || o.embedding_dim < 1 || o.hidden_size < 1 || o.max_pieces < 1 || o.batch < 1 ||
      o.score_batch < 1 || o.min_steps < 1 || o.max_steps < o.min_steps || !(o.epochs > 0) || !(o.lr > 0) ||
      !(o.dropout >= 0 && o.dropout < 1))
    throw dl::Error("class-conditional LM: the sizes, steps, epochs and learning rate must be positive, "
                    "max_steps >= min_steps and dropout in [0, 1)");
}

}  // namespace

ClassConditionalLM::ClassConditionalLM(int vocab_size, std::span<const Example> train, const ClassLMOptions& options,
                                       uint64_t seed)
    : ClassConditionalLM(vocab_size,
                         [&] {
                           if (train.empty()) throw dl::Error("class-conditional LM: no training examples");
                           if (vocab_size < 1) throw dl::Error("class-conditional LM: the vocabulary size must be positive");
                           check_options(options);
                           check_examples(train, vocab_size, "training");
                           return count_train(vocab_size, train, options.vocab_cap);
                         }(),
                         options, seed) {}

ClassConditionalLM::ClassConditionalLM(int vocab_size, Counted counted, const ClassLMOptions& options, uint64_t seed)
    : vocab_size_(vocab_size),
      options_(options),
      kept_(std::move(counted.first)),
      compact_(static_cast<size_t>(vocab_size), kRare),
      log_prior_(std::move(counted.second)),
      gen_(seed),
      embed(kPieceBase + kFirstKept + static_cast<int64_t>(kept_.size()), options.embedding_dim, -1, gen_),
      drop(options.dropout, gen_),
      lstm(options.embedding_dim, options.hidden_size, {}, gen_),
      head(options.hidden_size, kFirstKept + static_cast<int64_t>(kept_.size()), true, gen_) {
  for (size_t i = 0; i < kept_.size(); ++i) compact_[static_cast<size_t>(kept_[i])] = kFirstKept + static_cast<int>(i);
  // N(0, 1) rows (PyTorch's default) feed the LSTM inputs far larger than its U(±1/sqrt(H))
  // weights expect; rows of size ~0.1 train faster here.
  for (float* w = embed.weight.data(), *end = w + embed.weight.numel(); w != end; ++w) *w *= 0.1f;
  register_module("embed", embed);
  register_module("drop", drop);
  register_module("lstm", lstm);
  register_module("head", head);
}

std::vector<int> ClassConditionalLM::encode(std::span<const int> pieces) const {
  const size_t n = std::min(pieces.size(), static_cast<size_t>(options_.max_pieces));
  std::vector<int> ids(n);
  for (size_t i = 0; i < n; ++i) {
    const int p = pieces[i];
    if (p < 0 || p >= vocab_size_)
      throw dl::Error("class-conditional LM: word piece " + std::to_string(p) + " outside [0, " +
                      std::to_string(vocab_size_) + ")");
    ids[i] = compact_[static_cast<size_t>(p)];
  }
  return ids;
}

int64_t ClassConditionalLM::steps_for(int64_t n, const ClassLMOptions& o) {
  const auto by_epochs = static_cast<int64_t>(std::ceil(o.epochs * static_cast<double>(n) / static_cast<double>(o.batch)));
  return std::clamp(by_epochs, o.min_steps, o.max_steps);
}

// [class-lm-layout]
int64_t ClassConditionalLM::layout(const std::vector<const std::vector<int>*>& sequences, std::span<const int> classes,
                                   std::vector<int>& inputs, std::vector<int>& targets) {
  size_t longest = 0;
  for (const std::vector<int>* s : sequences) longest = std::max(longest, s->size());
  const int64_t steps = static_cast<int64_t>(longest) + 1, batch = static_cast<int64_t>(sequences.size());
  // Column b reads <y_b> x_1 .. x_T and is asked for x_1 .. x_T <end>; after that the input is
  // <end> (anything would do: nothing later is counted) and the target -100, ignored.
  inputs.assign(static_cast<size_t>(steps * batch), kPieceBase + kEnd);
  targets.assign(inputs.size(), -100);
  for (int64_t b = 0; b < batch; ++b) {
    const std::vector<int>& s = *sequences[static_cast<size_t>(b)];
    inputs[static_cast<size_t>(b)] = classes[static_cast<size_t>(b)];
    for (size_t t = 0; t < s.size(); ++t) {
      inputs[static_cast<size_t>((static_cast<int64_t>(t) + 1) * batch + b)] = kPieceBase + s[t];
      targets[static_cast<size_t>(static_cast<int64_t>(t) * batch + b)] = s[t];
    }
    targets[static_cast<size_t>(static_cast<int64_t>(s.size()) * batch + b)] = kEnd;
  }
  return steps;
}
// [class-lm-layout]

dl::Tensor ClassConditionalLM::inputs_embedded(std::span<const int> inputs, int64_t steps, int64_t batch) {
  dl::Tensor x = embed(inputs, {steps, batch});  // (T, B, E)
  if (options_.class_every_step) {
    // Row 0 holds each column's class token; its embedding is added at every step too, so
    // the class need not survive in the LSTM's memory to the end of the gloss.
    std::vector<int> classes(inputs.size());
    for (size_t i = 0; i < classes.size(); ++i) classes[i] = inputs[i % static_cast<size_t>(batch)];
    x = x + embed(classes, {steps, batch});
  }
  return x;
}

dl::Tensor ClassConditionalLM::forward(std::span<const int> inputs, int64_t steps, int64_t batch) {
  const dl::Tensor x = drop(inputs_embedded(inputs, steps, batch));  // (T, B, E)
  const dl::Tensor h = drop(lstm.forward(x).output);         // (T, B, H)
  return head(h.reshape({steps * batch, options_.hidden_size}));
}

double ClassConditionalLM::fit(std::span<const Example> train, uint64_t seed, const ClassLMProgress& progress) {
  if (train.empty()) throw dl::Error("class-conditional LM: no training examples");
  check_examples(train, vocab_size_, "training");
  std::vector<std::vector<int>> encoded;
  std::vector<int> labels;
  for (const Example& e : train) encoded.push_back(encode(e.pieces)), labels.push_back(e.label);

  const int64_t total = steps_for(static_cast<int64_t>(train.size()), options_);
  const int64_t batch = std::min<int64_t>(options_.batch, static_cast<int64_t>(train.size()));
  dl::Generator gen(seed);
  dl::optim::AdamW optimizer(parameters(), {.lr = options_.lr, .weight_decay = options_.weight_decay});
  this->train();

  // Batches of glosses of similar lengths (pools of 32 batches): less padding. Taken from the back.
  std::vector<size_t> lengths;
  for (const auto& e : encoded) lengths.push_back(e.size());
  std::vector<std::vector<int64_t>> batches;
  const auto refill = [&] { batches = length_batches(lengths, batch, 32, /*keep_partial=*/false, gen); };

  // [class-lm-step]
  std::vector<int> inputs, targets, classes;
  double report_loss = 0, tail_loss = 0;
  int64_t report_steps = 0, tail_steps = 0;
  const int64_t every = std::max<int64_t>(1, total / 10);
  for (int64_t step = 0; step < total; ++step) {
    if (batches.empty()) refill();
    const std::vector<int64_t> chosen = std::move(batches.back());
    batches.pop_back();
    std::vector<const std::vector<int>*> sequences;
    classes.clear();
    for (int64_t i : chosen)
      sequences.push_back(&encoded[static_cast<size_t>(i)]), classes.push_back(labels[static_cast<size_t>(i)]);
    const int64_t steps = layout(sequences, classes, inputs, targets);

    optimizer.set_lr(dl::optim::cosine_lr(step, total, options_.lr));
    optimizer.zero_grad();
    const dl::Tensor loss = dl::cross_entropy(forward(inputs, steps, batch), targets, {.ignore_index = -100});
    loss.backward();
    dl::optim::clip_grad_norm(parameters(), options_.clip);
    optimizer.step();
    // [class-lm-step]

    const double value = loss.item();
    if (!std::isfinite(value))
      throw dl::NonFiniteError("class-conditional LM: the loss became " + std::to_string(value) + " at step " +
                               std::to_string(step + 1));
    report_loss += value, ++report_steps;
    if (step >= total - std::max<int64_t>(1, total / 10)) tail_loss += value, ++tail_steps;
    if (progress && ((step + 1) % every == 0 || step + 1 == total)) {
      progress(step + 1, total, report_loss / static_cast<double>(report_steps));
      report_loss = 0, report_steps = 0;
    }
  }
  this->eval();
  return tail_loss / static_cast<double>(std::max<int64_t>(1, tail_steps));
}

// [class-lm-score]
std::vector<double> ClassConditionalLM::log_likelihoods(std::span<const Example> examples) {
  check_examples(examples, vocab_size_, "scored");
  dl::no_grad guard;
  const bool was_training = is_training();
  eval();
  std::vector<std::vector<int>> encoded;
  for (const Example& e : examples) encoded.push_back(encode(e.pieces));
  // Glosses of similar lengths together: less padding.
  std::vector<size_t> order(examples.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return encoded[a].size() < encoded[b].size(); });

  std::vector<double> scores(examples.size() * kClasses, 0.0);
  std::vector<int> inputs, targets, classes;
  const int64_t outputs = this->outputs(), hidden_size = options_.hidden_size;
  constexpr int64_t kChunk = 1024;
  for (size_t start = 0; start < order.size(); start += static_cast<size_t>(options_.score_batch)) {
    const size_t end = std::min(order.size(), start + static_cast<size_t>(options_.score_batch));
    // Column y * B + b: gloss b read after class token y.
    std::vector<const std::vector<int>*> sequences;
    classes.clear();
    for (int y = 0; y < kClasses; ++y)
      for (size_t i = start; i < end; ++i) sequences.push_back(&encoded[order[i]]), classes.push_back(y);
    const int64_t steps = layout(sequences, classes, inputs, targets);
    const int64_t columns = static_cast<int64_t>(sequences.size()), glosses = static_cast<int64_t>(end - start);
    const dl::Tensor hidden = lstm.forward(inputs_embedded(inputs, steps, columns)).output;  // (T, 26B, H)
    // Only log P(actual next token) is needed, one number per position: the head and the
    // logsumexp run on chunks of rows (same-sized buffers the allocator hands out again)
    // with Eigen's vectorised exp, instead of materialising and normalising all T x 26B x V
    // scores at once (most of the time went to fresh pages and scalar exp).
    const dl::Tensor rows = hidden.reshape({steps * columns, hidden_size});
    for (int64_t first = 0; first < steps * columns; first += kChunk) {
      const int64_t last = std::min(steps * columns, first + kChunk);
      const dl::Tensor logits = head(dl::slice(rows, 0, first, last));  // (rows, V)
      for (int64_t row = first; row < last; ++row) {
        const int target = targets[static_cast<size_t>(row)];
        if (target < 0) continue;  // padding
        const Eigen::Map<const Eigen::ArrayXf> z(logits.data() + (row - first) * outputs, outputs);
        const float top = z.maxCoeff();
        const double log_norm = static_cast<double>(top) + std::log(static_cast<double>((z - top).exp().sum()));
        const int64_t c = row % columns;
        const size_t gloss = order[start + static_cast<size_t>(c % glosses)];
        scores[gloss * kClasses + static_cast<size_t>(c / glosses)] += static_cast<double>(z(target)) - log_norm;
      }
    }
  }
  train(was_training);
  return scores;
}
// [class-lm-score]

Probabilities ClassConditionalLM::predict_proba(std::span<const Example> examples) {
  std::vector<double> scores = log_likelihoods(examples);
  for (size_t i = 0; i < scores.size(); ++i) scores[i] += log_prior_[i % kClasses];
  return softmax_rows(scores);
}

void ClassConditionalLM::save(const std::string& path) const {
  dl::NamedTensors tensors = state_dict();
  const std::vector<float> prior(log_prior_.begin(), log_prior_.end());
  // Word-piece ids (< 2^24) are exact in float.
  const std::vector<float> pieces(kept_.begin(), kept_.end());
  tensors.emplace_back("log_prior", dl::Tensor::from_data({kClasses}, prior));
  tensors.emplace_back("pieces", dl::Tensor::from_data({static_cast<int64_t>(pieces.size())}, pieces));
  dl::save_safetensors(path, tensors,
                       {{"type", "ClassConditionalLM"},
                        {"vocab_size", std::to_string(vocab_size_)},
                        {"embedding_dim", std::to_string(options_.embedding_dim)},
                        {"hidden_size", std::to_string(options_.hidden_size)},
                        {"max_pieces", std::to_string(options_.max_pieces)},
                        {"class_every_step", options_.class_every_step ? "1" : "0"}});
}

std::unique_ptr<ClassConditionalLM> ClassConditionalLM::load(const std::string& path) {
  std::map<std::string, std::string> meta;
  dl::NamedTensors tensors = dl::load_safetensors(path, &meta);
  const auto fail = [&](const std::string& what) {
    return dl::FileError(path + ": " + what + " (expected a class-conditional language model saved by nlu)");
  };
  const auto number = [&](const std::string& key, int64_t lo, int64_t hi) {
    const auto it = meta.find(key);
    if (it == meta.end()) throw fail("no '" + key + "' in the metadata");
    try {
      size_t used = 0;
      const long long v = std::stoll(it->second, &used);
      if (used == it->second.size() && v >= lo && v <= hi) return static_cast<int64_t>(v);
    } catch (const std::exception&) {
    }
    throw fail("'" + key + "' is '" + it->second + "'");
  };
  if (meta["type"] != "ClassConditionalLM") throw fail("type '" + meta["type"] + "'");
  ClassLMOptions options;
  const int vocab_size = static_cast<int>(number("vocab_size", 1, int64_t{1} << 24));
  options.embedding_dim = number("embedding_dim", 1, 1 << 16);
  options.hidden_size = number("hidden_size", 1, 1 << 16);
  options.max_pieces = static_cast<int>(number("max_pieces", 1, 1 << 20));
  options.class_every_step = number("class_every_step", 0, 1) == 1;

  const auto take = [&](const std::string& name) {
    for (auto it = tensors.begin(); it != tensors.end(); ++it)
      if (it->first == name) {
        dl::Tensor t = it->second;
        tensors.erase(it);
        return t;
      }
    throw fail("no tensor '" + name + "'");
  };
  const dl::Tensor prior = take("log_prior"), pieces = take("pieces");
  if (prior.dim() != 1 || prior.size(0) != kClasses) throw fail("'log_prior' is not 26 numbers");
  if (pieces.dim() != 1) throw fail("'pieces' is not a list");
  std::vector<int> kept;
  for (float p : pieces.to_vector()) {
    if (!(p >= 0 && p < static_cast<float>(vocab_size)) || p != std::floor(p)) throw fail("a kept piece is not a valid id");
    kept.push_back(static_cast<int>(p));
  }
  options.vocab_cap = std::max(1, static_cast<int>(kept.size()));
  const std::vector<float> prior_values = prior.to_vector();
  if (!std::all_of(prior_values.begin(), prior_values.end(), [](float v) { return std::isfinite(v); }))
    throw fail("'log_prior' holds NaN or an infinity");
  // Nothing is allocated from the metadata's sizes until the file is seen to hold that many
  // weights: the embedding, the LSTM (two biases) and the head the sizes describe must add up
  // to the floats the file's other tensors hold (a few bytes claiming H = 65,536 would
  // otherwise build a 128 GiB LSTM before load_state_dict compares a single shape).
  const int64_t rows = kPieceBase + kFirstKept + static_cast<int64_t>(kept.size());
  const int64_t outputs = kFirstKept + static_cast<int64_t>(kept.size());
  const int64_t e = options.embedding_dim, h = options.hidden_size;
  const int64_t needed = rows * e + 4 * h * (e + h) + 8 * h + outputs * h + outputs;
  int64_t held = 0;
  for (const auto& [name, t] : tensors) held += t.numel();
  if (held != needed)
    throw fail("its sizes need " + std::to_string(needed) + " weights but it holds " + std::to_string(held));
  auto model = std::unique_ptr<ClassConditionalLM>(new ClassConditionalLM(
      vocab_size, Counted{std::move(kept), std::vector<double>(prior_values.begin(), prior_values.end())}, options, 0));
  try {
    model->load_state_dict(tensors);
  } catch (const dl::Error& e) {
    throw fail(e.what());
  }
  model->eval();
  return model;
}

}  // namespace ch06

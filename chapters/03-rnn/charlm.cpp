// Chapter 03: corpus, lanes for truncated BPTT, training step, evaluation, sampling,
// and the gradient-norm measurement.
#include "charlm.hpp"

#include <cmath>

namespace ch03 {

std::string entry_text(const dl::data::TextEntry& entry) {
  std::string text;
  if (!entry.title.empty()) text += "《" + entry.title + "》\n";
  if (!entry.author.empty()) text += "作者：" + entry.author + "\n";
  text += entry.body;
  if (text.empty() || text.back() != '\n') text += '\n';
  return text + "%\n";
}

// [corpus]
EntrySplit split_corpus(const std::string& dir, CorpusKind kind, uint64_t seed) {
  std::vector<dl::data::TextEntry> entries;
  const std::vector<std::string> files =
      kind == CorpusKind::poems ? std::vector<std::string>{"tang300", "song100"}
                                : std::vector<std::string>{"tang300", "song100", "chinese"};
  for (const std::string& name : files)
    for (dl::data::TextEntry& e : dl::data::read_fortunes(dir + "/" + name)) entries.push_back(std::move(e));

  // Whole entries go to one side, so no poem is half in training and half in validation.
  EntrySplit split;
  dl::data::split_entries(entries, 0.05, seed, split.train, split.validation);
  if (split.train.empty() || split.validation.empty())
    throw dl::Error("corpus in " + dir + ": " + std::to_string(entries.size()) +
                    " entries are too few to hold 5% out for validation (at least 10 are needed)");
  return split;
}

Corpus load_corpus(const std::string& dir, CorpusKind kind, uint64_t seed, int64_t min_count) {
  const auto [train, validation] = split_corpus(dir, kind, seed);
  const auto stream = [](const std::vector<dl::data::TextEntry>& part) {
    std::string text;
    for (const auto& e : part) text += entry_text(e);
    return dl::decode_utf8(text);
  };
  const std::u32string train_text = stream(train), validation_text = stream(validation);
  Corpus corpus{dl::data::CharVocab(train_text, min_count), {}, {}, 0, 0};
  corpus.train = corpus.vocab.encode(train_text);
  corpus.validation = corpus.vocab.encode(validation_text);
  corpus.train_entries = static_cast<int64_t>(train.size());
  corpus.validation_entries = static_cast<int64_t>(validation.size());
  return corpus;
}
// [corpus]

double unigram_loss(const Corpus& corpus) {
  const std::vector<int64_t>& counts = corpus.vocab.counts();
  double total = 0;
  for (int64_t c : counts) total += static_cast<double>(c);
  const double denominator = total + static_cast<double>(counts.size());  // add-one smoothing
  double loss = 0;
  for (int id : corpus.validation)
    loss -= std::log((static_cast<double>(counts[static_cast<size_t>(id)]) + 1.0) / denominator);
  return loss / static_cast<double>(corpus.validation.size());
}

LaneReader::LaneReader(std::span<const int> stream, int64_t batch, int64_t steps)
    : stream_(stream), batch_(batch), steps_(steps), lane_length_(0) {
  if (batch <= 0 || steps <= 0)
    throw dl::Error("LaneReader: batch size and sequence length must be positive, got " + std::to_string(batch) +
                    " and " + std::to_string(steps));
  // Each lane needs its inputs plus one more character as the last target.
  lane_length_ = (static_cast<int64_t>(stream.size()) - 1) / batch;
  if (lane_length_ <= 0)
    throw dl::Error("LaneReader: a stream of " + std::to_string(stream.size()) + " characters is too short for " +
                    std::to_string(batch) + " lanes");
}

int64_t LaneReader::window(int64_t k, std::vector<int>& inputs, std::vector<int>& targets) const {
  const int64_t start = k * steps_, steps = std::min(steps_, lane_length_ - start);
  inputs.resize(static_cast<size_t>(steps * batch_));
  targets.resize(inputs.size());
  for (int64_t t = 0; t < steps; ++t)
    for (int64_t b = 0; b < batch_; ++b) {
      const size_t at = static_cast<size_t>(b * lane_length_ + start + t);
      inputs[static_cast<size_t>(t * batch_ + b)] = stream_[at];
      targets[static_cast<size_t>(t * batch_ + b)] = stream_[at + 1];
    }
  return steps;
}

// [train-step]
double train_step(CharLM& model, dl::optim::Adam& optimizer, std::span<const int> inputs, std::span<const int> targets,
                  int64_t steps, int64_t batch, dl::RecurrentState& state, float clip) {
  optimizer.zero_grad();
  const CharLM::Output out = model.forward(inputs, steps, batch, state);
  const dl::Tensor loss = dl::cross_entropy(out.logits.reshape({steps * batch, model.head.out_features}), targets);
  loss.backward();
  dl::optim::clip_grad_norm(model.parameters(), clip);  // one long window can blow the gradient up
  optimizer.step();
  // Truncated BPTT: the next window starts from this state's values, but gradients stop here.
  state = {out.state.h.detach(), out.state.c.detach()};
  return loss.item();
}
// [train-step]

double evaluate(CharLM& model, std::span<const int> stream, int64_t batch, int64_t steps) {
  dl::no_grad guard;
  model.eval();
  const LaneReader reader(stream, batch, steps);
  std::vector<int> inputs, targets;
  dl::RecurrentState state;
  double total = 0;
  int64_t count = 0;
  for (int64_t k = 0; k < reader.windows(); ++k) {
    const int64_t t = reader.window(k, inputs, targets);
    const CharLM::Output out = model.forward(inputs, t, batch, state);
    total += dl::cross_entropy(out.logits.reshape({t * batch, model.head.out_features}), targets).item() *
             static_cast<double>(t * batch);
    count += t * batch;
    state = out.state;
  }
  model.train();
  return total / static_cast<double>(count);
}

std::vector<int> encode_prime(const dl::data::CharVocab& vocab, const std::string& prime, std::vector<char32_t>& unknown) {
  const std::u32string text = dl::decode_utf8(prime, "--prime");
  if (text.empty()) throw dl::Error("--prime is empty: give at least one character to start from");
  std::vector<int> ids;
  for (char32_t c : text) {
    const int id = vocab.id(c);
    if (id == dl::data::CharVocab::kUnknown) unknown.push_back(c);
    ids.push_back(id);
  }
  return ids;
}

// [sample]
std::vector<int> sample(CharLM& model, const dl::data::CharVocab& vocab, const std::vector<int>& prime,
                        const SampleOptions& options, dl::Generator& gen) {
  dl::no_grad guard;
  model.eval();
  const int end_mark = vocab.id(U'%'), newline = vocab.id(U'\n');
  // Read the prime in one pass; its last scores predict the first new character.
  CharLM::Output out = model.forward(prime, static_cast<int64_t>(prime.size()), 1);
  std::vector<int> generated;
  int previous = prime.back();
  while (static_cast<int64_t>(generated.size()) < options.max_chars) {
    const int64_t vocab_size = model.head.out_features;
    if (vocab_size <= dl::data::CharVocab::kUnknown + 1) break;  // nothing but <unk> to draw
    const float* last = out.logits.data() + out.logits.numel() - vocab_size;  // the last step's scores
    // <unk> stands for many rare characters, not for one: it is never drawn.
    constexpr int first = dl::data::CharVocab::kUnknown + 1;
    int next = first;
    if (options.temperature == 0.0f) {
      next = static_cast<int>(std::max_element(last + first, last + vocab_size) - last);  // greedy
    } else {
      // p_k ∝ exp(s_k / τ), shifted by the largest score so that exp cannot overflow.
      const float top = *std::max_element(last + first, last + vocab_size);
      std::vector<double> weights(static_cast<size_t>(vocab_size), 0.0);
      double total = 0;
      for (int64_t k = first; k < vocab_size; ++k)
        total += weights[static_cast<size_t>(k)] = std::exp((last[k] - top) / options.temperature);
      double u = gen.uniform() * total;
      while (next + 1 < vocab_size && u >= weights[static_cast<size_t>(next)]) u -= weights[static_cast<size_t>(next++)];
    }
    if (next == end_mark && previous == newline) break;  // a '%' line ends the entry
    generated.push_back(next);
    previous = next;
    const int id = next;
    out = model.forward(std::span<const int>(&id, 1), 1, 1, out.state);
  }
  model.train();
  return generated;
}
// [sample]

// [grad-norms]
std::vector<int> contiguous_lanes(std::span<const int> text, int64_t steps, int64_t batch) {
  if (text.empty() || steps <= 0 || batch <= 0)
    throw dl::Error("contiguous_lanes: need some text and a positive number of steps and lanes, got " +
                    std::to_string(text.size()) + " characters, " + std::to_string(steps) + " steps and " +
                    std::to_string(batch) + " lanes");
  std::vector<int> ids(static_cast<size_t>(steps * batch));
  for (int64_t t = 0; t < steps; ++t)
    for (int64_t b = 0; b < batch; ++b)  // (T, B): row t holds step t of every lane
      ids[static_cast<size_t>(t * batch + b)] = text[static_cast<size_t>(b * steps + t) % text.size()];
  return ids;
}

std::vector<double> hidden_gradient_norms(const CellStep& step, const dl::Tensor& inputs, int64_t hidden_size,
                                          bool has_cell, dl::Generator& gen) {
  const int64_t steps = inputs.size(0), batch = inputs.size(1), in = inputs.size(2);
  dl::RecurrentState state{dl::Tensor::zeros({batch, hidden_size}), has_cell ? dl::Tensor::zeros({batch, hidden_size}) : dl::Tensor()};
  // h_t + 0 with the zero as a leaf: dL/d(zero) is exactly dL/dh_t, which autograd
  // keeps only for leaves.
  std::vector<dl::Tensor> probes;
  for (int64_t t = 0; t < steps; ++t) {
    state = step(dl::slice(inputs, 0, t, t + 1).reshape({batch, in}), state);
    probes.push_back(dl::Tensor::zeros({batch, hidden_size}).requires_grad_());
    state.h = state.h + probes.back();
  }
  dl::sum(state.h * dl::Tensor::randn({batch, hidden_size}, gen)).backward();
  std::vector<double> norms;
  for (const dl::Tensor& p : probes) {
    double sq = 0;
    for (float g : p.grad().to_vector()) sq += static_cast<double>(g) * g;
    norms.push_back(std::sqrt(sq));
  }
  return norms;
}
// [grad-norms]

}  // namespace ch03

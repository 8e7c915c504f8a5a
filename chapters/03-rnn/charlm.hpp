// Chapter 03: a character-level LSTM language model on Chinese poems and sayings,
// the seed's TensorFlow model written with dl, and the vanishing-gradient measurement.
#pragma once

#include <dl/optim.hpp>
#include <dl/rnn.hpp>
#include <dl/text.hpp>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace ch03 {

/// Which fortune files of `fortunes-zh` to read.
enum class CorpusKind {
  all,   ///< tang300, song100 and the larger `chinese` collection (about 1M characters)
  poems  ///< tang300 and song100 only (about 40k characters)
};

/// Training and validation text as streams of character ids.
struct Corpus {
  dl::data::CharVocab vocab;   ///< built from the training text; id 0 is <unk>
  std::vector<int> train;      ///< the training entries, one after another
  std::vector<int> validation; ///< the validation entries, one after another
  int64_t train_entries = 0, validation_entries = 0;
};

/// How an entry reads in the character stream: 《title》, 作者：author, the body, then a
/// line holding '%' (the fortune files' own separator), so a sampled poem knows where to end.
std::string entry_text(const dl::data::TextEntry& entry);

/// The entries of the fortune files of `kind` in `dir`, split 95/5 by entry with `seed`
/// (whole entries to one side). Throws dl::FileError for missing, empty or invalid files.
struct EntrySplit {
  std::vector<dl::data::TextEntry> train, validation;
};
EntrySplit split_corpus(const std::string& dir, CorpusKind kind, uint64_t seed);

/// Reads the fortune files of `kind` from `dir`, splits them 95/5 by entry with `seed`,
/// and encodes both parts with a vocabulary of the characters seen at least `min_count`
/// times in training. Throws dl::FileError for missing, empty or invalid files.
Corpus load_corpus(const std::string& dir, CorpusKind kind, uint64_t seed, int64_t min_count = 2);

/// The baseline a model must beat: mean nats per character of the validation text when
/// each character is predicted from training-set frequencies alone (add-one smoothed).
double unigram_loss(const Corpus& corpus);

// [model]
/// Embedding -> dropout -> LSTM -> dropout -> linear scores over the vocabulary.
struct CharLM : dl::nn::Module {
  dl::nn::Embedding embed;
  dl::nn::LSTM lstm;
  dl::nn::Dropout drop;
  dl::nn::Linear head;

  CharLM(int64_t vocab_size, int64_t embedding_dim = 64, int64_t hidden_size = 256, float dropout = 0.1f)
      : embed(vocab_size, embedding_dim), lstm(embedding_dim, hidden_size), drop(dropout), head(hidden_size, vocab_size) {
    register_module("embed", embed);
    register_module("lstm", lstm);
    register_module("drop", drop);
    register_module("head", head);
  }

  /// ids laid out (T, B), and the state the previous window ended in (zeros when undefined).
  struct Output {
    dl::Tensor logits;    ///< (T, B, V) scores of the next character
    dl::RecurrentState state;  ///< (1, B, H) each: where the next window starts
  };
  Output forward(std::span<const int> ids, int64_t steps, int64_t batch, const dl::RecurrentState& state = {}) {
    const dl::Tensor x = drop(embed(ids, {steps, batch}));        // (T, B, E)
    const dl::nn::RecurrentOutput r = lstm.forward(x, state);     // (T, B, H)
    return {head(drop(r.output)), {r.h_n, r.c_n}};
  }
  std::string type_name() const override { return "CharLM"; }
};
// [model]

/// Reads a stream in `batch` parallel lanes, `steps` characters at a time: lane b is
/// the b-th of `batch` equal stretches of the stream, and window k continues exactly
/// where window k-1 stopped, so the LSTM state can be carried across windows
/// (truncated backpropagation through time).
class LaneReader {
 public:
  /// Throws dl::Error when the stream is too short for one character per lane.
  LaneReader(std::span<const int> stream, int64_t batch, int64_t steps);
  /// Number of windows; the last may be shorter than `steps`.
  int64_t windows() const { return (lane_length_ + steps_ - 1) / steps_; }
  /// Fills `inputs` and `targets` (T, B) for window `k` and returns its length T.
  int64_t window(int64_t k, std::vector<int>& inputs, std::vector<int>& targets) const;

 private:
  std::span<const int> stream_;
  int64_t batch_, steps_, lane_length_;  // lane_length_: predictions per lane
};

/// One optimisation step on a window: forward from `state`, cross-entropy, backward,
/// gradient clipping at norm `clip`, Adam. `state` becomes the window's final state,
/// detached from the graph. Returns the loss (mean nats per character).
double train_step(CharLM& model, dl::optim::Adam& optimizer, std::span<const int> inputs, std::span<const int> targets,
                  int64_t steps, int64_t batch, dl::RecurrentState& state, float clip);

/// Mean nats per character of `model` predicting `stream` (evaluation mode, state carried).
double evaluate(CharLM& model, std::span<const int> stream, int64_t batch, int64_t steps);

/// Settings of `sample`.
struct SampleOptions {
  float temperature = 0.8f;  ///< divides the scores before softmax; 0 picks the most likely character
  int64_t max_chars = 120;   ///< characters generated after the prime at most
};

/// Feeds `prime` (ids) to the model, then draws one character at a time from
/// softmax(scores / temperature) until `max_chars` or the end of an entry ('%' line).
/// `<unk>` is never drawn. Returns the generated ids (without the prime).
std::vector<int> sample(CharLM& model, const dl::data::CharVocab& vocab, const std::vector<int>& prime,
                        const SampleOptions& options, dl::Generator& gen);

/// The ids of `prime`'s characters; characters outside the vocabulary become <unk>
/// and are listed in `unknown`. Throws dl::Error for invalid UTF-8 or an empty prime.
std::vector<int> encode_prime(const dl::data::CharVocab& vocab, const std::string& prime, std::vector<char32_t>& unknown);

/// `batch` contiguous stretches of `steps` characters of `text`, laid out (T, B) as the
/// model reads them: lane b holds text[b*steps .. b*steps + steps - 1] (wrapping round
/// when the text is shorter than steps * batch), so every lane reads real text in order.
std::vector<int> contiguous_lanes(std::span<const int> text, int64_t steps, int64_t batch);

/// One step of a recurrent cell on (B,I) inputs; an RNN leaves `c` undefined.
using CellStep = std::function<dl::RecurrentState(const dl::Tensor& x, const dl::RecurrentState& state)>;

/// How far back the gradient reaches: runs `step` over `inputs` (T, B, I) from a zero
/// state, takes a loss from the last hidden state only, L = sum(h_T * r) with a fixed
/// random r, and returns ||dL/dh_t|| for t = 1..T (the last entry is distance 0).
std::vector<double> hidden_gradient_norms(const CellStep& step, const dl::Tensor& inputs, int64_t hidden_size,
                                          bool has_cell, dl::Generator& gen);

// [seed-rnn]
/// The seed's TensorFlow model written with dl: an LSTM of 128 units over (B, T, 100)
/// inputs, then a dense layer to 10 scores from the last step's output.
struct SeedLessonRNN : dl::nn::Module {
  dl::nn::LSTM lstm{100, 128, {.batch_first = true}};
  dl::nn::Linear dense{128, 10};

  SeedLessonRNN() {
    register_module("lstm", lstm);
    register_module("dense", dense);
  }
  /// x: (B, T, 100) -> scores (B, 10), and the LSTM's final state to continue from.
  std::pair<dl::Tensor, dl::RecurrentState> forward(const dl::Tensor& x, const dl::RecurrentState& state = {}) {
    const dl::nn::RecurrentOutput r = lstm.forward(x, state);
    const int64_t batch = x.size(0), hidden = lstm.hidden_size;
    const dl::Tensor last = r.h_n.reshape({batch, hidden});  // the last step's output (one layer)
    return {dense(last), {r.h_n, r.c_n}};
  }
  std::string type_name() const override { return "SeedLessonRNN"; }
};
// [seed-rnn]

}  // namespace ch03

// Chapter 07's recogniser: log-mel features -> two strided convolutions (a quarter of the
// frames) -> a bidirectional GRU -> a score per frame for each of the ten digit words and
// CTC's blank. Trained with CTC; decoded greedily or by prefix beam search.
#pragma once

#include <dl/audio.hpp>
#include <dl/nn.hpp>
#include <dl/rnn.hpp>
#include <span>
#include <string>
#include <vector>

#include "speech_data.hpp"

namespace ch07 {

/// The network's sizes (the flags of `asr`).
struct AsrConfig {
  int64_t n_mels = 40;     ///< features per frame
  int64_t channels = 32;   ///< filters of each convolution
  int64_t hidden = 128;    ///< GRU state per direction
  int64_t layers = 2;      ///< stacked bidirectional GRU layers
  float dropout = 0.1f;    ///< between the GRU layers and before the output layer, in training
};

/// The log-mel settings of the chapter: 25 ms windows every 10 ms at 16 kHz, 40 mel bands.
dl::LogMelOptions feature_options();

/// Log-mel features of `audio` (16 kHz), each band shifted to mean 0 and scaled to
/// variance 1 over the utterance, so loudness and the microphone's colour cancel out.
dl::Tensor features_of(const dl::Audio& audio);

/// Frames left after the two stride-2 convolutions (kernel 3, padding 1) from `frames`.
int64_t subsampled_length(int64_t frames);

/// Frames -> per-frame log-probabilities of the eleven classes.
class AsrModel : public dl::nn::Module {
 public:
  /// A model of the given sizes, initialised from `gen`.
  explicit AsrModel(const AsrConfig& config, dl::Generator& gen = dl::default_generator());

  /// What `forward` returns.
  struct Output {
    dl::Tensor log_probs;          ///< (T', B, classes), log-softmax over classes
    std::vector<int64_t> lengths;  ///< valid frames of each column of the batch
  };
  /// Pads `features` ((T_b, n_mels) each) into one batch and runs the network.
  Output forward(const std::vector<const dl::Tensor*>& features);
  std::string type_name() const override { return "AsrModel"; }

  AsrConfig config;           ///< sizes
  dl::nn::Conv2d conv1;       ///< 1 -> channels, stride 2 in time and frequency
  dl::nn::Conv2d conv2;       ///< channels -> channels, stride 2
  dl::nn::Linear project;     ///< channels * n_mels/4 -> hidden
  dl::nn::GRU gru;            ///< bidirectional
  dl::nn::Linear classify;    ///< 2 * hidden -> classes
};

/// Levenshtein distance between two sequences (substitutions, insertions, deletions).
int64_t edit_distance(std::span<const int> a, std::span<const int> b);
/// The same over the characters of two strings.
int64_t edit_distance(const std::string& a, const std::string& b);

/// A transcript: the words and the time (seconds from the start) of each word's peak.
struct Transcript {
  std::vector<int> labels;       ///< the digits recognised
  std::vector<double> seconds;   ///< when each was heard (its first non-blank frame)
  std::string text() const { return words_of(labels); }  ///< "three one four"
};
/// Column `b` of a batch's log-probabilities: (T', classes), for the CTC decoders.
dl::Tensor column_of(const AsrModel::Output& out, int64_t b);
/// Greedy CTC decoding of column `b` of `out`, with the time of each word.
Transcript transcribe_column(const AsrModel::Output& out, int64_t b);

/// Saves the model and its sizes in `dir` (model.safetensors, config.json).
void save_model(const std::string& dir, const AsrModel& model);
/// Loads a model saved by `save_model`; a clear error when the folder is not one.
std::unique_ptr<AsrModel> load_model(const std::string& dir);

}  // namespace ch07

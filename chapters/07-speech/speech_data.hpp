// Chapter 07's data: spoken digit strings ("three one four") synthesised on this machine
// with espeak-ng's library, across its English accents and its voice variants, at varied
// speeds and pitches, with noise and gain, and split by voice: the variants of the test set
// are never heard in training, with any accent.
#pragma once

#include <dl/audio.hpp>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ch07 {

/// The ten words the recogniser writes; label k is word k, and CTC's blank is label 10.
inline const std::vector<std::string> kDigitWords = {"zero", "one", "two",   "three", "four",
                                                     "five", "six", "seven", "eight", "nine"};
/// CTC's blank label: after the ten words.
constexpr int kBlank = 10;
/// Output classes of the network: ten words and the blank.
constexpr int kClasses = 11;
/// Rate of the data set's recordings (espeak-ng speaks at 22,050 Hz; we resample).
constexpr int kSampleRate = 16000;

/// Words -> labels; throws dl::Error naming a word that is not a digit word.
std::vector<int> labels_of(const std::string& words);
/// Labels -> words separated by single spaces ("three one four").
std::string words_of(const std::vector<int>& labels);

/// Which part of the data an utterance belongs to.
enum class Split { train, validation, test };
/// "train", "validation", "test".
const char* split_name(Split split);

/// The voice variants (espeak-ng's "!v" files: m1, f3, klatt2, croak, ...) of each split.
/// A variant decides the timbre; the split is by a hash of its name, so it does not move
/// when espeak-ng adds variants, and no test variant is heard in training with any accent.
struct VoiceSplit {
  std::vector<std::string> train;       ///< variants heard in training
  std::vector<std::string> validation;  ///< variants for choosing settings
  std::vector<std::string> test;        ///< variants heard only at the end
};
/// Splits `variants` 75 / 10 / 15 by a hash of each name.
VoiceSplit split_variants(const std::vector<std::string>& variants);

/// The English accents of espeak-ng's own voices, by file (gmw/en, gmw/en-US, gmw/en-GB-scotland, ...), sorted.
std::vector<std::string> espeak_accents();
/// Every voice variant espeak-ng has, sorted.
std::vector<std::string> espeak_variants();

/// How much data to make, and how.
struct DataSpec {
  int64_t train = 3000;       ///< utterances by the training voices
  int64_t validation = 300;   ///< utterances by the validation voices
  int64_t test = 600;         ///< utterances by the test voices
  int min_digits = 1;         ///< shortest digit string
  int max_digits = 7;         ///< longest digit string
  uint64_t seed = 2026;       ///< seed of texts, voices and augmentation (not of training)
};

/// One synthesised recording.
struct Utterance {
  std::string file;         ///< file name of the WAV in the data folder
  std::vector<int> labels;  ///< the digits said
  std::string voice;        ///< espeak-ng voice: accent+variant (gmw/en-US+m3)
  std::string variant;      ///< the variant alone, which decides the split
  Split split = Split::train;  ///< which split the variant belongs to
  int rate = 0;             ///< words per minute
  int pitch = 0;            ///< espeak-ng's pitch, 0..100
  float snr_db = 0;         ///< signal-to-noise ratio of the added white noise
};

/// The data set: its utterances per split and the variants behind them.
struct SpeechData {
  std::filesystem::path dir;      ///< folder of the WAVs and manifest.tsv
  std::vector<Utterance> train;       ///< training utterances
  std::vector<Utterance> validation;  ///< validation utterances
  std::vector<Utterance> test;        ///< test utterances
  std::vector<std::string> accents;  ///< espeak-ng's English accents the voices combine with
  VoiceSplit voices;              ///< the variants of each split
  bool generated = false;         ///< made by this call (false: read from the cache)
  double seconds = 0;             ///< time spent making or checking it
};

/// The utterances `spec` asks for (texts, voices and settings; no audio): the same list
/// on every run with the same spec.
std::vector<Utterance> plan_utterances(const DataSpec& spec, const std::vector<std::string>& accents,
                                       const VoiceSplit& voices);

/// Synthesises one utterance with espeak-ng, adds its silence, noise and gain, and resamples
/// it to kSampleRate. The plan and the augmentation are the same on every run, but not the
/// samples to the bit: espeak-ng 1.51 carries state from one utterance into the next (and
/// draws from rand()), so the same utterance said twice differs in detail and by a few
/// milliseconds. That is why the data set is made once and then read from its files.
dl::Audio synthesise(const Utterance& u, uint64_t seed);

/// The data set in `dir`: read from manifest.tsv when the folder holds exactly what `spec`
/// asks for (every WAV present), made again otherwise.
SpeechData ensure_speech_data(const std::filesystem::path& dir, const DataSpec& spec);

}  // namespace ch07

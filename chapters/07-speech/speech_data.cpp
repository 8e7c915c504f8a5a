#include "speech_data.hpp"

#include <espeak-ng/speak_lib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <dl/error.hpp>
#include <dl/io.hpp>
#include <dl/random.hpp>
#include <fstream>
#include <mutex>
#include <sstream>

namespace ch07 {
namespace fs = std::filesystem;

std::vector<int> labels_of(const std::string& words) {
  std::vector<int> labels;
  std::istringstream in(words);
  std::string word;
  while (in >> word) {
    const auto it = std::find(kDigitWords.begin(), kDigitWords.end(), word);
    if (it == kDigitWords.end()) throw dl::Error("'" + word + "' is not one of the digit words zero..nine");
    labels.push_back(static_cast<int>(it - kDigitWords.begin()));
  }
  return labels;
}

std::string words_of(const std::vector<int>& labels) {
  std::string text;
  for (const int label : labels) {
    if (label < 0 || label >= static_cast<int>(kDigitWords.size()))
      throw dl::Error("label " + std::to_string(label) + " is not a digit (0..9)");
    if (!text.empty()) text += ' ';
    text += kDigitWords[static_cast<size_t>(label)];
  }
  return text;
}

const char* split_name(Split split) {
  switch (split) {
    case Split::train: return "train";
    case Split::validation: return "validation";
    case Split::test: return "test";
  }
  return "?";
}

namespace {

// FNV-1a: a hash that is the same with every compiler and standard library.
uint64_t fnv1a(const std::string& s) {
  uint64_t h = 14695981039346656037ull;
  for (const unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// espeak-ng keeps its state in globals: one initialisation per process, one synthesis at a time.
std::mutex espeak_mutex;
std::vector<short>* espeak_sink = nullptr;

int collect_samples(short* wav, int count, espeak_EVENT* /*events*/) {
  if (wav != nullptr && count > 0) espeak_sink->insert(espeak_sink->end(), wav, wav + count);
  return 0;  // go on
}

int espeak_rate() {  // call with espeak_mutex held
  static const int rate = [] {
    const int r = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr, 0);
    if (r <= 0) throw dl::Error("espeak-ng could not start (is espeak-ng-data installed? ./book deps installs it)");
    espeak_SetSynthCallback(collect_samples);
    return r;
  }();
  return rate;
}

std::vector<const espeak_VOICE*> list_voices(const char* language) {  // call with espeak_mutex held
  espeak_rate();
  espeak_VOICE spec;
  std::memset(&spec, 0, sizeof spec);
  spec.languages = language;
  std::vector<const espeak_VOICE*> voices;
  for (const espeak_VOICE** v = espeak_ListVoices(language ? &spec : nullptr); v && *v; ++v) voices.push_back(*v);
  return voices;
}

}  // namespace

// [split-variants]
VoiceSplit split_variants(const std::vector<std::string>& variants) {
  VoiceSplit split;
  for (const std::string& v : variants) {
    const uint64_t bucket = fnv1a(v) % 20;
    (bucket < 3 ? split.test : bucket < 5 ? split.validation : split.train).push_back(v);
  }
  return split;
}
// [split-variants]

std::vector<std::string> espeak_accents() {
  std::lock_guard lock(espeak_mutex);
  std::vector<std::string> accents;
  for (const espeak_VOICE* v : list_voices(nullptr)) {
    // espeak-ng's own English voices live in gmw/ (the MBROLA ones need extra packages). A
    // voice is chosen by its file (gmw/en-US); some language names ("en-gb") do not select one.
    const std::string id = v->identifier ? v->identifier : "";
    if (id.rfind("gmw/en", 0) == 0) accents.push_back(id);
  }
  std::sort(accents.begin(), accents.end());
  accents.erase(std::unique(accents.begin(), accents.end()), accents.end());
  if (accents.empty()) throw dl::Error("espeak-ng lists no English voice (gmw/en*)");
  return accents;
}

std::vector<std::string> espeak_variants() {
  std::lock_guard lock(espeak_mutex);
  std::vector<std::string> variants;
  for (const espeak_VOICE* v : list_voices("variant")) {
    const std::string id = v->identifier ? v->identifier : "";
    if (id.rfind("!v/", 0) == 0) variants.push_back(id.substr(3));
  }
  std::sort(variants.begin(), variants.end());
  if (variants.size() < 10) throw dl::Error("espeak-ng lists only " + std::to_string(variants.size()) + " voice variants");
  return variants;
}

std::vector<Utterance> plan_utterances(const DataSpec& spec, const std::vector<std::string>& accents,
                                       const VoiceSplit& voices) {
  if (spec.min_digits < 1 || spec.max_digits < spec.min_digits)
    throw dl::Error("digit strings need 1 <= min_digits <= max_digits");
  dl::Generator gen(spec.seed);
  std::vector<Utterance> plan;
  const std::pair<Split, int64_t> counts[] = {
      {Split::train, spec.train}, {Split::validation, spec.validation}, {Split::test, spec.test}};
  for (const auto& [split, count] : counts) {
    const std::vector<std::string>& variants =
        split == Split::train ? voices.train : split == Split::validation ? voices.validation : voices.test;
    if (count > 0 && variants.empty()) throw dl::Error(std::string("no voice variant falls in the ") + split_name(split) + " split");
    for (int64_t i = 0; i < count; ++i) {
      Utterance u;
      u.split = split;
      u.variant = variants[gen.below(variants.size())];
      u.voice = accents[gen.below(accents.size())] + "+" + u.variant;
      const int digits = spec.min_digits + static_cast<int>(gen.below(static_cast<uint64_t>(spec.max_digits - spec.min_digits + 1)));
      for (int d = 0; d < digits; ++d) u.labels.push_back(static_cast<int>(gen.below(10)));
      u.rate = 130 + static_cast<int>(gen.below(101));  // 130..230 words per minute
      u.pitch = 20 + static_cast<int>(gen.below(61));   // 20..80 of espeak-ng's 0..100
      u.snr_db = gen.uniform(10.0f, 40.0f);
      char name[64];
      std::snprintf(name, sizeof name, "%s_%05lld.wav", split_name(split), static_cast<long long>(i));
      u.file = name;
      plan.push_back(std::move(u));
    }
  }
  return plan;
}

// [synthesise]
dl::Audio synthesise(const Utterance& u, uint64_t seed) {
  std::vector<short> samples;
  int rate = 0;
  {
    std::lock_guard lock(espeak_mutex);
    rate = espeak_rate();
    if (espeak_SetVoiceByName(u.voice.c_str()) != EE_OK) throw dl::Error("espeak-ng has no voice " + u.voice);
    espeak_SetParameter(espeakRATE, u.rate, 0);
    espeak_SetParameter(espeakPITCH, u.pitch, 0);
    espeak_sink = &samples;
    const std::string text = words_of(u.labels);
    const espeak_ERROR status = espeak_Synth(text.c_str(), text.size() + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, nullptr, nullptr);
    espeak_sink = nullptr;
    if (status != EE_OK) throw dl::Error("espeak-ng could not say '" + text + "' in voice " + u.voice);
  }
  if (samples.empty()) throw dl::Error("espeak-ng wrote no sound for voice " + u.voice);
  // The augmentation draws from its own stream per file, so one file can be made alone.
  dl::Generator gen(seed ^ (fnv1a(u.file) * 0x9E3779B97F4A7C15ull));
  const auto pad = [&] { return static_cast<size_t>(gen.uniform(0.05f, 0.25f) * static_cast<float>(rate)); };
  const size_t before = pad(), after = pad();
  std::vector<float> speech(before + samples.size() + after, 0.0f);
  double power = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    speech[before + i] = static_cast<float>(samples[i]) / 32768.0f;
    power += static_cast<double>(speech[before + i]) * speech[before + i];
  }
  power /= static_cast<double>(samples.size());
  // White noise at the planned signal-to-noise ratio (of the speech's own power), then a gain
  // that puts the loudest sample between 0.1 and 0.9 of full scale: never clipped.
  const float noise_rms = static_cast<float>(std::sqrt(power / std::pow(10.0, u.snr_db / 10.0)));
  float peak = 0;
  for (float& x : speech) x += noise_rms * gen.normal(), peak = std::max(peak, std::fabs(x));
  const float gain = gen.uniform(0.1f, 0.9f) / std::max(peak, 1e-6f);
  for (float& x : speech) x *= gain;
  return dl::resample(dl::Audio{std::move(speech), rate}, kSampleRate);
}
// [synthesise]

namespace {

constexpr const char* kManifest = "manifest.tsv";

std::string fingerprint(const DataSpec& spec, const std::vector<std::string>& accents, const VoiceSplit& voices) {
  std::ostringstream f;
  const char* version = nullptr;
  {
    std::lock_guard lock(espeak_mutex);
    espeak_rate();
    version = espeak_Info(nullptr);
  }
  f << "digits-v1 " << kSampleRate << " Hz espeak-ng " << (version ? version : "?") << " train " << spec.train << " validation " << spec.validation
    << " test " << spec.test << " digits " << spec.min_digits << "-" << spec.max_digits << " seed " << spec.seed
    << " accents " << accents.size() << " variants " << voices.train.size() << "/" << voices.validation.size() << "/"
    << voices.test.size();
  return f.str();
}

void sort_into(SpeechData& data, std::vector<Utterance> plan) {
  for (Utterance& u : plan)
    (u.split == Split::train ? data.train : u.split == Split::validation ? data.validation : data.test).push_back(std::move(u));
}

// Whether `dir` holds the data `expected` describes: the manifest's first line names the same
// spec, and every file is there and non-empty.
bool cache_is_complete(const fs::path& dir, const std::string& expected, const std::vector<Utterance>& plan) {
  std::ifstream in(dir / kManifest);
  std::string first;
  if (!in || !std::getline(in, first) || first != "# " + expected) return false;
  std::error_code ec;
  for (const Utterance& u : plan) {
    const auto size = fs::file_size(dir / u.file, ec);
    if (ec || size <= 44) return false;  // 44 bytes: a WAV header with no samples
  }
  return true;
}

}  // namespace

SpeechData ensure_speech_data(const fs::path& dir, const DataSpec& spec) {
  const auto start = std::chrono::steady_clock::now();
  SpeechData data;
  data.dir = dir;
  data.accents = espeak_accents();
  data.voices = split_variants(espeak_variants());
  std::vector<Utterance> plan = plan_utterances(spec, data.accents, data.voices);
  const std::string expected = fingerprint(spec, data.accents, data.voices);
  if (!cache_is_complete(dir, expected, plan)) {
    // The manifest goes first and comes back last (written atomically): a set interrupted
    // mid-way has none, so the next run makes it again.
    std::error_code ec;
    fs::remove(dir / kManifest, ec);
    fs::create_directories(dir);
    for (const Utterance& u : plan) dl::write_wav(dir / u.file, synthesise(u, spec.seed));
    std::ostringstream manifest;
    manifest << "# " << expected << "\n";
    manifest << "file\tsplit\tvoice\trate\tpitch\tsnr_db\twords\n";
    for (const Utterance& u : plan)
      manifest << u.file << '\t' << split_name(u.split) << '\t' << u.voice << '\t' << u.rate << '\t' << u.pitch << '\t'
               << u.snr_db << '\t' << words_of(u.labels) << '\n';
    dl::write_file_atomically((dir / kManifest).string(), manifest.str());
    data.generated = true;
  }
  sort_into(data, std::move(plan));
  data.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return data;
}

}  // namespace ch07

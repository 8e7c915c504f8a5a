#include "asr.hpp"

#include <algorithm>
#include <cmath>
#include <dl/ctc.hpp>
#include <dl/error.hpp>
#include <dl/io.hpp>
#include <dl/ops.hpp>
#include <nlohmann/json.hpp>

namespace ch07 {

dl::LogMelOptions feature_options() {
  dl::LogMelOptions o;
  o.sample_rate = kSampleRate, o.n_fft = 512, o.win_length = 400, o.hop_length = 160, o.n_mels = 40;
  o.f_min = 20.0f, o.f_max = 8000.0f;
  return o;
}

// [features]
dl::Tensor features_of(const dl::Audio& audio) {
  if (audio.sample_rate != feature_options().sample_rate)
    throw dl::Error("features need 16 kHz audio, got " + std::to_string(audio.sample_rate) + " Hz (read_audio resamples)");
  dl::Tensor f = dl::log_mel_spectrogram(audio.samples, feature_options());
  const int64_t frames = f.shape()[0], bands = f.shape()[1];
  float* p = f.data();
  for (int64_t m = 0; m < bands; ++m) {
    double sum = 0, sq = 0;
    for (int64_t t = 0; t < frames; ++t) sum += p[t * bands + m], sq += double(p[t * bands + m]) * p[t * bands + m];
    const double mean = sum / double(frames), var = std::max(sq / double(frames) - mean * mean, 0.0);
    const float scale = static_cast<float>(1.0 / std::sqrt(var + 1e-5));
    for (int64_t t = 0; t < frames; ++t) p[t * bands + m] = static_cast<float>(p[t * bands + m] - mean) * scale;
  }
  return f;
}
// [features]

int64_t subsampled_length(int64_t frames) {
  const auto half = [](int64_t n) { return (n + 2 * 1 - 3) / 2 + 1; };  // kernel 3, stride 2, padding 1
  return half(half(frames));
}

namespace {
dl::nn::RecurrentOptions gru_options(const AsrConfig& c) {
  dl::nn::RecurrentOptions o;
  o.num_layers = c.layers, o.dropout = c.dropout, o.bidirectional = true;
  return o;
}
int64_t quarter(int64_t n) { return subsampled_length(n); }  // the frequency axis shrinks the same way
}  // namespace

// [asr-model]
AsrModel::AsrModel(const AsrConfig& c, dl::Generator& gen)
    : config(c),
      conv1(1, c.channels, {.kernel = 3, .stride = 2, .padding = 1}, gen),
      conv2(c.channels, c.channels, {.kernel = 3, .stride = 2, .padding = 1}, gen),
      project(c.channels * quarter(c.n_mels), c.hidden, true, gen),
      gru(c.hidden, c.hidden, gru_options(c), gen),
      classify(2 * c.hidden, kClasses, true, gen) {
  register_module("conv1", conv1);
  register_module("conv2", conv2);
  register_module("project", project);
  register_module("gru", gru);
  register_module("classify", classify);
}
// [asr-model]

// [asr-forward]
AsrModel::Output AsrModel::forward(const std::vector<const dl::Tensor*>& features) {
  if (features.empty()) throw dl::Error("AsrModel: an empty batch");
  const int64_t batch = static_cast<int64_t>(features.size()), bands = config.n_mels;
  int64_t frames = 0;
  for (const dl::Tensor* f : features) {
    if (f->dim() != 2 || f->shape()[1] != bands)
      throw dl::ShapeError("AsrModel: features must be (frames, " + std::to_string(bands) + "), got " + dl::to_string(f->shape()));
    frames = std::max(frames, f->shape()[0]);
  }
  // Zero padding is the mean of the normalised features: silence to the network.
  dl::Tensor x = dl::Tensor::zeros({batch, 1, frames, bands});
  Output out;
  for (int64_t b = 0; b < batch; ++b) {
    std::copy_n(features[size_t(b)]->data(), features[size_t(b)]->numel(), x.data() + b * frames * bands);
    out.lengths.push_back(subsampled_length(features[size_t(b)]->shape()[0]));
  }
  dl::Tensor h = dl::relu(conv2(dl::relu(conv1(x))));                   // (B, C, T', F')
  const int64_t steps = h.shape()[2];
  h = dl::permute(h, {2, 0, 1, 3}).reshape({steps, batch, h.shape()[1] * h.shape()[3]});  // (T', B, C*F')
  h = dl::relu(project(h));
  h = gru.forward(h, {}, out.lengths).output;                          // (T', B, 2H)
  h = dl::dropout(h, config.dropout, is_training());
  out.log_probs = dl::log_softmax(classify(h), -1);
  return out;
}
// [asr-forward]

// [edit-distance]
int64_t edit_distance(std::span<const int> a, std::span<const int> b) {
  std::vector<int64_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = int64_t(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    int64_t diagonal = row[0];
    row[0] = int64_t(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      const int64_t substitute = diagonal + (a[i - 1] != b[j - 1]);
      diagonal = row[j];
      row[j] = std::min({substitute, row[j] + 1, row[j - 1] + 1});
    }
  }
  return row[b.size()];
}
// [edit-distance]

int64_t edit_distance(const std::string& a, const std::string& b) {
  const std::vector<int> x(a.begin(), a.end()), y(b.begin(), b.end());
  return edit_distance(std::span<const int>(x), std::span<const int>(y));
}

dl::Tensor column_of(const AsrModel::Output& out, int64_t b) {
  const dl::Shape& s = out.log_probs.shape();
  if (b < 0 || b >= s[1]) throw dl::Error("column_of: column " + std::to_string(b) + " of a batch of " + std::to_string(s[1]));
  dl::Tensor column = dl::Tensor::empty({s[0], s[2]});
  for (int64_t t = 0; t < s[0]; ++t) std::copy_n(out.log_probs.data() + (t * s[1] + b) * s[2], s[2], column.data() + t * s[2]);
  return column;
}

// [greedy]
Transcript transcribe_column(const AsrModel::Output& out, int64_t b) {
  const dl::Shape& s = out.log_probs.shape();
  if (b < 0 || b >= s[1]) throw dl::Error("transcribe_column: column " + std::to_string(b) + " of a batch of " + std::to_string(s[1]));
  const int64_t length = out.lengths[size_t(b)], classes = s[2];
  const float* p = out.log_probs.data();
  Transcript t;
  int previous = kBlank;
  // Each output frame covers 4 input frames of 10 ms.
  const double frame_seconds = 4.0 * feature_options().hop_length / feature_options().sample_rate;
  for (int64_t f = 0; f < length; ++f) {
    const float* row = p + (f * s[1] + b) * classes;
    const int best = static_cast<int>(std::max_element(row, row + classes) - row);
    if (best != kBlank && best != previous) t.labels.push_back(best), t.seconds.push_back(double(f) * frame_seconds);
    previous = best;
  }
  return t;
}
// [greedy]

void save_model(const std::string& dir, const AsrModel& model) {
  std::filesystem::create_directories(dir);
  const AsrConfig& c = model.config;
  const nlohmann::json config = {{"model", "ch07-asr"},         {"n_mels", c.n_mels}, {"channels", c.channels},
                                 {"hidden", c.hidden},          {"layers", c.layers}, {"classes", kClasses},
                                 {"blank", kBlank},             {"words", kDigitWords}};
  dl::write_file_atomically(dir + "/config.json", config.dump(2) + "\n");
  dl::save_safetensors(dir + "/model.safetensors", model.state_dict(), {{"format", "pt"}});
}

std::unique_ptr<AsrModel> load_model(const std::string& dir) {
  const std::string path = dir + "/config.json";
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(dl::read_file(path, "the recogniser's config.json", 1 << 16));
  } catch (const nlohmann::json::exception& e) {
    throw dl::FileError(path + ": not JSON (" + e.what() + ")");
  }
  AsrConfig c;
  try {
    if (j.at("model") != "ch07-asr") throw dl::FileError(path + ": not a chapter 07 recogniser");
    if (j.at("classes") != kClasses || j.at("blank") != kBlank || j.at("words") != kDigitWords)
      throw dl::FileError(path + ": a recogniser of other words than zero..nine");
    c.n_mels = j.at("n_mels").get<int64_t>(), c.channels = j.at("channels").get<int64_t>();
    c.hidden = j.at("hidden").get<int64_t>(), c.layers = j.at("layers").get<int64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw dl::FileError(path + ": " + e.what());
  }
  if (c.n_mels != feature_options().n_mels) throw dl::FileError(path + ": n_mels must be " + std::to_string(feature_options().n_mels));
  const auto sane = [](int64_t v) { return v >= 1 && v <= 4096; };
  if (!sane(c.channels) || !sane(c.hidden) || !sane(c.layers) || c.layers > 16)
    throw dl::FileError(path + ": sizes out of range (channels, hidden 1..4096, layers 1..16)");
  auto model = std::make_unique<AsrModel>(c);
  model->load_state_dict(dl::load_safetensors(dir + "/model.safetensors"));
  model->eval();
  return model;
}

}  // namespace ch07

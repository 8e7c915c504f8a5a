// The C++ half of tests/audio/check_logmel.py: computes dl's mel filter bank, power
// spectrogram and log-mel spectrogram of a few signals and writes them as raw
// little-endian float32 files, with a manifest the Python half reads.
//
// usage: audio_dump DIR
// Writes DIR/manifest.txt, one case per line:
//   name sample_rate n_fft win_length hop_length n_mels f_min f_max log_floor n_samples frames
// and for each case DIR/name.samples.f32 (the input), name.fbank.f32 (n_mels, n_fft/2+1),
// name.power.f32 (frames, n_fft/2+1), name.logmel.f32 (frames, n_mels). The case "wav"
// also writes DIR/wav.wav with write_wav; its samples are what read_audio returned.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "dl/audio.hpp"

namespace {

constexpr double kPi = 3.14159265358979323846;

void write_floats(const std::filesystem::path& path, const float* p, int64_t n) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(p), static_cast<std::streamsize>(n * sizeof(float)));
  if (!out) throw dl::FileError(path.string() + ": cannot write");
}

void dump(const std::filesystem::path& dir, std::ofstream& manifest, const std::string& name,
          const std::vector<float>& x, const dl::LogMelOptions& o) {
  const dl::Tensor fb = dl::mel_filter_bank(o);
  const dl::Tensor power = dl::power_spectrogram(x, o);
  const dl::Tensor logmel = dl::log_mel_spectrogram(x, o);
  write_floats(dir / (name + ".samples.f32"), x.data(), static_cast<int64_t>(x.size()));
  write_floats(dir / (name + ".fbank.f32"), fb.data(), fb.numel());
  write_floats(dir / (name + ".power.f32"), power.data(), power.numel());
  write_floats(dir / (name + ".logmel.f32"), logmel.data(), logmel.numel());
  manifest.precision(9);
  manifest << name << ' ' << o.sample_rate << ' ' << o.n_fft << ' ' << o.win_length << ' ' << o.hop_length << ' '
           << o.n_mels << ' ' << o.f_min << ' ' << o.f_max << ' ' << o.log_floor << ' ' << x.size() << ' '
           << logmel.size(0) << '\n';
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: audio_dump DIR\n";
    return 2;
  }
  try {
    const std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);
    std::ofstream manifest(dir / "manifest.txt", std::ios::trunc);
    const dl::LogMelOptions defaults;
    const int rate = defaults.sample_rate;

    // A linear chirp from 50 Hz to 7500 Hz over one second: every mel band in turn.
    std::vector<float> chirp(static_cast<size_t>(rate));
    for (size_t n = 0; n < chirp.size(); ++n) {
      const double t = static_cast<double>(n) / rate;
      chirp[n] = static_cast<float>(0.6 * std::sin(2 * kPi * (50 * t + 0.5 * (7500 - 50) * t * t)));
    }
    dump(dir, manifest, "chirp", chirp, defaults);

    // Uniform white noise in [-0.5, 0.5) from a fixed linear congruential generator.
    std::vector<float> noise(12345);
    uint64_t state = 42;
    for (float& v : noise) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      v = static_cast<float>(static_cast<double>(state >> 40) / static_cast<double>(1ULL << 24) - 0.5);
    }
    dump(dir, manifest, "noise", noise, defaults);

    // A 440 Hz tone under other settings: a longer FFT, 64 mels from 0 Hz, another hop.
    std::vector<float> tone(8000);
    for (size_t n = 0; n < tone.size(); ++n) tone[n] = static_cast<float>(0.3 * std::sin(2 * kPi * 440 * n / rate));
    dump(dir, manifest, "tone", tone,
         {.n_fft = 1024, .win_length = 800, .hop_length = 200, .n_mels = 64, .f_min = 0, .f_max = 7600,
          .log_floor = 1e-8f});

    // Two tones written by write_wav and read back by read_audio.
    std::vector<float> two(9000);
    for (size_t n = 0; n < two.size(); ++n)
      two[n] = static_cast<float>(0.4 * std::sin(2 * kPi * 300 * n / rate) + 0.2 * std::sin(2 * kPi * 2500 * n / rate));
    dl::write_wav(dir / "wav.wav", {two, rate});
    dump(dir, manifest, "wav", dl::read_audio(dir / "wav.wav").samples, defaults);
  } catch (const std::exception& e) {
    std::cerr << "audio_dump: " << e.what() << '\n';
    return 1;
  }
  return 0;
}

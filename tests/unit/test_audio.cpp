// Audio files (read_audio, write_wav) and the spectrograms of chapter 07: round trips,
// mixdown, resampling, every bad file and bad setting, and the mel filter bank's shape.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "dl/audio.hpp"
#include "dl/tensor.hpp"
#include "test_support.hpp"

using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {
using test::TempDir;

constexpr double kPi = 3.14159265358979323846;

std::vector<float> sine(double hz, int rate, int count, double amplitude) {
  std::vector<float> x(static_cast<size_t>(count));
  for (int n = 0; n < count; ++n) x[static_cast<size_t>(n)] = static_cast<float>(amplitude * std::sin(2 * kPi * hz * n / rate));
  return x;
}

void put_u16(std::string& s, uint32_t v) {
  for (int i = 0; i < 2; ++i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
}
void put_u32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
}

// A canonical 44-byte WAV header: format 1 (PCM) or 3 (IEEE float), and `data_bytes` of data to follow.
std::string wav_header(int format, int channels, int rate, int bits, uint32_t data_bytes) {
  std::string h = "RIFF";
  put_u32(h, 36 + data_bytes);
  h += "WAVEfmt ";
  put_u32(h, 16);
  put_u16(h, static_cast<uint32_t>(format));
  put_u16(h, static_cast<uint32_t>(channels));
  put_u32(h, static_cast<uint32_t>(rate));
  put_u32(h, static_cast<uint32_t>(rate * channels * bits / 8));
  put_u16(h, static_cast<uint32_t>(channels * bits / 8));
  put_u16(h, static_cast<uint32_t>(bits));
  h += "data";
  put_u32(h, data_bytes);
  return h;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

// A 32-bit float WAV holding `samples` as they are (NaN and infinities included).
void write_float_wav(const std::string& path, const std::vector<float>& samples, int rate) {
  std::string bytes = wav_header(3, 1, rate, 32, static_cast<uint32_t>(samples.size() * 4));
  for (float x : samples) {
    uint32_t bits = 0;
    std::memcpy(&bits, &x, 4);
    put_u32(bytes, bits);
  }
  write_bytes(path, bytes);
}

// The message of the dl::Error that `f` throws, or a note that it did not throw.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const dl::Error& e) {
    return e.what();
  }
  return "<no dl::Error thrown>";
}

std::string read_error(const std::string& path, const dl::AudioReadOptions& options = {}) {
  try {
    dl::read_audio(path, options);
  } catch (const dl::FileError& e) {
    return e.what();
  }
  return "<no FileError thrown>";
}

// The bin of the largest total power over all frames.
int64_t peak_bin(const dl::Tensor& power) {
  const int64_t T = power.size(0), F = power.size(1);
  std::vector<double> total(static_cast<size_t>(F), 0.0);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t k = 0; k < F; ++k) total[static_cast<size_t>(k)] += power.data()[t * F + k];
  return std::max_element(total.begin(), total.end()) - total.begin();
}

// The corner frequencies p_0 .. p_{n_mels+1} of the mel filters, in double.
std::vector<double> mel_corners(const dl::LogMelOptions& o) {
  const auto mel = [](double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); };
  std::vector<double> p;
  for (int i = 0; i < o.n_mels + 2; ++i) {
    const double m = mel(o.f_min) + (mel(o.f_max) - mel(o.f_min)) * i / (o.n_mels + 1);
    p.push_back(700.0 * (std::pow(10.0, m / 2595.0) - 1.0));
  }
  return p;
}

}  // namespace

TEST_CASE("audio: write_wav then read_audio gives the samples back within 16-bit rounding", "[audio]") {
  TempDir dir;
  dl::Audio audio{sine(440, 16000, 8000, 0.8), 16000};
  audio.samples[10] = 1.0f;  // full scale is allowed (a few samples are not clipping)
  audio.samples[11] = -1.0f;
  audio.samples[12] = 0.0f;
  dl::write_wav(dir.file("a.wav"), audio);
  const dl::Audio back = dl::read_audio(dir.file("a.wav"));
  REQUIRE(back.sample_rate == 16000);
  REQUIRE(back.samples.size() == audio.samples.size());
  CHECK(back.seconds() == Approx(0.5));
  float worst = 0;
  for (size_t i = 0; i < audio.samples.size(); ++i) worst = std::max(worst, std::fabs(back.samples[i] - audio.samples[i]));
  CHECK(worst <= 1.5f / 32768);  // round(x * 32767) / 32768
  CHECK(back.samples[12] == 0.0f);
  // The bytes: a 44-byte canonical header and 2 bytes per sample.
  CHECK(fs::file_size(dir.file("a.wav")) == 44 + 2 * audio.samples.size());
}

TEST_CASE("audio: write_wav replaces a file atomically and leaves no temporary file", "[audio]") {
  TempDir dir;
  dl::write_wav(dir.file("a.wav"), {std::vector<float>(100, 0.25f), 8000});
  dl::write_wav(dir.file("a.wav"), {std::vector<float>(50, -0.5f), 8000});
  CHECK(dir.listing() == std::vector<std::string>{"a.wav"});
  const dl::Audio back = dl::read_audio(dir.file("a.wav"), {.sample_rate = 8000});
  REQUIRE(back.samples.size() == 50);
  CHECK(back.samples[0] == Approx(-0.5).margin(1e-4));
}

TEST_CASE("audio: a stereo file is mixed down by averaging its channels", "[audio]") {
  TempDir dir;
  const int n = 1000;
  std::string bytes = wav_header(1, 2, 16000, 16, n * 4);
  for (int t = 0; t < n; ++t) {
    put_u16(bytes, static_cast<uint16_t>(static_cast<int16_t>(16384)));    // left 0.5
    put_u16(bytes, static_cast<uint16_t>(static_cast<int16_t>(t % 2 ? -8192 : 8192)));  // right +-0.25
  }
  write_bytes(dir.file("stereo.wav"), bytes);
  const dl::Audio mono = dl::read_audio(dir.file("stereo.wav"));
  REQUIRE(mono.samples.size() == n);
  CHECK(mono.samples[0] == Approx(0.375).margin(1e-6));
  CHECK(mono.samples[1] == Approx(0.125).margin(1e-6));
}

TEST_CASE("audio: a 22050 Hz sine read at 16 kHz keeps its frequency and the length ratio", "[audio]") {
  TempDir dir;
  const double tone = 1000, amplitude = 0.5;
  dl::write_wav(dir.file("cd.wav"), {sine(tone, 22050, 22050, amplitude), 22050});
  const dl::Audio audio = dl::read_audio(dir.file("cd.wav"));
  CHECK(audio.sample_rate == 16000);
  CHECK(std::abs(static_cast<int64_t>(audio.samples.size()) - 16000) <= 2);
  // 10 Hz bins: frames of 1600 samples, no overlap.
  const dl::Tensor power =
      dl::power_spectrogram(audio.samples, {.sample_rate = 16000, .n_fft = 1600, .win_length = 1600, .hop_length = 1600});
  CHECK(peak_bin(power) == 100);
  // The level survives too: the RMS of a sine is amplitude / sqrt(2) (away from the ends).
  double sum = 0;
  for (size_t i = 1000; i < 15000; ++i) sum += audio.samples[i] * audio.samples[i];
  CHECK(std::sqrt(sum / 14000) == Approx(amplitude / std::sqrt(2.0)).epsilon(0.01));
}

TEST_CASE("audio: resample in memory matches read_audio's resampling and refuses bad rates", "[audio]") {
  TempDir dir;
  const dl::Audio cd{sine(1000, 22050, 22050, 0.5), 22050};
  const dl::Audio direct = dl::resample(cd, 16000);
  CHECK(direct.sample_rate == 16000);
  CHECK(std::abs(static_cast<int64_t>(direct.samples.size()) - 16000) <= 2);
  const dl::Tensor power =
      dl::power_spectrogram(direct.samples, {.sample_rate = 16000, .n_fft = 1600, .win_length = 1600, .hop_length = 1600});
  CHECK(peak_bin(power) == 100);
  dl::write_wav(dir.file("cd.wav"), cd);
  const dl::Audio read = dl::read_audio(dir.file("cd.wav"));
  REQUIRE(read.samples.size() == direct.samples.size());
  for (size_t i = 0; i < read.samples.size(); i += 97) CHECK(read.samples[i] == Approx(direct.samples[i]).margin(1e-4));  // 16-bit file
  CHECK(dl::resample(cd, 22050).samples == cd.samples);
  CHECK_THROWS_WITH(dl::resample(cd, 0), Catch::Contains("rates must be positive"));
  // Found by fuzz_audio: 4 frames at 768 kHz are none at 16 kHz; that is an error, not an empty recording.
  CHECK_THROWS_WITH(dl::resample({{0.1f, 0.2f, 0.3f, 0.4f}, 768000}, 16000), Catch::Contains("too short to resample"));
  dl::write_wav(dir.file("blink.wav"), {{0.1f, 0.2f, 0.3f, 0.4f}, 768000});
  CHECK_THROWS_WITH(dl::read_audio(dir.file("blink.wav")), Catch::Contains("too short to resample"));
  CHECK_THROWS_WITH(dl::resample({{0.0f}, -5}, 16000), Catch::Contains("-5 Hz"));
}

TEST_CASE("audio: read_audio refuses each kind of bad file with a FileError naming it", "[audio]") {
  TempDir dir;
  SECTION("a missing file") {
    const std::string msg = read_error(dir.file("missing.wav"));
    CHECK_THAT(msg, Contains("missing.wav") && Contains("No such file") && Contains("expected an audio file"));
  }
  SECTION("a text file named .wav: libsndfile's message is included") {
    write_bytes(dir.file("notes.wav"), "these are not samples\n");
    const std::string msg = read_error(dir.file("notes.wav"));
    CHECK_THAT(msg, Contains("notes.wav") && Contains("not an audio file") && Contains("Format not recognised"));
  }
  SECTION("an empty WAV") {
    dl::write_wav(dir.file("empty.wav"), {{}, 16000});
    CHECK_THAT(read_error(dir.file("empty.wav")), Contains("empty.wav") && Contains("empty") && Contains("0 frames"));
  }
  SECTION("a 10-hour WAV is refused from its header alone") {
    // A sparse file: the header promises 10 hours (1.15 GB of samples); reading them into
    // memory (4.6 GB of floats) would be noticed, refusing them takes no time.
    const uint32_t data_bytes = 16000u * 2u * 36000u;
    write_bytes(dir.file("long.wav"), wav_header(1, 1, 16000, 16, data_bytes));
    fs::resize_file(dir.file("long.wav"), 44 + static_cast<uintmax_t>(data_bytes));
    CHECK_THAT(read_error(dir.file("long.wav")),
               Contains("long.wav") && Contains("36000 s long") && Contains("limit of 60 s"));
  }
  SECTION("a header promising more than 2^28 samples within max_seconds is refused before reading") {
    // 50 s of 8 channels at 768 kHz: 3.1e8 samples (1.2 GB of floats), in a sparse file.
    const uint32_t data_bytes = 768000u * 8u * 2u * 50u;
    write_bytes(dir.file("wide.wav"), wav_header(1, 8, 768000, 16, data_bytes));
    fs::resize_file(dir.file("wide.wav"), 44 + static_cast<uintmax_t>(data_bytes));
    CHECK_THAT(read_error(dir.file("wide.wav")),
               Contains("wide.wav") && Contains("38400000 frames of 8 channels") && Contains("268435456 samples"));
  }
  SECTION("a 61-second WAV is over the default limit of 60 s and fine with a higher one") {
    dl::write_wav(dir.file("61.wav"), {std::vector<float>(61 * 8000, 0.0f), 8000});
    CHECK_THAT(read_error(dir.file("61.wav")), Contains("61 s long"));
    CHECK(dl::read_audio(dir.file("61.wav"), {.sample_rate = 8000, .max_seconds = 62}).samples.size() == 61 * 8000);
  }
  SECTION("a float WAV with a NaN sample") {
    std::vector<float> x(100, 0.1f);
    x[42] = std::numeric_limits<float>::quiet_NaN();
    write_float_wav(dir.file("nan.wav"), x, 16000);
    CHECK_THAT(read_error(dir.file("nan.wav")), Contains("nan.wav") && Contains("sample 42") && Contains("finite"));
  }
  SECTION("a float WAV with an infinite sample") {
    std::vector<float> x(100, 0.1f);
    x[7] = -std::numeric_limits<float>::infinity();
    write_float_wav(dir.file("inf.wav"), x, 16000);
    CHECK_THAT(read_error(dir.file("inf.wav")), Contains("sample 7") && Contains("-inf"));
  }
  SECTION("a clipped recording says so and how much") {
    std::vector<float> x = sine(200, 16000, 16000, 2.0);
    for (float& v : x) v = std::clamp(v, -1.0f, 1.0f);  // 2/3 of a sine at twice full scale is cut off
    dl::write_wav(dir.file("loud.wav"), {x, 16000});
    const std::string msg = read_error(dir.file("loud.wav"));
    CHECK_THAT(msg, Contains("loud.wav") && Contains("clipped") && Contains("67.5% of its samples (10800 of 16000)") &&
                        Contains("1% allowed"));
  }
  SECTION("a FIFO is refused at once, without waiting for a writer") {
    const std::string fifo = dir.file("pipe.wav");
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK_THAT(read_error(fifo), Contains("pipe.wav") && Contains("not a regular file"));
  }
  SECTION("a directory") {
    fs::create_directory(dir.file("folder.wav"));
    CHECK_THAT(read_error(dir.file("folder.wav")), Contains("folder.wav") && Contains("not a regular file"));
  }
}

TEST_CASE("audio: a few full-scale samples under max_clipped_fraction are accepted", "[audio]") {
  TempDir dir;
  std::vector<float> x(1000, 0.1f);
  for (int i = 0; i < 5; ++i) x[static_cast<size_t>(i) * 100] = 1.0f;  // 0.5%
  dl::write_wav(dir.file("ok.wav"), {x, 16000});
  CHECK(dl::read_audio(dir.file("ok.wav")).samples.size() == 1000);
  CHECK_THAT(read_error(dir.file("ok.wav"), {.max_clipped_fraction = 0.001}), Contains("0.5% of its samples"));
}

TEST_CASE("audio: read_audio refuses bad options", "[audio]") {
  TempDir dir;
  dl::write_wav(dir.file("a.wav"), {std::vector<float>(100, 0.1f), 16000});
  CHECK_THAT(error_of([&] { dl::read_audio(dir.file("a.wav"), {.sample_rate = 0}); }),
             Contains("sample_rate must be positive, got 0"));
  CHECK_THAT(error_of([&] { dl::read_audio(dir.file("a.wav"), {.max_seconds = -1}); }),
             Contains("max_seconds must be positive, got -1"));
  CHECK_THAT(error_of([&] { dl::read_audio(dir.file("a.wav"), {.max_clipped_fraction = 2}); }),
             Contains("max_clipped_fraction must be from 0 to 1, got 2"));
}

TEST_CASE("audio: write_wav refuses out-of-range samples and bad rates and NaN and a missing directory", "[audio]") {
  TempDir dir;
  std::vector<float> x(10, 0.5f);
  x[3] = -1.25f;
  CHECK_THAT(error_of([&] { dl::write_wav(dir.file("a.wav"), {x, 16000}); }),
             Contains("a.wav") && Contains("exceed [-1, 1]") && Contains("sample 3 is -1.25") &&
                 Contains("0.25 beyond the range"));
  CHECK_THAT(error_of([&] { dl::write_wav(dir.file("a.wav"), {{0.1f}, 0}); }), Contains("sample_rate must be positive, got 0"));
  CHECK_THAT(error_of([&] { dl::write_wav(dir.file("a.wav"), {{0.1f, NAN}, 16000}); }),
             Contains("sample 1 is nan"));
  CHECK_THAT(error_of([&] { dl::write_wav(dir.file("no/such/dir/a.wav"), {{0.1f}, 16000}); }), Contains("a.wav"));
  CHECK(dir.listing().empty());  // nothing was written
}

TEST_CASE("audio: hz_to_mel and mel_to_hz are the HTK formulas and inverse to each other", "[audio]") {
  CHECK(dl::hz_to_mel(0) == 0);
  CHECK(dl::hz_to_mel(700) == Approx(2595 * std::log10(2.0)));
  CHECK(dl::hz_to_mel(1000) == Approx(999.99).margin(0.1));
  for (float hz : {20.0f, 440.0f, 4000.0f, 8000.0f}) CHECK(dl::mel_to_hz(dl::hz_to_mel(hz)) == Approx(hz).epsilon(1e-5));
}

TEST_CASE("audio: hann_window is the periodic Hann window", "[audio]") {
  const dl::Tensor w = dl::hann_window(8);
  REQUIRE(w.shape() == dl::Shape{8});
  CHECK(w.data()[0] == 0.0f);
  CHECK(w.data()[4] == Approx(1.0));  // the peak at length/2, and no trailing zero
  CHECK(w.data()[2] == Approx(0.5));
  CHECK(w.data()[7] == Approx(w.data()[1]));
  CHECK_THAT(error_of([] { dl::hann_window(0); }), Contains("length must be positive"));
}

TEST_CASE("audio: each mel filter is a triangle that peaks at its centre frequency", "[audio]") {
  const dl::LogMelOptions o;
  const dl::Tensor fb = dl::mel_filter_bank(o);
  const int64_t M = o.n_mels, F = o.n_fft / 2 + 1;
  REQUIRE(fb.shape() == dl::Shape{M, F});
  const std::vector<double> p = mel_corners(o);
  const double bin_hz = o.sample_rate / 2.0 / (F - 1);
  for (int64_t m = 0; m < M; ++m) {
    const float* row = fb.data() + m * F;
    const double lo = p[static_cast<size_t>(m)], centre = p[static_cast<size_t>(m) + 1], hi = p[static_cast<size_t>(m) + 2];
    const int64_t peak = std::max_element(row, row + F) - row;
    // The peak is the bin nearest the centre (one of the two around it), and the formula
    // gives 1 at the centre itself: the value falls off linearly with the distance.
    CHECK(std::abs(peak * bin_hz - centre) <= bin_hz);
    for (int64_t k = 0; k < F; ++k) {
      const double f = k * bin_hz;
      const double expected = std::max(0.0, std::min((f - lo) / (centre - lo), (hi - f) / (hi - centre)));
      REQUIRE(row[k] == Approx(expected).margin(1e-5));
      if (f <= lo || f >= hi) REQUIRE(row[k] == 0.0f);  // zero outside its two neighbours' centres
      if (k > 0 && f <= centre) REQUIRE(row[k] >= row[k - 1]);  // rises to the centre
      if (k > 0 && f - bin_hz >= centre) REQUIRE(row[k] <= row[k - 1]);  // falls after it
    }
    CHECK(*std::max_element(row, row + F) <= 1.0f);
  }
}

TEST_CASE("audio: the mel filters cover f_min to f_max and sum to 1 between the outer centres", "[audio]") {
  const dl::LogMelOptions o{.n_mels = 24, .f_min = 100, .f_max = 7000};
  const dl::Tensor fb = dl::mel_filter_bank(o);
  const int64_t M = o.n_mels, F = o.n_fft / 2 + 1;
  const std::vector<double> p = mel_corners(o);
  const double bin_hz = o.sample_rate / 2.0 / (F - 1);
  CHECK(p.front() == Approx(100));
  CHECK(p.back() == Approx(7000));
  for (int64_t k = 0; k < F; ++k) {
    const double f = k * bin_hz;
    double sum = 0;
    for (int64_t m = 0; m < M; ++m) sum += fb.data()[m * F + k];
    if (f <= o.f_min || f >= o.f_max) CHECK(sum == 0.0);  // nothing outside [f_min, f_max]
    else if (f >= p[1] && f <= p[static_cast<size_t>(M)]) CHECK(sum == Approx(1.0).margin(1e-5));
    else CHECK(sum > 0.0);  // the outer half-triangles
  }
}

TEST_CASE("audio: LogMelOptions are validated with messages naming the values", "[audio]") {
  const std::vector<float> x(16000, 0.0f);
  const auto err = [&](dl::LogMelOptions o) { return error_of([&] { dl::log_mel_spectrogram(x, o); }); };
  CHECK_THAT(err({.win_length = 600}), Contains("win_length 600 is longer than n_fft 512"));
  CHECK_THAT(err({.f_max = 9000}), Contains("f_max 9000 Hz is above the Nyquist frequency sample_rate/2 = 8000 Hz"));
  CHECK_THAT(err({.f_min = 500, .f_max = 400}), Contains("f_min 500 Hz must be below f_max 400 Hz"));
  CHECK_THAT(err({.f_min = 400, .f_max = 400}), Contains("must be below"));
  CHECK_THAT(err({.f_min = -1}), Contains("f_min must be >= 0 Hz, got -1"));
  CHECK_THAT(err({.sample_rate = 0}), Contains("sample_rate must be positive, got 0"));
  CHECK_THAT(err({.n_fft = 0}), Contains("n_fft must be from 1 to 65536, got 0"));
  CHECK_THAT(err({.n_fft = 1 << 20}), Contains("n_fft must be from 1 to 65536"));
  CHECK_THAT(err({.win_length = -5}), Contains("win_length must be positive, got -5"));
  CHECK_THAT(err({.hop_length = 0}), Contains("hop_length must be positive, got 0"));
  CHECK_THAT(err({.n_mels = 0}), Contains("n_mels must be positive, got 0"));
  CHECK_THAT(err({.log_floor = 0}), Contains("log_floor must be a positive number"));
  CHECK_THAT(err({.n_mels = 128}), Contains("mel filter 3 (62.9") && Contains("holds no FFT bin") && Contains("n_fft 512") &&
                                       Contains("31.25 Hz apart") && Contains("128 mels"));
  CHECK_THAT(error_of([] { dl::mel_filter_bank({.n_mels = 128}); }), Contains("holds no FFT bin"));
  CHECK(dl::mel_filter_bank({.n_fft = 2048, .win_length = 400, .n_mels = 128}).size(0) == 128);  // fine with finer bins
}

TEST_CASE("audio: power_spectrogram cuts 1 + (N - win) / hop frames and refuses a signal shorter than a window", "[audio]") {
  const dl::LogMelOptions o;
  CHECK(dl::power_spectrogram(std::vector<float>(400, 0.1f), o).shape() == dl::Shape{1, 257});
  CHECK(dl::power_spectrogram(std::vector<float>(16000, 0.1f), o).shape() == dl::Shape{98, 257});
  CHECK(dl::power_spectrogram(std::vector<float>(559, 0.1f), o).shape() == dl::Shape{1, 257});
  CHECK(dl::power_spectrogram(std::vector<float>(560, 0.1f), o).shape() == dl::Shape{2, 257});
  CHECK(dl::log_mel_spectrogram(std::vector<float>(16000, 0.1f), o).shape() == dl::Shape{98, 40});
  CHECK_THAT(error_of([&] { dl::log_mel_spectrogram(std::vector<float>(399, 0.1f), o); }),
             Contains("399 samples, fewer than one window of 400"));
  CHECK_THAT(error_of([&] { dl::log_mel_spectrogram(std::vector<float>{}, o); }), Contains("0 samples"));
  std::vector<float> bad(1000, 0.0f);
  bad[500] = INFINITY;
  CHECK_THAT(error_of([&] { dl::log_mel_spectrogram(bad, o); }), Contains("sample 500 is inf"));
}

TEST_CASE("audio: power_spectrogram of a DC frame is the window's sum squared at bin 0", "[audio]") {
  const dl::Tensor power = dl::power_spectrogram(std::vector<float>(400, 1.0f), {});
  // sum of the periodic Hann window of 400 points = 200
  CHECK(power.data()[0] == Approx(200.0 * 200.0).epsilon(1e-5));
  const dl::Tensor silence = dl::log_mel_spectrogram(std::vector<float>(400, 0.0f), {});
  CHECK(silence.data()[0] == Approx(std::log(1e-6)));  // floored
}

TEST_CASE("audio: the log-mel of a pure tone is largest in the mel band centred on it", "[audio]") {
  const dl::LogMelOptions o;
  const std::vector<double> p = mel_corners(o);
  for (int band : {5, 10, 20, 30, 38}) {
    const double tone = p[static_cast<size_t>(band) + 1];
    const dl::Tensor lm = dl::log_mel_spectrogram(sine(tone, o.sample_rate, 8000, 0.5), o);
    for (int64_t t = 0; t < lm.size(0); ++t) {
      const float* row = lm.data() + t * o.n_mels;
      INFO("tone " << tone << " Hz, frame " << t);
      REQUIRE(std::max_element(row, row + o.n_mels) - row == band);
    }
  }
}

TEST_CASE("audio: spectrograms computed on several threads at once agree with one thread", "[audio]") {
  const std::vector<float> x = sine(1234, 16000, 16000, 0.3);
  const dl::Tensor expected = dl::log_mel_spectrogram(x, {});
  std::vector<dl::Tensor> results(4);
  std::vector<std::thread> threads;
  for (auto& r : results) threads.emplace_back([&x, &r] { r = dl::log_mel_spectrogram(x, {}); });
  for (auto& t : threads) t.join();
  for (const auto& r : results)
    CHECK(std::equal(r.data(), r.data() + r.numel(), expected.data()));
}

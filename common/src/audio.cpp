// Audio files (libsndfile), resampling (libsamplerate), and the spectrograms (FFTW).
// Files are hostile input: every check happens before the work it protects (the length
// before any sample is read, the file type before libsndfile opens it).
#include "dl/audio.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fftw3.h>
#include <samplerate.h>
#include <sndfile.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <mutex>
#include <sstream>
#include <string>
#include <system_error>

#include "dl/error.hpp"
#include "dl/io.hpp"

namespace dl {

namespace {

constexpr double kPi = 3.14159265358979323846;
// |x| at or above this is full scale: a clipped sample.
constexpr float kClipLevel = 0.999f;
// No real recording is sampled faster (DXD is 352.8 kHz); a larger rate in a header is corrupt,
// and refusing it keeps frames * channels (the memory read_audio allocates) bounded.
constexpr int kMaxFileRate = 768000;
constexpr int kMaxChannels = 256;
// Most samples (all channels) read_audio loads: 2^28 floats, 1 GB. Within max_seconds a
// header may still promise more (many channels at a high rate, e.g. in a sparse file).
constexpr int64_t kMaxFileSamples = int64_t{1} << 28;
constexpr int kMaxFft = 65536;

// A number as messages show it: shortest round-trip form ("0.5", "1e-06").
std::string num(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

std::string percent(double fraction) {
  std::ostringstream s;
  s.precision(3);
  s << 100 * fraction << '%';
  return s.str();
}

[[noreturn]] void file_error(const std::filesystem::path& path, const std::string& what) {
  throw FileError(path.string() + ": " + what);
}

// Closes a libsndfile handle at scope exit.
struct SndFile {
  SNDFILE* handle = nullptr;
  ~SndFile() {
    if (handle != nullptr) sf_close(handle);
  }
};

// Opens `path` for libsndfile without ever blocking: open(O_NONBLOCK) so that a FIFO does not
// wait for a writer, then fstat on the same descriptor to refuse anything but a regular file.
SNDFILE* open_sound(const std::filesystem::path& path, SF_INFO& info) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    file_error(path, "cannot open for reading: " + std::system_category().message(errno) +
                         " (expected an audio file such as WAV or FLAC)");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    file_error(path, "not a regular file (a directory, a pipe or a device?); expected an audio file such as WAV or FLAC");
  }
  // Back to blocking reads for libsndfile (a regular file never blocks anyway).
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  info = SF_INFO{};
  SNDFILE* handle = sf_open_fd(fd, SFM_READ, &info, /*close_desc=*/SF_TRUE);
  if (handle == nullptr) {
    // sf_open_fd closes fd on failure when close_desc is true.
    file_error(path, std::string("not an audio file libsndfile can read (") + sf_strerror(nullptr) +
                         "); expected WAV, FLAC, Ogg, AIFF or another format libsndfile knows");
  }
  return handle;
}

// Resamples mono `in` from rate `from` to rate `to` with libsamplerate's medium-quality sinc;
// `where` names the source in an error ("FILE: " or "resample: ").
std::vector<float> resample_samples(const std::string& where, const std::vector<float>& in, int from, int to) {
  const double ratio = static_cast<double>(to) / from;
  std::vector<float> out(static_cast<size_t>(std::ceil(static_cast<double>(in.size()) * ratio)) + 16);
  SRC_DATA data{};
  data.data_in = in.data();
  data.input_frames = static_cast<long>(in.size());
  data.data_out = out.data();
  data.output_frames = static_cast<long>(out.size());
  data.src_ratio = ratio;
  data.end_of_input = 1;
  const int err = src_simple(&data, SRC_SINC_MEDIUM_QUALITY, 1);
  if (err != 0)
    throw FileError(where + "resampling from " + std::to_string(from) + " Hz to " + std::to_string(to) +
                    " Hz failed: " + src_strerror(err));
  out.resize(static_cast<size_t>(data.output_frames_gen));
  // A handful of samples at a high rate can come out as none at a low one.
  if (out.empty())
    throw FileError(where + "too short to resample: " + std::to_string(in.size()) + " samples at " + std::to_string(from) +
                    " Hz give none at " + std::to_string(to) + " Hz");
  return out;
}

// A growable in-memory file for libsndfile's virtual I/O: write_wav encodes into it, then
// hands the bytes to write_file_atomically.
struct MemoryFile {
  std::string bytes;
  sf_count_t pos = 0;
};

sf_count_t mem_length(void* user) { return static_cast<sf_count_t>(static_cast<MemoryFile*>(user)->bytes.size()); }

sf_count_t mem_seek(sf_count_t offset, int whence, void* user) {
  auto* f = static_cast<MemoryFile*>(user);
  const sf_count_t base = whence == SEEK_CUR ? f->pos : whence == SEEK_END ? static_cast<sf_count_t>(f->bytes.size()) : 0;
  const sf_count_t to = base + offset;
  if (to < 0) return -1;
  f->pos = to;
  return f->pos;
}

sf_count_t mem_read(void* ptr, sf_count_t count, void* user) {
  auto* f = static_cast<MemoryFile*>(user);
  const auto size = static_cast<sf_count_t>(f->bytes.size());
  const sf_count_t n = std::max<sf_count_t>(0, std::min(count, size - f->pos));
  if (n > 0) std::memcpy(ptr, f->bytes.data() + f->pos, static_cast<size_t>(n));
  f->pos += n;
  return n;
}

sf_count_t mem_write(const void* ptr, sf_count_t count, void* user) {
  auto* f = static_cast<MemoryFile*>(user);
  const auto end = static_cast<size_t>(f->pos + count);
  if (end > f->bytes.size()) f->bytes.resize(end);
  std::memcpy(f->bytes.data() + f->pos, ptr, static_cast<size_t>(count));
  f->pos += count;
  return count;
}

sf_count_t mem_tell(void* user) { return static_cast<MemoryFile*>(user)->pos; }

// The frame settings, which both spectrograms need.
void check_frames(const LogMelOptions& o, const char* who) {
  const std::string w = std::string(who) + ": ";
  if (o.sample_rate <= 0) throw Error(w + "sample_rate must be positive, got " + std::to_string(o.sample_rate));
  if (o.n_fft <= 0 || o.n_fft > kMaxFft)
    throw Error(w + "n_fft must be from 1 to " + std::to_string(kMaxFft) + ", got " + std::to_string(o.n_fft));
  if (o.win_length <= 0) throw Error(w + "win_length must be positive, got " + std::to_string(o.win_length));
  if (o.hop_length <= 0) throw Error(w + "hop_length must be positive, got " + std::to_string(o.hop_length));
  if (o.win_length > o.n_fft)
    throw Error(w + "win_length " + std::to_string(o.win_length) + " is longer than n_fft " + std::to_string(o.n_fft) +
                " (expected win_length <= n_fft: a frame is zero-padded up to n_fft, never cut)");
}

// The mel settings, on top of the frame settings.
void check_mels(const LogMelOptions& o, const char* who) {
  check_frames(o, who);
  const std::string w = std::string(who) + ": ";
  if (o.n_mels <= 0) throw Error(w + "n_mels must be positive, got " + std::to_string(o.n_mels));
  if (!std::isfinite(o.f_min) || o.f_min < 0) throw Error(w + "f_min must be >= 0 Hz, got " + num(o.f_min));
  if (!std::isfinite(o.f_max) || o.f_max > o.sample_rate / 2.0)
    throw Error(w + "f_max " + num(o.f_max) + " Hz is above the Nyquist frequency sample_rate/2 = " +
                num(o.sample_rate / 2.0) + " Hz (a signal at " + std::to_string(o.sample_rate) +
                " Hz holds no higher frequencies)");
  if (o.f_min >= o.f_max)
    throw Error(w + "f_min " + num(o.f_min) + " Hz must be below f_max " + num(o.f_max) + " Hz");
  if (!std::isfinite(o.log_floor) || o.log_floor <= 0)
    throw Error(w + "log_floor must be a positive number (the log of 0 is -inf), got " + num(o.log_floor));
}

// Throws when the signal has a NaN or an infinity, naming the first.
void check_finite(std::span<const float> samples, const char* who) {
  for (size_t i = 0; i < samples.size(); ++i)
    if (!std::isfinite(samples[i]))
      throw Error(std::string(who) + ": sample " + std::to_string(i) + " is " + num(samples[i]) +
                  " (expected finite samples)");
}

// FFTW's planner keeps global state: creating and destroying plans is not thread-safe
// (executing one is). Every planner call goes through this mutex.
std::mutex& fftw_planner_mutex() {
  static std::mutex m;
  return m;
}

// One real-FFT plan with its own aligned buffers: `in` (n_fft floats), `out` (n_fft/2+1 complex).
class RealFft {
 public:
  explicit RealFft(int n) {
    in_ = fftwf_alloc_real(static_cast<size_t>(n));
    out_ = fftwf_alloc_complex(static_cast<size_t>(n / 2 + 1));
    if (in_ == nullptr || out_ == nullptr) {
      release();
      throw Error("power_spectrogram: cannot allocate FFT buffers of " + std::to_string(n) + " points");
    }
    std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    // FFTW_ESTIMATE: a reasonable plan at once, without timing trial runs (which would
    // overwrite the buffers and take longer than a typical clip's FFTs).
    plan_ = fftwf_plan_dft_r2c_1d(n, in_, out_, FFTW_ESTIMATE);
    if (plan_ == nullptr) {
      release();
      throw Error("power_spectrogram: FFTW cannot plan a real FFT of " + std::to_string(n) + " points");
    }
  }
  ~RealFft() { release(); }
  RealFft(const RealFft&) = delete;
  RealFft& operator=(const RealFft&) = delete;

  float* in() { return in_; }
  const fftwf_complex* out() const { return out_; }
  void run() { fftwf_execute(plan_); }

 private:
  void release() {
    std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    if (plan_ != nullptr) fftwf_destroy_plan(plan_);
    fftwf_free(in_);
    fftwf_free(out_);
    plan_ = nullptr;
    in_ = nullptr;
    out_ = nullptr;
  }

  float* in_ = nullptr;
  fftwf_complex* out_ = nullptr;
  fftwf_plan plan_ = nullptr;
};

}  // namespace

double Audio::seconds() const {
  return sample_rate > 0 ? static_cast<double>(samples.size()) / sample_rate : 0.0;
}

Audio read_audio(const std::filesystem::path& path, const AudioReadOptions& options) {
  if (options.sample_rate <= 0)
    throw Error("read_audio: options.sample_rate must be positive, got " + std::to_string(options.sample_rate));
  if (!(options.max_seconds > 0))
    throw Error("read_audio: options.max_seconds must be positive, got " + num(options.max_seconds));
  if (!(options.max_clipped_fraction >= 0 && options.max_clipped_fraction <= 1))
    throw Error("read_audio: options.max_clipped_fraction must be from 0 to 1, got " +
                num(options.max_clipped_fraction));

  SF_INFO info{};
  SndFile file{open_sound(path, info)};
  if (info.channels <= 0 || info.channels > kMaxChannels)
    file_error(path, "header says " + std::to_string(info.channels) + " channels (expected 1 to " +
                         std::to_string(kMaxChannels) + ")");
  if (info.samplerate <= 0 || info.samplerate > kMaxFileRate)
    file_error(path, "header says " + std::to_string(info.samplerate) + " samples per second (expected 1 to " +
                         std::to_string(kMaxFileRate) + ")");
  if (info.frames <= 0) file_error(path, "the file is empty: it holds no samples (0 frames)");
  // The length from the header, before reading: a long file is refused without loading it.
  const double seconds = static_cast<double>(info.frames) / info.samplerate;
  if (seconds > options.max_seconds)
    file_error(path, "the file is " + num(seconds) + " s long, longer than the limit of " +
                         num(options.max_seconds) + " s (cut it into shorter clips, or raise max_seconds)");

  if (static_cast<int64_t>(info.frames) * info.channels > kMaxFileSamples)
    file_error(path, "the header promises " + std::to_string(info.frames) + " frames of " +
                         std::to_string(info.channels) + " channels, more than the " +
                         std::to_string(kMaxFileSamples) + " samples read_audio loads at once (1 GB)");
  const auto channels = static_cast<size_t>(info.channels);
  std::vector<float> interleaved(static_cast<size_t>(info.frames) * channels);
  const sf_count_t got = sf_readf_float(file.handle, interleaved.data(), info.frames);
  if (got <= 0) file_error(path, std::string("no samples could be read (") + sf_strerror(file.handle) + ")");
  interleaved.resize(static_cast<size_t>(got) * channels);

  size_t clipped = 0;
  for (size_t i = 0; i < interleaved.size(); ++i) {
    const float x = interleaved[i];
    if (!std::isfinite(x))
      file_error(path, "sample " + std::to_string(i / channels) + " (channel " + std::to_string(i % channels) +
                           ") is " + num(x) + " (expected finite samples; the file is corrupt)");
    if (std::fabs(x) >= kClipLevel) ++clipped;
  }
  const double clipped_fraction = static_cast<double>(clipped) / static_cast<double>(interleaved.size());
  if (clipped_fraction > options.max_clipped_fraction)
    file_error(path, "the recording is clipped: " + percent(clipped_fraction) + " of its samples (" +
                         std::to_string(clipped) + " of " + std::to_string(interleaved.size()) +
                         ") are at full scale |x| >= " + num(kClipLevel) + ", more than the " +
                         percent(options.max_clipped_fraction) +
                         " allowed (record it again at a lower level, or raise max_clipped_fraction)");

  // [read-audio-mix]
  // Mix down: the average of the channels of each frame.
  Audio audio;
  audio.sample_rate = options.sample_rate;
  std::vector<float> mono(static_cast<size_t>(got));
  for (size_t t = 0; t < mono.size(); ++t) {
    float sum = 0;
    for (size_t c = 0; c < channels; ++c) sum += interleaved[t * channels + c];
    mono[t] = sum / static_cast<float>(channels);
  }
  interleaved = {};
  audio.samples = info.samplerate == options.sample_rate ? std::move(mono)
                                                         : resample_samples(path.string() + ": ", mono, info.samplerate, options.sample_rate);
  for (float& x : audio.samples) x = std::clamp(x, -1.0f, 1.0f);
  // [read-audio-mix]
  return audio;
}

Audio resample(const Audio& audio, int sample_rate) {
  if (audio.sample_rate <= 0 || sample_rate <= 0)
    throw Error("resample: rates must be positive, got " + std::to_string(audio.sample_rate) + " Hz to " +
                std::to_string(sample_rate) + " Hz");
  if (audio.sample_rate == sample_rate) return audio;
  Audio out{resample_samples("resample: ", audio.samples, audio.sample_rate, sample_rate), sample_rate};
  for (float& x : out.samples) x = std::clamp(x, -1.0f, 1.0f);
  return out;
}

void write_wav(const std::filesystem::path& path, const Audio& audio) {
  if (audio.sample_rate <= 0)
    throw Error("write_wav: " + path.string() + ": sample_rate must be positive, got " +
                std::to_string(audio.sample_rate));
  size_t worst = 0;
  float worst_excess = 0;
  for (size_t i = 0; i < audio.samples.size(); ++i) {
    const float x = audio.samples[i];
    if (!std::isfinite(x))
      throw Error("write_wav: " + path.string() + ": sample " + std::to_string(i) + " is " + num(x) +
                  " (expected finite samples in [-1, 1])");
    const float excess = std::fabs(x) - 1.0f;
    if (excess > worst_excess) worst_excess = excess, worst = i;
  }
  if (worst_excess > 0)
    throw Error("write_wav: " + path.string() + ": samples exceed [-1, 1]: sample " + std::to_string(worst) + " is " +
                num(audio.samples[worst]) + ", " + num(worst_excess) +
                " beyond the range (16-bit PCM would clip it; scale the signal by " +
                num(1.0 / (1.0 + worst_excess)) + " or less first)");

  MemoryFile memory;
  SF_VIRTUAL_IO io{mem_length, mem_seek, mem_read, mem_write, mem_tell};
  SF_INFO info{};
  info.samplerate = audio.sample_rate;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  {
    SndFile file{sf_open_virtual(&io, SFM_WRITE, &info, &memory)};
    if (file.handle == nullptr)
      throw FileError(path.string() + ": cannot encode a 16-bit WAV at " + std::to_string(audio.sample_rate) +
                      " Hz: " + sf_strerror(nullptr));
    const auto n = static_cast<sf_count_t>(audio.samples.size());
    if (n > 0 && sf_writef_float(file.handle, audio.samples.data(), n) != n)
      throw FileError(path.string() + ": encoding the WAV failed: " + sf_strerror(file.handle));
  }  // sf_close writes the final chunk sizes into the header
  write_file_atomically(path.string(), memory.bytes);
}

// [hz-to-mel]
float hz_to_mel(float hz) { return 2595.0f * std::log10(1.0f + hz / 700.0f); }

float mel_to_hz(float mel) { return 700.0f * (std::pow(10.0f, mel / 2595.0f) - 1.0f); }
// [hz-to-mel]

// [hann]
Tensor hann_window(int length) {
  if (length <= 0) throw Error("hann_window: length must be positive, got " + std::to_string(length));
  Tensor w = Tensor::empty({length});
  float* p = w.data();
  // Periodic: the window of length+1 points without its last one, so that windows placed
  // one after another sum to a constant (what the STFT wants), not the symmetric filter design.
  for (int n = 0; n < length; ++n) p[n] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * kPi * n / length));
  return w;
}
// [hann]

// [mel-filter-bank]
Tensor mel_filter_bank(const LogMelOptions& options) {
  check_mels(options, "mel_filter_bank");
  // fb: (M, F) with F = n_fft/2 + 1 bins
  const int M = options.n_mels;
  const int F = options.n_fft / 2 + 1;
  // The n_mels + 2 corner frequencies, evenly spaced in mel (in double, then the bank in float).
  const auto mel_of = [](double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); };
  const double mel_lo = mel_of(options.f_min), mel_hi = mel_of(options.f_max);
  std::vector<double> p(static_cast<size_t>(M) + 2);
  for (int i = 0; i < M + 2; ++i) {
    const double mel = mel_lo + (mel_hi - mel_lo) * i / (M + 1);
    p[static_cast<size_t>(i)] = 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
  }
  // The ends exactly, without the round trip's rounding: nothing leaks past f_min and f_max.
  p.front() = options.f_min;
  p.back() = options.f_max;
  Tensor fb = Tensor::zeros({M, F});
  float* out = fb.data();
  const double bin_hz = F > 1 ? (options.sample_rate / 2.0) / (F - 1) : 0.0;
  for (int m = 0; m < M; ++m) {
    const double lo = p[static_cast<size_t>(m)], centre = p[static_cast<size_t>(m) + 1], hi = p[static_cast<size_t>(m) + 2];
    bool any = false;
    for (int k = 0; k < F; ++k) {
      const double f = k * bin_hz;
      const double rise = (f - lo) / (centre - lo), fall = (hi - f) / (hi - centre);
      const double v = std::max(0.0, std::min(rise, fall));
      out[static_cast<int64_t>(m) * F + k] = static_cast<float>(v);
      any = any || v > 0;
    }
    if (!any)
      throw Error("mel_filter_bank: mel filter " + std::to_string(m) + " (" + num(lo) + " to " + num(hi) +
                  " Hz) holds no FFT bin: with n_fft " + std::to_string(options.n_fft) + " at sample_rate " +
                  std::to_string(options.sample_rate) + " the bins are " + num(bin_hz) + " Hz apart, too coarse for " +
                  std::to_string(M) + " mels between f_min " + num(options.f_min) + " and f_max " +
                  num(options.f_max) + " Hz (use fewer mels, a larger n_fft, or a higher f_min)");
  }
  return fb;
}
// [mel-filter-bank]

// [power-spectrogram]
Tensor power_spectrogram(std::span<const float> samples, const LogMelOptions& options) {
  check_frames(options, "power_spectrogram");
  check_finite(samples, "power_spectrogram");
  const auto N = static_cast<int64_t>(samples.size());
  const int W = options.win_length, H = options.hop_length, n_fft = options.n_fft;
  if (N < W)
    throw Error("power_spectrogram: the signal has " + std::to_string(N) + " samples, fewer than one window of " +
                std::to_string(W) + " (win_length); pad it or use a shorter window");
  // x: (N)  out: (T, F) with T = 1 + (N - W) / H frames, F = n_fft/2 + 1 bins
  const int64_t T = 1 + (N - W) / H;
  const int F = n_fft / 2 + 1;
  const Tensor window = hann_window(W);
  const float* w = window.data();
  Tensor out = Tensor::empty({T, F});
  float* power = out.data();

  RealFft fft(n_fft);
  float* frame = fft.in();
  std::fill(frame + W, frame + n_fft, 0.0f);  // the zero padding, the same for every frame
  for (int64_t t = 0; t < T; ++t) {
    const float* x = samples.data() + t * H;
    for (int n = 0; n < W; ++n) frame[n] = x[n] * w[n];
    fft.run();  // an out-of-place r2c plan preserves its input (FFTW's default): the padding stays 0
    const fftwf_complex* X = fft.out();
    float* row = power + t * F;
    for (int k = 0; k < F; ++k) row[k] = X[k][0] * X[k][0] + X[k][1] * X[k][1];
  }
  return out;
}
// [power-spectrogram]

// [log-mel]
Tensor log_mel_spectrogram(std::span<const float> samples, const LogMelOptions& options) {
  check_mels(options, "log_mel_spectrogram");
  const Tensor fb = mel_filter_bank(options);  // (M, F)
  const Tensor power = power_spectrogram(samples, options);  // (T, F)
  // out: (T, M) = log(max(power @ fb^T, floor))
  const int64_t T = power.size(0), F = power.size(1), M = fb.size(0);
  Tensor out = Tensor::empty({T, M});
  const float* P = power.data();
  const float* B = fb.data();
  float* o = out.data();
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t m = 0; m < M; ++m) {
      double energy = 0;  // a few hundred terms: sum in double
      for (int64_t k = 0; k < F; ++k) energy += static_cast<double>(B[m * F + k]) * P[t * F + k];
      o[t * M + m] = static_cast<float>(std::log(std::max(energy, static_cast<double>(options.log_floor))));
    }
  }
  return out;
}
// [log-mel]

}  // namespace dl

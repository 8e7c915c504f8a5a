/// @file audio.hpp
/// @brief Sound for chapter 07 (speech recognition): reading and writing audio files, and
/// the log-mel spectrogram, the features a speech model reads instead of raw samples.
///
/// The pipeline from a file to features, step by step:
///
/// 1. `read_audio`: decode the file (libsndfile: WAV, FLAC, Ogg, ...), average the channels
///    into one, resample to 16 kHz (libsamplerate). Samples are floats in [-1, 1].
/// 2. Cut the signal into overlapping frames: `win_length` samples (400 = 25 ms at 16 kHz)
///    every `hop_length` samples (160 = 10 ms), so a second of speech is 98 frames.
/// 3. Multiply each frame by a Hann window (`hann_window`) so that its ends fade to zero
///    and the FFT does not see a jump where the frame was cut.
/// 4. Zero-pad the frame to `n_fft` samples (512) and take its real FFT: `n_fft/2 + 1`
///    complex numbers X[k], one per frequency k * sample_rate / n_fft (0, 31.25, ... 8000 Hz).
/// 5. The power |X[k]|^2 says how much energy the frame has at each frequency
///    (`power_spectrogram`, the picture the lesson plots).
/// 6. Sum the power into `n_mels` bands with triangular filters spaced evenly on the mel
///    scale (`mel_filter_bank`), which, like the ear, resolves low pitches finely and high
///    ones coarsely.
/// 7. Take the logarithm (after flooring at `log_floor` so that silence is not log 0): the
///    ear hears loudness roughly logarithmically, and log turns a change of volume into a
///    constant shift (`log_mel_spectrogram`).
///
/// ```cpp
/// dl::Audio audio = dl::read_audio("seven.wav");            // any rate, mono or stereo
/// dl::Tensor features = dl::log_mel_spectrogram(audio.samples, {});  // (frames, 40)
/// ```
#pragma once

#include <filesystem>
#include <span>
#include <vector>

#include "dl/tensor.hpp"

namespace dl {

/// A mono sound: samples in [-1, 1] at `sample_rate` samples per second.
struct Audio {
  std::vector<float> samples;  ///< the signal, one float per sample, in [-1, 1]
  int sample_rate = 16000;     ///< samples per second (Hz)

  /// The duration: samples.size() / sample_rate (0 when the rate is not positive).
  double seconds() const;
};

/// How `read_audio` reads and checks a file.
struct AudioReadOptions {
  /// The rate of the returned samples (Hz); a file at another rate is resampled.
  int sample_rate = 16000;
  /// Longest file accepted, in seconds; checked on the header before anything is read.
  double max_seconds = 60;
  /// Largest fraction of samples allowed at |x| >= 0.999 (full scale); a file with more is
  /// refused as clipped (its loud parts were cut off at recording: distorted).
  double max_clipped_fraction = 0.01;
};

/// Reads the audio file at `path` (any format libsndfile reads: WAV, FLAC, Ogg, AIFF, ...)
/// as mono at `options.sample_rate`.
///
/// Several channels are mixed down by averaging them frame by frame. A file at another rate
/// is resampled with libsamplerate's SRC_SINC_MEDIUM_QUALITY band-limited sinc interpolator
/// (the output has about `frames * options.sample_rate / file_rate` samples); since the
/// interpolation may overshoot slightly, samples are then clamped to [-1, 1].
///
/// Throws `dl::FileError` naming the path for: a missing or unreadable file; something
/// that is not a regular file (a directory, or a FIFO, which is refused without waiting for
/// a writer); a file libsndfile cannot decode (its message is included); a file with no
/// samples; a file longer than `options.max_seconds` or holding more than 2^28 samples over
/// all its channels (both from the header, before reading it);
/// NaN or infinite samples (float files); a clipped file (more than
/// `options.max_clipped_fraction` of the samples at |x| >= 0.999, counted over all
/// channels before mixing). Throws `dl::Error` for bad options (a rate <= 0, max_seconds <= 0,
/// max_clipped_fraction outside [0, 1]).
Audio read_audio(const std::filesystem::path& path, const AudioReadOptions& options = {});

/// `audio` at `sample_rate`, through the same band-limited sinc interpolator as `read_audio`
/// (libsamplerate's SRC_SINC_MEDIUM_QUALITY), clamped to [-1, 1]; a copy when the rates are
/// equal. Throws `dl::Error` when either rate is <= 0.
Audio resample(const Audio& audio, int sample_rate);

/// Writes `audio` to `path` as a mono 16-bit PCM WAV file at `audio.sample_rate`.
///
/// A sample x is stored as round(x * 32767). The file is written atomically (a temporary
/// file in the same directory, then renamed, see `write_file_atomically`): a crash never
/// leaves half a file. Throws `dl::Error` when the rate is <= 0 or a sample is NaN, infinite
/// or outside [-1, 1] (naming the sample and by how much it exceeds the range: scale the
/// signal down first), and `dl::FileError` when the file cannot be written.
void write_wav(const std::filesystem::path& path, const Audio& audio);

/// Hertz to mels on the HTK scale: mel = 2595 * log10(1 + hz / 700).
/// 1000 Hz is about 1000 mel; above that, equal steps in mel are ever wider steps in Hz.
float hz_to_mel(float hz);

/// Mels to hertz, the inverse of `hz_to_mel`: hz = 700 * (10^(mel / 2595) - 1).
float mel_to_hz(float mel);

/// The settings of the spectrograms. The defaults are the usual ones for 16 kHz speech:
/// 25 ms windows every 10 ms, a 512-point FFT, 40 mel bands from 20 Hz to 8 kHz.
struct LogMelOptions {
  int sample_rate = 16000;  ///< rate of the signal (Hz)
  int n_fft = 512;          ///< FFT size; a frame gives n_fft/2 + 1 frequency bins (at most 65536)
  int win_length = 400;     ///< samples per frame (<= n_fft; zero-padded up to n_fft)
  int hop_length = 160;     ///< samples between the starts of two frames
  int n_mels = 40;          ///< number of mel bands
  float f_min = 20;         ///< lowest frequency of the mel filters (Hz, >= 0)
  float f_max = 8000;       ///< highest frequency of the mel filters (Hz, <= sample_rate / 2)
  float log_floor = 1e-6f;  ///< mel energies below this are raised to it before the log
};

/// The periodic Hann window of `length` samples: w[n] = 0.5 - 0.5 cos(2 pi n / length),
/// n = 0 .. length-1 (as `scipy.signal.get_window("hann", length)` and
/// `torch.hann_window(length)`). Shape (length). Throws `dl::Error` when length <= 0.
Tensor hann_window(int length);

/// The mel filter bank: shape (n_mels, n_fft/2 + 1); row m, multiplied with a power
/// spectrum, gives the energy of mel band m.
///
/// Exactly (HTK-style triangles, not area-normalised; the same as torchaudio's
/// `melscale_fbanks(n_fft/2 + 1, f_min, f_max, n_mels, sample_rate, norm=None,
/// mel_scale="htk")`, transposed):
/// - bin k has frequency f_k = k * (sample_rate / 2) / (n_fft / 2), k = 0 .. n_fft/2;
/// - n_mels + 2 points p_0 .. p_{n_mels+1} are spaced evenly in mel from hz_to_mel(f_min)
///   to hz_to_mel(f_max) and turned back into hertz: p_i = mel_to_hz(mel_i);
/// - filter m rises from 0 at p_m to 1 at its centre p_{m+1} and falls to 0 at p_{m+2}:
///   fb[m][k] = max(0, min((f_k - p_m) / (p_{m+1} - p_m), (p_{m+2} - f_k) / (p_{m+2} - p_{m+1}))).
///
/// Neighbouring triangles overlap by half, so between p_1 and p_{n_mels} the filters sum
/// to 1 at every bin. Throws `dl::Error` for invalid options (see `log_mel_spectrogram`)
/// and when a filter is so narrow that no FFT bin falls inside it (too many mels for
/// n_fft: the message names the values and suggests fewer mels or a larger n_fft).
Tensor mel_filter_bank(const LogMelOptions& options);

/// The power spectrogram of `samples`: shape (frames, n_fft/2 + 1), steps 2 to 5 above.
///
/// Frame t holds samples [t * hop_length, t * hop_length + win_length), without centring or
/// padding the signal, so frames = 1 + (N - win_length) / hop_length (integer division)
/// for N samples: a trailing part shorter than a hop is dropped. Each frame is multiplied
/// by `hann_window(win_length)`, zero-padded at its end to n_fft samples, transformed with
/// FFTW's real FFT (single precision), and out[t][k] = |X_t[k]|^2 (unnormalised:
/// X_t[k] = sum_n x_t[n] exp(-2 pi i k n / n_fft)). Padding at the end rather than on both
/// sides shifts the frame in time only, which leaves |X|^2 unchanged.
///
/// Only the frame settings (sample_rate, n_fft, win_length, hop_length) are checked here.
/// Throws `dl::Error` for invalid settings, a signal shorter than one window, or NaN or
/// infinite samples.
Tensor power_spectrogram(std::span<const float> samples, const LogMelOptions& options = {});

/// The log-mel spectrogram of `samples`: shape (frames, n_mels), all seven steps above:
/// out[t][m] = log(max(sum_k fb[m][k] * power[t][k], log_floor)) with `power` from
/// `power_spectrogram` and `fb` from `mel_filter_bank` (natural logarithm).
///
/// Throws `dl::Error` naming the values when the options are invalid: a size (sample_rate,
/// n_fft, win_length, hop_length, n_mels) <= 0, n_fft above 65536, win_length > n_fft,
/// f_min < 0, f_min >= f_max, f_max > sample_rate / 2, log_floor <= 0 or not finite, or an
/// empty mel filter; and for a signal shorter than win_length or with NaN or infinite samples.
Tensor log_mel_spectrogram(std::span<const float> samples, const LogMelOptions& options = {});

}  // namespace dl

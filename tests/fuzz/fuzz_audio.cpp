// Chapter 07's audio input (dl::read_audio through libsndfile and libsamplerate, then the
// log-mel spectrogram): any bytes are a recording of finite samples in [-1, 1] at the rate
// asked for, whose spectrogram is finite, or a dl::Error naming what is wrong. Never a crash,
// and never a read larger than the header's frame count allows.
#include <cmath>
#include <string>

#include <dl/audio.hpp>
#include <dl/error.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::as_file(data, size);
  try {
    // A short limit: a header may claim anything, and the check must come before the read.
    const dl::Audio audio = dl::read_audio(path, {.sample_rate = 16000, .max_seconds = 5});
    fuzz::require(audio.sample_rate == 16000, "read_audio returns the rate asked for");
    fuzz::require(!audio.samples.empty(), "an accepted recording has samples");
    fuzz::require(audio.samples.size() <= 16000 * 5 + 64, "an accepted recording is within max_seconds");
    for (const float x : audio.samples) fuzz::require(std::isfinite(x) && std::fabs(x) <= 1.0f, "samples are finite, in [-1, 1]");
    if (audio.samples.size() >= 400) {
      const dl::Tensor mel = dl::log_mel_spectrogram(audio.samples);
      for (int64_t i = 0; i < mel.numel(); ++i) fuzz::require(std::isfinite(mel.data()[i]), "the log-mel is finite");
    }
  } catch (const dl::Error&) {
  }
  return 0;
}

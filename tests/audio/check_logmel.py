#!/usr/bin/python3
"""dl's log-mel pipeline against an independent reference written from the formulas.

tests/audio/audio_dump.cpp computes, with dl, the mel filter bank, the power spectrogram
and the log-mel spectrogram of a few signals (a chirp, white noise, a tone under other
settings, and two tones that went through write_wav and read_audio) and writes them as
raw float32 files with a manifest of the settings. This script recomputes each from the
definitions, in float64, with numpy and scipy:

    window  = scipy.signal.get_window("hann", win_length, fftbins=True)   (periodic Hann)
    frame t = x[t*hop : t*hop + win_length] * window, t = 0 .. 1 + (N - win_length) // hop - 1
    power   = |numpy.fft.rfft(frame, n=n_fft)|^2                           (zero-padded)
    fbank   = HTK triangles between f_min and f_max (written below, not taken from dl)
    logmel  = log(max(power @ fbank.T, log_floor))

and compares:
- the filter bank: max |ours - ref| <= 1e-6 (float32 storage of values in [0, 1]);
- the power spectrogram: max |ours - ref| <= 1e-5 * max(ref) per case (dl's FFT runs in
  float32: its rounding is about 1e-7 of the frame's energy per bin);
- the log-mel: max |ours - ref| <= 1e-4 where the reference mel energy is at least
  max(10 * log_floor, 1e-6 * the largest energy of its frame); in practice the largest
  difference there is a few 1e-5. Fainter bands, and those at the floor, are compared
  with |ours - ref| <= 0.05 only: float32 FFT rounding is relative to the frame's largest
  bins, not to the band, so for a band 1e-9 of its frame's peak (the far side of a tone,
  a chirp's silent bands) it moves the logarithm by 1e-3 or more (up to 0.007 seen).
  The printout counts the bands of each kind;
- for the WAV case, the samples read_audio returned equal scipy.io.wavfile's int16 / 32768.

usage: check_logmel.py --dir DIR [--dump AUDIO_DUMP]
  With --dump, first runs AUDIO_DUMP DIR to write the files.
Exit codes: 0 all agree, 1 something differs or the dump failed, 77 numpy or scipy cannot
be imported (ctest reports the test as skipped).
"""

import argparse
import os
import subprocess
import sys

SKIP = 77

try:
    import numpy as np
    import scipy.io.wavfile
    import scipy.signal
except ImportError as error:  # the check must not pass silently: ctest shows SKIPPED
    print(f"SKIPPED: numpy or scipy cannot be imported by {sys.executable} ({error}); "
          "install python3-numpy and python3-scipy to run this check", flush=True)
    sys.exit(SKIP)

FBANK_TOL = 1e-6
POWER_REL_TOL = 1e-5
LOGMEL_TOL = 1e-4
LOOSE_TOL = 0.05
RELATIVE_FLOOR = 1e-6  # bands below this fraction of their frame's largest energy: the loose check


def hz_to_mel(hz):
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def mel_to_hz(mel):
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


def mel_filter_bank(sample_rate, n_fft, n_mels, f_min, f_max):
    """(n_mels, n_fft//2+1): triangles rising from p[m] to 1 at p[m+1], falling to 0 at p[m+2]."""
    freqs = np.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1)
    p = mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))
    fb = np.zeros((n_mels, freqs.size))
    for m in range(n_mels):
        rise = (freqs - p[m]) / (p[m + 1] - p[m])
        fall = (p[m + 2] - freqs) / (p[m + 2] - p[m + 1])
        fb[m] = np.maximum(0.0, np.minimum(rise, fall))
    return fb


def power_spectrogram(x, n_fft, win_length, hop_length):
    window = scipy.signal.get_window("hann", win_length, fftbins=True)
    count = 1 + (x.size - win_length) // hop_length
    frames = np.stack([x[t * hop_length: t * hop_length + win_length] for t in range(count)])
    spectrum = np.fft.rfft(frames * window, n=n_fft, axis=1)
    return spectrum.real ** 2 + spectrum.imag ** 2


def load(directory, name, shape):
    data = np.fromfile(os.path.join(directory, name), dtype="<f4").astype(np.float64)
    if data.size != int(np.prod(shape)):
        raise SystemExit(f"FAIL: {name} holds {data.size} floats, expected {shape}")
    return data.reshape(shape)


def check_case(directory, fields):
    name = fields[0]
    rate, n_fft, win, hop, n_mels = (int(v) for v in fields[1:6])
    f_min, f_max, floor = (float(v) for v in fields[6:9])
    n_samples, frames = int(fields[9]), int(fields[10])
    bins = n_fft // 2 + 1
    failures = []

    x = load(directory, f"{name}.samples.f32", (n_samples,))
    if name == "wav":
        wav_rate, pcm = scipy.io.wavfile.read(os.path.join(directory, "wav.wav"))
        if wav_rate != rate or pcm.dtype != np.int16 or pcm.ndim != 1:
            failures.append(f"wav.wav is {pcm.dtype} {pcm.shape} at {wav_rate} Hz, expected mono int16 at {rate} Hz")
        elif pcm.size != n_samples or np.max(np.abs(pcm / 32768.0 - x)) > 1e-7:
            failures.append("read_audio's samples differ from scipy.io.wavfile's int16 / 32768")

    fb_ref = mel_filter_bank(rate, n_fft, n_mels, f_min, f_max)
    fb = load(directory, f"{name}.fbank.f32", (n_mels, bins))
    fb_err = np.max(np.abs(fb - fb_ref))
    if fb_err > FBANK_TOL:
        failures.append(f"filter bank: max |diff| {fb_err:.3g} > {FBANK_TOL}")

    power_ref = power_spectrogram(x, n_fft, win, hop)
    if power_ref.shape[0] != frames:
        failures.append(f"frames: dl has {frames}, the formula gives {power_ref.shape[0]}")
        return failures
    power = load(directory, f"{name}.power.f32", (frames, bins))
    power_err = np.max(np.abs(power - power_ref)) / np.max(power_ref)
    if power_err > POWER_REL_TOL:
        failures.append(f"power: max |diff| / max = {power_err:.3g} > {POWER_REL_TOL}")

    mel_ref = power_ref @ fb_ref.T
    logmel_ref = np.log(np.maximum(mel_ref, floor))
    logmel = load(directory, f"{name}.logmel.f32", (frames, n_mels))
    diff = np.abs(logmel - logmel_ref)
    tight = mel_ref >= np.maximum(10 * floor, RELATIVE_FLOOR * mel_ref.max(axis=1, keepdims=True))
    loose = ~tight
    tight_err = np.max(diff[tight]) if tight.any() else 0.0
    loose_err = np.max(diff[loose]) if loose.any() else 0.0
    if tight_err > LOGMEL_TOL:
        failures.append(f"log-mel: max |diff| {tight_err:.3g} > {LOGMEL_TOL} on bands above the floor")
    if loose_err > LOOSE_TOL:
        failures.append(f"log-mel: max |diff| {loose_err:.3g} > {LOOSE_TOL} on faint bands or at the floor")
    print(f"{name}: {frames} frames x {n_mels} mels; filter bank {fb_err:.2g}, power {power_err:.2g} (relative), "
          f"log-mel {tight_err:.2g} on {int(tight.sum())} bands, {loose_err:.2g} on {int(loose.sum())} faint ones")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--dump")
    args = parser.parse_args()
    if args.dump:
        result = subprocess.run([args.dump, args.dir])
        if result.returncode != 0:
            print(f"FAIL: {args.dump} {args.dir} exited with {result.returncode}")
            return 1
    with open(os.path.join(args.dir, "manifest.txt")) as f:
        cases = [line.split() for line in f if line.strip()]
    if len(cases) < 4:
        print(f"FAIL: the manifest lists {len(cases)} cases, expected 4")
        return 1
    failed = False
    for fields in cases:
        for failure in check_case(args.dir, fields):
            print(f"FAIL {fields[0]}: {failure}")
            failed = True
    print("some values differ" if failed else "all agree")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

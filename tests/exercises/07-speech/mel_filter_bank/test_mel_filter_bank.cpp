// Tests of the exercise mel_filter_bank; its stub and task are in exercises/07-speech/mel_filter_bank/.
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "exercise_support.hpp"

namespace {

double hz_to_mel(double f) { return 2595.0 * std::log10(1.0 + f / 700.0); }
double mel_to_hz(double m) { return 700.0 * (std::pow(10.0, m / 2595.0) - 1.0); }

// The n_mels + 2 edges and centres in Hz: equally spaced in mel, both ends included.
std::vector<double> points_hz(int64_t n_mels, double f_min, double f_max) {
  std::vector<double> hz;
  for (int64_t j = 0; j < n_mels + 2; ++j)
    hz.push_back(mel_to_hz(hz_to_mel(f_min) + (hz_to_mel(f_max) - hz_to_mel(f_min)) * double(j) / double(n_mels + 1)));
  return hz;
}

// The filter bank in double, written as an interpolation (like numpy.interp) of the
// triangle's corners (lo, 0), (mid, 1), (hi, 0) at each bin's frequency.
std::vector<double> reference(int64_t n_fft, int64_t n_mels, double sample_rate, double f_min, double f_max) {
  const std::vector<double> hz = points_hz(n_mels, f_min, f_max);
  const int64_t bins = n_fft / 2 + 1;
  std::vector<double> out;
  for (int64_t i = 0; i < n_mels; ++i) {
    const double lo = hz[static_cast<size_t>(i)], mid = hz[static_cast<size_t>(i + 1)],
                 hi = hz[static_cast<size_t>(i + 2)];
    for (int64_t k = 0; k < bins; ++k) {
      const double f = double(k) * sample_rate / double(n_fft);
      double w = 0;
      if (f > lo && f <= mid)
        w = (f - lo) / (mid - lo);
      else if (f > mid && f < hi)
        w = 1.0 - (f - mid) / (hi - mid);
      out.push_back(w);
    }
  }
  return out;
}

void check_against(const dl::Tensor& bank, const std::vector<double>& want, int64_t bins) {
  REQUIRE(bank.numel() == static_cast<int64_t>(want.size()));
  for (size_t j = 0; j < want.size(); ++j) {
    INFO("filter " << j / static_cast<size_t>(bins) << ", bin " << j % static_cast<size_t>(bins));
    CHECK(bank.at(static_cast<int64_t>(j)) == Approx(want[j]).margin(2e-6));
  }
}

}  // namespace

TEST_CASE("mel_filter_bank: four filters over 9 bins match numbers computed with numpy", "[mel_filter_bank]") {
  // Computed once with /usr/bin/python3 and numpy 1.24, in float64, with the steps of
  // torchaudio.functional.melscale_fbanks(9, 0, 4000, 4, 8000, norm=None, mel_scale="htk"),
  // transposed to (n_mels, bins). The six points in Hz are 0, 324.467, 799.333, 1494.310,
  // 2511.426 and 4000; the bins sit every 500 Hz.
  // One row per filter:
  // clang-format off
  const std::vector<double> want{
      0, 0.6303523, 0,          0,          0,          0,          0,          0,          0,
      0, 0.3696477, 0.71126037, 0,          0,          0,          0,          0,          0,
      0, 0,         0.28873963, 0.9944055,  0.50281952, 0.01123354, 0,          0,          0,
      0, 0,         0,          0.0055945,  0.49718048, 0.98876646, 0.67178379, 0.33589189, 0};
  // clang-format on
  const dl::Tensor bank = ex::mel_filter_bank(16, 4, 8000, 0, 4000);
  REQUIRE(bank.shape() == dl::Shape{4, 9});
  check_against(bank, want, 9);
}

TEST_CASE("mel_filter_bank: 40 filters for 16 kHz speech match numbers computed with numpy", "[mel_filter_bank]") {
  // n_fft 400 (25 ms), 20 Hz to 7600 Hz: the nonzero weights of four filters, computed once
  // with numpy as above (torchaudio's steps, float64), rounded to 8 decimals. Every other
  // weight of these rows is 0.
  struct Row {
    int64_t filter, first_bin;
    std::vector<double> weights;
  };
  const std::vector<Row> rows{
      {0, 1, {0.45209817, 0.66432973}},
      {10, 16, {0.41019586, 0.90827735, 0.61716338, 0.14791351}},
      {20, 42, {0.04953503, 0.32390594, 0.59827684, 0.87264775, 0.86149157, 0.60300271, 0.34451385, 0.086025}},
      {39, 167, {0.02890965, 0.11728062, 0.20565159, 0.29402256, 0.38239352, 0.47076449, 0.55913546, 0.64750643,
                 0.7358774,  0.82424836, 0.91261933, 0.99906702, 0.91581144, 0.83255585, 0.74930027, 0.66604468,
                 0.5827891,  0.49953351, 0.41627793, 0.33302234, 0.24976676, 0.16651117, 0.08325559}},
  };
  const dl::Tensor bank = ex::mel_filter_bank(400, 40, 16000, 20, 7600);
  REQUIRE(bank.shape() == dl::Shape{40, 201});
  for (const Row& row : rows)
    for (int64_t k = 0; k < 201; ++k) {
      const int64_t j = k - row.first_bin;
      const double want =
          j >= 0 && j < static_cast<int64_t>(row.weights.size()) ? row.weights[static_cast<size_t>(j)] : 0.0;
      INFO("filter " << row.filter << ", bin " << k);
      CHECK(bank.at(row.filter * 201 + k) == Approx(want).margin(2e-6));
    }
}

TEST_CASE("mel_filter_bank: random settings match triangles interpolated in double", "[mel_filter_bank]") {
  dl::Generator gen(7300);
  const double rates[] = {8000, 16000, 22050, 44100};
  const int64_t ffts[] = {16, 63, 256, 400, 512};
  for (int trial = 0; trial < 30; ++trial) {
    const double rate = rates[gen.below(4)];
    const int64_t n_fft = ffts[gen.below(5)];
    const auto n_mels = static_cast<int64_t>(1 + gen.below(40));
    const double f_min = gen.uniform(0.0f, 0.3f) * rate / 2;
    const double f_max = f_min + gen.uniform(0.05f, 1.0f) * (rate / 2 - f_min);
    INFO("trial " << trial << ": n_fft " << n_fft << ", n_mels " << n_mels << ", sample_rate " << rate << ", f_min "
                  << f_min << ", f_max " << f_max);
    const dl::Tensor bank = ex::mel_filter_bank(n_fft, n_mels, rate, f_min, f_max);
    REQUIRE(bank.shape() == dl::Shape{n_mels, n_fft / 2 + 1});
    check_against(bank, reference(n_fft, n_mels, rate, f_min, f_max), n_fft / 2 + 1);
  }
}

TEST_CASE("mel_filter_bank: weights are in 0..1 and neighbours add up to 1 between their centres",
          "[mel_filter_bank]") {
  const int64_t n_fft = 512, n_mels = 23, bins = n_fft / 2 + 1;
  const double rate = 16000, f_min = 60, f_max = 7800;
  const dl::Tensor bank = ex::mel_filter_bank(n_fft, n_mels, rate, f_min, f_max);
  REQUIRE(bank.shape() == dl::Shape{n_mels, bins});
  const std::vector<double> hz = points_hz(n_mels, f_min, f_max);
  for (int64_t i = 0; i < n_mels; ++i) {
    float peak = 0;
    for (int64_t k = 0; k < bins; ++k) {
      const float w = bank.at(i * bins + k);
      const double f = double(k) * rate / double(n_fft);
      INFO("filter " << i << ", bin " << k << " at " << f << " Hz");
      CHECK(w >= 0.0f);
      // Zero outside its triangle, (f_i, f_{i+2}).
      if (f <= hz[static_cast<size_t>(i)] || f >= hz[static_cast<size_t>(i + 2)]) CHECK(w == 0.0f);
      // Between its centre and the next filter's, the falling side of filter i and the
      // rising side of filter i + 1 share the bin: together they weigh it 1.
      if (i + 1 < n_mels && f >= hz[static_cast<size_t>(i + 1)] && f <= hz[static_cast<size_t>(i + 2)])
        CHECK(w + bank.at((i + 1) * bins + k) == Approx(1.0).margin(1e-5));
      peak = std::max(peak, w);
    }
    INFO("filter " << i);
    CHECK(peak <= 1.0f + 1e-6f);
    CHECK(peak > 0.5f);  // at 31 Hz per bin each of these triangles spans several bins
  }
  // A bin on a filter's centre weighs 1: n_fft 8000 at 8 kHz puts a bin every Hz, so one
  // lies within 0.5 Hz of each centre (and the centres are 400 Hz or more from their edges).
  const dl::Tensor fine = ex::mel_filter_bank(8000, 3, 8000, 0, 4000);
  const std::vector<double> centres = points_hz(3, 0, 4000);
  for (int64_t i = 0; i < 3; ++i) {
    const auto k = static_cast<int64_t>(std::lround(centres[static_cast<size_t>(i + 1)]));
    INFO("filter " << i << ", centre " << centres[static_cast<size_t>(i + 1)] << " Hz");
    CHECK(fine.at(i * 4001 + k) == Approx(1.0).margin(2e-3));
  }
}

TEST_CASE("mel_filter_bank: an odd n_fft has n_fft / 2 + 1 bins", "[mel_filter_bank]") {
  // 15 samples give the bins 0 .. 7 at k 8000 / 15 Hz.
  const dl::Tensor bank = ex::mel_filter_bank(15, 2, 8000, 0, 4000);
  REQUIRE(bank.shape() == dl::Shape{2, 8});
  check_against(bank, reference(15, 2, 8000, 0, 4000), 8);
}

TEST_CASE("mel_filter_bank: bad settings throw std::invalid_argument", "[mel_filter_bank]") {
  CHECK_THROWS_AS(ex::mel_filter_bank(1, 4, 16000, 0, 8000), std::invalid_argument);
  CHECK_THROWS_AS(ex::mel_filter_bank(400, 0, 16000, 0, 8000), std::invalid_argument);
  CHECK_THROWS_AS(ex::mel_filter_bank(400, 4, 0, 0, 8000), std::invalid_argument);
  CHECK_THROWS_AS(ex::mel_filter_bank(400, 4, 16000, -10, 8000), std::invalid_argument);
  CHECK_THROWS_AS(ex::mel_filter_bank(400, 4, 16000, 3000, 3000), std::invalid_argument);
  CHECK_THROWS_AS(ex::mel_filter_bank(400, 4, 16000, 3000, 1000), std::invalid_argument);
  CHECK_THROWS_AS(ex::mel_filter_bank(400, 4, 16000, 0, 8001), std::invalid_argument);
  CHECK_THROWS_AS(ex::mel_filter_bank(400, 4, 16000, 0, std::numeric_limits<double>::quiet_NaN()),
                  std::invalid_argument);
}

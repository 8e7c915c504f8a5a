// Tests of the exercise frame_signal; its stub and task are in exercises/07-speech/frame_signal/.
#include <cmath>
#include <numbers>
#include <stdexcept>

#include "exercise_support.hpp"

namespace {

// The periodic Hann window in double: one full period of the cosine over `win` samples.
double hann(int64_t n, int64_t win) { return 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * double(n) / double(win)); }

// Checks `out` against frames cut and windowed in double here.
void check_frames(const dl::Tensor& out, const std::vector<float>& signal, int64_t win, int64_t hop, int64_t frames) {
  REQUIRE(out.shape() == dl::Shape{frames, win});
  for (int64_t f = 0; f < frames; ++f)
    for (int64_t n = 0; n < win; ++n) {
      INFO("frame " << f << ", sample " << n << " of the frame (win_length " << win << ", hop_length " << hop << ")");
      CHECK(out.at(f * win + n) ==
            Approx(double(signal[static_cast<size_t>(f * hop + n)]) * hann(n, win)).margin(1e-6).epsilon(1e-5));
    }
}

}  // namespace

TEST_CASE("frame_signal: a small signal cut and windowed by hand", "[frame_signal]") {
  // Seven samples in frames of 4 every 2: 1 + (7 - 4) / 2 = 2 frames (sample 7 is left over).
  // The periodic Hann window of 4 samples is 0.5 - 0.5 cos(2 pi n / 4) = {0, 0.5, 1, 0.5}.
  const std::vector<float> signal{1, 2, 3, 4, 5, 6, 7};
  const dl::Tensor out = ex::frame_signal(signal, 4, 2);
  REQUIRE(out.shape() == dl::Shape{2, 4});
  const std::vector<float> want{0, 1, 3, 2,   // {1, 2, 3, 4} * window
                                0, 2, 5, 3};  // {3, 4, 5, 6} * window
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("element " << i << " (frame " << i / 4 << ")");
    CHECK(out.at(static_cast<int64_t>(i)) == Approx(want[i]).margin(1e-6));
  }
}

TEST_CASE("frame_signal: the number of frames is 1 + (N - win_length) / hop_length and 0 when N < win_length",
          "[frame_signal]") {
  struct Case {
    int64_t n, win, hop, frames;
  };
  const Case cases[] = {
      {8, 8, 3, 1},           // exactly one window
      {7, 8, 3, 0},           // one sample short: no frame, no padding
      {0, 4, 1, 0},           // no samples
      {10, 4, 3, 3},          // frames at 0, 3, 6; sample 9 is left over
      {11, 4, 3, 3},          // 8 + 4 = 12 > 11: still 3
      {13, 4, 3, 4},          // now a fourth frame at 9 fits
      {10, 3, 4, 2},          // hop > win: frames at 0 and 4, samples between frames are skipped
      {20, 5, 1, 16},         // hop 1: one frame per start position
      {1, 1, 1, 1},           // the smallest frame
      {16000, 400, 160, 98},  // one second at 16 kHz, 25 ms windows every 10 ms
  };
  for (const Case& c : cases) {
    INFO("N = " << c.n << ", win_length " << c.win << ", hop_length " << c.hop);
    std::vector<float> signal(static_cast<size_t>(c.n));
    for (size_t i = 0; i < signal.size(); ++i) signal[i] = float(i % 17) - 8.0f;
    const dl::Tensor out = ex::frame_signal(signal, c.win, c.hop);
    CHECK(out.shape() == dl::Shape{c.frames, c.win});
    if (c.n < 100 && out.shape() == dl::Shape{c.frames, c.win}) check_frames(out, signal, c.win, c.hop, c.frames);
  }
}

TEST_CASE("frame_signal: a signal of ones gives the periodic Hann window in every frame", "[frame_signal]") {
  // 0.5 - 0.5 cos(2 pi n / 8): starts at 0 and peaks at n = 4; periodic, so the last value is
  // not 0 again (the symmetric window, which divides by win_length - 1, would end at 0).
  const std::vector<float> ones(8 + 2 * 3, 1.0f);
  const dl::Tensor out = ex::frame_signal(ones, 8, 3);
  REQUIRE(out.shape() == dl::Shape{3, 8});
  const double s = std::sqrt(0.5) / 2;  // 0.5 - 0.5 cos(pi / 4)  = 0.5 - s
  const std::vector<double> window{0, 0.5 - s, 0.5, 0.5 + s, 1, 0.5 + s, 0.5, 0.5 - s};
  for (int64_t f = 0; f < 3; ++f)
    for (int64_t n = 0; n < 8; ++n) {
      INFO("frame " << f << ", n = " << n);
      CHECK(out.at(f * 8 + n) == Approx(window[static_cast<size_t>(n)]).margin(1e-6));
    }
  INFO("an odd window length: 0.5 - 0.5 cos(2 pi n / 25)");
  const std::vector<float> ones25(25, 1.0f);
  check_frames(ex::frame_signal(ones25, 25, 10), ones25, 25, 10, 1);
}

TEST_CASE("frame_signal: every frame of a constant signal has the window's sum and energy", "[frame_signal]") {
  // Over a full period the cosine sums to 0 and its square to win / 2, so the periodic Hann
  // window sums to win / 2 and its square to 3 win / 8: a constant a gives each frame the sum
  // a win / 2 and the energy a^2 3 win / 8.
  const float a = 0.5f;
  const int64_t win = 400, hop = 160;
  const std::vector<float> constant(16000, a);
  const dl::Tensor out = ex::frame_signal(constant, win, hop);
  REQUIRE(out.shape() == dl::Shape{98, win});
  for (int64_t f = 0; f < 98; ++f) {
    double sum = 0, energy = 0;
    for (int64_t n = 0; n < win; ++n) {
      sum += out.at(f * win + n);
      energy += double(out.at(f * win + n)) * out.at(f * win + n);
    }
    INFO("frame " << f);
    CHECK(sum == Approx(a * win / 2.0).epsilon(1e-5));
    CHECK(energy == Approx(a * a * 3.0 * win / 8.0).epsilon(1e-5));
  }
}

TEST_CASE("frame_signal: random signals match frames cut in double", "[frame_signal]") {
  dl::Generator gen(7100);
  for (int trial = 0; trial < 40; ++trial) {
    const auto win = static_cast<int64_t>(1 + gen.below(40));
    const auto hop = static_cast<int64_t>(1 + gen.below(50));
    const auto n = static_cast<int64_t>(gen.below(300));
    const std::vector<float> signal = test::random_tensor({n}, 7200 + static_cast<uint64_t>(trial)).to_vector();
    const int64_t frames = n < win ? 0 : 1 + (n - win) / hop;
    INFO("trial " << trial);
    check_frames(ex::frame_signal(signal, win, hop), signal, win, hop, frames);
  }
}

TEST_CASE("frame_signal: a window or hop below 1 throws std::invalid_argument", "[frame_signal]") {
  const std::vector<float> signal(10, 1.0f);
  CHECK_THROWS_AS(ex::frame_signal(signal, 0, 1), std::invalid_argument);
  CHECK_THROWS_AS(ex::frame_signal(signal, 4, 0), std::invalid_argument);
  CHECK_THROWS_AS(ex::frame_signal(signal, -4, 2), std::invalid_argument);
  CHECK_THROWS_AS(ex::frame_signal(signal, 4, -1), std::invalid_argument);
}

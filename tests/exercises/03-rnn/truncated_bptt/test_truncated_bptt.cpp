// Tests of the exercise truncated_bptt (a "fix the bug" exercise); its stub and task are in
// exercises/03-rnn/truncated_bptt/.
#include <algorithm>
#include <stdexcept>

#include "exercise_support.hpp"

namespace {

constexpr int64_t kBatch = 2, kIn = 3, kHidden = 4, kSteps = 10, kWindow = 4;

// A sequence of kSteps inputs (N, I), each a leaf that records its gradient, and a fresh
// cell whose parameters record theirs.
struct Setup {
  std::vector<dl::Tensor> xs;
  dl::Tensor h0;
  test::RandomCell cell;

  Setup() : h0(test::random_tensor({kBatch, kHidden}, 90, 0.5f).requires_grad_()), cell(test::random_cell(kIn, kHidden, 1, 80)) {
    for (int64_t t = 0; t < kSteps; ++t)
      xs.push_back(test::random_tensor({kBatch, kIn}, 100 + uint64_t(t)).requires_grad_());
    for (dl::Tensor* p : {&cell.w_ih, &cell.w_hh, &cell.b_ih, &cell.b_hh}) p->requires_grad_();
  }

  std::vector<dl::Tensor> run(int64_t window = kWindow) {
    return ex::truncated_bptt(xs, h0, cell.w_ih, cell.w_hh, cell.b_ih, cell.b_hh, window);
  }
};

// True when `t` received a non-zero gradient.
bool reached(const dl::Tensor& t) {
  if (!t.grad().defined()) return false;
  for (float g : t.grad().to_vector())
    if (g != 0.0f) return true;
  return false;
}

// The gradients of W_hh and W_ih that chunk k alone gives: run it from the state the
// previous chunks ended in, taken as a fresh constant.
std::vector<dl::Tensor> chunk_alone(const Setup& s, int64_t k) {
  dl::Tensor h = s.h0.detach();
  {
    dl::no_grad guard;
    for (int64_t t = 0; t < k * kWindow; ++t)
      h = dl::rnn_cell(s.xs[size_t(t)], h, s.cell.w_ih, s.cell.w_hh, s.cell.b_ih, s.cell.b_hh);
  }
  dl::Tensor w_ih = s.cell.w_ih.clone().requires_grad_(), w_hh = s.cell.w_hh.clone().requires_grad_();
  h = h.clone();
  dl::Tensor loss;
  for (int64_t t = k * kWindow; t < std::min((k + 1) * kWindow, kSteps); ++t) {
    h = dl::rnn_cell(s.xs[size_t(t)].detach(), h, w_ih, w_hh, s.cell.b_ih.detach(), s.cell.b_hh.detach());
    loss = loss.defined() ? loss + dl::sum(h) : dl::sum(h);
  }
  loss.backward();
  return {w_ih.grad(), w_hh.grad()};
}

}  // namespace

TEST_CASE("truncated_bptt: the loss of a chunk sends no gradient into earlier chunks", "[truncated_bptt]") {
  for (int64_t k = 1; k < 3; ++k) {
    Setup s;
    const std::vector<dl::Tensor> losses = s.run();
    REQUIRE(losses.size() == 3);
    losses[size_t(k)].backward();
    INFO("backward() of chunk " << k << " (steps " << k * kWindow << " to " << std::min((k + 1) * kWindow, kSteps) - 1
                                << ", window " << kWindow << ")");
    for (int64_t t = 0; t < k * kWindow; ++t) {
      INFO("step " << t << " belongs to an earlier chunk");
      const bool earlier_step_got_gradient = reached(s.xs[size_t(t)]);
      CHECK(earlier_step_got_gradient == false);
    }
    INFO("h0 is the state before chunk 0");
    const bool h0_got_gradient = reached(s.h0);
    CHECK(h0_got_gradient == false);
    for (int64_t t = k * kWindow; t < std::min((k + 1) * kWindow, kSteps); ++t) {
      INFO("step " << t << " is in this chunk");
      const bool own_step_got_gradient = reached(s.xs[size_t(t)]);
      CHECK(own_step_got_gradient);
    }
  }
}

TEST_CASE("truncated_bptt: each chunk gives the parameters the gradient of its own steps only", "[truncated_bptt]") {
  Setup s;
  const std::vector<dl::Tensor> losses = s.run();
  REQUIRE(losses.size() == 3);
  losses[2].backward();
  const std::vector<dl::Tensor> want = chunk_alone(s, 2);
  INFO("the gradient of W_ih and W_hh from chunk 2 must equal what chunk 2 gives alone, "
       "started from the same state as a constant");
  CHECK(test::max_scaled_diff(s.cell.w_ih.grad(), want[0]) < 1e-5f);
  CHECK(test::max_scaled_diff(s.cell.w_hh.grad(), want[1]) < 1e-5f);
}

TEST_CASE("truncated_bptt: backward on every chunk in turn works as a training loop does", "[truncated_bptt]") {
  Setup s;
  const std::vector<dl::Tensor> losses = s.run();
  REQUIRE(losses.size() == 3);
  for (size_t k = 0; k < losses.size(); ++k) {
    INFO("backward() of chunk " << k << ", after the chunks before it");
    REQUIRE_NOTHROW(losses[k].backward());
  }
  CHECK(reached(s.h0));
}

TEST_CASE("truncated_bptt: the losses equal those of the same sequence run without chunks", "[truncated_bptt]") {
  Setup s;
  const std::vector<dl::Tensor> losses = s.run();
  REQUIRE(losses.size() == 3);
  dl::no_grad guard;
  std::vector<double> sums(3, 0.0);
  dl::Tensor h = s.h0;
  for (int64_t t = 0; t < kSteps; ++t) {
    h = dl::rnn_cell(s.xs[size_t(t)], h, s.cell.w_ih, s.cell.w_hh, s.cell.b_ih, s.cell.b_hh);
    for (float v : h.to_vector()) sums[size_t(t / kWindow)] += v;
  }
  INFO("the state carried from one chunk to the next keeps its values");
  for (size_t k = 0; k < 3; ++k) CHECK(losses[k].item() == Approx(sums[k]).epsilon(1e-5));
}

TEST_CASE("truncated_bptt: chunk 0 reaches h0 and one window over everything is full BPTT", "[truncated_bptt]") {
  Setup s;
  const std::vector<dl::Tensor> losses = s.run(kSteps + 5);
  REQUIRE(losses.size() == 1);
  losses[0].backward();
  CHECK(reached(s.h0));
  for (int64_t t = 0; t < kSteps; ++t) CHECK(reached(s.xs[size_t(t)]));
  CHECK(ex::truncated_bptt(s.xs, s.h0, s.cell.w_ih, s.cell.w_hh, s.cell.b_ih, s.cell.b_hh, 1).size() == 10);
}

TEST_CASE("truncated_bptt: a window below 1 or no steps throws invalid_argument", "[truncated_bptt]") {
  Setup s;
  CHECK_THROWS_AS(s.run(0), std::invalid_argument);
  CHECK_THROWS_AS(ex::truncated_bptt({}, s.h0, s.cell.w_ih, s.cell.w_hh, s.cell.b_ih, s.cell.b_hh, 4),
                  std::invalid_argument);
}

// Tests of the exercise rnn_cell_step; its stub and task are in exercises/03-rnn/rnn_cell_step/.
#include <cmath>

#include "dl/rnn.hpp"
#include "exercise_support.hpp"

TEST_CASE("rnn_cell_step: two rows through two hidden units, computed by hand", "[rnn_cell_step]") {
  const dl::Tensor x = dl::Tensor::from_data({2, 1}, {1.0f, -1.0f});
  const dl::Tensor h = dl::Tensor::from_data({2, 2}, {0.5f, 0.25f, 0.0f, 0.0f});
  const dl::Tensor w_ih = dl::Tensor::from_data({2, 1}, {1.0f, 2.0f});
  const dl::Tensor w_hh = dl::Tensor::from_data({2, 2}, {1.0f, 2.0f, 0.0f, 3.0f});
  const dl::Tensor b_ih = dl::Tensor::from_data({2}, {0.1f, -0.2f});
  const dl::Tensor b_hh = dl::Tensor::from_data({2}, {0.0f, 0.3f});
  const dl::Tensor out = ex::rnn_cell_step(x, h, w_ih, w_hh, b_ih, b_hh);
  REQUIRE(out.shape() == dl::Shape{2, 2});
  // Row 0: 0.1 + 1 + (0.5 + 0.5) and 0.1 + 2 + 0.75;  row 1: 0.1 - 1 and 0.1 - 2.
  const std::vector<double> want{std::tanh(2.1), std::tanh(2.85), std::tanh(-0.9), std::tanh(-1.9)};
  CHECK(test::max_abs_diff(out, want) < 1e-6);
}

TEST_CASE("rnn_cell_step: matches dl::rnn_cell on random non-square shapes", "[rnn_cell_step]") {
  struct Case {
    int64_t batch, in, hidden;
  };
  uint64_t seed = 500;
  for (const Case c : {Case{3, 5, 4}, Case{1, 7, 3}, Case{4, 2, 6}, Case{2, 1, 1}}) {
    INFO("B " << c.batch << ", I " << c.in << ", H " << c.hidden);
    const test::RandomCell cell = test::random_cell(c.in, c.hidden, 1, seed += 10);
    const dl::Tensor x = test::random_tensor({c.batch, c.in}, seed + 5);
    const dl::Tensor h = test::random_tensor({c.batch, c.hidden}, seed + 6);
    const dl::Tensor got = ex::rnn_cell_step(x, h, cell.w_ih, cell.w_hh, cell.b_ih, cell.b_hh);
    const dl::Tensor want = dl::rnn_cell(x, h, cell.w_ih, cell.w_hh, cell.b_ih, cell.b_hh);
    REQUIRE(got.shape() == want.shape());
    CHECK(test::max_abs_diff(got, want) < 1e-5f);
  }
}

TEST_CASE("rnn_cell_step: eight steps with the state fed back match dl::rnn_cell", "[rnn_cell_step]") {
  const test::RandomCell cell = test::random_cell(3, 5, 1, 550);
  dl::Tensor h = dl::Tensor::zeros({2, 5});
  dl::Tensor reference = dl::Tensor::zeros({2, 5});
  for (uint64_t t = 0; t < 8; ++t) {
    INFO("step " << t);
    const dl::Tensor x = test::random_tensor({2, 3}, 560 + t);
    h = ex::rnn_cell_step(x, h, cell.w_ih, cell.w_hh, cell.b_ih, cell.b_hh);
    reference = dl::rnn_cell(x, reference, cell.w_ih, cell.w_hh, cell.b_ih, cell.b_hh);
    CHECK(test::max_abs_diff(h, reference) < 1e-5f);
  }
}

TEST_CASE("rnn_cell_step: huge pre-activations saturate at -1 and 1 without NaN", "[rnn_cell_step]") {
  const test::RandomCell cell = test::random_cell(4, 3, 1, 580);
  const dl::Tensor x = test::random_tensor({3, 4}, 590, 1000.0f);
  const dl::Tensor h = test::random_tensor({3, 3}, 591);
  const dl::Tensor out = ex::rnn_cell_step(x, h, cell.w_ih, cell.w_hh, cell.b_ih, cell.b_hh);
  for (int64_t i = 0; i < out.numel(); ++i) {
    CHECK(std::isfinite(out.at(i)));
    CHECK(std::abs(out.at(i)) <= 1.0f);
  }
  CHECK(test::max_abs_diff(out, dl::rnn_cell(x, h, cell.w_ih, cell.w_hh, cell.b_ih, cell.b_hh)) < 1e-5f);
}

TEST_CASE("rnn_cell_step: leaves its inputs unchanged", "[rnn_cell_step]") {
  const test::RandomCell cell = test::random_cell(3, 4, 1, 600);
  const dl::Tensor x = test::random_tensor({2, 3}, 610);
  const dl::Tensor h = test::random_tensor({2, 4}, 611);
  const std::vector<std::vector<float>> before{x.to_vector(),         h.to_vector(),         cell.w_ih.to_vector(),
                                               cell.w_hh.to_vector(), cell.b_ih.to_vector(), cell.b_hh.to_vector()};
  const dl::Tensor out = ex::rnn_cell_step(x, h, cell.w_ih, cell.w_hh, cell.b_ih, cell.b_hh);
  CHECK(out.data() != h.data());
  const std::vector<std::vector<float>> after{x.to_vector(),         h.to_vector(),         cell.w_ih.to_vector(),
                                              cell.w_hh.to_vector(), cell.b_ih.to_vector(), cell.b_hh.to_vector()};
  CHECK(after == before);
}

TEST_CASE("rnn_cell_step: shapes that do not fit throw a ShapeError", "[rnn_cell_step]") {
  const test::RandomCell cell = test::random_cell(3, 4, 1, 81);
  const dl::Tensor x = test::random_tensor({2, 3}, 85), h = test::random_tensor({2, 4}, 86);
  CHECK_THROWS_AS(ex::rnn_cell_step(x, test::random_tensor({3, 4}, 87), cell.w_ih, cell.w_hh, cell.b_ih, cell.b_hh),
                  dl::ShapeError);  // batch 2 against 3
  CHECK_THROWS_AS(ex::rnn_cell_step(x, h, cell.w_hh, cell.w_hh, cell.b_ih, cell.b_hh), dl::ShapeError);  // w_ih (4,4)
  CHECK_THROWS_AS(ex::rnn_cell_step(x, h, cell.w_ih, cell.w_hh, dl::Tensor::zeros({3}), cell.b_hh), dl::ShapeError);
}

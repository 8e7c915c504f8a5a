// Tests of the exercise lstm_cell_forward; its stub and task are in exercises/03-rnn/lstm_cell_forward/.
#include <cmath>

#include "dl/rnn.hpp"
#include "exercise_support.hpp"

TEST_CASE("lstm_cell_forward: with every gate at 0 the cell keeps half its memory", "[lstm_cell_forward]") {
  // All pre-activations 0: i = f = o = 1/2 and g = tanh(0) = 0.
  const ex::LSTMStep next =
      ex::lstm_cell_forward(dl::Tensor::from_data({1, 1}, {5.0f}), dl::Tensor::from_data({1, 1}, {-3.0f}),
                            dl::Tensor::from_data({1, 1}, {2.0f}), dl::Tensor::zeros({4, 1}), dl::Tensor::zeros({4, 1}),
                            dl::Tensor::zeros({4}), dl::Tensor::zeros({4}));
  REQUIRE(next.h.shape() == dl::Shape{1, 1});
  REQUIRE(next.c.shape() == dl::Shape{1, 1});
  CHECK(next.c.at(0) == Approx(1.0f).margin(1e-6));
  CHECK(next.h.at(0) == Approx(0.5 * std::tanh(1.0)).margin(1e-6));
}

TEST_CASE("lstm_cell_forward: the gates come in four blocks of H, in the order i, f, g, o", "[lstm_cell_forward]") {
  // Pre-activations b_ih + b_hh = i (30, -30), f (-30, 30), g (1, -0.5), o (30, 30): unit 0
  // forgets its memory and stores tanh(1); unit 1 keeps its memory and admits nothing.
  const dl::Tensor b_ih = dl::Tensor::from_data({8}, {15, -10, -20, 30, 0.5f, -0.5f, 30, 10});
  const dl::Tensor b_hh = dl::Tensor::from_data({8}, {15, -20, -10, 0, 0.5f, 0, 0, 20});
  const dl::Tensor c = dl::Tensor::from_data({1, 2}, {2.0f, -0.7f});
  const ex::LSTMStep next =
      ex::lstm_cell_forward(dl::Tensor::from_data({1, 3}, {1, 2, 3}), dl::Tensor::from_data({1, 2}, {0.5f, -0.5f}), c,
                            dl::Tensor::zeros({8, 3}), dl::Tensor::zeros({8, 2}), b_ih, b_hh);
  REQUIRE(next.c.shape() == dl::Shape{1, 2});
  REQUIRE(next.h.shape() == dl::Shape{1, 2});
  CHECK(test::max_abs_diff(next.c, std::vector<double>{std::tanh(1.0), -0.7}) < 1e-6);
  CHECK(test::max_abs_diff(next.h, std::vector<double>{std::tanh(std::tanh(1.0)), std::tanh(-0.7)}) < 1e-6);
}

TEST_CASE("lstm_cell_forward: matches dl::lstm_cell on random non-square shapes", "[lstm_cell_forward]") {
  struct Case {
    int64_t batch, in, hidden;
  };
  uint64_t seed = 800;
  for (const Case s : {Case{3, 5, 4}, Case{1, 2, 6}, Case{4, 7, 1}, Case{2, 3, 3}}) {
    INFO("B " << s.batch << ", I " << s.in << ", H " << s.hidden);
    const test::RandomCell cell = test::random_cell(s.in, s.hidden, 4, seed += 10);
    const dl::Tensor x = test::random_tensor({s.batch, s.in}, seed + 5);
    const dl::Tensor h = test::random_tensor({s.batch, s.hidden}, seed + 6);
    const dl::Tensor c = test::random_tensor({s.batch, s.hidden}, seed + 7, 2.0f);
    const ex::LSTMStep got = ex::lstm_cell_forward(x, h, c, cell.w_ih, cell.w_hh, cell.b_ih, cell.b_hh);
    const dl::RecurrentState want = dl::lstm_cell(x, {h, c}, cell.w_ih, cell.w_hh, cell.b_ih, cell.b_hh);
    REQUIRE(got.h.shape() == want.h.shape());
    REQUIRE(got.c.shape() == want.c.shape());
    CHECK(test::max_abs_diff(got.h, want.h) < 1e-5f);
    CHECK(test::max_abs_diff(got.c, want.c) < 1e-5f);
  }
}

TEST_CASE("lstm_cell_forward: seven steps with the state fed back match the fused dl::lstm_layer",
          "[lstm_cell_forward]") {
  const int64_t steps = 7, batch = 2, in = 3, hidden = 4;
  const test::RandomCell cell = test::random_cell(in, hidden, 4, 850);
  const dl::Tensor xs = test::random_tensor({steps, batch, in}, 860);
  const dl::RecurrentSequence want =
      dl::lstm_layer(xs, {dl::Tensor::zeros({batch, hidden}), dl::Tensor::zeros({batch, hidden})}, cell.w_ih, cell.w_hh,
                     cell.b_ih, cell.b_hh);
  ex::LSTMStep state{dl::Tensor::zeros({batch, hidden}), dl::Tensor::zeros({batch, hidden})};
  for (int64_t t = 0; t < steps; ++t) {
    INFO("step " << t);
    const dl::Tensor x = dl::slice(xs, 0, t, t + 1).reshape({batch, in});
    state = ex::lstm_cell_forward(x, state.h, state.c, cell.w_ih, cell.w_hh, cell.b_ih, cell.b_hh);
    CHECK(test::max_abs_diff(state.h, dl::slice(want.output, 0, t, t + 1).reshape({batch, hidden})) < 1e-5f);
  }
  CHECK(test::max_abs_diff(state.c, want.state.c) < 1e-5f);
}

TEST_CASE("lstm_cell_forward: huge pre-activations saturate the gates without NaN", "[lstm_cell_forward]") {
  const test::RandomCell cell = test::random_cell(4, 3, 4, 880);
  const dl::Tensor x = test::random_tensor({2, 4}, 890, 1000.0f);
  const dl::Tensor h = test::random_tensor({2, 3}, 891);
  const dl::Tensor c = test::random_tensor({2, 3}, 892);
  const ex::LSTMStep got = ex::lstm_cell_forward(x, h, c, cell.w_ih, cell.w_hh, cell.b_ih, cell.b_hh);
  for (int64_t i = 0; i < got.h.numel(); ++i) {
    CHECK(std::isfinite(got.c.at(i)));
    CHECK(std::abs(got.h.at(i)) <= 1.0f);
  }
  const dl::RecurrentState want = dl::lstm_cell(x, {h, c}, cell.w_ih, cell.w_hh, cell.b_ih, cell.b_hh);
  CHECK(test::max_abs_diff(got.h, want.h) < 1e-5f);
  CHECK(test::max_abs_diff(got.c, want.c) < 1e-5f);
}

TEST_CASE("lstm_cell_forward: leaves its inputs unchanged", "[lstm_cell_forward]") {
  const test::RandomCell cell = test::random_cell(3, 2, 4, 900);
  const dl::Tensor x = test::random_tensor({2, 3}, 910);
  const dl::Tensor h = test::random_tensor({2, 2}, 911);
  const dl::Tensor c = test::random_tensor({2, 2}, 912);
  const std::vector<std::vector<float>> before{x.to_vector(),         h.to_vector(),         c.to_vector(),
                                               cell.w_ih.to_vector(), cell.w_hh.to_vector(), cell.b_ih.to_vector(),
                                               cell.b_hh.to_vector()};
  ex::lstm_cell_forward(x, h, c, cell.w_ih, cell.w_hh, cell.b_ih, cell.b_hh);
  const std::vector<std::vector<float>> after{x.to_vector(),         h.to_vector(),         c.to_vector(),
                                              cell.w_ih.to_vector(), cell.w_hh.to_vector(), cell.b_ih.to_vector(),
                                              cell.b_hh.to_vector()};
  CHECK(after == before);
}

TEST_CASE("lstm_cell_forward: shapes that do not fit throw a ShapeError", "[lstm_cell_forward]") {
  const test::RandomCell cell = test::random_cell(3, 4, 4, 91);
  const dl::Tensor x = test::random_tensor({2, 3}, 95), h = test::random_tensor({2, 4}, 96);
  const dl::Tensor c = test::random_tensor({2, 4}, 97);
  CHECK_THROWS_AS(ex::lstm_cell_forward(x, h, test::random_tensor({2, 5}, 98), cell.w_ih, cell.w_hh, cell.b_ih,
                                        cell.b_hh),
                  dl::ShapeError);  // c is not h's shape
  const test::RandomCell three_gates = test::random_cell(3, 4, 3, 99);  // a GRU's weights, (3H, .)
  CHECK_THROWS_AS(ex::lstm_cell_forward(x, h, c, three_gates.w_ih, three_gates.w_hh, three_gates.b_ih,
                                        three_gates.b_hh),
                  dl::ShapeError);
}

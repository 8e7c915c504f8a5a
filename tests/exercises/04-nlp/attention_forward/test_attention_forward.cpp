// Tests of the exercise attention_forward; its stub and task are in exercises/04-nlp/attention_forward/.
#include <cmath>
#include <stdexcept>

#include "exercise_support.hpp"

namespace {

// The library's fused attention on one (batch, head) pair: (T, D) -> (1, 1, T, D) and back.
dl::Tensor reference(const dl::Tensor& q, const dl::Tensor& k, const dl::Tensor& v, std::span<const int> key_padding) {
  const dl::Tensor out = dl::scaled_dot_product_attention(
      q.reshape({1, 1, q.size(0), q.size(1)}), k.reshape({1, 1, k.size(0), k.size(1)}),
      v.reshape({1, 1, v.size(0), v.size(1)}), {.mask = {.key_padding = key_padding}});
  return out.reshape({q.size(0), v.size(1)});
}

void check_close(const dl::Tensor& got, const dl::Tensor& want, double tolerance = 1e-5) {
  REQUIRE(got.shape() == want.shape());
  for (int64_t i = 0; i < want.numel(); ++i) {
    INFO("element " << i << " (row " << i / want.size(1) << ", column " << i % want.size(1) << ")");
    CHECK(got.at(i) == Approx(want.at(i)).margin(tolerance).epsilon(tolerance));
  }
}

}  // namespace

TEST_CASE("attention_forward: a worked example with two queries and two keys", "[attention_forward]") {
  // D = 4, so the scores are divided by sqrt(4) = 2. Query 0 scores the keys 2 ln 3 / 2 = ln 3
  // and 0: weights 3/4 and 1/4. Query 1 is zero: both scores 0, weights 1/2 and 1/2.
  const float ln3 = std::log(3.0f);
  const dl::Tensor q = dl::Tensor::from_data({2, 4}, {2, 0, 0, 0, 0, 0, 0, 0});
  const dl::Tensor k = dl::Tensor::from_data({2, 4}, {ln3, 0, 0, 0, 0, 5, 0, 0});
  const dl::Tensor v = dl::Tensor::from_data({2, 2}, {4, 0, 0, 8});
  const dl::Tensor out = ex::attention_forward(q, k, v, {});
  REQUIRE(out.shape() == dl::Shape{2, 2});
  // 3/4 (4, 0) + 1/4 (0, 8) = (3, 2);  1/2 (4, 0) + 1/2 (0, 8) = (2, 4)
  check_close(out, dl::Tensor::from_data({2, 2}, {3, 2, 2, 4}));
}

TEST_CASE("attention_forward: matches dl::scaled_dot_product_attention on random inputs", "[attention_forward]") {
  struct Case {
    int64_t t, s, d, dv;
    float scale;
  };
  uint64_t seed = 4400;
  for (const Case c : {Case{1, 1, 1, 1, 1.0f}, Case{5, 7, 8, 3, 1.0f}, Case{4, 4, 16, 16, 0.5f},
                       Case{9, 3, 5, 2, 2.0f}, Case{2, 12, 64, 10, 1.0f}, Case{6, 1, 3, 4, 3.0f}}) {
    INFO("T = " << c.t << ", S = " << c.s << ", D = " << c.d << ", Dv = " << c.dv << ", scale " << c.scale);
    const dl::Tensor q = test::random_tensor({c.t, c.d}, ++seed, c.scale);
    const dl::Tensor k = test::random_tensor({c.s, c.d}, ++seed, c.scale);
    const dl::Tensor v = test::random_tensor({c.s, c.dv}, ++seed);
    check_close(ex::attention_forward(q, k, v, {}), reference(q, k, v, {}));
  }
}

TEST_CASE("attention_forward: padded keys get no weight and a query with only padding outputs zeros",
          "[attention_forward]") {
  const dl::Tensor q = test::random_tensor({4, 6}, 4501);
  const dl::Tensor k = test::random_tensor({5, 6}, 4502);
  dl::Tensor v = test::random_tensor({5, 3}, 4503);
  const std::vector<int> padding{1, 1, 0, 1, 0};
  const dl::Tensor out = ex::attention_forward(q, k, v, padding);
  check_close(out, reference(q, k, v, padding));

  INFO("the values of padded keys must not reach the output, however large");
  for (int64_t c = 0; c < 3; ++c) v.data()[2 * 3 + c] = v.data()[4 * 3 + c] = 1e6f;
  check_close(ex::attention_forward(q, k, v, padding), out);

  INFO("one real key: every query copies its value");
  const std::vector<int> one{0, 0, 0, 1, 0};
  const dl::Tensor copied = ex::attention_forward(q, k, v, one);
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t c = 0; c < 3; ++c) CHECK(copied.at(i * 3 + c) == Approx(v.at(3 * 3 + c)).epsilon(1e-6));

  INFO("every key padded: zeros, not NaN");
  const std::vector<int> none{0, 0, 0, 0, 0};
  const dl::Tensor zeros = ex::attention_forward(q, k, v, none);
  REQUIRE(zeros.shape() == dl::Shape{4, 3});
  CHECK(zeros.to_vector() == std::vector<float>(12, 0.0f));
}

TEST_CASE("attention_forward: scores in the thousands stay finite", "[attention_forward]") {
  // D = 1: the scores are 1000 * 1000 = 1e6 and 1000 * 999 = 999000. exp(1e6) overflows
  // even a double; after subtracting the maximum the weights are 1 and exp(-1000) = 0.
  const dl::Tensor q = dl::Tensor::from_data({1, 1}, {1000.0f});
  const dl::Tensor k = dl::Tensor::from_data({2, 1}, {999.0f, 1000.0f});
  const dl::Tensor v = dl::Tensor::from_data({2, 2}, {1.0f, 2.0f, -3.0f, 4.0f});
  const dl::Tensor out = ex::attention_forward(q, k, v, {});
  REQUIRE(out.shape() == dl::Shape{1, 2});
  CHECK(out.at(0) == Approx(-3.0f));
  CHECK(out.at(1) == Approx(4.0f));

  const dl::Tensor qs = test::random_tensor({3, 8}, 4601, 30.0f);
  const dl::Tensor ks = test::random_tensor({6, 8}, 4602, 30.0f);
  const dl::Tensor vs = test::random_tensor({6, 5}, 4603);
  const std::vector<int> padding{1, 0, 1, 1, 1, 0};
  const dl::Tensor big = ex::attention_forward(qs, ks, vs, padding);
  for (float x : big.to_vector()) REQUIRE(std::isfinite(x));
  check_close(big, reference(qs, ks, vs, padding), 1e-4);
}

TEST_CASE("attention_forward: the inputs are left as they were", "[attention_forward]") {
  const dl::Tensor q = test::random_tensor({3, 4}, 4701), k = test::random_tensor({5, 4}, 4702);
  const dl::Tensor v = test::random_tensor({5, 2}, 4703);
  const std::vector<float> q0 = q.to_vector(), k0 = k.to_vector(), v0 = v.to_vector();
  ex::attention_forward(q, k, v, {});
  CHECK(q.to_vector() == q0);
  CHECK(k.to_vector() == k0);
  CHECK(v.to_vector() == v0);
}

TEST_CASE("attention_forward: shapes that do not fit throw dl::ShapeError", "[attention_forward]") {
  const dl::Tensor q = dl::Tensor::zeros({3, 4}), k = dl::Tensor::zeros({5, 4}), v = dl::Tensor::zeros({5, 2});
  CHECK_THROWS_AS(ex::attention_forward(q.reshape({1, 3, 4}), k, v, {}), dl::ShapeError);  // not 2-D
  CHECK_THROWS_AS(ex::attention_forward(q, dl::Tensor::zeros({20}), v, {}), dl::ShapeError);
  CHECK_THROWS_AS(ex::attention_forward(q, k, dl::Tensor::zeros({5, 2, 1}), {}), dl::ShapeError);
  CHECK_THROWS_AS(ex::attention_forward(q, dl::Tensor::zeros({5, 3}), v, {}), dl::ShapeError);  // D differs
  CHECK_THROWS_AS(ex::attention_forward(q, k, dl::Tensor::zeros({4, 2}), {}), dl::ShapeError);  // S differs
  CHECK_THROWS_AS(ex::attention_forward(dl::Tensor::zeros({3, 0}), dl::Tensor::zeros({5, 0}), v, {}),
                  dl::ShapeError);  // D = 0
  const std::vector<int> short_padding{1, 1, 1, 1};
  CHECK_THROWS_AS(ex::attention_forward(q, k, v, short_padding), dl::ShapeError);
  const std::vector<int> not_binary{1, 1, 2, 1, 0};
  CHECK_THROWS_AS(ex::attention_forward(q, k, v, not_binary), std::invalid_argument);
}

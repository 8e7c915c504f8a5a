// Tests of the exercise causal_mask; its stub and task are in exercises/04-nlp/causal_mask/.
#include <cmath>
#include <limits>
#include <stdexcept>

#include "exercise_support.hpp"

namespace {

constexpr float kHidden = -std::numeric_limits<float>::infinity();

// Checks every entry: exactly 0 where `visible(i, j)`, exactly minus infinity elsewhere.
template <typename Visible>
void check_mask(const dl::Tensor& mask, int64_t t, int64_t s, Visible visible) {
  REQUIRE(mask.shape() == dl::Shape{t, s});
  for (int64_t i = 0; i < t; ++i)
    for (int64_t j = 0; j < s; ++j) {
      INFO("query " << i << ", key " << j);
      CHECK(mask.at(i * s + j) == (visible(i, j) ? 0.0f : kHidden));
    }
}

// softmax over each row of q k^T / sqrt(D) + mask, in double; a row with no finite entry
// gives zeros (as dl::attention_weights does for a query that sees no key).
std::vector<double> masked_softmax(const dl::Tensor& q, const dl::Tensor& k, const dl::Tensor& mask) {
  const int64_t t = q.size(0), s = k.size(0), d = q.size(1);
  std::vector<double> p(static_cast<size_t>(t * s), 0.0);
  for (int64_t i = 0; i < t; ++i) {
    std::vector<double> row(static_cast<size_t>(s));
    double top = -INFINITY;
    for (int64_t j = 0; j < s; ++j) {
      double score = 0;
      for (int64_t c = 0; c < d; ++c) score += double(q.at(i * d + c)) * k.at(j * d + c);
      row[static_cast<size_t>(j)] = score / std::sqrt(double(d)) + mask.at(i * s + j);
      top = std::max(top, row[static_cast<size_t>(j)]);
    }
    if (top == -INFINITY) continue;
    double total = 0;
    for (double& x : row) total += x = std::exp(x - top);
    for (int64_t j = 0; j < s; ++j) p[static_cast<size_t>(i * s + j)] = row[static_cast<size_t>(j)] / total;
  }
  return p;
}

}  // namespace

TEST_CASE("causal_mask: a square mask is 0 on and below the diagonal and minus infinity above", "[causal_mask]") {
  check_mask(ex::causal_mask(4, 4, {}), 4, 4, [](int64_t i, int64_t j) { return j <= i; });
  check_mask(ex::causal_mask(1, 1, {}), 1, 1, [](int64_t, int64_t) { return true; });
}

TEST_CASE("causal_mask: when T and S differ the mask is aligned at the top left", "[causal_mask]") {
  // Query i sees keys 0..i whatever S is: with more keys than queries the last ones are
  // hidden from all, with more queries than keys the later queries see every key.
  check_mask(ex::causal_mask(2, 5, {}), 2, 5, [](int64_t i, int64_t j) { return j <= i; });
  check_mask(ex::causal_mask(5, 2, {}), 5, 2, [](int64_t i, int64_t j) { return j <= i; });
}

TEST_CASE("causal_mask: a padded key is hidden from every query", "[causal_mask]") {
  const std::vector<int> padding{1, 1, 0, 1, 0};
  check_mask(ex::causal_mask(5, 5, padding), 5, 5,
             [&](int64_t i, int64_t j) { return j <= i && padding[static_cast<size_t>(j)] == 1; });
  const std::vector<int> real{1, 1, 1};
  check_mask(ex::causal_mask(4, 3, real), 4, 3, [](int64_t i, int64_t j) { return j <= i; });
}

TEST_CASE("causal_mask: softmax of the scores plus the mask matches dl::attention_weights", "[causal_mask]") {
  struct Case {
    int64_t t, s, d;
    std::vector<int> padding;
  };
  const std::vector<Case> cases{
      {6, 6, 4, {}},
      {6, 6, 8, {1, 1, 1, 1, 0, 0}},  // right padding, as a batch of unequal lengths has
      {5, 5, 3, {0, 1, 1, 0, 1}},     // key 0 padded: query 0 sees nothing and gets zeros
      {3, 7, 5, {1, 1, 0, 1, 1, 1, 0}},
      {7, 3, 2, {1, 0, 1}},
  };
  uint64_t seed = 4800;
  for (const Case& c : cases) {
    INFO("T = " << c.t << ", S = " << c.s << ", D = " << c.d << ", " << c.padding.size() << " padding entries");
    const dl::Tensor q = test::random_tensor({c.t, c.d}, ++seed, 1.5f);
    const dl::Tensor k = test::random_tensor({c.s, c.d}, ++seed, 1.5f);
    const dl::Tensor mask = ex::causal_mask(c.t, c.s, c.padding);
    REQUIRE(mask.shape() == dl::Shape{c.t, c.s});
    const std::vector<double> got = masked_softmax(q, k, mask);
    const dl::Tensor want = dl::attention_weights(q.reshape({1, 1, c.t, c.d}), k.reshape({1, 1, c.s, c.d}),
                                                  {.key_padding = c.padding, .causal = true});
    for (int64_t i = 0; i < want.numel(); ++i) {
      INFO("query " << i / c.s << ", key " << i % c.s);
      CHECK(got[static_cast<size_t>(i)] == Approx(want.at(i)).margin(1e-6).epsilon(1e-5));
    }
  }
}

TEST_CASE("causal_mask: no queries or no keys give an empty mask", "[causal_mask]") {
  CHECK(ex::causal_mask(0, 3, {}).shape() == dl::Shape{0, 3});
  CHECK(ex::causal_mask(3, 0, {}).shape() == dl::Shape{3, 0});
  CHECK(ex::causal_mask(0, 0, {}).shape() == dl::Shape{0, 0});
}

TEST_CASE("causal_mask: bad arguments throw", "[causal_mask]") {
  CHECK_THROWS_AS(ex::causal_mask(-1, 3, {}), std::invalid_argument);
  CHECK_THROWS_AS(ex::causal_mask(3, -2, {}), std::invalid_argument);
  const std::vector<int> three{1, 1, 1};
  CHECK_THROWS_AS(ex::causal_mask(4, 4, three), dl::ShapeError);
  CHECK_THROWS_AS(ex::causal_mask(2, 2, three), dl::ShapeError);
  const std::vector<int> not_binary{1, -1, 1};
  CHECK_THROWS_AS(ex::causal_mask(3, 3, not_binary), std::invalid_argument);
}

// Tests of the exercise kv_cache_append; its stub and task are in exercises/05-nlg/kv_cache_append/.
#include <cmath>
#include <limits>
#include <stdexcept>

#include "exercise_support.hpp"

namespace {

// An empty cache of `capacity` positions of D floats; the unused rows hold `fill`.
ex::KVCache make_cache(int64_t d, int64_t capacity, float fill = 0.0f) {
  const auto n = static_cast<size_t>(d * capacity);
  return {.dim = d, .capacity = capacity, .length = 0, .keys = std::vector<float>(n, fill),
          .values = std::vector<float>(n, fill)};
}

std::vector<float> row(const dl::Tensor& x, int64_t i) {
  const int64_t d = x.size(1);
  return {x.data() + i * d, x.data() + (i + 1) * d};
}

// softmax(q·k_j / sqrt(D)) over the first `n` rows of k, times those rows of v, in double.
std::vector<double> attend(const std::vector<float>& q, const std::vector<float>& k, const std::vector<float>& v,
                           size_t n) {
  const size_t d = q.size();
  std::vector<double> s(n);
  double top = -INFINITY;
  for (size_t j = 0; j < n; ++j) {
    for (size_t c = 0; c < d; ++c) s[j] += double(q[c]) * k[j * d + c];
    s[j] /= std::sqrt(double(d));
    top = std::max(top, s[j]);
  }
  double total = 0;
  for (double& x : s) total += x = std::exp(x - top);
  std::vector<double> out(d, 0.0);
  for (size_t j = 0; j < n; ++j)
    for (size_t c = 0; c < d; ++c) out[c] += s[j] / total * v[j * d + c];
  return out;
}

template <typename Want>
void check_close(const std::vector<float>& got, const Want& want, double tolerance = 1e-5) {
  REQUIRE(got.size() == want.size());
  for (size_t c = 0; c < want.size(); ++c) {
    INFO("output element " << c);
    CHECK(got[c] == Approx(want[c]).margin(tolerance).epsilon(tolerance));
  }
}

}  // namespace

TEST_CASE("kv_cache_append: a worked example of two steps", "[kv_cache_append]") {
  // D = 4, so the scores are divided by sqrt(4) = 2. Step 1: one cached position, weight 1,
  // the output is its value. Step 2: the query scores key 0 (2 ln 3) / 2 = ln 3 and key 1
  // 0, weights 3/4 and 1/4. (Without the division by sqrt(D) they would be 9/10 and 1/10.)
  const float ln3 = std::log(3.0f);
  ex::KVCache cache = make_cache(4, 3);
  const std::vector<float> q{2, 0, 0, 0};
  check_close(ex::kv_cache_append(cache, std::vector<float>{ln3, 0, 0, 0}, std::vector<float>{4, 0, 0, 0}, q),
              std::vector<float>{4, 0, 0, 0});
  CHECK(cache.length == 1);
  // 3/4 (4, 0, 0, 0) + 1/4 (0, 8, 0, 0) = (3, 2, 0, 0)
  check_close(ex::kv_cache_append(cache, std::vector<float>{0, 5, 0, 0}, std::vector<float>{0, 8, 0, 0}, q),
              std::vector<float>{3, 2, 0, 0});
  CHECK(cache.length == 2);
  INFO("the key and value of position j are row j of the buffers; the rows past length are untouched");
  CHECK(cache.keys == std::vector<float>{ln3, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0});
  CHECK(cache.values == std::vector<float>{4, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0});
}

TEST_CASE("kv_cache_append: step by step it computes a decoder's causal self-attention", "[kv_cache_append]") {
  // Appending positions 0 .. T-1 and querying with q_i at step i gives row i of causal
  // attention over the whole sequence: what dl::scaled_dot_product_attention computes with
  // the causal mask, at once.
  struct Case {
    int64_t t, d, capacity;
    float scale;
  };
  uint64_t seed = 5700;
  for (const Case c : {Case{1, 1, 1, 1.0f}, Case{7, 8, 10, 1.0f}, Case{5, 3, 5, 2.0f}, Case{12, 64, 16, 0.5f}}) {
    INFO("T = " << c.t << ", D = " << c.d << ", capacity " << c.capacity);
    const dl::Tensor q = test::random_tensor({c.t, c.d}, ++seed, c.scale);
    const dl::Tensor k = test::random_tensor({c.t, c.d}, ++seed, c.scale);
    const dl::Tensor v = test::random_tensor({c.t, c.d}, ++seed);
    const dl::Tensor want =
        dl::scaled_dot_product_attention(q.reshape({1, 1, c.t, c.d}), k.reshape({1, 1, c.t, c.d}),
                                         v.reshape({1, 1, c.t, c.d}), {.mask = {.causal = true}})
            .reshape({c.t, c.d});
    // Rows past length hold garbage: a cache is reused, and only its first length rows count.
    ex::KVCache cache = make_cache(c.d, c.capacity, 1e3f);
    for (int64_t i = 0; i < c.t; ++i) {
      INFO("step " << i);
      check_close(ex::kv_cache_append(cache, row(k, i), row(v, i), row(q, i)), row(want, i));
      CHECK(cache.length == i + 1);
    }
  }
}

TEST_CASE("kv_cache_append: a cache that already holds a prompt grows after it", "[kv_cache_append]") {
  const int64_t d = 6, capacity = 8, prompt = 5;
  const dl::Tensor k = test::random_tensor({prompt + 1, d}, 5801);
  const dl::Tensor v = test::random_tensor({prompt + 1, d}, 5802);
  const std::vector<float> q = test::random_tensor({d}, 5803).to_vector();
  ex::KVCache cache = make_cache(d, capacity, -7.0f);
  std::copy(k.data(), k.data() + prompt * d, cache.keys.begin());
  std::copy(v.data(), v.data() + prompt * d, cache.values.begin());
  cache.length = prompt;
  const std::vector<float> out = ex::kv_cache_append(cache, row(k, prompt), row(v, prompt), q);
  CHECK(cache.length == prompt + 1);
  const std::vector<float> keys = k.to_vector(), values = v.to_vector();
  CHECK(std::vector<float>(cache.keys.begin(), cache.keys.begin() + (prompt + 1) * d) == keys);
  CHECK(std::vector<float>(cache.values.begin(), cache.values.begin() + (prompt + 1) * d) == values);
  check_close(out, attend(q, keys, values, static_cast<size_t>(prompt + 1)));
}

TEST_CASE("kv_cache_append: scores in the thousands do not overflow", "[kv_cache_append]") {
  // q·k_j / sqrt(4) is 2000, 2001 and 1999: exp of those overflows a float and a double.
  ex::KVCache cache = make_cache(4, 3);
  const std::vector<float> q{40, 0, 0, 0};
  const std::vector<std::vector<float>> keys{{100, 0, 0, 0}, {100.05f, 0, 0, 0}, {99.95f, 0, 0, 0}};
  const std::vector<std::vector<float>> values{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}};
  std::vector<float> flat_k, flat_v, out;
  for (size_t j = 0; j < 3; ++j) {
    out = ex::kv_cache_append(cache, keys[j], values[j], q);
    flat_k.insert(flat_k.end(), keys[j].begin(), keys[j].end());
    flat_v.insert(flat_v.end(), values[j].begin(), values[j].end());
    for (float x : out) CHECK(std::isfinite(x));
  }
  check_close(out, attend(q, flat_k, flat_v, 3));
}

TEST_CASE("kv_cache_append: a full cache throws and stays as it was", "[kv_cache_append]") {
  ex::KVCache cache = make_cache(2, 2);
  const std::vector<float> a{1, 2}, b{3, 4};
  ex::kv_cache_append(cache, a, b, a);
  ex::kv_cache_append(cache, b, a, b);
  const ex::KVCache full = cache;
  CHECK_THROWS_AS(ex::kv_cache_append(cache, a, a, a), dl::ShapeError);
  CHECK(cache.length == 2);
  CHECK(cache.keys == full.keys);
  CHECK(cache.values == full.values);
  ex::KVCache none = make_cache(3, 0);
  CHECK_THROWS_AS(ex::kv_cache_append(none, std::vector<float>(3), std::vector<float>(3), std::vector<float>(3)),
                  dl::ShapeError);
  CHECK(none.length == 0);
}

TEST_CASE("kv_cache_append: wrong sizes throw and leave the cache unchanged", "[kv_cache_append]") {
  const std::vector<float> three{1, 2, 3}, two{1, 2};
  ex::KVCache cache = make_cache(3, 4, 0.5f);
  const ex::KVCache before = cache;
  CHECK_THROWS_AS(ex::kv_cache_append(cache, two, three, three), dl::ShapeError);
  CHECK_THROWS_AS(ex::kv_cache_append(cache, three, two, three), dl::ShapeError);
  CHECK_THROWS_AS(ex::kv_cache_append(cache, three, three, two), dl::ShapeError);
  CHECK(cache.length == 0);
  CHECK(cache.keys == before.keys);
  CHECK(cache.values == before.values);

  ex::KVCache no_dim = make_cache(0, 4);
  CHECK_THROWS_AS(ex::kv_cache_append(no_dim, {}, {}, {}), dl::ShapeError);
  ex::KVCache short_keys = make_cache(3, 4);
  short_keys.keys.resize(9);
  CHECK_THROWS_AS(ex::kv_cache_append(short_keys, three, three, three), dl::ShapeError);
  ex::KVCache short_values = make_cache(3, 4);
  short_values.values.resize(13);
  CHECK_THROWS_AS(ex::kv_cache_append(short_values, three, three, three), dl::ShapeError);
  ex::KVCache past_end = make_cache(3, 4);
  past_end.length = 5;
  CHECK_THROWS_AS(ex::kv_cache_append(past_end, three, three, three), dl::ShapeError);
  ex::KVCache negative = make_cache(3, 4);
  negative.length = -1;
  CHECK_THROWS_AS(ex::kv_cache_append(negative, three, three, three), dl::ShapeError);
}

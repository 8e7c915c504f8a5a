// Tests of the exercise cosine_nearest; its stub and task are in exercises/04-nlp/cosine_nearest/.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "exercise_support.hpp"

namespace {

std::vector<int> ids(const std::vector<ex::Neighbour>& found) {
  std::vector<int> out;
  for (const ex::Neighbour& n : found) out.push_back(n.id);
  return out;
}

// The cosine of rows a and b of e, in double.
double cosine(const dl::Tensor& e, int64_t a, int64_t b) {
  const int64_t dim = e.size(1);
  double ab = 0, aa = 0, bb = 0;
  for (int64_t d = 0; d < dim; ++d) {
    const double x = e.at(a * dim + d), y = e.at(b * dim + d);
    ab += x * y, aa += x * x, bb += y * y;
  }
  return ab / std::sqrt(aa * bb);
}

}  // namespace

TEST_CASE("cosine_nearest: a worked example in two dimensions", "[cosine_nearest]") {
  // Row 0 points along x; row 4 nearly so, row 2 at 45 degrees, row 1 at 90, row 3 opposite.
  const dl::Tensor e = dl::Tensor::from_data({5, 2}, {1, 0, 0, 1, 1, 1, -1, 0, 2, 0.5f});
  const std::vector<ex::Neighbour> found = ex::cosine_nearest(e, 0, 3);
  CHECK(ids(found) == std::vector<int>{4, 2, 1});
  REQUIRE(found.size() == 3);
  CHECK(found[0].cosine == Approx(2 / std::sqrt(4.25)).epsilon(1e-6));
  CHECK(found[1].cosine == Approx(std::sqrt(0.5)).epsilon(1e-6));
  CHECK(found[2].cosine == Approx(0.0).margin(1e-7));
  CHECK(ids(ex::cosine_nearest(e, 3, 4)) == std::vector<int>{1, 2, 4, 0});  // from the opposite side
}

TEST_CASE("cosine_nearest: length does not matter only direction", "[cosine_nearest]") {
  // Row 1 is 100 times longer than row 2 but points almost the same way as the query.
  const dl::Tensor e = dl::Tensor::from_data({3, 3}, {1, 2, 3, 100, 210, 290, 3, 2, 1});
  CHECK(ids(ex::cosine_nearest(e, 0, 2)) == std::vector<int>{1, 2});
}

TEST_CASE("cosine_nearest: equal cosines come in increasing id order and a copy of the query counts",
          "[cosine_nearest]") {
  // Rows 1, 3 and 4 are r, 2r and r/4 (the same direction, exactly the same cosine);
  // row 5 is a copy of the query (cosine 1); rows 2 and 6 point elsewhere.
  const std::vector<float> q{1, 2, -1}, r{2, 1, 1};
  std::vector<float> rows;
  const auto add = [&](const std::vector<float>& row, float scale) {
    for (float x : row) rows.push_back(x * scale);
  };
  add(q, 1), add(r, 1), add({-1, 0, 3}, 1), add(r, 2), add(r, 0.25f), add(q, 1), add({0, 0, 1}, 1);
  const dl::Tensor e = dl::Tensor::from_data({7, 3}, rows);
  const std::vector<ex::Neighbour> found = ex::cosine_nearest(e, 0, 6);
  REQUIRE(found.size() == 6);
  CHECK(found[0].id == 5);
  CHECK(found[0].cosine == Approx(1.0).epsilon(1e-6));
  INFO("cos(q, r) = 3/6 = 0.5, cos(q, (0,0,1)) = -1/sqrt(6), cos(q, (-1,0,3)) = -4/sqrt(60)");
  CHECK(ids(found) == std::vector<int>{5, 1, 3, 4, 6, 2});
  CHECK(found[1].cosine == found[2].cosine);
  CHECK(found[2].cosine == found[3].cosine);
  CHECK(ids(ex::cosine_nearest(e, 0, 3)) == std::vector<int>{5, 1, 3});
  CHECK(ids(ex::cosine_nearest(e, 5, 2)) == std::vector<int>{0, 1});  // the query's copy finds the query
}

TEST_CASE("cosine_nearest: k of 0 gives nothing and a k beyond the table gives every other row",
          "[cosine_nearest]") {
  const dl::Tensor e = test::random_tensor({6, 4}, 31);
  CHECK(ex::cosine_nearest(e, 2, 0).empty());
  const std::vector<ex::Neighbour> all = ex::cosine_nearest(e, 2, 100);
  std::vector<int> sorted = ids(all);
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == std::vector<int>{0, 1, 3, 4, 5});
  CHECK(ids(ex::cosine_nearest(e, 2, 5)) == ids(all));
  CHECK(ex::cosine_nearest(test::random_tensor({1, 4}, 32), 0, 3).empty());  // a table of one row
}

TEST_CASE("cosine_nearest: agrees with cosines computed in double on a random table", "[cosine_nearest]") {
  const dl::Tensor e = test::random_tensor({300, 20}, 77);
  for (const int query : {0, 17, 150, 299}) {
    INFO("query " << query);
    std::vector<std::pair<double, int>> want;
    for (int r = 0; r < 300; ++r)
      if (r != query) want.push_back({cosine(e, query, r), r});
    std::sort(want.begin(), want.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    const std::vector<ex::Neighbour> found = ex::cosine_nearest(e, query, 25);
    REQUIRE(found.size() == 25);
    std::vector<int> seen;
    for (size_t i = 0; i < found.size(); ++i) {
      INFO("neighbour " << i << ": row " << found[i].id << ", expected row " << want[i].second);
      REQUIRE(found[i].id >= 0);
      REQUIRE(found[i].id < 300);
      CHECK(found[i].id != query);
      // The i-th cosine is the i-th largest; the row may differ only on a near tie.
      CHECK(found[i].cosine == Approx(want[i].first).margin(1e-6));
      CHECK(cosine(e, query, found[i].id) == Approx(want[i].first).margin(1e-6));
      seen.push_back(found[i].id);
    }
    std::sort(seen.begin(), seen.end());
    CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());  // no row twice
  }
}

TEST_CASE("cosine_nearest: entries near 1e20 or 1e-20 give the same neighbours", "[cosine_nearest]") {
  const dl::Tensor e = test::random_tensor({40, 8}, 91);
  const std::vector<int> want = ids(ex::cosine_nearest(e, 3, 10));
  for (const float scale : {1e20f, 1e-20f}) {
    INFO("every row times " << scale);
    const dl::Tensor scaled = e * scale;
    const std::vector<ex::Neighbour> found = ex::cosine_nearest(scaled, 3, 10);
    CHECK(ids(found) == want);
    for (const ex::Neighbour& n : found) CHECK(std::isfinite(n.cosine));
  }
  INFO("and with rows of both sizes mixed");
  dl::Tensor mixed = e.clone();
  for (int64_t i = 0; i < mixed.numel(); ++i) mixed.data()[i] *= (i / 8) % 2 == 0 ? 1e20f : 1e-20f;
  CHECK(ids(ex::cosine_nearest(mixed, 3, 10)) == want);
}

TEST_CASE("cosine_nearest: bad arguments and all-zero rows throw", "[cosine_nearest]") {
  const dl::Tensor e = test::random_tensor({4, 3}, 5);
  CHECK_THROWS_AS(ex::cosine_nearest(e, -1, 2), std::out_of_range);
  CHECK_THROWS_AS(ex::cosine_nearest(e, 4, 2), std::out_of_range);
  CHECK_THROWS_AS(ex::cosine_nearest(e, 0, -1), std::invalid_argument);
  CHECK_THROWS_AS(ex::cosine_nearest(test::random_tensor({12}, 6), 0, 2), dl::ShapeError);
  CHECK_THROWS_AS(ex::cosine_nearest(test::random_tensor({2, 3, 2}, 7), 0, 2), dl::ShapeError);

  dl::Tensor zero_query = e.clone();
  for (int d = 0; d < 3; ++d) zero_query.data()[3 + d] = 0;  // row 1
  CHECK_THROWS_AS(ex::cosine_nearest(zero_query, 1, 2), std::invalid_argument);
  INFO("a zero row among the others has no cosine to the query either");
  CHECK_THROWS_AS(ex::cosine_nearest(zero_query, 0, 2), std::invalid_argument);
}

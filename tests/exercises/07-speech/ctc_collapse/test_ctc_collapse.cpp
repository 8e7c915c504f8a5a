// Tests of the exercise ctc_collapse; its stub and task are in exercises/07-speech/ctc_collapse/.
#include "exercise_support.hpp"

namespace {

std::vector<int> collapse(const std::vector<int>& frames, int blank) { return ex::ctc_collapse(frames, blank); }

}  // namespace

TEST_CASE("ctc_collapse: repeats merge and then blanks go", "[ctc_collapse]") {
  CHECK(collapse({1, 1, 0, 1, 2, 2, 0, 0, 3}, 0) == std::vector<int>{1, 1, 2, 3});
  CHECK(collapse({4, 4, 4, 4}, 0) == std::vector<int>{4});
  CHECK(collapse({0, 2, 0}, 0) == std::vector<int>{2});
  CHECK(collapse({3, 1, 4, 1, 5}, 0) == std::vector<int>{3, 1, 4, 1, 5});
  CHECK(collapse({7}, 0) == std::vector<int>{7});
}

TEST_CASE("ctc_collapse: a blank between equal labels keeps both", "[ctc_collapse]") {
  // Merging first: "1 1" is one 1, "1 0 1" is two. Removing blanks first would merge them.
  CHECK(collapse({1, 0, 1}, 0) == std::vector<int>{1, 1});
  CHECK(collapse({5, 5, 0, 0, 5, 0, 5, 5}, 0) == std::vector<int>{5, 5, 5});
  CHECK(collapse({2, 0, 2, 2, 3, 0, 3}, 0) == std::vector<int>{2, 2, 3, 3});
}

TEST_CASE("ctc_collapse: only blanks or no frames give no labels", "[ctc_collapse]") {
  CHECK(collapse({0, 0, 0}, 0).empty());
  CHECK(collapse({0}, 0).empty());
  CHECK(collapse({}, 0).empty());
  CHECK(collapse({}, 3).empty());
}

TEST_CASE("ctc_collapse: the blank can be any id and 0 is then a label like the others", "[ctc_collapse]") {
  // Ten digits 0 .. 9 with the blank last, at 10.
  CHECK(collapse({10, 0, 0, 10, 0, 7, 7, 10}, 10) == std::vector<int>{0, 0, 7});
  CHECK(collapse({1, 1, 0, 1, 2, 2, 0, 0, 3}, 10) == std::vector<int>{1, 0, 1, 2, 0, 3});
  CHECK(collapse({10, 10}, 10).empty());
  CHECK(collapse({3, 3, 3}, 3).empty());
}

TEST_CASE("ctc_collapse: every alignment of a label sequence collapses back to it", "[ctc_collapse]") {
  // An alignment repeats each label one or more times, puts blanks before, between and after
  // them (at least one between two equal labels) and collapses to the labels again.
  dl::Generator gen(7400);
  for (int trial = 0; trial < 100; ++trial) {
    const int blank = static_cast<int>(gen.below(4));
    std::vector<int> labels;
    for (uint64_t i = 0, n = gen.below(8); i < n; ++i) {
      int label = static_cast<int>(gen.below(3));
      if (label >= blank) ++label;  // any id but the blank
      labels.push_back(label);
    }
    std::vector<int> frames;
    for (size_t i = 0; i <= labels.size(); ++i) {
      const bool needs_blank = i > 0 && i < labels.size() && labels[i] == labels[i - 1];
      for (uint64_t b = 0, n = gen.below(3) + (needs_blank ? 1 : 0); b < n; ++b) frames.push_back(blank);
      if (i < labels.size())
        for (uint64_t r = 0, n = 1 + gen.below(3); r < n; ++r) frames.push_back(labels[i]);
    }
    INFO("trial " << trial << ", blank " << blank << ", " << frames.size() << " frames");
    CHECK(collapse(frames, blank) == labels);
  }
}

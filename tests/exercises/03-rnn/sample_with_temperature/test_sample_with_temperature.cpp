// Tests of the exercise sample_with_temperature; its stub and task are in exercises/03-rnn/sample_with_temperature/.
#include <cmath>
#include <stdexcept>

#include "exercise_support.hpp"

namespace {

// softmax(logits / temperature) in double.
std::vector<double> probabilities(const std::vector<float>& logits, double temperature) {
  double top = logits[0];
  for (float z : logits) top = std::max(top, double(z));
  std::vector<double> p;
  double total = 0;
  for (float z : logits) total += p.emplace_back(std::exp((z - top) / temperature));
  for (double& v : p) v /= total;
  return p;
}

// Whether index k is the draw for u: u lies in [p_0 + ... + p_{k-1}, p_0 + ... + p_k),
// widened by `slack` on both sides, since a float running sum may round a boundary either way.
bool is_draw_for(int k, double u, const std::vector<double>& p, double slack = 1e-5) {
  if (k < 0 || k >= static_cast<int>(p.size())) return false;
  double below = 0;
  for (int i = 0; i < k; ++i) below += p[static_cast<size_t>(i)];
  const double above = below + p[static_cast<size_t>(k)];
  return below - slack <= u && (u < above + slack || k + 1 == static_cast<int>(p.size()));
}

}  // namespace

TEST_CASE("sample_with_temperature: temperature 0 returns the first largest logit and does not touch gen",
          "[sample_with_temperature]") {
  dl::Generator gen(42);
  dl::Generator untouched = gen;
  const std::vector<float> tie{1.0f, 3.0f, 3.0f, -2.0f};
  CHECK(ex::sample_with_temperature(tie, 0.0f, gen) == 1);
  const std::vector<float> negative{-5.0f, -2.0f, -2.5f, -7.0f};
  CHECK(ex::sample_with_temperature(negative, 0.0f, gen) == 1);
  const std::vector<float> last{0.0f, 1.0f, 2.0f, 1e4f};
  CHECK(ex::sample_with_temperature(last, 0.0f, gen) == 3);
  const std::vector<float> one{0.25f};
  CHECK(ex::sample_with_temperature(one, 0.0f, gen) == 0);
  INFO("greedy decoding must not draw from the generator");
  CHECK(gen.engine() == untouched.engine());
}

TEST_CASE("sample_with_temperature: each draw uses exactly one gen.uniform() against the running sum",
          "[sample_with_temperature]") {
  struct Case {
    std::vector<float> logits;
    float temperature;
  };
  const std::vector<Case> cases{
      {{1.0f, 2.0f, 0.5f, -1.0f, 0.0f}, 1.0f},      // the model's own distribution
      {{1.0f, 2.0f, 0.5f, -1.0f, 0.0f}, 0.6f},      // sharpened
      {{0.3f, -0.2f, 0.1f}, 3.0f},                  // flattened
      {{1000.0f, 1001.0f, 999.0f, 1000.5f}, 1.0f},  // logits in the thousands
      {{-3000.0f, -3001.0f, -2999.5f}, 0.5f},       // and below minus a thousand
  };
  uint64_t seed = 1000;
  for (const Case& c : cases) {
    INFO("temperature " << c.temperature << ", first logit " << c.logits[0]);
    const std::vector<double> p = probabilities(c.logits, c.temperature);
    dl::Generator gen(++seed), reference(seed);
    for (int draw = 0; draw < 300; ++draw) {
      INFO("draw " << draw);
      const int k = ex::sample_with_temperature(c.logits, c.temperature, gen);
      const double u = reference.uniform();
      CHECK(is_draw_for(k, u, p));
      REQUIRE(gen.engine() == reference.engine());  // one uniform() per draw, no more, no less
    }
  }
}

TEST_CASE("sample_with_temperature: frequencies over many draws follow softmax of logits over temperature",
          "[sample_with_temperature]") {
  const std::vector<float> logits{1.0f, 2.0f, 0.5f, -1.0f, 0.0f};
  for (const float temperature : {1.0f, 0.7f, 2.5f}) {
    INFO("temperature " << temperature);
    const std::vector<double> p = probabilities(logits, temperature);
    dl::Generator gen(2024);
    const int draws = 20000;
    std::vector<int> counts(logits.size(), 0);
    for (int i = 0; i < draws; ++i)
      ++counts.at(static_cast<size_t>(ex::sample_with_temperature(logits, temperature, gen)));
    for (size_t k = 0; k < logits.size(); ++k) {
      INFO("token " << k << ": drawn " << counts[k] << " times, expected about " << p[k] * draws);
      // Four standard deviations of a frequency over 20000 draws are below 0.015.
      CHECK(std::abs(counts[k] / double(draws) - p[k]) < 0.015);
    }
  }
}

TEST_CASE("sample_with_temperature: a small temperature is nearly greedy, a large one nearly uniform",
          "[sample_with_temperature]") {
  const std::vector<float> logits{0.5f, 2.0f, 1.0f, -1.0f};
  dl::Generator gen(77);
  int top = 0;
  for (int i = 0; i < 2000; ++i) top += ex::sample_with_temperature(logits, 0.02f, gen) == 1;
  CHECK(top == 2000);  // the runner-up has probability e^-50

  std::vector<int> counts(logits.size(), 0);
  for (int i = 0; i < 20000; ++i) ++counts.at(static_cast<size_t>(ex::sample_with_temperature(logits, 1000.0f, gen)));
  for (size_t k = 0; k < logits.size(); ++k) {
    INFO("token " << k << ": drawn " << counts[k] << " times of 20000");
    CHECK(std::abs(counts[k] / 20000.0 - 0.25) < 0.015);
  }
}

TEST_CASE("sample_with_temperature: empty logits or a negative temperature throw std::invalid_argument",
          "[sample_with_temperature]") {
  dl::Generator gen(5);
  const std::vector<float> none;
  const std::vector<float> logits{0.0f, 1.0f};
  CHECK_THROWS_AS(ex::sample_with_temperature(none, 1.0f, gen), std::invalid_argument);
  CHECK_THROWS_AS(ex::sample_with_temperature(none, 0.0f, gen), std::invalid_argument);
  CHECK_THROWS_AS(ex::sample_with_temperature(logits, -0.5f, gen), std::invalid_argument);
  CHECK_THROWS_AS(ex::sample_with_temperature(logits, -1e-6f, gen), std::invalid_argument);
}

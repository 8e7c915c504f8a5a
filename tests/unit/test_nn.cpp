// Modules: registration, naming, modes, state dicts, and the basic layers.
#include <catch2/catch.hpp>

#include <limits>
#include <cmath>
#include <sstream>
#include <type_traits>

#include "dl/nn.hpp"
#include "dl/rnn.hpp"

using dl::Tensor;

namespace {
struct TwoLayer : dl::nn::Layer {
  dl::nn::Linear fc1{4, 8}, fc2{8, 3};
  dl::nn::Dropout drop{0.5f};
  TwoLayer() {
    register_module("fc1", fc1);
    register_module("drop", drop);
    register_module("fc2", fc2);
  }
  Tensor forward(const Tensor& x) override { return fc2(drop(dl::relu(fc1(x)))); }
};
}  // namespace

TEST_CASE("module: parameters are named by path in registration order", "[nn]") {
  TwoLayer net;
  std::vector<std::string> names;
  for (const auto& [name, t] : net.named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"});
  CHECK(net.parameters().size() == 4);
  CHECK(net.num_parameters() == 4 * 8 + 8 + 8 * 3 + 3);
  for (const Tensor& p : net.parameters()) CHECK(p.requires_grad());
  CHECK(net.fc1.weight.shape() == dl::Shape{8, 4});  // stored (out, in) like PyTorch
}

TEST_CASE("module: train() and eval() reach every submodule and dropout follows", "[nn]") {
  TwoLayer net;
  const Tensor x = Tensor::ones({16, 4});
  net.eval();
  CHECK_FALSE(net.drop.is_training());
  const Tensor a = net(x), b = net(x);
  CHECK(a.to_vector() == b.to_vector());  // deterministic without dropout
  net.train();
  CHECK(net.drop.is_training());
  CHECK(net(x).to_vector() != a.to_vector());
}

TEST_CASE("module: state_dict round trip restores the outputs", "[nn]") {
  dl::manual_seed(1);
  TwoLayer a;
  dl::manual_seed(2);
  TwoLayer b;
  a.eval();
  b.eval();
  const Tensor x = Tensor::randn({5, 4});
  CHECK(a(x).to_vector() != b(x).to_vector());
  b.load_state_dict(a.state_dict());
  CHECK(a(x).to_vector() == b(x).to_vector());
}

TEST_CASE("module: load_state_dict reports missing, unexpected and mis-shaped entries", "[nn][errors]") {
  TwoLayer net;
  dl::NamedTensors state = net.state_dict();
  state.pop_back();
  CHECK_THROWS_WITH(net.load_state_dict(state), Catch::Contains("missing: fc2.bias"));
  CHECK_NOTHROW(net.load_state_dict(state, /*strict=*/false));
  state = net.state_dict();
  state.emplace_back("fc3.weight", Tensor::ones({1}));
  CHECK_THROWS_WITH(net.load_state_dict(state), Catch::Contains("unexpected: fc3.weight"));
  state = net.state_dict();
  state[0].second = Tensor::ones({4, 8});
  CHECK_THROWS_WITH(net.load_state_dict(state), Catch::Contains("fc1.weight") && Catch::Contains("[4,8]"));
  // A diverged run's checkpoint: NaN or an infinity is refused, naming the tensor and the element.
  state = net.state_dict();
  state[1].second = state[1].second.clone();
  state[1].second.data()[2] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_AS(net.load_state_dict(state), dl::NonFiniteError);
  CHECK_THROWS_WITH(net.load_state_dict(state), Catch::Contains("'" + state[1].first + "' holds NaN at element 2"));
  state[1].second.data()[2] = -std::numeric_limits<float>::infinity();
  CHECK_THROWS_WITH(net.load_state_dict(state), Catch::Contains("holds an infinity"));
}

TEST_CASE("linear: PyTorch's default initialisation bound 1/sqrt(in_features)", "[nn]") {
  dl::nn::Linear fc(100, 50);
  const float bound = 0.1f;
  float lo = 1, hi = -1;
  for (float v : fc.weight.to_vector()) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  CHECK(lo >= -bound);
  CHECK(hi <= bound);
  CHECK(hi - lo > 1.9f * bound);  // spread over the whole range
  CHECK_FALSE(dl::nn::Linear(3, 2, /*bias=*/false).bias.defined());
  CHECK_THROWS_AS(dl::nn::Linear(0, 2), dl::ShapeError);
}

TEST_CASE("sequential: runs its layers in order and prints the tree", "[nn]") {
  dl::nn::Sequential net;
  net.emplace<dl::nn::Linear>(3, 4);
  net.emplace<dl::nn::ReLU>();
  net.emplace<dl::nn::Linear>(4, 2);
  CHECK(net.size() == 3);
  CHECK(net(Tensor::ones({5, 3})).shape() == dl::Shape{5, 2});
  CHECK(net.named_parameters()[2].first == "2.weight");
  std::ostringstream s;
  s << net;
  CHECK_THAT(s.str(), Catch::Contains("(1): ReLU()") && Catch::Contains("Linear(in_features=3, out_features=4"));
}

// A module is called the way its kind declares, or the call does not compile: no
// module has a forward(Tensor) that throws "not implemented" at run time.
template <class M>
constexpr bool callable_with_a_tensor = std::is_invocable_v<M&, const Tensor&>;

TEST_CASE("module: only layers take one tensor, recurrent modules do not compile with one", "[nn]") {
  STATIC_REQUIRE(callable_with_a_tensor<dl::nn::Linear>);
  STATIC_REQUIRE(callable_with_a_tensor<dl::nn::Sequential>);
  STATIC_REQUIRE(callable_with_a_tensor<TwoLayer>);
  STATIC_REQUIRE(!callable_with_a_tensor<dl::nn::Module>);
  STATIC_REQUIRE(!callable_with_a_tensor<dl::nn::LSTM>);
  STATIC_REQUIRE(!callable_with_a_tensor<dl::nn::Embedding>);
  STATIC_REQUIRE(!std::is_abstract_v<TwoLayer>);
  STATIC_REQUIRE(std::is_abstract_v<dl::nn::Layer>);  // a layer without forward cannot be built
  dl::nn::LSTM lstm(3, 4);
  CHECK(lstm.forward(Tensor::ones({2, 1, 3})).output.shape() == dl::Shape{2, 1, 4});
}

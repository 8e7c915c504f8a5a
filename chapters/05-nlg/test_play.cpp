// Chapter 05's playground: every request the server must refuse with 400 and a message, and
// the settings it reads from a good one.
#include <catch2/catch.hpp>

#include "play.hpp"

namespace {

using ch05::play::BadRequest;
using ch05::play::Method;
using ch05::play::Params;
using ch05::play::parse_request;

constexpr int64_t kVocab = 30;

// The message of the BadRequest that `params` gets (empty when the request is accepted).
std::string refusal(const Params& params, int64_t vocab = kVocab) {
  try {
    parse_request(params, vocab);
  } catch (const BadRequest& e) {
    return e.what();
  }
  return "";
}

Params with(Params params) {
  params.emplace("prime", "月");
  return params;
}

}  // namespace

TEST_CASE("play: a prime alone gets the defaults", "[ch05][play]") {
  const ch05::play::Request r = parse_request({{"prime", "床前明月光"}}, kVocab);
  CHECK(r.prime == "床前明月光");
  CHECK(r.method == Method::sample);
  CHECK(r.options.sampling.strategy == dl::decode::Strategy::sample);
  CHECK(r.options.sampling.temperature == 1.0f);
  CHECK(r.options.sampling.top_k == kVocab);  // 50, capped at the vocabulary's size
  CHECK(r.options.sampling.top_p == 0.9f);
  CHECK(r.options.max_new_tokens == 100);
  CHECK(r.beam_width == 4);
  CHECK_FALSE(r.seed.has_value());
  CHECK(parse_request({{"prime", "月"}}, 5000).options.sampling.top_k == 50);
}

TEST_CASE("play: every setting is read, at the edges of its range too", "[ch05][play]") {
  const ch05::play::Request r = parse_request(with({{"strategy", "top-p"},
                                                    {"temperature", "5"},
                                                    {"top_k", "30"},
                                                    {"top_p", "1"},
                                                    {"max_new_tokens", "500"},
                                                    {"beam_width", "8"},
                                                    {"seed", "9007199254740992"}}),
                                              kVocab);
  CHECK(r.method == Method::top_p);
  CHECK(r.options.sampling.strategy == dl::decode::Strategy::top_p);
  CHECK(r.options.sampling.temperature == 5.0f);
  CHECK(r.options.sampling.top_k == 30);
  CHECK(r.options.sampling.top_p == 1.0f);
  CHECK(r.options.max_new_tokens == 500);
  CHECK(r.beam_width == 8);
  CHECK(r.seed == uint64_t{9007199254740992});
  CHECK(parse_request(with({{"temperature", "0.05"}, {"top_p", "1e-3"}, {"seed", "0"}}), kVocab).options.sampling.top_p ==
        0.001f);
  CHECK(parse_request(with({{"max_new_tokens", "1"}, {"top_k", "1"}, {"beam_width", "1"}}), kVocab).beam_width == 1);
}

TEST_CASE("play: each strategy name maps to its method and back", "[ch05][play]") {
  for (const auto& [name, method] : std::vector<std::pair<std::string, Method>>{
           {"greedy", Method::greedy}, {"sample", Method::sample}, {"top-k", Method::top_k},
           {"top-p", Method::top_p}, {"beam", Method::beam}}) {
    INFO(name);
    CHECK(parse_request(with({{"strategy", name}}), kVocab).method == method);
    CHECK(ch05::play::method_name(method) == name);
  }
  CHECK(parse_request(with({{"strategy", "top-k"}}), kVocab).options.sampling.strategy == dl::decode::Strategy::top_k);
  CHECK(parse_request(with({{"strategy", "greedy"}}), kVocab).options.sampling.strategy == dl::decode::Strategy::greedy);
}

TEST_CASE("play: a missing or empty prime is refused", "[ch05][play][errors]") {
  CHECK_THAT(refusal({}), Catch::Contains("prime is empty"));
  CHECK_THAT(refusal({{"prime", ""}}), Catch::Contains("prime is empty"));
  CHECK_THAT(refusal({{"strategy", "greedy"}}), Catch::Contains("prime is empty"));
}

TEST_CASE("play: a prime longer than 200 characters is refused", "[ch05][play][errors]") {
  std::string longest;
  for (int i = 0; i < 200; ++i) longest += "月";  // 200 characters, 600 bytes
  CHECK(refusal({{"prime", longest}}).empty());
  CHECK_THAT(refusal({{"prime", longest + "光"}}), Catch::Contains("prime is too long: at most 200 characters, not 201"));
  CHECK_THAT(refusal({{"prime", std::string(201, 'a')}}), Catch::Contains("prime is too long"));
  // Refused on its bytes, before decoding: a megabyte is not read character by character.
  CHECK_THAT(refusal({{"prime", std::string(1 << 20, 'a')}}), Catch::Contains("prime is too long"));
}

TEST_CASE("play: a prime that is not valid UTF-8 is refused", "[ch05][play][errors]") {
  for (const std::string bad : {"\xff", "\xe6\x9c", "a\xc0\xafz", "\xed\xa0\x80", "\xf4\x90\x80\x80", "月\x80"}) {
    INFO(bad.size());
    CHECK_THAT(refusal({{"prime", bad}}), Catch::Contains("prime is not valid UTF-8"));
  }
}

TEST_CASE("play: an unknown strategy is refused with the choices", "[ch05][play][errors]") {
  for (const std::string bad : {"", "beam-search", "Greedy", "top_k", "nucleus"})
    CHECK_THAT(refusal(with({{"strategy", bad}})),
               Catch::Contains("unknown strategy") && Catch::Contains("greedy, sample, top-k, top-p or beam"));
}

TEST_CASE("play: a temperature not above 0 and at most 5 or not a number is refused", "[ch05][play][errors]") {
  for (const std::string bad : {"0", "-1", "5.01", "1e9", "1e999"})
    CHECK_THAT(refusal(with({{"temperature", bad}})), Catch::Contains("temperature must be"));
  for (const std::string bad : {"", "nan", "inf", "-inf", "1,5", " 1", "1 ", "0x1p0", "+1", "warm"})
    CHECK_THAT(refusal(with({{"temperature", bad}})), Catch::Contains("temperature must be a number"));
}

TEST_CASE("play: top_k below 1 or above the vocabulary size or not a whole number is refused", "[ch05][play][errors]") {
  for (const std::string bad : {"0", "-3", "31"})
    CHECK_THAT(refusal(with({{"top_k", bad}})), Catch::Contains("top_k must be between 1 and 30"));
  CHECK_THAT(refusal(with({{"top_k", "99999999999999999999"}})), Catch::Contains("top_k is far too large"));
  for (const std::string bad : {"", "2.5", "1e2", "+4", "0x10", "ten"})
    CHECK_THAT(refusal(with({{"top_k", bad}})), Catch::Contains("top_k must be a whole number"));
}

TEST_CASE("play: top_p not above 0 and at most 1 is refused", "[ch05][play][errors]") {
  for (const std::string bad : {"0", "-0.5", "1.0001", "2"})
    CHECK_THAT(refusal(with({{"top_p", bad}})), Catch::Contains("top_p must be greater than 0 and at most 1"));
  CHECK_THAT(refusal(with({{"top_p", "nan"}})), Catch::Contains("top_p must be a number"));
}

TEST_CASE("play: max_new_tokens below 1 or above 500 is refused", "[ch05][play][errors]") {
  for (const std::string bad : {"0", "-1", "501", "100000"})
    CHECK_THAT(refusal(with({{"max_new_tokens", bad}})), Catch::Contains("max_new_tokens must be between 1 and 500"));
  CHECK_THAT(refusal(with({{"max_new_tokens", "12.5"}})), Catch::Contains("max_new_tokens must be a whole number"));
}

TEST_CASE("play: beam search takes 1 to 8 beams and at most 100 tokens", "[ch05][play][errors]") {
  for (const std::string bad : {"0", "9", "-2", "1000"})
    CHECK_THAT(refusal(with({{"strategy", "beam"}, {"beam_width", bad}})),
               Catch::Contains("beam_width must be between 1 and 8"));
  // Checked whatever the strategy, so that a bad value is never silently kept.
  CHECK_THAT(refusal(with({{"beam_width", "9"}})), Catch::Contains("beam_width must be between 1 and 8"));
  CHECK_THAT(refusal(with({{"strategy", "beam"}, {"max_new_tokens", "101"}})),
             Catch::Contains("max_new_tokens must be between 1 and 100 with beam search"));
  CHECK(refusal(with({{"strategy", "greedy"}, {"max_new_tokens", "101"}})).empty());
  const ch05::play::Request r = parse_request(with({{"strategy", "beam"}, {"beam_width", "3"}}), kVocab);
  CHECK(r.method == Method::beam);
  CHECK(r.beam_width == 3);
  CHECK(r.options.max_new_tokens == 100);
}

TEST_CASE("play: a seed below 0 or above 2^53 is refused", "[ch05][play][errors]") {
  for (const std::string bad : {"-1", "9007199254740993"}) CHECK_THAT(refusal(with({{"seed", bad}})), Catch::Contains("seed must be between 0 and"));
  CHECK_THAT(refusal(with({{"seed", "1.5"}})), Catch::Contains("seed must be a whole number"));
}

TEST_CASE("play: an unknown or repeated parameter is refused", "[ch05][play][errors]") {
  CHECK_THAT(refusal(with({{"temprature", "0.8"}})),
             Catch::Contains("unknown parameter 'temprature'") && Catch::Contains("prime, strategy, temperature"));
  Params twice = with({{"top_k", "5"}});
  twice.emplace("top_k", "6");
  CHECK_THAT(refusal(twice), Catch::Contains("top_k is given more than once"));
  CHECK_THAT(refusal({{"prime", "月"}, {"prime", "日"}}), Catch::Contains("prime is given more than once"));
}

TEST_CASE("play: a message quotes at most 40 printable characters of the value", "[ch05][play][errors]") {
  const std::string message = refusal(with({{"temperature", std::string(5000, 'x')}}));
  CHECK(message.size() < 200);
  CHECK_THAT(message, Catch::Contains("'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'"));
  CHECK_THAT(refusal(with({{"strategy", "\x01<b>\xff"}})), Catch::Contains("'?<b>?'"));
}

TEST_CASE("play: prime characters outside the vocabulary become <unk> and are listed once", "[ch05][play]") {
  const auto vocab = dl::data::CharVocab(U"床前明月光");
  std::vector<std::string> unknown;
  const std::vector<int> ids = ch05::play::encode_prime(vocab, "月x光xé", unknown);
  REQUIRE(ids.size() == 5);
  CHECK(ids[0] == vocab.id(U'月'));
  CHECK(ids[1] == dl::data::CharVocab::kUnknown);
  CHECK(ids[2] == vocab.id(U'光'));
  CHECK(ids[3] == dl::data::CharVocab::kUnknown);
  CHECK(ids[4] == dl::data::CharVocab::kUnknown);
  CHECK(unknown == std::vector<std::string>{"x", "é"});
  CHECK_THROWS_AS(ch05::play::encode_prime(vocab, "\xff", unknown), BadRequest);
}

TEST_CASE("play: beam search is refused when it would read too many positions", "[ch05][play][errors]") {
  // Steps s = 0..n-1 read p + s positions per beam.
  CHECK(ch05::play::beam_positions(1, 3, 4, 128) == 3 + 4 + 5 + 6);
  CHECK(ch05::play::beam_positions(2, 3, 4, 128) == 2 * 18);
  // The prime is cropped to context - 1 tokens and the tokens to what fits: one step here.
  CHECK(ch05::play::beam_positions(1, 500, 100, 128) == 127);
  // Chapter 05's model (a context of 128): the largest request fits whatever the prime.
  for (int64_t prime = 1; prime <= 200; ++prime) CHECK(ch05::play::beam_positions(8, prime, 100, 128) <= 100000);
  std::string prime(150, 'a');
  const ch05::play::Request big = parse_request(
      {{"prime", prime}, {"strategy", "beam"}, {"beam_width", "8"}, {"max_new_tokens", "100"}}, kVocab);
  CHECK(big.prime_chars == 150);
  CHECK_NOTHROW(ch05::play::check_beam_work(big, 128));
  try {
    ch05::play::check_beam_work(big, 1024);  // a model with a long context reads the whole prime
    FAIL("not refused");
  } catch (const BadRequest& e) {
    CHECK_THAT(e.what(), Catch::Contains("beam search of 8 beams for 100 tokens after a prime of 150 characters") &&
                             Catch::Contains("use fewer beams"));
  }
  const ch05::play::Request sampled = parse_request({{"prime", prime}, {"max_new_tokens", "500"}}, kVocab);
  CHECK_NOTHROW(ch05::play::check_beam_work(sampled, 1024));
}

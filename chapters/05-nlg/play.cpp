// The playground's requests: reading and checking the settings of one generation.
#include "play.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include <dl/utf8.hpp>

#include "charlm.hpp"

namespace ch05::play {

namespace {

// Seeds up to 2^53: every integer a JavaScript number holds exactly.
constexpr uint64_t kMaxSeed = uint64_t{1} << 53;
constexpr int64_t kDefaultTopK = 50;

struct MethodName {
  Method method;
  const char* name;
};
constexpr MethodName kMethods[] = {{Method::greedy, "greedy"},
                                   {Method::sample, "sample"},
                                   {Method::top_k, "top-k"},
                                   {Method::top_p, "top-p"},
                                   {Method::beam, "beam"}};

// A value quoted in a message, cut short so that a huge parameter does not make a huge reply.
std::string quoted(const std::string& text) {
  constexpr size_t kShown = 40;
  std::string shown = text.size() <= kShown ? text : text.substr(0, kShown) + "...";
  // Only printable ASCII is echoed as it is; anything else (invalid UTF-8 included) becomes '?'.
  for (char& c : shown)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  return "'" + shown + "'";
}

// A decimal number, all of `text`, finite: "0.8", "1e-2"; not "", " 1", "0x1p3", "nan", "1e999".
double parse_number(const std::string& name, const std::string& text) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data(), end, value, std::chars_format::general);
  if (ec != std::errc() || stop != end || !std::isfinite(value))
    throw BadRequest(name + " must be a number, not " + quoted(text));
  return value;
}

// A plain decimal integer, all of `text`: "40"; not "", "+4", "4.0", "0x10".
int64_t parse_integer(const std::string& name, const std::string& text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data(), end, value);
  if (ec == std::errc::result_out_of_range) throw BadRequest(name + " is far too large: " + quoted(text));
  if (ec != std::errc() || stop != end) throw BadRequest(name + " must be a whole number, not " + quoted(text));
  return value;
}

// `x` in its shortest decimal form ("5", "0.9").
std::string shortest(double x) {
  char buffer[32];
  const auto [stop, ec] = std::to_chars(buffer, buffer + sizeof buffer, x);
  return ec == std::errc() ? std::string(buffer, stop) : std::to_string(x);
}

int64_t integer_in(const std::string& name, const std::string& text, int64_t lo, int64_t hi,
                   const std::string& why = "") {
  const int64_t value = parse_integer(name, text);
  if (value < lo || value > hi)
    throw BadRequest(name + " must be between " + std::to_string(lo) + " and " + std::to_string(hi) + why +
                     ", not " + std::to_string(value));
  return value;
}

}  // namespace

std::string method_name(Method method) {
  for (const MethodName& m : kMethods)
    if (m.method == method) return m.name;
  return "?";
}

const std::vector<std::string>& parameter_names() {
  static const std::vector<std::string> names = {"prime", "strategy",       "temperature", "top_k",
                                                 "top_p", "max_new_tokens", "beam_width",  "seed"};
  return names;
}

Request parse_request(const Params& params, int64_t vocab_size, const Limits& limits) {
  const std::vector<std::string>& names = parameter_names();
  for (auto it = params.begin(); it != params.end(); it = params.upper_bound(it->first)) {
    if (std::find(names.begin(), names.end(), it->first) == names.end()) {
      std::string known;
      for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
      throw BadRequest("unknown parameter " + quoted(it->first) + " (the parameters are " + known + ")");
    }
    if (params.count(it->first) > 1) throw BadRequest(it->first + " is given more than once");
  }
  const auto get = [&](const std::string& name) -> const std::string* {
    const auto it = params.find(name);
    return it == params.end() ? nullptr : &it->second;
  };

  Request r;
  // prime: checked on its bytes first, so that a long text is refused before it is decoded.
  const std::string* prime = get("prime");
  if (prime == nullptr || prime->empty())
    throw BadRequest("prime is empty: type at least one character for the model to continue");
  const std::string too_long = "prime is too long: at most " + std::to_string(limits.max_prime_chars) + " characters";
  if (static_cast<int64_t>(prime->size()) > 4 * limits.max_prime_chars) throw BadRequest(too_long);
  std::u32string characters;
  try {
    characters = dl::decode_utf8(*prime, "prime");
  } catch (const dl::Error&) {
    throw BadRequest("prime is not valid UTF-8 text (send the characters encoded as UTF-8)");
  }
  if (static_cast<int64_t>(characters.size()) > limits.max_prime_chars)
    throw BadRequest(too_long + ", not " + std::to_string(characters.size()));
  r.prime = *prime;
  r.prime_chars = static_cast<int64_t>(characters.size());

  if (const std::string* s = get("strategy")) {
    const auto m = std::find_if(std::begin(kMethods), std::end(kMethods), [&](const MethodName& m) { return *s == m.name; });
    if (m == std::end(kMethods))
      throw BadRequest("unknown strategy " + quoted(*s) + ": choose greedy, sample, top-k, top-p or beam");
    r.method = m->method;
  }
  dl::decode::SamplingOptions& sampling = r.options.sampling;
  switch (r.method) {
    case Method::greedy: sampling.strategy = dl::decode::Strategy::greedy; break;
    case Method::sample: sampling.strategy = dl::decode::Strategy::sample; break;
    case Method::top_k: sampling.strategy = dl::decode::Strategy::top_k; break;
    case Method::top_p: sampling.strategy = dl::decode::Strategy::top_p; break;
    case Method::beam: sampling.strategy = dl::decode::Strategy::greedy; break;  // beam search does not sample
  }

  sampling.temperature = 1.0f;
  if (const std::string* s = get("temperature")) {
    const double t = parse_number("temperature", *s);
    if (!(t > 0 && t <= limits.max_temperature))
      throw BadRequest("temperature must be greater than 0 and at most " +
                       shortest(limits.max_temperature) + ", not " + quoted(*s) +
                       " (below 1 sharpens the distribution, above 1 flattens it)");
    sampling.temperature = static_cast<float>(t);
  }
  sampling.top_k = std::min(kDefaultTopK, vocab_size);
  if (const std::string* s = get("top_k"))
    sampling.top_k = integer_in("top_k", *s, 1, vocab_size, " (the vocabulary's size)");
  sampling.top_p = 0.9f;
  if (const std::string* s = get("top_p")) {
    const double p = parse_number("top_p", *s);
    if (!(p > 0 && p <= 1))
      throw BadRequest("top_p must be greater than 0 and at most 1, not " + quoted(*s) +
                       " (the share of probability the kept tokens add up to)");
    sampling.top_p = static_cast<float>(p);
  }
  if (const std::string* s = get("beam_width"))
    r.beam_width = integer_in("beam_width", *s, 1, limits.max_beam_width);
  r.options.max_new_tokens = 100;
  if (const std::string* s = get("max_new_tokens")) {
    if (r.method == Method::beam)
      r.options.max_new_tokens = integer_in("max_new_tokens", *s, 1, limits.max_beam_tokens,
                                            " with beam search (it recomputes every beam at every step)");
    else
      r.options.max_new_tokens = integer_in("max_new_tokens", *s, 1, limits.max_new_tokens);
  } else if (r.method == Method::beam) {
    r.options.max_new_tokens = std::min(r.options.max_new_tokens, limits.max_beam_tokens);
  }
  if (const std::string* s = get("seed"))
    r.seed = static_cast<uint64_t>(integer_in("seed", *s, 0, static_cast<int64_t>(kMaxSeed)));
  return r;
}

int64_t beam_positions(int64_t width, int64_t prime_tokens, int64_t new_tokens, int64_t context) {
  const int64_t p = std::min(prime_tokens, context - 1);
  const int64_t n = std::min(new_tokens, context - p);
  return width * (n * p + n * (n - 1) / 2);  // steps s = 0 .. n-1 read p + s positions each
}

void check_beam_work(const Request& r, int64_t context, const Limits& limits) {
  if (r.method != Method::beam) return;
  const int64_t positions = beam_positions(r.beam_width, r.prime_chars, r.options.max_new_tokens, context);
  if (positions > limits.max_beam_positions)
    throw BadRequest("beam search of " + std::to_string(r.beam_width) + " beams for " +
                     std::to_string(r.options.max_new_tokens) + " tokens after a prime of " +
                     std::to_string(r.prime_chars) + " characters would read " + std::to_string(positions) +
                     " positions, more than the " + std::to_string(limits.max_beam_positions) +
                     " allowed (it reads every beam's text again at each step): use fewer beams, fewer tokens or a "
                     "shorter prime");
}

int stop_id(const dl::data::CharVocab& vocab) {
  const int id = vocab.id(U'%');
  return id == dl::data::CharVocab::kUnknown ? -1 : id;
}

std::vector<int> encode_prime(const dl::data::CharVocab& vocab, const std::string& prime,
                              std::vector<std::string>& unknown) {
  std::vector<char32_t> missing;
  std::vector<int> ids;
  try {
    ids = ch03::encode_prime(vocab, prime, missing);
  } catch (const dl::Error& e) {
    throw BadRequest(e.what());
  }
  std::set<char32_t> seen;
  for (char32_t c : missing)
    if (seen.insert(c).second) unknown.push_back(dl::encode_utf8({&c, 1}));
  return ids;
}

}  // namespace ch05::play

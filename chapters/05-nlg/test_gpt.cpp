// Chapter 05: the GPT. The KV cache against the full forward pass, generation with and
// without it, Hugging Face's layout and the saved folder, gradients by finite differences,
// learning on held-out data, the couplets, and the program on bad input.
#include <catch2/catch.hpp>
#include <cmath>
#include <dl/gradcheck.hpp>
#include <dl/io.hpp>
#include <dl/utf8.hpp>
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <fstream>

#include "../../tests/test_support.hpp"
#include "gpt.hpp"

namespace {

dl::nn::GPTConfig tiny_config(int64_t vocab = 11, int64_t positions = 16) {
  return {.vocab_size = vocab, .n_positions = positions, .n_embd = 8, .n_layer = 2, .n_head = 2,
          .embd_pdrop = 0.0f, .resid_pdrop = 0.0f, .attn_pdrop = 0.0f};
}

// Weights larger than GPT-2's 0.02, so that every position and layer changes the scores.
void scale_up(dl::nn::GPT& model, dl::Generator& gen, float std = 0.3f) {
  for (auto& [name, t] : model.named_parameters())
    for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] += std * gen.normal();
}

std::vector<int> random_ids(int64_t n, int64_t vocab, dl::Generator& gen) {
  std::vector<int> ids(static_cast<size_t>(n));
  for (int& id : ids) id = static_cast<int>(gen.below(static_cast<uint64_t>(vocab)));
  return ids;
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

test::ProgramResult run_gpt(const std::string& args) { return test::run_program(CHAPTER_PROGRAM, args); }

}  // namespace

TEST_CASE("GPT: the KV cache gives the full forward pass's scores at every position", "[ch05][gpt]") {
  dl::Generator gen(1);
  dl::nn::GPT model(tiny_config(), gen);
  scale_up(model, gen);
  model.eval();
  const std::vector<int> ids = random_ids(12, 11, gen);
  dl::no_grad guard;
  const dl::Tensor full = model.forward(ids, 1, 12);  // (12, V)
  // One token at a time, then the rest in chunks of 1, 3 and 8 after a cached prefix.
  dl::nn::KVCache cache = model.make_cache();
  for (size_t t = 0; t < ids.size(); ++t) {
    const std::vector<float> scores = model.forward_cached({&ids[t], 1}, cache);
    for (int64_t v = 0; v < 11; ++v) REQUIRE(scores[static_cast<size_t>(v)] == Approx(full.data()[t * 11 + v]).margin(1e-4));
  }
  CHECK(cache.length == 12);
  for (const size_t first : {size_t{1}, size_t{4}, size_t{9}}) {
    dl::nn::KVCache c = model.make_cache();
    (void)model.forward_cached(std::span<const int>(ids).first(first), c);
    const std::vector<float> scores = model.forward_cached(std::span<const int>(ids).subspan(first), c);
    for (int64_t v = 0; v < 11; ++v) CHECK(scores[static_cast<size_t>(v)] == Approx(full.data()[11 * 11 + v]).margin(1e-4));
  }
}

TEST_CASE("GPT: a full cache refuses more tokens and a foreign cache is refused", "[ch05][gpt]") {
  dl::Generator gen(2);
  dl::nn::GPT model(tiny_config(11, 4), gen);
  dl::nn::KVCache cache = model.make_cache();
  const std::vector<int> ids = {1, 2, 3, 4};
  (void)model.forward_cached(ids, cache);
  CHECK_THROWS_WITH(model.forward_cached(std::vector<int>{1}, cache), Catch::Contains("exceed the model's 4"));
  dl::nn::KVCache empty;
  CHECK_THROWS_AS(model.forward_cached(std::vector<int>{1}, empty), dl::ShapeError);
  CHECK_THROWS_WITH(model.forward(std::vector<int>{1, 2, 3, 4, 5}, 1, 5), Catch::Contains("more than the 4 positions"));
  CHECK_THROWS_WITH(model.forward(std::vector<int>{1, 11}, 1, 2), Catch::Contains("outside the vocabulary"));
}

TEST_CASE("GPT: greedy generation of 200 tokens is identical with and without the KV cache", "[ch05][gpt]") {
  dl::Generator gen(3);
  dl::nn::GPT model(tiny_config(13, 256), gen);
  scale_up(model, gen, 0.2f);
  const std::vector<int> prompt = {3, 1, 4};
  dl::nn::GenerateOptions options{.sampling = {.strategy = dl::decode::Strategy::greedy}, .max_new_tokens = 200};
  dl::Generator g1(0), g2(0);
  const auto cached = dl::nn::generate(model, prompt, options, g1);
  options.use_cache = false;
  const auto recomputed = dl::nn::generate(model, prompt, options, g2);
  REQUIRE(cached.size() == 200);
  REQUIRE(recomputed.size() == 200);
  std::set<int> distinct;
  for (size_t i = 0; i < cached.size(); ++i) {
    REQUIRE(cached[i].id == recomputed[i].id);
    CHECK(cached[i].probability == Approx(recomputed[i].probability).margin(1e-5));
    distinct.insert(cached[i].id);
  }
  CHECK(distinct.size() > 1);  // the model does more than repeat one token
}

TEST_CASE("GPT: sampling with a fixed seed replays, and generation stops at the stop token and the context", "[ch05][gpt]") {
  dl::Generator gen(4);
  dl::nn::GPT model(tiny_config(13, 32), gen);
  scale_up(model, gen, 0.2f);
  const std::vector<int> prompt = {5};
  const dl::nn::GenerateOptions options{.sampling = {.strategy = dl::decode::Strategy::top_p, .top_p = 0.9f},
                                        .max_new_tokens = 20};
  dl::Generator a(9), b(9);
  const auto first = dl::nn::generate(model, prompt, options, a), second = dl::nn::generate(model, prompt, options, b);
  REQUIRE(first.size() == second.size());
  for (size_t i = 0; i < first.size(); ++i) CHECK(first[i].id == second[i].id);
  // Stop at the first token the run above wrote after position 3.
  dl::nn::GenerateOptions stop = options;
  stop.stop_id = first[3].id;
  dl::Generator c(9);
  const auto stopped = dl::nn::generate(model, prompt, stop, c);
  const auto at = std::find_if(first.begin(), first.end(), [&](const auto& t) { return t.id == stop.stop_id; });
  CHECK(stopped.size() == static_cast<size_t>(at - first.begin()) + 1);
  // 100 new tokens after a 10-token prompt fill the 32 positions: 22 come out.
  dl::Generator d(9);
  const auto long_run = dl::nn::generate(model, std::vector<int>(10, 2), {.sampling = {.strategy = dl::decode::Strategy::greedy},
                                                                          .max_new_tokens = 100}, d);
  CHECK(long_run.size() == 22);
  // The callback ends generation when it returns false.
  int calls = 0;
  (void)dl::nn::generate(model, prompt, options, d, [&](const dl::nn::GeneratedToken&) { return ++calls < 5; });
  CHECK(calls == 5);
  CHECK_THROWS_WITH(dl::nn::generate(model, std::vector<int>{}, options, d), Catch::Contains("prompt is empty"));
}

TEST_CASE("GPT: beam search with one beam writes what greedy decoding writes, and a wider beam scores no lower", "[ch05][gpt]") {
  dl::Generator gen(5);
  dl::nn::GPT model(tiny_config(9, 32), gen);
  scale_up(model, gen, 0.4f);
  const std::vector<int> prompt = {1, 2};
  dl::Generator g(0);
  std::vector<int> greedy;
  for (const auto& t : dl::nn::generate(model, prompt, {.sampling = {.strategy = dl::decode::Strategy::greedy},
                                                        .max_new_tokens = 12}, g))
    greedy.push_back(t.id);
  CHECK(dl::nn::beam_generate(model, prompt, 1, 12) == greedy);
  // The total log-probability of what each wrote: beam 4 >= greedy.
  const auto log_prob = [&](const std::vector<int>& written) {
    std::vector<int> ids = prompt;
    ids.insert(ids.end(), written.begin(), written.end());
    dl::no_grad guard;
    const dl::Tensor logp = dl::log_softmax(model.forward(ids, 1, static_cast<int64_t>(ids.size())), -1);
    double total = 0;
    for (size_t i = prompt.size(); i < ids.size(); ++i) total += logp.data()[(i - 1) * 9 + static_cast<size_t>(ids[i])];
    return total;
  };
  CHECK(log_prob(dl::nn::beam_generate(model, prompt, 4, 12)) >= log_prob(greedy) - 1e-4);
}

TEST_CASE("GPT: gradients of the next-token loss match finite differences", "[ch05][gpt]") {
  dl::Generator gen(6);
  dl::nn::GPTConfig config = tiny_config(7, 4);
  config.n_embd = 4, config.n_inner = 6;
  dl::nn::GPT model(config, gen);
  scale_up(model, gen, 0.5f);
  const std::vector<int> ids = {2, 4, 6, 5, 1, 3, 0, 2}, targets = {4, 6, 5, 1, 3, 0, 2, 2};
  const dl::GradcheckResult r = dl::gradcheck(
      [&](const std::vector<dl::Tensor>&) { return dl::cross_entropy(model.forward(ids, 2, 4), targets); },
      model.parameters(), {.eps = 1e-2f, .atol = 2e-3, .rtol = 2e-2});
  INFO(r.worst);
  CHECK(r.ok);
  CHECK(r.checked > 150);
}

TEST_CASE("GPT learns to copy a token from earlier in the window on held-out sequences", "[ch05][gpt]") {
  // Sequences a b c d a b c d: the second half is predictable only by attending back 4
  // positions (a unigram guess is right 1 time in 10).
  dl::Generator gen(7);
  dl::nn::GPTConfig config = tiny_config(10, 8);
  config.n_embd = 32, config.n_head = 4;
  dl::nn::GPT model(config, gen);
  const auto batch = [&](dl::Generator& g, int64_t n, std::vector<int>& ids, std::vector<int>& targets) {
    ids.clear(), targets.clear();
    for (int64_t b = 0; b < n; ++b) {
      std::vector<int> s(4);
      for (int& v : s) v = static_cast<int>(g.below(10));
      s.insert(s.end(), s.begin(), s.end());
      ids.insert(ids.end(), s.begin(), s.end());
      for (int t = 0; t < 8; ++t) targets.push_back(t >= 3 && t < 7 ? s[static_cast<size_t>(t + 1)] : -100);
    }
  };
  dl::optim::AdamW opt(model.parameters(), {.lr = 3e-3f, .weight_decay = 0.0f});
  std::vector<int> ids, targets;
  for (int step = 0; step < 400; ++step) {
    batch(gen, 32, ids, targets);
    opt.zero_grad();
    dl::cross_entropy(model.forward(ids, 32, 8), targets).backward();
    opt.step();
  }
  dl::Generator held(99);
  batch(held, 200, ids, targets);
  dl::no_grad guard;
  model.eval();
  const std::vector<int> best = dl::argmax(model.forward(ids, 200, 8));
  int right = 0, counted = 0;
  for (size_t i = 0; i < targets.size(); ++i)
    if (targets[i] != -100) right += best[i] == targets[i], ++counted;
  CHECK(static_cast<double>(right) / counted > 0.9);
}

TEST_CASE("GPT: Hugging Face's layout round-trips and names GPT2LMHeadModel's tensors", "[ch05][gpt]") {
  dl::Generator gen(8);
  dl::nn::GPT model(tiny_config(), gen);
  scale_up(model, gen);
  const dl::NamedTensors hf = model.hf_state_dict();
  std::map<std::string, dl::Shape> shapes;
  for (const auto& [name, t] : hf) shapes[name] = t.shape();
  CHECK(shapes.at("transformer.wte.weight") == dl::Shape{11, 8});
  CHECK(shapes.at("transformer.h.1.attn.c_attn.weight") == dl::Shape{8, 24});  // Conv1D: (in, 3 out)
  CHECK(shapes.at("transformer.h.0.mlp.c_fc.weight") == dl::Shape{8, 32});
  CHECK(shapes.at("transformer.h.0.mlp.c_proj.weight") == dl::Shape{32, 8});
  CHECK(shapes.at("transformer.ln_f.bias") == dl::Shape{8});
  CHECK(hf.size() == 2 + 2 * 12 + 2);
  // c_attn's columns E..2E-1 are the key projection's rows.
  const dl::Tensor& c_attn = std::find_if(hf.begin(), hf.end(), [](const auto& e) { return e.first == "transformer.h.0.attn.c_attn.weight"; })->second;
  CHECK(c_attn.data()[3 * 24 + 8 + 5] == model.h[0]->self_attn.key.weight.data()[5 * 8 + 3]);

  dl::Generator other(80);
  dl::nn::GPT copy(tiny_config(), other);
  copy.load_hf_state_dict(hf);
  const std::vector<int> ids = {1, 5, 2, 9, 3};
  dl::no_grad guard;
  const dl::Tensor a = model.forward(ids, 1, 5), b = copy.forward(ids, 1, 5);
  for (int64_t i = 0; i < a.numel(); ++i) REQUIRE(a.data()[i] == b.data()[i]);

  // A tied lm_head is accepted when equal, refused when it differs; misshapen and extra tensors are refused.
  dl::NamedTensors with_head = hf;
  with_head.emplace_back("lm_head.weight", model.wte.weight.clone());
  CHECK_NOTHROW(copy.load_hf_state_dict(with_head));
  with_head.back().second.data()[0] += 1.0f;
  CHECK_THROWS_WITH(copy.load_hf_state_dict(with_head), Catch::Contains("lm_head.weight differs"));
  dl::NamedTensors bad = hf;
  bad[3].second = dl::Tensor::zeros({3});
  CHECK_THROWS_WITH(copy.load_hf_state_dict(bad), Catch::Contains(bad[3].first));
  bad = hf;
  bad.emplace_back("transformer.extra", dl::Tensor::zeros({1}));
  CHECK_THROWS_WITH(copy.load_hf_state_dict(bad), Catch::Contains("unexpected tensor transformer.extra"));
  bad = hf;
  bad.erase(bad.begin() + 5);
  CHECK_THROWS_WITH(copy.load_hf_state_dict(bad), Catch::Contains("no tensor"));
}

TEST_CASE("GPTConfig: Hugging Face's config.json keys, a round trip, and clear errors", "[ch05][gpt]") {
  const dl::nn::GPTConfig c = tiny_config();
  const std::string text = c.to_json();
  for (const char* key : {"\"architectures\"", "\"GPT2LMHeadModel\"", "\"model_type\": \"gpt2\"", "\"n_positions\"",
                          "\"n_embd\"", "\"n_layer\"", "\"n_head\"", "\"n_inner\"", "\"gelu_new\"",
                          "\"layer_norm_epsilon\"", "\"tie_word_embeddings\": true"})
    CHECK_THAT(text, Catch::Contains(key));
  const dl::nn::GPTConfig back = dl::nn::GPTConfig::from_json(text, "config.json");
  CHECK(back.vocab_size == c.vocab_size);
  CHECK(back.n_positions == c.n_positions);
  CHECK(back.n_embd == c.n_embd);
  CHECK(back.inner() == 32);
  CHECK_THROWS_WITH(dl::nn::GPTConfig::from_json("{", "c.json"), Catch::Contains("c.json: not valid JSON"));
  CHECK_THROWS_WITH(dl::nn::GPTConfig::from_json(R"({"model_type": "bert"})", "c.json"), Catch::Contains("not \"gpt2\""));
  std::string relu = text;
  relu.replace(relu.find("gelu_new"), 8, "relu");
  CHECK_THROWS_WITH(dl::nn::GPTConfig::from_json(relu, "c.json"), Catch::Contains("only \"gelu_new\""));
  std::string uneven = text;
  uneven.replace(uneven.find("\"n_head\": 2"), 11, "\"n_head\": 3");
  CHECK_THROWS_WITH(dl::nn::GPTConfig::from_json(uneven, "c.json"), Catch::Contains("split evenly"));
  std::string huge = text;
  huge.replace(huge.find("\"n_embd\": 8"), 11, "\"n_embd\": 8000000");
  CHECK_THROWS_WITH(dl::nn::GPTConfig::from_json(huge, "c.json"), Catch::Contains("parameters, more than"));
}

TEST_CASE("save_pretrained and load_pretrained: the folder round-trips, and a broken one gives a clear error", "[ch05][gpt]") {
  test::TempDir dir;
  dl::Generator gen(9);
  const dl::data::CharVocab vocab(U"春眠不觉晓，处处闻啼鸟。春眠\n", 1);
  dl::nn::GPTConfig config = tiny_config(vocab.size());
  dl::nn::GPT model(config, gen);
  scale_up(model, gen);
  ch05::save_pretrained(dir.file("hf"), model, vocab);
  for (const char* file : {"config.json", "model.safetensors", "vocab.json"})
    CHECK(std::filesystem::exists(dir.file("hf") + "/" + file));
  const ch05::Pretrained p = ch05::load_pretrained(dir.file("hf"));
  CHECK(p.vocab.characters() == vocab.characters());
  const std::vector<int> ids = vocab.encode(U"春眠不觉");
  dl::no_grad guard;
  const dl::Tensor a = model.forward(ids, 1, 4), b = p.model->forward(ids, 1, 4);
  for (int64_t i = 0; i < a.numel(); ++i) REQUIRE(a.data()[i] == b.data()[i]);

  CHECK_THROWS_WITH(ch05::load_pretrained(dir.file("missing")), Catch::Contains("./book run gpt"));
  write_file(dir.file("hf") + "/vocab.json", R"({"<unk>": 0, "春": 1})");
  CHECK_THROWS_WITH(ch05::load_pretrained(dir.file("hf")), Catch::Contains("config.json says vocab_size"));
  write_file(dir.file("hf") + "/vocab.json", R"({"<unk>": 0, "春眠": 1})");
  CHECK_THROWS_WITH(ch05::load_pretrained(dir.file("hf")), Catch::Contains("is not one character"));
  ch05::save_pretrained(dir.file("hf"), model, vocab);
  write_file(dir.file("hf") + "/model.safetensors", "not a safetensors file");
  CHECK_THROWS_AS(ch05::load_pretrained(dir.file("hf")), dl::FileError);
}

TEST_CASE("read_vocab: characters in id order and a clear error for every malformed vocab.json", "[ch05][gpt]") {
  CHECK(ch05::read_vocab(R"({"<unk>": 0, "风": 2, "春": 1})", "v.json") == U"春风");
  CHECK_THROWS_WITH(ch05::read_vocab(R"({"春": 1, "风": 2})", "v.json"), Catch::Contains("<unk>"));
  CHECK_THROWS_WITH(ch05::read_vocab(R"({"<unk>": 3, "a": 1})", "v.json"), Catch::Contains("<unk>"));
  CHECK_THROWS_WITH(ch05::read_vocab(R"(["<unk>", "a"])", "v.json"), Catch::Contains("not a JSON object"));
  CHECK_THROWS_WITH(ch05::read_vocab(R"({"<unk>": 0, "a": "1"})", "v.json"), Catch::Contains("not an integer"));
  CHECK_THROWS_WITH(ch05::read_vocab(R"({"<unk>": 0, "a": 1, "b": 1})", "v.json"), Catch::Contains("unique id"));
  // Found while writing fuzz_gpt_vocab: a NUL character looked like an empty slot, so a second token could take its id.
  CHECK_THROWS_WITH(ch05::read_vocab("{\"<unk>\": 0, \"\\u0000\": 1, \"a\": 1}", "v.json"), Catch::Contains("unique id"));
  CHECK_THROWS_AS(ch05::read_vocab("{\"<unk>\": 0, \"\xff\": 1}", "v.json"), dl::Error);
}

TEST_CASE("random_windows: targets are the inputs shifted by one, from inside the stream", "[ch05][gpt]") {
  std::vector<int> stream(50);
  std::iota(stream.begin(), stream.end(), 0);
  dl::Generator gen(1);
  std::vector<int> inputs, targets;
  ch05::random_windows(stream, 6, 8, gen, inputs, targets);
  REQUIRE(inputs.size() == 48);
  for (size_t b = 0; b < 6; ++b)
    for (size_t t = 0; t < 8; ++t) {
      CHECK(targets[b * 8 + t] == inputs[b * 8 + t] + 1);
      if (t > 0) CHECK(inputs[b * 8 + t] == inputs[b * 8 + t - 1] + 1);
    }
  CHECK_THROWS_WITH(ch05::random_windows(std::vector<int>(8), 1, 8, gen, inputs, targets), Catch::Contains("shorter than one window"));
}

TEST_CASE("evaluate: scores every token once, each with at least half a context before it", "[ch05][gpt]") {
  dl::Generator gen(10);
  dl::nn::GPT model(tiny_config(11, 8), gen);
  scale_up(model, gen);
  const std::vector<int> stream = random_ids(30, 11, gen);
  // By hand: the token at i+1 predicted from the window that starts at max(0, 4k) with i in its second half.
  double nll = 0;
  dl::no_grad guard;
  model.eval();
  for (int64_t i = 0; i < 29; ++i) {
    const int64_t start = i < 8 ? 0 : ((i - 4) / 4) * 4;
    const int64_t t = std::min<int64_t>(8, 29 - start);
    const dl::Tensor logp = dl::log_softmax(model.forward(std::span<const int>(stream).subspan(static_cast<size_t>(start), static_cast<size_t>(t)), 1, t), -1);
    nll -= logp.data()[(i - start) * 11 + stream[static_cast<size_t>(i + 1)]];
  }
  CHECK(ch05::evaluate(model, stream, 3) == Approx(nll / 29).epsilon(1e-5));
}

TEST_CASE("couplets_of: a line closing with a comma and the line after it, from poems only", "[ch05][couplet]") {
  const std::vector<dl::data::TextEntry> entries = {
      {"登鹳雀楼", "王之涣", "白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。\n"},
      {"", "", "一句话，不是诗。\n"},  // a saying: no title or author
      {"问", "某", "何处是归程？长亭连短亭。\n"}};
  const std::vector<ch05::Couplet> c = ch05::couplets_of(entries);
  REQUIRE(c.size() == 2);
  CHECK(dl::encode_utf8(c[0].x) == "白日依山尽，");
  CHECK(dl::encode_utf8(c[0].y) == "黄河入海流。");
  CHECK(dl::encode_utf8(c[1].x) == "欲穷千里目，");
  CHECK(dl::encode_utf8(c[1].y) == "更上一层楼。");
  CHECK(ch05::closes_sentence(U'？'));
  CHECK_FALSE(ch05::closes_sentence(U'，'));
}

TEST_CASE("gpt: bad flags exit 2 and a missing model names the command that makes it", "[ch05][program]") {
  const test::ProgramResult bad = run_gpt("--steps 0");
  CHECK(bad.exit_code == 2);
  CHECK(run_gpt("--task poem").exit_code == 2);
  CHECK(run_gpt("--generate --strategy nucleus").exit_code == 2);
  CHECK(run_gpt("--top-p 0.5").exit_code == 2);  // needs --generate
  test::TempDir dir;
  const test::ProgramResult missing = run_gpt("--generate --model " + dir.file("none"));
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.output, Catch::Contains("./book run gpt"));
  const test::ProgramResult no_data = run_gpt("--data " + dir.file("none") + " --steps 1");
  CHECK(no_data.exit_code == 1);
  CHECK_THAT(no_data.output, Catch::Contains("fortunes-zh"));
}

TEST_CASE("gpt --generate --json: the prompt's ids, the new ids and their text, from a saved model", "[ch05][program]") {
  test::TempDir dir;
  dl::Generator gen(12);
  const dl::data::CharVocab vocab(U"春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。\n%", 1);
  dl::nn::GPT model(tiny_config(vocab.size(), 64), gen);
  scale_up(model, gen);
  ch05::save_pretrained(dir.file("hf"), model, vocab);
  const test::ProgramResult r =
      run_gpt("--generate --model " + dir.file("hf") + " --prime 春眠 --strategy greedy --max-new-tokens 7 --json");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.output);
  CHECK(j["prompt_ids"] == nlohmann::json(vocab.encode(U"春眠")));
  REQUIRE(j["ids"].size() == 7);
  CHECK(j["text"] == vocab.decode(j["ids"].get<std::vector<int>>()));
  // Greedy is what the library's greedy generation writes.
  dl::Generator g(0);
  const auto expected = dl::nn::generate(model, vocab.encode(U"春眠"), {.sampling = {.strategy = dl::decode::Strategy::greedy},
                                                                       .max_new_tokens = 7}, g);
  for (size_t i = 0; i < 7; ++i) CHECK(j["ids"][i] == expected[i].id);
  const test::ProgramResult beam =
      run_gpt("--generate --model " + dir.file("hf") + " --prime 春 --strategy beam --beam-width 3 --max-new-tokens 5 --json");
  CHECK(beam.exit_code == 0);
  CHECK(nlohmann::json::parse(beam.output)["ids"].size() == 5);
}

TEST_CASE("gpt --task couplet refuses a model pretrained with another seed (its held-out poems would not be held out)", "[ch05][program]") {
  test::TempDir dir;
  dl::Generator gen(13);
  const dl::data::CharVocab vocab(U"白日依山尽，黄河入海流。\n%", 1);
  dl::nn::GPT model(tiny_config(vocab.size(), 32), gen);
  ch05::save_pretrained(dir.file("hf"), model, vocab);
  write_file(dir.file("summary.json"), R"({"chapter": "05-nlg", "seed": 0})");
  const test::ProgramResult r = run_gpt("--task couplet --model " + dir.file("hf") + " --seed 5 --out " + dir.file("out"));
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("pretrained with --seed 0"));
}

TEST_CASE("generate: suppressed ids are never written, and an id outside the vocabulary is refused", "[ch05][gpt]") {
  dl::Generator gen(14);
  dl::nn::GPT model(tiny_config(7, 64), gen);
  scale_up(model, gen);
  const std::vector<int> prompt = {1};
  dl::Generator g(0);
  dl::nn::GenerateOptions options{.sampling = {.strategy = dl::decode::Strategy::sample}, .max_new_tokens = 60};
  std::set<int> seen;
  for (const auto& t : dl::nn::generate(model, prompt, options, g)) seen.insert(t.id);
  REQUIRE(seen.size() > 2);
  options.suppress = {*seen.begin(), *seen.rbegin()};
  dl::Generator h(0);
  for (const auto& t : dl::nn::generate(model, prompt, options, h)) {
    CHECK(t.id != options.suppress[0]);
    CHECK(t.id != options.suppress[1]);
  }
  options.suppress = {7};
  CHECK_THROWS_WITH(dl::nn::generate(model, prompt, options, h), Catch::Contains("suppressed id 7 is outside"));
}

// Chapter 04, part 2: the small BERT. Masking, Hugging Face's names and config, saving and
// loading, gradients by finite differences, learning on held-out data, and the program.
#include <catch2/catch.hpp>
#include <cmath>
#include <dl/app/results.hpp>
#include <dl/gradcheck.hpp>
#include <dl/io.hpp>
#include <algorithm>
#include <fstream>
#include <set>

#include "../../tests/test_support.hpp"
#include "bert.hpp"

namespace {

ch04::BertConfig tiny_config(int64_t vocab = 12) {
  return {.vocab_size = vocab, .hidden_size = 8, .num_hidden_layers = 1, .num_attention_heads = 2,
          .intermediate_size = 16, .max_position_embeddings = 8, .hidden_dropout_prob = 0.0f,
          .attention_probs_dropout_prob = 0.0f};
}

// The masked-LM loss of the chosen rows, as the program computes it.
dl::Tensor loss_of(ch04::BertForMaskedLM& model, const std::vector<int>& ids, const std::vector<int>& mask,
                   int64_t batch, int64_t steps, const std::vector<int>& rows, const std::vector<int>& labels) {
  return dl::cross_entropy(model.logits_at(ids, mask, batch, steps, rows), labels);
}

test::ProgramResult run_bert(const std::string& args) { return test::run_program(BERT_PROGRAM, args); }

void write_file(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// A WordNet folder with `n` noun synsets (offsets 0..n-1: about 80% train, 10% validation).
void write_wordnet(const test::TempDir& dir, int n) {
  const char* glosses[] = {"a domestic animal that barks", "a body of water that flows to the sea",
                           "a young bird that cannot fly", "the act of baking bread in an oven"};
  std::string nouns = "  1 This software and database is being provided\n";
  for (int i = 0; i < n; ++i) {
    char head[64];
    std::snprintf(head, sizeof head, "%08d 05 n 01 word%d 0 000 | ", i, i);
    nouns += std::string(head) + glosses[i % 4] + "  \n";
  }
  write_file(dir.file("data.noun"), nouns);
  write_file(dir.file("data.verb"), "00000002 29 v 01 run 0 000 | move fast; \"run home\"  \n");
  write_file(dir.file("data.adj"), "00000003 00 a 01 big 0 000 | above average in size  \n");
  write_file(dir.file("data.adv"), "00000017 02 r 01 quickly 0 000 | with speed  \n");
}

}  // namespace

TEST_CASE("mask_tokens: 15% chosen and 80/10/10 within binomial error and specials never chosen", "[ch04][bert]") {
  const int64_t n = 200000, vocab = 1000;
  const int mask_id = 3, special = 7;
  std::vector<int> ids(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) ids[static_cast<size_t>(i)] = i % 10 == 0 ? special : 10 + static_cast<int>(i % 900);
  dl::Generator gen(5);
  const std::vector<int> never = {special};
  const ch04::MaskedBatch m = ch04::mask_tokens(ids, never, 0.15f, mask_id, vocab, gen);
  int64_t chosen = 0, masked = 0, kept = 0, changed = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == special) {
      CHECK(m.labels[i] == -100);
      CHECK(m.ids[i] == special);
      continue;
    }
    if (m.labels[i] == -100) {
      CHECK(m.ids[i] == ids[i]);  // an unchosen position is untouched
      continue;
    }
    CHECK(m.labels[i] == ids[i]);
    ++chosen;
    if (m.ids[i] == mask_id) ++masked;
    else if (m.ids[i] == ids[i]) ++kept;
    else ++changed;
  }
  CHECK(chosen == m.chosen);
  // Each share within 4 binomial standard errors of its expectation.
  const auto near = [](double count, double trials, double p) {
    return std::abs(count / trials - p) <= 4.0 * std::sqrt(p * (1 - p) / trials);
  };
  const double eligible = 0.9 * static_cast<double>(n);
  CHECK(near(static_cast<double>(chosen), eligible, 0.15));
  const double c = static_cast<double>(chosen);
  CHECK(near(static_cast<double>(masked), c, 0.8));
  // A random replacement can draw the token itself (1 in 1000): kept is 0.1 + 0.1/1000.
  CHECK(near(static_cast<double>(kept), c, 0.1 + 0.1 / vocab));
  CHECK(near(static_cast<double>(changed), c, 0.1 - 0.1 / vocab));
  CHECK_THROWS_WITH(ch04::mask_tokens(ids, never, 1.5f, mask_id, vocab, gen), Catch::Contains("[0, 1]"));
  CHECK_THROWS_WITH(ch04::mask_tokens(ids, never, std::nanf(""), mask_id, vocab, gen), Catch::Contains("[0, 1]"));
  CHECK_THROWS_WITH(ch04::mask_tokens(ids, never, 0.15f, mask_id, 0, gen), Catch::Contains("empty"));
}

TEST_CASE("BERT parameters carry the names and shapes of Hugging Face's BertForMaskedLM", "[ch04][bert]") {
  ch04::BertConfig config = tiny_config();
  config.num_hidden_layers = 2;
  const ch04::BertForMaskedLM model(config);
  std::map<std::string, dl::Shape> names;
  for (const auto& [name, t] : model.hf_state_dict()) names[name] = t.shape();
  std::map<std::string, dl::Shape> expected = {{"bert.embeddings.word_embeddings.weight", {12, 8}},
                                               {"bert.embeddings.position_embeddings.weight", {8, 8}},
                                               {"bert.embeddings.token_type_embeddings.weight", {2, 8}},
                                               {"bert.embeddings.LayerNorm.weight", {8}},
                                               {"bert.embeddings.LayerNorm.bias", {8}},
                                               {"cls.predictions.bias", {12}},
                                               {"cls.predictions.transform.dense.weight", {8, 8}},
                                               {"cls.predictions.transform.dense.bias", {8}},
                                               {"cls.predictions.transform.LayerNorm.weight", {8}},
                                               {"cls.predictions.transform.LayerNorm.bias", {8}}};
  for (const std::string l : {"0", "1"}) {
    const std::string p = "bert.encoder.layer." + l + ".";
    for (const char* part : {"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"})
      expected[p + part + ".weight"] = {8, 8}, expected[p + part + ".bias"] = {8};
    expected[p + "attention.output.LayerNorm.weight"] = {8}, expected[p + "attention.output.LayerNorm.bias"] = {8};
    expected[p + "intermediate.dense.weight"] = {16, 8}, expected[p + "intermediate.dense.bias"] = {16};
    expected[p + "output.dense.weight"] = {8, 16}, expected[p + "output.dense.bias"] = {8};
    expected[p + "output.LayerNorm.weight"] = {8}, expected[p + "output.LayerNorm.bias"] = {8};
  }
  CHECK(names == expected);
  // BERT's initialisation: N(0, 0.02) weights, zero biases, unit LayerNorm scales, a zero padding row.
  const dl::Tensor& words = model.bert.embeddings.word_embeddings.weight;
  for (int64_t j = 0; j < 8; ++j) CHECK(words.data()[j] == 0.0f);
  CHECK(model.bert.embeddings.LayerNorm.weight.data()[0] == 1.0f);
  CHECK(model.bert.layers[0]->linear1.bias.data()[0] == 0.0f);
  double sq = 0;
  const dl::Tensor& w = model.bert.layers[0]->linear1.weight;
  for (int64_t i = 0; i < w.numel(); ++i) sq += static_cast<double>(w.data()[i]) * w.data()[i];
  CHECK(std::sqrt(sq / static_cast<double>(w.numel())) == Approx(0.02).epsilon(0.3));
}

TEST_CASE("BertConfig: config.json round trip and clear errors for a config it cannot build", "[ch04][bert][errors]") {
  const ch04::BertConfig c = tiny_config();
  const nlohmann::json j = c.to_json();
  CHECK(j["architectures"][0] == "BertForMaskedLM");
  CHECK(j["model_type"] == "bert");
  CHECK(j["hidden_act"] == "gelu");
  const ch04::BertConfig back = ch04::BertConfig::from_json(j, "config.json");
  CHECK(back.to_json() == j);
  nlohmann::json bad = j;
  bad.erase("hidden_size");
  CHECK_THROWS_WITH(ch04::BertConfig::from_json(bad, "x/config.json"), Catch::Contains("x/config.json") && Catch::Contains("hidden_size"));
  bad = j, bad["hidden_act"] = "relu";
  CHECK_THROWS_WITH(ch04::BertConfig::from_json(bad, "config.json"), Catch::Contains("relu"));
  bad = j, bad["num_attention_heads"] = 3;
  CHECK_THROWS_WITH(ch04::BertConfig::from_json(bad, "config.json"), Catch::Contains("heads"));
  bad = j, bad["vocab_size"] = 8989641361456897, bad["hidden_size"] = 4096;  // the product overflows int64
  CHECK_THROWS_WITH(ch04::BertConfig::from_json(bad, "config.json"), Catch::Contains("parameters"));
  bad = j, bad["intermediate_size"] = int64_t{1} << 40;
  CHECK_THROWS_WITH(ch04::BertConfig::from_json(bad, "config.json"), Catch::Contains("parameters"));
  bad = j, bad["model_type"] = "gpt2";
  CHECK_THROWS_AS(ch04::BertConfig::from_json(bad, "config.json"), dl::FileError);
}

TEST_CASE("BERT: saved under Hugging Face's names and loaded back it gives the same logits", "[ch04][bert]") {
  test::TempDir dir;
  dl::Generator g1(1), g2(2);
  ch04::BertForMaskedLM a(tiny_config(), g1), b(tiny_config(), g2);
  const std::vector<int> ids = {2, 5, 7, 1, 0, 0}, mask = {1, 1, 1, 1, 0, 0};
  a.eval(), b.eval();
  const dl::Tensor before = a.forward(ids, mask, 2, 3);
  dl::save_safetensors(dir.file("model.safetensors"), a.hf_state_dict());
  b.load_hf_state_dict(dl::load_safetensors(dir.file("model.safetensors")));
  const dl::Tensor after = b.forward(ids, mask, 2, 3);
  REQUIRE(after.shape() == dl::Shape{6, 12});
  for (int64_t i = 0; i < after.numel(); ++i) CHECK(after.data()[i] == before.data()[i]);

  dl::NamedTensors state = a.hf_state_dict();
  // the tied output weight may be stored; it must be the word embeddings
  state.emplace_back("cls.predictions.decoder.weight", a.bert.embeddings.word_embeddings.weight);
  CHECK_NOTHROW(b.load_hf_state_dict(state));
  state.back().second = dl::Tensor::zeros({12, 8});
  CHECK_THROWS_WITH(b.load_hf_state_dict(state), Catch::Contains("decoder.weight"));
  state.pop_back();
  state.emplace_back("bert.pooler.dense.weight", dl::Tensor::zeros({8, 8}));
  CHECK_THROWS_WITH(b.load_hf_state_dict(state), Catch::Contains("unexpected") && Catch::Contains("pooler"));
  state.pop_back();
  const auto words = std::find_if(state.begin(), state.end(),
                                  [](const auto& e) { return e.first == "bert.embeddings.word_embeddings.weight"; });
  REQUIRE(words != state.end());
  words->second = dl::Tensor::zeros({13, 8});
  CHECK_THROWS_WITH(b.load_hf_state_dict(state), Catch::Contains("word_embeddings") && Catch::Contains("13"));
  state.erase(words);
  CHECK_THROWS_WITH(b.load_hf_state_dict(state), Catch::Contains("no tensor bert.embeddings.word_embeddings.weight"));
  CHECK_THROWS_WITH(a.forward(std::vector<int>{1, 12}, std::vector<int>{1, 1}, 1, 2), Catch::Contains("outside the vocabulary"));
  CHECK_THROWS_AS(a.forward(std::vector<int>(9, 1), std::vector<int>(9, 1), 1, 9), dl::ShapeError);
}

TEST_CASE("BERT: gradients of the masked-LM loss match finite differences", "[ch04][bert]") {
  dl::Generator gen(3);
  ch04::BertConfig config = tiny_config(7);
  config.hidden_size = 4, config.intermediate_size = 6, config.max_position_embeddings = 4;
  ch04::BertForMaskedLM model(config, gen);
  // Larger weights than BERT's 0.02, so that every part of the model moves the loss.
  for (auto& [name, t] : model.named_parameters())
    for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] += 0.5f * gen.normal();
  const std::vector<int> ids = {2, 4, 6, 5, 1, 3, 0, 0}, mask = {1, 1, 1, 1, 1, 1, 0, 0};
  const std::vector<int> rows = {1, 3, 4}, labels = {5, 2, 6};
  std::vector<dl::Tensor> params = model.parameters();
  const dl::GradcheckResult r = dl::gradcheck(
      [&](const std::vector<dl::Tensor>&) { return loss_of(model, ids, mask, 2, 4, rows, labels); }, params,
      {.eps = 1e-2f, .atol = 2e-3, .rtol = 2e-2});
  INFO(r.worst);
  CHECK(r.ok);
  CHECK(r.checked > 200);
}

TEST_CASE("BERT learns to read a masked token from the other side of the sentence on held-out texts", "[ch04][bert]") {
  // Texts [CLS] a b a' [SEP] with a' = a's partner (a + 10): predicting a masked a' needs a,
  // two positions away; a unigram guess is right 1 time in 10.
  dl::Generator gen(11);
  ch04::BertConfig config = tiny_config(24);
  config.hidden_size = 32, config.intermediate_size = 64, config.num_hidden_layers = 2;
  ch04::BertForMaskedLM model(config, gen);
  const int cls = 0, sep = 1;
  const auto text = [&](dl::Generator& g) {
    const int a = 2 + static_cast<int>(g.below(10)), b = 2 + static_cast<int>(g.below(10));
    return std::vector<int>{cls, a, b, a + 10, sep};
  };
  dl::optim::AdamW opt(model.parameters(), {.lr = 3e-3f, .weight_decay = 0.0f});
  for (int step = 0; step < 300; ++step) {
    std::vector<int> ids, rows, labels;
    for (int b = 0; b < 32; ++b) {
      std::vector<int> t = text(gen);
      rows.push_back(b * 5 + 3), labels.push_back(t[3]);
      t[3] = 22;  // [MASK]
      ids.insert(ids.end(), t.begin(), t.end());
    }
    opt.zero_grad();
    loss_of(model, ids, std::vector<int>(ids.size(), 1), 32, 5, rows, labels).backward();
    opt.step();
  }
  dl::Generator held(999);
  int right = 0;
  model.eval();
  for (int i = 0; i < 200; ++i) {
    std::vector<int> t = text(held);
    const int answer = t[3];
    t[3] = 22;
    const dl::Tensor logits = model.forward(t, std::vector<int>(5, 1), 1, 5);
    right += dl::argmax(dl::slice(logits, 0, 3, 4))[0] == answer;
  }
  CHECK(right >= 180);  // 90%, against 10% for the best guess without the context
}

TEST_CASE("bert program: a short run writes every result and the hf folder and --predict reads it back", "[ch04][bert][cli]") {
  test::TempDir data, out;
  write_wordnet(data, 60);
  const test::ProgramResult r = run_bert("--data " + data.str() + " --out " + out.str() +
                                         " --steps 4 --batch 4 --hidden 16 --heads 2 --intermediate 32 --layers 1 "
                                         "--eval-every 2 --threads 1");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const auto summary = dl::app::read_json_file(out.file("summary.json"));
  for (const char* key : {"mlm_loss", "mlm_accuracy", "unigram_mlm_loss", "train_seconds", "parameters", "tokens_seen"})
    CHECK(summary.contains(key));
  CHECK(summary["parameters"] == 30522 * 16 + 128 * 16 + 2 * 16 + 2 * 16 + (4 * (16 * 16 + 16) + 2 * 16 + 16 * 32 + 32 +
                                                                          32 * 16 + 16 + 2 * 16) +
                                     (16 * 16 + 16 + 2 * 16 + 30522));
  const auto config = dl::app::read_json_file(out.file("hf/config.json"));
  CHECK(config["vocab_size"] == 30522);
  CHECK(config["hidden_size"] == 16);
  for (const char* f : {"hf/model.safetensors", "hf/vocab.txt", "hf/tokenizer_config.json", "metrics.jsonl",
                        "attention.json", "predictions.json"})
    CHECK(std::ifstream(out.file(f)).good());
  const auto attention = dl::app::read_json_file(out.file("attention.json"));
  CHECK(attention["weights"].size() == 1);
  CHECK(attention["weights"][0].size() == 2);

  const test::ProgramResult p = run_bert("--out " + out.str() + " --predict \"Hello, my [MASK] is cute.\" --top 3 --json");
  INFO(p.output);
  REQUIRE(p.exit_code == 0);
  const auto j = nlohmann::json::parse(p.output);
  CHECK(j["input_ids"][0] == 101);
  CHECK(j["input_ids"][4] == 103);
  REQUIRE(j["predictions"].size() == 1);
  CHECK(j["predictions"][0]["position"] == 4);
  const auto& top = j["predictions"][0]["top"];
  REQUIRE(top.size() == 3);
  CHECK(top[0]["prob"].get<double>() >= top[1]["prob"].get<double>());
  CHECK(top[0]["prob"].get<double>() + top[1]["prob"].get<double>() + top[2]["prob"].get<double>() <= 1.0 + 1e-6);
  const test::ProgramResult text = run_bert("--out " + out.str() + " --predict \"a [MASK] of [MASK]\"");
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.output, Catch::Contains("[MASK] at position 2") && Catch::Contains("[MASK] at position 4"));
}

TEST_CASE("bert program: bad flags exit 2 and a missing model or WordNet is named (exit 1)", "[ch04][bert][errors]") {
  test::TempDir out;
  const test::ProgramResult missing = run_bert("--out " + out.str() + " --predict \"a [MASK]\"");
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.output, Catch::Contains("config.json") && Catch::Contains("--model"));
  const test::ProgramResult wordnet = run_bert("--data /nonexistent/wordnet --out " + out.str());
  CHECK(wordnet.exit_code == 1);
  CHECK_THAT(wordnet.output, Catch::Contains("wordnet-base"));
  CHECK(run_bert("--top 3").exit_code == 2);  // --top needs --predict
  CHECK(run_bert("--mask-prob 1.5").exit_code == 2);
  CHECK(run_bert("--mask-prob nan").exit_code == 2);
  CHECK(run_bert("--heads 3 --steps 1 --out " + out.str()).exit_code != 0);
  CHECK(run_bert("--max-len 2").exit_code == 2);
  CHECK(run_bert("--bogus").exit_code == 2);
}

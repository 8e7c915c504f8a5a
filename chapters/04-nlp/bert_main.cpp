// bert — chapter 04, part 2: a small BERT pretrained from scratch with the masked-language-
// model objective on WordNet's glosses, tokenised with bert-base-uncased's WordPiece, and
// saved in Hugging Face's layout (BertForMaskedLM.from_pretrained reads the hf/ folder).
//
//   ./build/chapters/04-nlp/bert                                  # train: about 3.5 min on 2 cores
//   ./build/chapters/04-nlp/bert --predict "Hello, my [MASK] is cute." --top 5 [--json]
//   ./build/chapters/04-nlp/bert --full                           # longer, on the fortunes too
//
// Training writes summary.json, metrics.jsonl, attention.json, predictions.json and hf/
// (config.json, model.safetensors, vocab.txt, tokenizer_config.json) under --out.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <dl/app.hpp>
#include <dl/io.hpp>
#include <dl/tokenize.hpp>
#include <filesystem>
#include <iostream>
#include <numeric>

#include "bert.hpp"
#include "wordnet.hpp"

namespace {
namespace fs = std::filesystem;
using Json = dl::app::Json;

constexpr const char* kChapter = "04-nlp";
constexpr const char* kRun = "04-nlp-bert";
constexpr const char* kFullRun = "04-nlp-bert-full";  // where --full writes, beside the default run
constexpr int64_t kLogEvery = 10;  // steps between two training records of metrics.jsonl
// The sentence of the seed's snippet (no [MASK] in it) and sentences to fill in.
constexpr const char* kSeedText = "Hello, my dog is cute";
const std::vector<std::string> kExamples = {"Hello, my [MASK] is cute.", "a [MASK] of water that flows into the sea",
                                            "a young [MASK] that has not yet learned to fly",
                                            "the act of [MASK] food in an oven", "a building where people [MASK]"};
constexpr const char* kAttentionText = "the dog chased a cat up the tree";

// The defaults were chosen on the held-out loss within the five-minute budget (trials of 400
// to 3000 steps, 2 threads): width 64 beat width 128 for the same time (6.61 against 6.75
// nats after about a minute: twice the steps, and the vocabulary-sized output layer costs
// half as much per masked token); 4 layers or 4 heads did no better per second; a peak
// learning rate of 1e-3 learned slower than 3e-3, and 5e-3 slower again (without the
// unigram bias it stalled at predicting "the"); dropout 0.1 made each step about a third
// slower (70 s against 52 s for 400 steps) for the same held-out loss (6.75) in a run that
// reads its text about three times, so it is 0 here and 0.1 with --full.
struct Options {
  ch04::BertConfig config = [] {
    ch04::BertConfig c;
    c.hidden_dropout_prob = c.attention_probs_dropout_prob = 0.0f;
    return c;
  }();
  int64_t steps = 3000, batch = 32, max_len = 64, eval_texts = 2000, eval_every = 500, warmup = 0;
  float lr = 3e-3f, mask_prob = 0.15f, weight_decay = 0.01f, clip = 1.0f;
  bool full = false;
  std::string corpus = "wordnet", fortunes_dir = ch04::kFortunesDir, vocab = DL_VOCAB_DIR "/bert-base-uncased/vocab.txt";
  // --predict
  std::string predict, model_dir;
  int64_t top = 5;
  bool json = false;

  void add_to(CLI::App& cli) {
    const auto& positive = dl::app::positive;
    const auto probability = dl::app::non_negative & CLI::Range(0.0, 1.0);
    cli.add_option("--steps", steps, "training steps (batches)")->check(positive);
    cli.add_flag("--full", full, "a longer run: 6x the steps, dropout 0.1, on the English fortunes as well as the glosses");
    cli.add_option("--batch", batch, "sequences per step (glosses packed into --max-len tokens)")->check(positive);
    cli.add_option("--max-len", max_len, "tokens per text at most, [CLS] and [SEP] included (longer ones are cut)")
        ->check(CLI::Range(int64_t{3}, int64_t{512}));
    cli.add_option("--lr", lr, "peak learning rate of AdamW (linear warm-up, then linear decay to 0)")->check(positive);
    cli.add_option("--warmup", warmup, "warm-up steps (default: 6% of the steps)")->check(dl::app::non_negative);
    cli.add_option("--weight-decay", weight_decay, "AdamW's decoupled decay of the weight matrices")
        ->check(dl::app::non_negative);
    cli.add_option("--clip", clip, "largest gradient norm")->check(positive);
    cli.add_option("--mask-prob", mask_prob, "share of the tokens chosen for prediction")->check(probability);
    cli.add_option("--hidden", config.hidden_size, "width of the model (E)")->check(positive);
    cli.add_option("--layers", config.num_hidden_layers, "encoder blocks")->check(positive);
    cli.add_option("--heads", config.num_attention_heads, "attention heads per block")->check(positive);
    cli.add_option("--intermediate", config.intermediate_size, "width of the feed-forward layer")->check(positive);
    cli.add_option("--dropout", config.hidden_dropout_prob, "dropout of embeddings, attention and feed-forward")
        ->check(dl::app::non_negative & CLI::Range(0.0, 0.99));
    cli.add_option("--eval-texts", eval_texts, "held-out glosses the masked-LM loss is measured on")->check(positive);
    cli.add_option("--eval-every", eval_every, "steps between two held-out evaluations")->check(positive);
    cli.add_option("--corpus", corpus, "wordnet (the glosses) or all (the English fortunes too)")
        ->check(CLI::IsMember({"all", "wordnet"}));
    cli.add_option("--fortunes", fortunes_dir, "folder with the English fortune files (Debian package fortunes)")
        ->check(dl::app::non_empty);
    cli.add_option("--vocab", vocab, "bert-base-uncased's vocab.txt (./book deps fetches it)")->check(dl::app::non_empty);
    CLI::Option* predicting = cli.add_option(
        "--predict", predict, "instead of training: fill in each [MASK] of this text with the saved model (--model)");
    cli.add_option("--model", model_dir, "the saved model's folder (default: OUT/hf)")->needs(predicting);
    cli.add_option("--top", top, "with --predict: candidates shown per [MASK]")
        ->check(CLI::Range(int64_t{1}, int64_t{100}))
        ->needs(predicting);
    cli.add_flag("--json", json, "with --predict: print one JSON object instead of text")->needs(predicting);
  }
};

// A batch of texts padded to the longest: ids and the attention mask, B*T row-major.
struct Padded {
  std::vector<int> ids, mask;
  int64_t batch = 0, steps = 0;
};

Padded pad(const std::vector<const std::vector<int>*>& texts, int pad_id) {
  Padded p;
  p.batch = static_cast<int64_t>(texts.size());
  for (const auto* t : texts) p.steps = std::max<int64_t>(p.steps, static_cast<int64_t>(t->size()));
  p.ids.assign(static_cast<size_t>(p.batch * p.steps), pad_id);
  p.mask.assign(p.ids.size(), 0);
  for (int64_t b = 0; b < p.batch; ++b)
    for (size_t i = 0; i < texts[static_cast<size_t>(b)]->size(); ++i) {
      p.ids[static_cast<size_t>(b * p.steps) + i] = (*texts[static_cast<size_t>(b)])[i];
      p.mask[static_cast<size_t>(b * p.steps) + i] = 1;
    }
  return p;
}

// The tokens of `text`, [CLS] ... [SEP], cut to `max_len` (the last kept token becomes [SEP]).
std::vector<int> encode(const dl::tokenize::WordPiece& wp, const std::string& text, int64_t max_len) {
  std::vector<int> ids = wp.encode(text);
  if (static_cast<int64_t>(ids.size()) > max_len) {
    ids.resize(static_cast<size_t>(max_len));
    ids.back() = wp.id("[SEP]");
  }
  return ids;
}

// [pack]
// The next training sequence: texts taken in the shuffled `order` and packed end to end,
// [CLS] a ... [SEP] b ... [SEP] ..., up to `max_len` tokens, so that short glosses do not
// leave most of a padded batch empty (RoBERTa packs its inputs the same way). The order is
// reshuffled each time it runs out.
std::vector<int> pack(const std::vector<std::vector<int>>& texts, std::vector<int64_t>& order, size_t& next,
                      int64_t max_len, dl::Generator& gen) {
  std::vector<int> sequence;
  while (true) {
    if (next == order.size()) gen.shuffle(order), next = 0;
    const std::vector<int>& text = texts[static_cast<size_t>(order[next])];
    if (sequence.empty()) {
      sequence = text;  // each text already fits (cut to max_len)
    } else {
      if (static_cast<int64_t>(sequence.size() + text.size() - 1) > max_len) return sequence;
      sequence.insert(sequence.end(), text.begin() + 1, text.end());  // without its [CLS]
    }
    ++next;
  }
}
// [pack]

// The positions whose label counts, and those labels: the rows the MLM head is applied to.
struct Targets {
  std::vector<int> rows, labels;
};
Targets targets_of(const std::vector<int>& labels) {
  Targets t;
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i] != -100) t.rows.push_back(static_cast<int>(i)), t.labels.push_back(labels[i]);
  return t;
}

// The logits at the chosen rows only (85% of the positions carry no label).
dl::Tensor logits_at_targets(ch04::BertForMaskedLM& model, const Padded& in, const Targets& targets) {
  return model.logits_at(in.ids, in.mask, in.batch, in.steps, targets.rows);
}

// The held-out set: texts with their masking drawn once, so every evaluation scores the same tokens.
struct HeldOut {
  std::vector<Padded> batches;
  std::vector<Targets> targets;
  int64_t tokens = 0;
  double unigram_nll = 0;  // summed over the tokens
};

struct Score {
  double loss = 0, accuracy = 0;
};

Score evaluate(ch04::BertForMaskedLM& model, const HeldOut& held) {
  dl::no_grad guard;
  model.eval();
  double nll = 0, right = 0;
  for (size_t i = 0; i < held.batches.size(); ++i) {
    const Targets& t = held.targets[i];
    if (t.rows.empty()) continue;
    const dl::Tensor logits = logits_at_targets(model, held.batches[i], t);
    nll += static_cast<double>(dl::cross_entropy(logits, t.labels).item()) * static_cast<double>(t.rows.size());
    const std::vector<int> best = dl::argmax(logits);
    for (size_t r = 0; r < best.size(); ++r) right += best[r] == t.labels[r];
  }
  model.train();
  return {nll / static_cast<double>(held.tokens), right / static_cast<double>(held.tokens)};
}

// Top-k of softmax(logits row) -> [{token, id, prob}]
Json top_tokens(const dl::Tensor& logits, int64_t row, int64_t k, const dl::tokenize::WordPiece& wp) {
  const int64_t v = logits.size(1);
  const float* z = logits.data() + row * v;
  const float zmax = *std::max_element(z, z + v);
  double total = 0;
  for (int64_t j = 0; j < v; ++j) total += std::exp(static_cast<double>(z[j] - zmax));
  std::vector<int> order(static_cast<size_t>(v));
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int a, int b) { return z[a] > z[b]; });
  Json top = Json::array();
  for (int64_t i = 0; i < k; ++i) {
    const int id = order[static_cast<size_t>(i)];
    top.push_back({{"token", wp.tokens(std::span<const int>(&id, 1))[0]},
                   {"id", id},
                   {"prob", std::exp(static_cast<double>(z[id] - zmax)) / total}});
  }
  return top;
}

// Each [MASK] of `text` filled in: {"input_ids", "tokens", "predictions": [{position, top}]}
Json predict_masks(ch04::BertForMaskedLM& model, const dl::tokenize::WordPiece& wp, const std::string& text, int64_t k) {
  dl::no_grad guard;
  model.eval();
  const std::vector<int> ids = wp.encode(text);
  if (static_cast<int64_t>(ids.size()) > model.config.max_position_embeddings)
    throw dl::Error("the text is " + std::to_string(ids.size()) + " tokens long; the model reads at most " +
                    std::to_string(model.config.max_position_embeddings));
  const std::vector<int> mask(ids.size(), 1);
  const dl::Tensor logits = model.forward(ids, mask, 1, static_cast<int64_t>(ids.size()));  // (T, V)
  Json predictions = Json::array();
  const int mask_id = wp.id("[MASK]");
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] == mask_id)
      predictions.push_back({{"position", i}, {"top", top_tokens(logits, static_cast<int64_t>(i), k, wp)}});
  return {{"text", text}, {"input_ids", ids}, {"tokens", wp.tokens(ids)}, {"predictions", predictions}};
}

// The seed's flow: a sentence without [MASK], argmax at every position.
Json seed_flow(ch04::BertForMaskedLM& model, const dl::tokenize::WordPiece& wp) {
  dl::no_grad guard;
  model.eval();
  const std::vector<int> ids = wp.encode(kSeedText);
  const std::vector<int> mask(ids.size(), 1);
  const std::vector<int> best = dl::argmax(model.forward(ids, mask, 1, static_cast<int64_t>(ids.size())));
  int64_t copied = 0;
  for (size_t i = 0; i < ids.size(); ++i) copied += best[i] == ids[i];
  return {{"text", kSeedText}, {"input_ids", ids},          {"tokens", wp.tokens(ids)},
          {"argmax_ids", best}, {"argmax_tokens", wp.tokens(best)}, {"copied", copied}, {"total", ids.size()}};
}

// Attention probabilities of every layer and head for one sentence.
Json attention_map(ch04::BertForMaskedLM& model, const dl::tokenize::WordPiece& wp) {
  dl::no_grad guard;
  model.eval();
  const std::vector<int> ids = wp.encode(kAttentionText);
  const std::vector<int> mask(ids.size(), 1);
  const int64_t t = static_cast<int64_t>(ids.size());
  model.bert.keep_attention(true);
  model.encode(ids, mask, 1, t);
  model.bert.keep_attention(false);
  Json layers = Json::array();
  for (size_t l = 0; l < model.bert.layers.size(); ++l) {
    const dl::Tensor& a = model.bert.attention(l);  // (1,H,T,T)
    Json heads = Json::array();
    for (int64_t h = 0; h < a.size(1); ++h) {
      Json rows = Json::array();
      for (int64_t i = 0; i < t; ++i) {
        const float* r = a.data() + (h * t + i) * t;
        Json row = Json::array();
        for (int64_t j = 0; j < t; ++j) row.push_back(dl::app::json_float(r[j]));
        rows.push_back(row);
      }
      heads.push_back(rows);
    }
    layers.push_back(heads);
  }
  model.train();
  return {{"text", kAttentionText}, {"tokens", wp.tokens(ids)}, {"layers", model.bert.layers.size()},
          {"heads", model.config.num_attention_heads}, {"weights", layers}};
}

// The model of a saved hf/ folder.
std::unique_ptr<ch04::BertForMaskedLM> load_model(const std::string& dir) {
  const std::string config_path = dir + "/config.json";
  if (!fs::exists(config_path))
    throw dl::FileError(config_path + ": not found (train first with ./build/chapters/04-nlp/bert, or pass --model DIR)");
  const ch04::BertConfig config = ch04::BertConfig::from_json(dl::app::read_json_file(config_path), config_path);
  auto model = std::make_unique<ch04::BertForMaskedLM>(config);
  model->load_hf_state_dict(dl::load_safetensors(dir + "/model.safetensors"));
  return model;
}

int run_predict(const Options& o, const std::string& out_dir) {
  const std::string dir = o.model_dir.empty() ? out_dir + "/hf" : o.model_dir;
  const auto model = load_model(dir);
  const dl::tokenize::WordPiece wp = dl::tokenize::WordPiece::load(dir + "/vocab.txt");
  if (wp.vocab_size() != model->config.vocab_size)
    throw dl::Error(dir + "/vocab.txt has " + std::to_string(wp.vocab_size()) + " tokens; config.json says " +
                    std::to_string(model->config.vocab_size));
  Json result = predict_masks(*model, wp, o.predict, o.top);
  result.erase("text");
  if (o.json) {
    std::cout << result.dump() << '\n';
    return 0;
  }
  if (result["predictions"].empty())
    std::printf("no [MASK] in the text: write [MASK] where a word should be predicted\n");
  for (const Json& p : result["predictions"]) {
    std::printf("[MASK] at position %d:", p["position"].get<int>());
    for (const Json& c : p["top"]) std::printf("  %s %.3f", c["token"].get<std::string>().c_str(), c["prob"].get<double>());
    std::printf("\n");
  }
  return 0;
}

int run_train(const dl::app::Program& program, Options& o) {
  dl::app::Timer total_timer;
  const std::string& out_dir = program.common.out_dir;
  if (o.full) o.steps *= 6, o.corpus = "all", o.config.hidden_dropout_prob = 0.1f;
  if (o.warmup == 0) o.warmup = std::max<int64_t>(1, o.steps * 6 / 100);
  if (o.max_len > o.config.max_position_embeddings) o.config.max_position_embeddings = o.max_len;
  o.config.attention_probs_dropout_prob = o.config.hidden_dropout_prob;

  const dl::tokenize::WordPiece wp = dl::tokenize::WordPiece::load(o.vocab);
  o.config.vocab_size = wp.vocab_size();
  o.config.pad_token_id = wp.id("[PAD]");
  const int mask_id = wp.id("[MASK]");
  if (mask_id < 0 || o.config.pad_token_id < 0)
    throw dl::Error(o.vocab + ": no [MASK] or [PAD] token (expected bert-base-uncased's vocab.txt)");
  const std::vector<int> specials = {wp.id("[CLS]"), wp.id("[SEP]"), o.config.pad_token_id};
  o.config.validate();  // before the minutes of reading and tokenising

  // The texts: glosses of the train synsets (and fortunes); the validation glosses are the
  // held-out set; the test glosses (chapter 06's) are never read.
  const std::vector<ch04::Synset> synsets = ch04::read_wordnet(program.common.data_dir);
  std::vector<std::vector<int>> train;
  std::vector<std::vector<int>> held_texts;
  int64_t glosses = 0, fortunes = 0;
  for (const ch04::Synset& s : synsets) {
    const ch04::Split split = ch04::synset_split(s.offset);
    if (split == ch04::Split::train) train.push_back(encode(wp, s.gloss, o.max_len)), ++glosses;
    if (split == ch04::Split::validation) held_texts.push_back(encode(wp, s.gloss, o.max_len));
  }
  if (o.corpus == "all")
    for (const std::string& entry : ch04::read_english_fortunes(o.fortunes_dir))
      train.push_back(encode(wp, entry, o.max_len)), ++fortunes;
  if (train.empty() || held_texts.empty())
    throw dl::Error("no glosses to train on or to hold out in " + program.common.data_dir);

  dl::Generator gen(static_cast<uint64_t>(program.common.seed));
  std::vector<int64_t> held_order(held_texts.size());
  std::iota(held_order.begin(), held_order.end(), 0);
  gen.shuffle(held_order);
  held_order.resize(std::min<size_t>(held_order.size(), static_cast<size_t>(o.eval_texts)));

  const ch04::Unigram unigram(train, specials, o.config.vocab_size);
  HeldOut held;
  dl::Generator held_gen(static_cast<uint64_t>(program.common.seed) + 1);
  for (size_t start = 0; start < held_order.size(); start += static_cast<size_t>(o.batch)) {
    std::vector<const std::vector<int>*> texts;
    for (size_t i = start; i < std::min(held_order.size(), start + static_cast<size_t>(o.batch)); ++i)
      texts.push_back(&held_texts[static_cast<size_t>(held_order[i])]);
    Padded in = pad(texts, o.config.pad_token_id);
    const ch04::MaskedBatch m = ch04::mask_tokens(in.ids, specials, o.mask_prob, mask_id, o.config.vocab_size, held_gen);
    in.ids = m.ids;
    Targets t = targets_of(m.labels);
    for (int label : t.labels) held.unigram_nll += unigram.nll(label);
    held.tokens += static_cast<int64_t>(t.labels.size());
    held.batches.push_back(std::move(in));
    held.targets.push_back(std::move(t));
  }
  const double unigram_loss = held.unigram_nll / static_cast<double>(held.tokens);
  int64_t train_tokens = 0;
  for (const auto& t : train) train_tokens += static_cast<int64_t>(t.size());
  std::printf("texts: %lld glosses and %lld fortune entries to train on (%lld tokens), %zu held-out glosses "
              "(%lld masked tokens); the unigram baseline's loss on them is %.3f nats\n",
              static_cast<long long>(glosses), static_cast<long long>(fortunes), static_cast<long long>(train_tokens),
              held_order.size(), static_cast<long long>(held.tokens), unigram_loss);

  ch04::BertForMaskedLM model(o.config, gen);
  // [unigram-bias]
  // Start where the baseline is: the output bias at the log of each token's unigram
  // probability, so that the first predictions are the token frequencies and training spends
  // its steps on the context. (From 0, Adam moves a bias by about lr per step: thousands of
  // steps to learn frequencies that span ten nats.)
  for (int64_t v = 0; v < o.config.vocab_size; ++v)
    model.decoder_bias.data()[v] = static_cast<float>(-unigram.nll(static_cast<int>(v)));
  // [unigram-bias]
  std::printf("model: %lld parameters (%lld of them the word embeddings, shared with the output layer)\n",
              static_cast<long long>(model.num_parameters()),
              static_cast<long long>(model.bert.embeddings.word_embeddings.weight.numel()));
  dl::optim::MatrixDecayAdamW optimizer = ch04::bert_adamw(model, o.lr, o.weight_decay);
  const std::vector<dl::Tensor> params = model.parameters();

  dl::app::MetricsWriter metrics(out_dir + "/metrics.jsonl");
  dl::app::ProgressBar bar("bert", o.steps);
  dl::app::Timer timer;
  std::vector<int64_t> order(train.size());
  std::iota(order.begin(), order.end(), 0);
  gen.shuffle(order);
  size_t next = 0;
  int64_t tokens_seen = 0;
  double loss_sum = 0;
  int64_t loss_count = 0;
  Score last{};
  for (int64_t step = 1; step <= o.steps; ++step) {
    // [train-step]
    const float lr = o.lr * (step <= o.warmup ? static_cast<float>(step) / static_cast<float>(o.warmup)
                                              : static_cast<float>(o.steps - step + 1) / static_cast<float>(o.steps - o.warmup + 1));
    optimizer.set_lr(lr);
    std::vector<std::vector<int>> sequences(static_cast<size_t>(o.batch));
    for (auto& sequence : sequences) sequence = pack(train, order, next, o.max_len, gen);
    std::vector<const std::vector<int>*> texts;
    for (const auto& sequence : sequences) texts.push_back(&sequence);
    Padded in = pad(texts, o.config.pad_token_id);
    const ch04::MaskedBatch m = ch04::mask_tokens(in.ids, specials, o.mask_prob, mask_id, o.config.vocab_size, gen);
    in.ids = m.ids;
    const Targets targets = targets_of(m.labels);
    optimizer.zero_grad();
    const dl::Tensor loss = dl::cross_entropy(logits_at_targets(model, in, targets), targets.labels);
    loss.backward();
    dl::optim::clip_grad_norm(params, o.clip);
    optimizer.step();
    // [train-step]
    for (int v : in.mask) tokens_seen += v;
    loss_sum += loss.item(), ++loss_count;
    if (step % kLogEvery == 0 || step == o.steps) {
      metrics.write({{"step", step}, {"loss", loss_sum / static_cast<double>(loss_count)}, {"lr", dl::app::json_float(lr)},
                     {"tokens", tokens_seen}, {"seconds", timer.seconds()}});
      bar.update(step, loss_sum / static_cast<double>(loss_count));
      loss_sum = 0, loss_count = 0;
    }
    if (step % o.eval_every == 0 || step == o.steps) {
      last = evaluate(model, held);
      metrics.write({{"step", step}, {"mlm_loss", last.loss}, {"mlm_accuracy", last.accuracy}, {"seconds", timer.seconds()}});
    }
  }
  bar.finish();
  const double train_seconds = timer.seconds();
  std::printf("%lld steps in %.1f s (%.0f tokens/s); held-out masked-LM loss %.3f nats (unigram %.3f), accuracy %.3f\n",
              static_cast<long long>(o.steps), train_seconds, static_cast<double>(tokens_seen) / train_seconds, last.loss,
              unigram_loss, last.accuracy);

  // The model in Hugging Face's layout.
  const std::string hf = out_dir + "/hf";
  ch04::save_hf_folder(hf, model.config.to_json(), model.hf_state_dict(), o.vocab, model.config.max_position_embeddings);

  Json examples = Json::array();
  for (const std::string& text : kExamples) {
    Json e = predict_masks(model, wp, text, 5);
    std::printf("%s ->", text.c_str());
    for (const Json& p : e["predictions"]) std::printf(" %s", p["top"][0]["token"].get<std::string>().c_str());
    std::printf("\n");
    examples.push_back(e);
  }
  const Json seed = seed_flow(model, wp);
  std::printf("the seed's flow (\"%s\", no [MASK]): argmax gives back %lld of its %lld tokens\n", kSeedText,
              static_cast<long long>(seed["copied"].get<int64_t>()), static_cast<long long>(seed["total"].get<int64_t>()));
  dl::app::write_json_file(out_dir + "/predictions.json", {{"examples", examples}, {"seed", seed}});
  dl::app::write_json_file(out_dir + "/attention.json", attention_map(model, wp), 0);

  const Json results = {{"mlm_loss", last.loss},
                        {"mlm_accuracy", last.accuracy},
                        {"unigram_mlm_loss", unigram_loss},
                        {"train_seconds", train_seconds},
                        {"total_seconds", total_timer.seconds()},
                        {"parameters", model.num_parameters()},
                        {"tokens_seen", tokens_seen},
                        {"steps", o.steps},
                        {"heldout_masked_tokens", held.tokens},
                        {"data", {{"train_texts", train.size()}, {"glosses", glosses}, {"fortune_entries", fortunes},
                                  {"train_tokens", train_tokens}, {"heldout_texts", held_order.size()}}},
                        {"settings", {{"hidden", o.config.hidden_size}, {"layers", o.config.num_hidden_layers},
                                      {"heads", o.config.num_attention_heads}, {"intermediate", o.config.intermediate_size},
                                      {"max_len", o.max_len}, {"batch", o.batch}, {"lr", dl::app::json_float(o.lr)},
                                      {"warmup", o.warmup}, {"mask_prob", dl::app::json_float(o.mask_prob)},
                                      {"dropout", dl::app::json_float(o.config.hidden_dropout_prob)},
                                      {"weight_decay", dl::app::json_float(o.weight_decay)},
                                      {"clip", dl::app::json_float(o.clip)}, {"corpus", o.corpus}}}};
  dl::app::write_json_file(out_dir + "/summary.json",
                           dl::app::make_summary(kChapter, results, {{"seed", program.common.seed},
                                                                     {"threads", program.common.threads}}));
  std::printf("%.1f s in all; results in %s, the model in %s\n", total_timer.seconds(), out_dir.c_str(), hf.c_str());
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  return dl::app::run_program("bert", argc, argv, [](dl::app::Program& program) {
    Options o;
    program.cli().description(
        "Pretrain a small BERT with the masked-language-model objective on WordNet's glosses, tokenised with "
        "bert-base-uncased's WordPiece, save it in Hugging Face's layout, and fill in [MASK]s with it (chapter 04).");
    o.add_to(program.cli());
    program.common.data_dir = ch04::kWordNetDir;
    program.common.threads = 2;
    program.parse();
    // --out defaults to build/results/04-nlp-bert, or 04-nlp-bert-full for --full (chapter 06
    // fine-tunes either; a --full run does not replace the default one).
    if (program.common.out_dir.empty()) program.common.out_dir = dl::app::results_dir(o.full ? kFullRun : kRun);
    if (!o.predict.empty()) return run_predict(o, program.common.out_dir);
    return run_train(program, o);
  });
}

// Chapter 05: the saved-model folder, training windows, evaluation, GPT's AdamW groups and
// the couplets of the poems.
#include "gpt.hpp"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include <dl/io.hpp>
#include <dl/ops.hpp>
#include <dl/utf8.hpp>

namespace ch05 {

namespace fs = std::filesystem;

void save_pretrained(const std::string& dir, const dl::nn::GPT& model, const dl::data::CharVocab& vocab) {
  fs::create_directories(dir);
  dl::write_file_atomically(dir + "/config.json", model.config.to_json());
  dl::save_safetensors(dir + "/model.safetensors", model.hf_state_dict(), {{"format", "pt"}});
  // Our tokens are characters: vocab.json maps each to its id, as GPT-2's vocab.json maps its
  // byte-level tokens (id 0 is <unk>, the characters seen fewer than twice in training).
  nlohmann::ordered_json tokens = {{"<unk>", 0}};
  const std::u32string characters = dl::decode_utf8(vocab.characters(), "vocabulary");
  for (size_t i = 0; i < characters.size(); ++i) tokens[dl::encode_utf8(std::u32string(1, characters[i]))] = i + 1;
  dl::write_file_atomically(dir + "/vocab.json", tokens.dump(1) + "\n");
}

std::u32string read_vocab(const std::string& json, const std::string& path) {
  const nlohmann::json tokens = nlohmann::json::parse(json, nullptr, false);
  if (!tokens.is_object()) throw dl::FileError(path + ": not a JSON object of token -> id");
  if (!tokens.contains("<unk>") || tokens["<unk>"] != 0) throw dl::FileError(path + ": no \"<unk>\": 0 entry");
  // Characters in id order; every id from 1 to size-1 exactly once.
  std::u32string characters(tokens.size() - 1, U'\0');
  std::vector<bool> taken(characters.size(), false);
  for (const auto& [token, id] : tokens.items()) {
    if (!id.is_number_integer()) throw dl::FileError(path + ": the id of " + token + " is not an integer");
    const int64_t i = id.get<int64_t>();
    if (i == 0 && token == "<unk>") continue;
    const std::u32string c = dl::decode_utf8(token, path);
    if (c.size() != 1 || i < 1 || i > static_cast<int64_t>(characters.size()) || taken[static_cast<size_t>(i - 1)])
      throw dl::FileError(path + ": token " + token + " with id " + std::to_string(i) +
                          " is not one character with a unique id from 1 to " + std::to_string(characters.size()));
    characters[static_cast<size_t>(i - 1)] = c[0];
    taken[static_cast<size_t>(i - 1)] = true;
  }
  return characters;
}

Pretrained load_pretrained(const std::string& dir) {
  const std::string config_path = dir + "/config.json", vocab_path = dir + "/vocab.json";
  if (!fs::is_directory(dir))
    throw dl::FileError(dir + ": no saved model here (train one first: ./book run gpt, or pass --model DIR)");
  const dl::nn::GPTConfig config = dl::nn::GPTConfig::from_json(dl::read_file(config_path, "a GPT-2 config.json", 1 << 20), config_path);
  const std::u32string characters = read_vocab(dl::read_file(vocab_path, "a vocab.json", 64 << 20), vocab_path);
  const int64_t tokens = static_cast<int64_t>(characters.size()) + 1;  // and <unk>
  if (tokens != config.vocab_size)
    throw dl::FileError(vocab_path + ": " + std::to_string(tokens) + " tokens, but config.json says vocab_size " +
                        std::to_string(config.vocab_size));
  Pretrained p{config, std::make_unique<dl::nn::GPT>(config), dl::data::CharVocab::from_characters(characters)};
  try {
    p.model->load_hf_state_dict(dl::load_safetensors(dir + "/model.safetensors"));
  } catch (const dl::FileError&) {
    throw;
  } catch (const dl::Error& e) {
    throw dl::FileError(dir + "/model.safetensors: " + e.what());
  }
  p.model->eval();
  return p;
}

dl::nn::GPTConfig default_config(int64_t vocab_size) {
  return {.vocab_size = vocab_size, .n_positions = 128, .n_embd = 128, .n_layer = 4, .n_head = 4,
          .embd_pdrop = 0.0f, .resid_pdrop = 0.0f, .attn_pdrop = 0.0f};
}

// [windows]
void random_windows(std::span<const int> stream, int64_t batch, int64_t steps, dl::Generator& gen,
                    std::vector<int>& inputs, std::vector<int>& targets) {
  const int64_t n = static_cast<int64_t>(stream.size());
  if (n < steps + 1)
    throw dl::Error("random_windows: a stream of " + std::to_string(n) + " tokens is shorter than one window of " +
                    std::to_string(steps + 1));
  inputs.resize(static_cast<size_t>(batch * steps));
  targets.resize(inputs.size());
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t start = static_cast<int64_t>(gen.below(static_cast<uint64_t>(n - steps)));
    std::copy_n(stream.begin() + start, steps, inputs.begin() + b * steps);
    std::copy_n(stream.begin() + start + 1, steps, targets.begin() + b * steps);  // the next token of each
  }
}
// [windows]

// [evaluate]
double evaluate(dl::nn::GPT& model, std::span<const int> stream, int64_t batch) {
  const int64_t context = model.config.n_positions, n = static_cast<int64_t>(stream.size());
  if (n < 2) throw dl::Error("evaluate: the stream needs at least two tokens");
  const int64_t stride = std::max<int64_t>(1, context / 2);
  // Window starts; a window predicts tokens start+1 .. start+len, scoring from `first`.
  struct Window {
    int64_t start, length, first;
  };
  std::vector<Window> windows;
  for (int64_t start = 0;; start += stride) {
    const int64_t length = std::min(context, n - 1 - start);
    windows.push_back({start, length, start == 0 ? 0 : context - stride});
    if (start + length >= n - 1) break;
  }
  const bool was_training = model.is_training();
  model.eval();
  dl::no_grad guard;
  double nll = 0;
  int64_t scored = 0;
  for (size_t w = 0, end = 0; w < windows.size(); w = end) {
    // Windows of one length run together; the last, shorter one runs alone.
    end = std::min(windows.size(), w + static_cast<size_t>(batch));
    while (windows[end - 1].length != windows[w].length) --end;
    const int64_t t = windows[w].length, b = static_cast<int64_t>(end - w);
    std::vector<int> inputs, targets;
    for (size_t i = w; i < end; ++i) {
      const Window& win = windows[i];
      inputs.insert(inputs.end(), stream.begin() + win.start, stream.begin() + win.start + t);
      for (int64_t j = 0; j < t; ++j) targets.push_back(j >= win.first ? stream[static_cast<size_t>(win.start + j + 1)] : -100);
    }
    int64_t counted = 0;
    for (int target : targets) counted += target != -100;
    if (counted == 0) continue;
    const dl::Tensor loss = dl::cross_entropy(model.forward(inputs, b, t), targets);
    nll += static_cast<double>(loss.item()) * static_cast<double>(counted);
    scored += counted;
  }
  model.train(was_training);
  return nll / static_cast<double>(scored);
}
// [evaluate]

dl::optim::MatrixDecayAdamW gpt_adamw(const dl::nn::GPT& model, float lr, float weight_decay) {
  return {model.parameters(), {.lr = lr, .beta2 = 0.95f, .weight_decay = weight_decay}};
}

bool closes_sentence(char32_t c) { return c == U'。' || c == U'！' || c == U'？' || c == U'；'; }

// [couplets]
std::vector<Couplet> couplets_of(const std::vector<dl::data::TextEntry>& entries) {
  std::vector<Couplet> out;
  for (const dl::data::TextEntry& entry : entries) {
    if (entry.title.empty() || entry.author.empty()) continue;  // a saying, not a poem
    // The poem's lines cut after every comma and closing mark: 兰叶春葳蕤，|桂华秋皎洁。|...
    std::vector<std::u32string> lines{U""};
    for (char32_t c : dl::decode_utf8(entry.body, "poem")) {
      if (c == U'\n') continue;
      lines.back() += c;
      if (c == U'，' || closes_sentence(c)) lines.emplace_back();
    }
    for (size_t i = 0; i + 1 < lines.size(); ++i) {
      const std::u32string &x = lines[i], &y = lines[i + 1];
      if (x.size() >= 2 && y.size() >= 2 && x.back() == U'，' && closes_sentence(y.back())) out.push_back({x, y});
    }
  }
  return out;
}
// [couplets]

}  // namespace ch05

// Chapter 05: natural language generation. A GPT (dl::nn::GPT) pretrained on chapter 03's
// corpus and split, saved in Hugging Face's GPT2LMHeadModel layout, and the couplet task
// that makes the x of P(y|x) real.
#pragma once

#include <memory>
#include <string>

#include <dl/gpt.hpp>
#include <dl/text.hpp>

namespace ch05 {

/// A trained model as it lives on disk: the Hugging Face folder (config.json,
/// model.safetensors) and our character vocabulary (vocab.json: character -> id).
struct Pretrained {
  dl::nn::GPTConfig config;
  std::unique_ptr<dl::nn::GPT> model;
  dl::data::CharVocab vocab;
};

/// Writes `dir`/config.json, model.safetensors (Hugging Face names and layouts) and
/// vocab.json, each atomically; creates `dir`.
void save_pretrained(const std::string& dir, const dl::nn::GPT& model, const dl::data::CharVocab& vocab);

/// The characters of a vocab.json that `save_pretrained` wrote (`"<unk>": 0`, then one
/// character per id from 1 to size-1), in id order: character i has id i+1. Throws
/// dl::FileError naming `path` when the text is not such an object.
std::u32string read_vocab(const std::string& json, const std::string& path);

/// Reads what `save_pretrained` wrote. Throws dl::FileError naming the file for a missing
/// folder or file, a wrong config, misshapen tensors, or a vocabulary that does not match
/// the config's vocab_size.
Pretrained load_pretrained(const std::string& dir);

}  // namespace ch05

#include <span>
#include <vector>

#include <dl/optim.hpp>

namespace ch05 {

/// The gpt program's default model for a vocabulary of `vocab_size` characters (width 128,
/// 4 blocks of 4 heads, 128 positions, no dropout), and its default batch: bench_gpt and
/// compare_torch.py time this model.
dl::nn::GPTConfig default_config(int64_t vocab_size);
constexpr int64_t kDefaultBatch = 32;

/// `batch` windows of `steps` + 1 tokens from random places of `stream`: inputs are the
/// first `steps` tokens of each, targets the same shifted by one. B*T row-major each.
void random_windows(std::span<const int> stream, int64_t batch, int64_t steps, dl::Generator& gen,
                    std::vector<int>& inputs, std::vector<int>& targets);

/// Mean nats per token of `model` predicting `stream` (evaluation mode). Windows of the
/// model's context slide by half of it, and each token after the first window is scored
/// in the window's second half, so every scored token sees at least context/2 tokens
/// before it (the first window scores all of its own).
double evaluate(dl::nn::GPT& model, std::span<const int> stream, int64_t batch = 16);

/// AdamW as GPT-2 is usually trained: weight decay on the weight matrices and embeddings,
/// none on biases and LayerNorm's parameters; betas (0.9, 0.95).
dl::optim::MatrixDecayAdamW gpt_adamw(const dl::nn::GPT& model, float lr, float weight_decay);

/// A couplet from a poem: a line x that closes with a comma and the line y that follows it
/// (closing with 。！？ or ；): "白日依山尽，" -> "黄河入海流。"
struct Couplet {
  std::u32string x, y;
};

/// Every couplet of the poems among `entries` (those with a title and an author).
std::vector<Couplet> couplets_of(const std::vector<dl::data::TextEntry>& entries);

/// True for the marks that close a sentence in a poem: 。！？；
bool closes_sentence(char32_t c);

}  // namespace ch05

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

/// Reads what `save_pretrained` wrote. Throws dl::FileError naming the file for a missing
/// folder or file, a wrong config, misshapen tensors, or a vocabulary that does not match
/// the config's vocab_size.
Pretrained load_pretrained(const std::string& dir);

}  // namespace ch05

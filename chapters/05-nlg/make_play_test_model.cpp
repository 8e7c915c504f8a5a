// A tiny untrained GPT saved the way ./book run gpt saves the real one, for the playground's
// tests (check_play.py): they need a model folder but not a trained model.
//
//   make_play_test_model DIR
#include <iostream>

#include "gpt.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_play_test_model DIR\n";
    return 2;
  }
  try {
    // A few characters of a poem and the new line; no end mark '%', so that every request
    // writes the tokens it asks for (or fills the context).
    const auto vocab = dl::data::CharVocab(U"床前明月光，疑是地上霜。举头望明月，低头思故乡。\n");
    dl::nn::GPTConfig config;
    config.vocab_size = vocab.size();
    config.n_positions = 64;  // short, so that a long request meets the end of the context
    config.n_embd = 16;
    config.n_layer = 2;
    config.n_head = 2;
    dl::Generator gen(1);
    dl::nn::GPT model(config, gen);
    ch05::save_pretrained(argv[1], model, vocab);
  } catch (const std::exception& e) {
    std::cerr << "make_play_test_model: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

// The C++ half of check_gpt.py: a small GPT with random weights, saved the way the gpt
// program saves its model (DIR/hf), and one training step's numbers (DIR/step.safetensors):
//   in.ids, in.targets   the batch (ids stored as floats; -100 marks an ignored target)
//   out.logits           the scores (B*T, V)
//   loss                 the mean cross-entropy
//   grad.<name>          each parameter's gradient, under Hugging Face's names and layouts
//   adamw.<name>         each parameter after one step of GPT's AdamW (ch05::gpt_adamw)
// metadata: the batch shape and the optimiser's settings.
//
// usage: gpt_dump DIR
#include <cstdio>
#include <exception>
#include <string>

#include <dl/io.hpp>
#include <dl/ops.hpp>

#include "gpt.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: gpt_dump DIR\n");
    return 2;
  }
  try {
    const std::string dir = argv[1];
    const dl::data::CharVocab vocab(U"白日依山尽，黄河入海流。欲穷千里目，更上一层楼。\n%", 1);
    const dl::nn::GPTConfig config{.vocab_size = vocab.size(), .n_positions = 16, .n_embd = 16, .n_layer = 2, .n_head = 4,
                                   .embd_pdrop = 0.0f, .resid_pdrop = 0.0f, .attn_pdrop = 0.0f};
    dl::Generator gen(2024);
    dl::nn::GPT model(config, gen);
    // Weights well above GPT-2's 0.02 so that every part moves the scores by more than float noise.
    for (auto& [name, t] : model.named_parameters())
      for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] += 0.2f * gen.normal();
    ch05::save_pretrained(dir + "/hf", model, vocab);

    const int64_t batch = 3, steps = 10;
    std::vector<int> ids(static_cast<size_t>(batch * steps)), targets(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      ids[i] = static_cast<int>(gen.below(static_cast<uint64_t>(config.vocab_size)));
      targets[i] = i % 7 == 2 ? -100 : static_cast<int>(gen.below(static_cast<uint64_t>(config.vocab_size)));
    }
    const float lr = 1e-2f, weight_decay = 0.1f;
    dl::optim::MatrixDecayAdamW optimizer = ch05::gpt_adamw(model, lr, weight_decay);
    optimizer.zero_grad();
    const dl::Tensor logits = model.forward(ids, batch, steps);
    const dl::Tensor loss = dl::cross_entropy(logits, targets);
    loss.backward();

    dl::NamedTensors out;
    const auto as_floats = [](const std::vector<int>& v) {
      std::vector<float> f(v.begin(), v.end());
      return dl::Tensor::from_data({static_cast<int64_t>(v.size())}, f);
    };
    out.emplace_back("in.ids", as_floats(ids));
    out.emplace_back("in.targets", as_floats(targets));
    out.emplace_back("out.logits", logits.detach());
    out.emplace_back("loss", loss.detach());
    // The gradients in Hugging Face's layout: a model whose weights are the gradients.
    dl::nn::GPT grads(config, gen);
    dl::NamedTensors g;
    for (const auto& [name, t] : model.named_parameters()) g.emplace_back(name, t.grad());
    grads.load_state_dict(g);
    for (auto& [name, t] : grads.hf_state_dict()) out.emplace_back("grad." + name, t);
    optimizer.step();
    for (auto& [name, t] : model.hf_state_dict()) out.emplace_back("adamw." + name, t);
    dl::save_safetensors(dir + "/step.safetensors", out,
                         {{"batch", std::to_string(batch)}, {"steps", std::to_string(steps)}, {"lr", std::to_string(lr)},
                          {"weight_decay", std::to_string(weight_decay)}});
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpt_dump: %s\n", e.what());
    return 1;
  }
}

#include "encoder.hpp"

#include <algorithm>
#include <map>
#include <numeric>

namespace ch06 {

EncoderBatch encoder_batch(std::span<const Example* const> examples, const SpecialIds& specials, int64_t max_len) {
  EncoderBatch b;
  b.batch = static_cast<int64_t>(examples.size());
  const size_t room = static_cast<size_t>(std::max<int64_t>(max_len - 2, 0));
  for (const Example* e : examples) b.steps = std::max<int64_t>(b.steps, static_cast<int64_t>(std::min(e->pieces.size(), room)) + 2);
  b.ids.assign(static_cast<size_t>(b.batch * b.steps), specials.pad);
  b.mask.assign(b.ids.size(), 0);
  for (int64_t i = 0; i < b.batch; ++i) {
    const Example& e = *examples[static_cast<size_t>(i)];
    const size_t n = std::min(e.pieces.size(), room);
    int* row = b.ids.data() + i * b.steps;
    row[0] = specials.cls;
    std::copy_n(e.pieces.begin(), n, row + 1);
    row[n + 1] = specials.sep;
    std::fill_n(b.mask.begin() + i * b.steps, n + 2, 1);
    b.labels.push_back(e.label);
  }
  return b;
}

BertClassifier::BertClassifier(const ch04::BertConfig& c, dl::Generator& gen)
    : config((c.validate(), c)), bert(c, gen), pooler(c.hidden_size, c.hidden_size, true, gen),
      classifier(c.hidden_size, kClasses, true, gen), gen_(&gen) {
  register_module("bert", bert);
  register_module("bert.pooler.dense", pooler);
  register_module("classifier", classifier);
  // As BERT initialises every dense layer: N(0, range^2), biases 0.
  for (dl::nn::Linear* l : {&pooler, &classifier}) {
    float* w = l->weight.data();
    for (int64_t i = 0; i < l->weight.numel(); ++i) w[i] = c.initializer_range * gen.normal();
    l->bias.fill_(0.0f);
  }
}

// [classifier-forward]
dl::Tensor BertClassifier::forward(const EncoderBatch& in) {
  const dl::Tensor h = bert.encode(in.ids, in.mask, in.batch, in.steps);                          // (B,T,E)
  const dl::Tensor first = dl::reshape(dl::slice(h, 1, 0, 1), {in.batch, config.hidden_size});  // [CLS]: (B,E)
  const dl::Tensor pooled = dl::tanh(pooler(first));
  return classifier(dl::dropout(pooled, config.hidden_dropout_prob, is_training(), *gen_));  // (B,K)
}
// [classifier-forward]

namespace {
// Hugging Face's name of a parameter of the classifier: the encoder's through ch04::hf_name,
// the pooler's and classifier's are theirs already.
std::string classifier_hf_name(const std::string& name) {
  return name.starts_with("bert.pooler.") || name.starts_with("classifier.") ? name : ch04::hf_name(name);
}
}  // namespace

void BertClassifier::load_pretrained_encoder(const dl::NamedTensors& mlm_state) {
  std::map<std::string, dl::Tensor> given(mlm_state.begin(), mlm_state.end());
  bert.load_state_dict(ch04::take_hf_tensors(bert, given, ch04::hf_name, "pretrained BERT"));  // the rest: the MLM head
}

dl::NamedTensors BertClassifier::hf_state_dict() const {
  dl::NamedTensors out;
  for (const auto& [name, t] : named_parameters()) out.emplace_back(classifier_hf_name(name), t);
  return out;
}

void BertClassifier::load_hf_state_dict(const dl::NamedTensors& state) {
  std::map<std::string, dl::Tensor> given(state.begin(), state.end());
  const dl::NamedTensors ours = ch04::take_hf_tensors(*this, given, classifier_hf_name, "BERT classifier checkpoint");
  given.erase("bert.embeddings.position_ids");
  if (!given.empty()) throw dl::Error("BERT classifier checkpoint: unexpected tensor " + given.begin()->first);
  load_state_dict(ours);
}

nlohmann::json BertClassifier::config_json() const {
  nlohmann::json j = config.to_json();
  j["architectures"] = {"BertForSequenceClassification"};
  nlohmann::json id2label = nlohmann::json::object(), label2id = nlohmann::json::object();
  for (int c = 0; c < kClasses; ++c) {
    id2label[std::to_string(c)] = supersense_names()[static_cast<size_t>(c)];
    label2id[supersense_names()[static_cast<size_t>(c)]] = c;
  }
  j["id2label"] = id2label;
  j["label2id"] = label2id;
  j["problem_type"] = "single_label_classification";
  return j;
}


int64_t fine_tune(BertClassifier& model, std::span<const Example> train, const SpecialIds& specials,
                  const FineTuneOptions& o, uint64_t seed, const StepCallback& on_step) {
  if (train.empty()) throw dl::Error("fine_tune: no training examples");
  dl::Generator gen(seed);
  const int64_t per_epoch = (static_cast<int64_t>(train.size()) + o.batch - 1) / o.batch;
  const int64_t epochs = std::max<int64_t>(o.epochs, (o.min_steps + per_epoch - 1) / per_epoch);
  const int64_t steps = per_epoch * epochs, warmup = std::max<int64_t>(1, steps / 10);
  dl::optim::MatrixDecayAdamW optimizer(model.parameters(),
                                        {.lr = o.lr, .beta2 = 0.98f, .eps = 1e-6f, .weight_decay = o.weight_decay});
  const std::vector<dl::Tensor> params = model.parameters();
  std::vector<size_t> lengths;
  for (const Example& e : train) lengths.push_back(e.pieces.size());
  model.train();
  int64_t step = 0;
  double loss_sum = 0;
  int64_t loss_count = 0;
  for (int64_t epoch = 0; epoch < epochs; ++epoch)
    for (const std::vector<int64_t>& indices : length_batches(lengths, o.batch, 50, /*keep_partial=*/true, gen)) {
      std::vector<const Example*> examples;
      for (int64_t i : indices) examples.push_back(&train[static_cast<size_t>(i)]);
      ++step;
      // [fine-tune-step]
      const float lr = o.lr * (step <= warmup ? static_cast<float>(step) / static_cast<float>(warmup)
                                              : static_cast<float>(steps - step + 1) / static_cast<float>(steps - warmup + 1));
      optimizer.set_lr(lr);
      const EncoderBatch in = encoder_batch(examples, specials, o.max_len);
      optimizer.zero_grad();
      const dl::Tensor loss = dl::cross_entropy(model.forward(in), in.labels);
      loss.backward();
      dl::optim::clip_grad_norm(params, o.clip);
      optimizer.step();
      // [fine-tune-step]
      loss_sum += loss.item(), ++loss_count;
      if (on_step && (step % 20 == 0 || step == steps)) {
        on_step(step, steps, loss_sum / static_cast<double>(loss_count));
        loss_sum = 0, loss_count = 0;
      }
    }
  return step;
}

Probabilities predict_proba(BertClassifier& model, std::span<const Example> examples, const SpecialIds& specials,
                            int64_t max_len) {
  dl::no_grad guard;
  model.eval();
  // Sorted by length so that batches pad little; the probabilities go back in the given order.
  std::vector<int64_t> order(examples.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return examples[static_cast<size_t>(a)].pieces.size() < examples[static_cast<size_t>(b)].pieces.size();
  });
  Probabilities probs(examples.size() * kClasses);
  for (size_t start = 0; start < order.size(); start += 128) {
    std::vector<const Example*> batch;
    for (size_t i = start; i < std::min(order.size(), start + 128); ++i) batch.push_back(&examples[static_cast<size_t>(order[i])]);
    const dl::Tensor p = dl::softmax(model.forward(encoder_batch(batch, specials, max_len)), -1);
    for (size_t i = 0; i < batch.size(); ++i)
      std::copy_n(p.data() + i * kClasses, kClasses, probs.begin() + order[start + i] * kClasses);
  }
  model.train();
  return probs;
}

}  // namespace ch06

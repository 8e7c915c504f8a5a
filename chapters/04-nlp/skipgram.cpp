// Chapter 04: the vocabulary, subsampling, the unigram table and the skip-gram training loop.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <dl/error.hpp>
#include <dl/random.hpp>
#include <exception>
#include <numeric>
#include <omp.h>

#include "word2vec.hpp"

namespace ch04 {

Vocabulary::Vocabulary(const std::vector<std::vector<std::string>>& sentences, int64_t min_count) {
  std::unordered_map<std::string, int64_t> counts;
  for (const auto& sentence : sentences)
    for (const std::string& w : sentence) ++counts[w];
  std::vector<std::pair<std::string, int64_t>> kept;
  for (auto& [w, c] : counts)
    if (c >= min_count) kept.emplace_back(w, c);
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  for (auto& [w, c] : kept) {
    ids_.emplace(w, static_cast<int>(words_.size()));
    words_.push_back(w);
    counts_.push_back(c);
    total_ += c;
  }
}

int Vocabulary::id(const std::string& word) const {
  const auto it = ids_.find(word);
  return it == ids_.end() ? -1 : it->second;
}

std::vector<std::vector<int>> Vocabulary::encode(const std::vector<std::vector<std::string>>& sentences) const {
  std::vector<std::vector<int>> out;
  out.reserve(sentences.size());
  for (const auto& sentence : sentences) {
    std::vector<int> ids;
    ids.reserve(sentence.size());
    for (const std::string& w : sentence)
      if (const int i = id(w); i >= 0) ids.push_back(i);
    if (!ids.empty()) out.push_back(std::move(ids));
  }
  return out;
}

// [subsample-impl]
std::vector<float> keep_probabilities(std::span<const int64_t> counts, double t) {
  const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
  std::vector<float> keep(counts.size(), 1.0f);
  if (t <= 0) return keep;
  for (size_t w = 0; w < counts.size(); ++w) {
    const double f = static_cast<double>(counts[w]) / total;  // the word's share of the corpus
    keep[w] = static_cast<float>(std::min(1.0, (std::sqrt(f / t) + 1) * t / f));
  }
  return keep;
}
// [subsample-impl]

// [unigram-table-impl]
std::vector<int> unigram_table(std::span<const int64_t> counts, double power, int64_t size) {
  if (counts.empty() || size < 1) throw dl::Error("unigram_table: needs at least one word and one cell");
  double norm = 0;
  for (int64_t c : counts) norm += std::pow(static_cast<double>(c), power);
  std::vector<int> table(static_cast<size_t>(size));
  size_t w = 0;
  double end = std::pow(static_cast<double>(counts[0]), power) / norm;  // where word w's share ends, in [0, 1]
  for (int64_t cell = 0; cell < size; ++cell) {
    const double at = (static_cast<double>(cell) + 0.5) / static_cast<double>(size);  // the cell's middle
    while (at >= end && w + 1 < counts.size()) end += std::pow(static_cast<double>(counts[++w]), power) / norm;
    table[static_cast<size_t>(cell)] = static_cast<int>(w);
  }
  return table;
}
// [unigram-table-impl]

namespace {

// A small, fast random stream per thread (splitmix64): the training loop draws several
// numbers per word, so the generator must cost next to nothing.
struct FastRandom {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  float uniform() { return static_cast<float>(next() >> 40) * 0x1.0p-24f; }  // in [0, 1)
  // In [0, n) by a multiply instead of a division (Lemire's method; n < 2^32).
  uint64_t below(uint64_t n) { return ((next() >> 32) * n) >> 32; }
};

}  // namespace

dl::Tensor skipgram_embeddings(const SkipGram& model) {
  dl::Tensor sum = model.input.clone();
  const float* u = model.output.data();
  float* e = sum.data();
  for (int64_t i = 0; i < sum.numel(); ++i) e[i] += u[i];
  return sum;
}

// [train-loop]
SkipGram train_skipgram(const std::vector<std::vector<int>>& sentences, const Vocabulary& vocab,
                        const SkipGramOptions& o, const std::function<void(const SkipGramLog&)>& log) {
  if (vocab.size() == 0 || sentences.empty()) throw dl::Error("train_skipgram: the corpus is empty");
  if (o.dim < 1 || o.window < 1 || o.negatives < 0 || o.epochs < 1 || o.threads < 1)
    throw dl::Error("train_skipgram: dim, window, epochs and threads must be positive, negatives not negative");
  const int64_t V = vocab.size(), D = o.dim;
  dl::Generator gen(o.seed);
  SkipGram model{dl::Tensor::uniform({V, D}, -0.5f / static_cast<float>(D), 0.5f / static_cast<float>(D), gen),
                 dl::Tensor::zeros({V, D})};
  float* W_in = model.input.data();
  float* W_out = model.output.data();
  const std::vector<float> keep = keep_probabilities(vocab.counts(), o.subsample);
  const std::vector<int> table = unigram_table(vocab.counts(), kUnigramPower, o.table_size);

  // Sentences in a seeded random order, cut into one contiguous slice per thread.
  std::vector<int64_t> order(sentences.size());
  std::iota(order.begin(), order.end(), 0);
  gen.shuffle(order);
  int64_t corpus_words = 0;
  for (const auto& s : sentences) corpus_words += static_cast<int64_t>(s.size());
  const int64_t total = corpus_words * o.epochs;

  std::atomic<int64_t> done{0};  // words processed by all threads: drives the learning rate
  std::atomic<bool> stop{false};
  std::exception_ptr error;
#pragma omp parallel num_threads(o.threads)
  {
    const int thread = omp_get_thread_num(), threads = omp_get_num_threads();
    const size_t begin = order.size() * static_cast<size_t>(thread) / static_cast<size_t>(threads);
    const size_t end = order.size() * static_cast<size_t>(thread + 1) / static_cast<size_t>(threads);
    FastRandom rng{o.seed * 0x2545F4914F6CDD1Dull + static_cast<uint64_t>(thread) + 1};
    std::vector<float> grad_v(static_cast<size_t>(D));
    std::vector<const float*> u(static_cast<size_t>(o.negatives + 1));
    std::vector<float*> grad_u(u.size());
    std::vector<int> kept;
    double loss_sum = 0;
    int64_t examples = 0, next_log = o.log_every;
    for (int64_t epoch = 0; epoch < o.epochs && !stop; ++epoch) {
      // Each pass reads the thread's slice in a new order (Fisher-Yates on its own stream).
      for (size_t n = end; n > begin + 1; --n) std::swap(order[n - 1], order[begin + rng.below(n - begin)]);
      for (size_t n = begin; n < end && !stop; ++n) {
        const std::vector<int>& sentence = sentences[static_cast<size_t>(order[n])];
        const int64_t now = done.fetch_add(static_cast<int64_t>(sentence.size()), std::memory_order_relaxed);
        const float lr = o.lr * std::max(1e-4f, 1.0f - static_cast<float>(now) / static_cast<float>(total + 1));
        // Subsampling: each occurrence of w survives with probability keep[w].
        kept.clear();
        for (int w : sentence)
          if (keep[static_cast<size_t>(w)] >= 1.0f || rng.uniform() < keep[static_cast<size_t>(w)]) kept.push_back(w);
        const int64_t length = static_cast<int64_t>(kept.size());
        for (int64_t pos = 0; pos < length; ++pos) {
          float* v_c = W_in + static_cast<int64_t>(kept[static_cast<size_t>(pos)]) * D;
          const int64_t b = 1 + static_cast<int64_t>(rng.below(static_cast<uint64_t>(o.window)));  // this centre's window
          for (int64_t q = std::max<int64_t>(0, pos - b); q <= std::min(length - 1, pos + b); ++q) {
            if (q == pos) continue;
            const int context = kept[static_cast<size_t>(q)];
            int64_t rows = 0;
            grad_u[0] = W_out + static_cast<int64_t>(context) * D;
            u[static_cast<size_t>(rows++)] = grad_u[0];
            for (int64_t k = 0; k < o.negatives; ++k) {
              const int negative = table[rng.below(table.size())];
              if (negative == context) continue;  // a draw of the true context word is no negative
              grad_u[static_cast<size_t>(rows)] = W_out + static_cast<int64_t>(negative) * D;
              u[static_cast<size_t>(rows)] = grad_u[static_cast<size_t>(rows)];
              ++rows;
            }
            std::fill(grad_v.begin(), grad_v.end(), 0.0f);
            // One SGD step: the output vectors in place, then v_c from the accumulated gradient.
            loss_sum += sgns_loss_and_grad<float>(v_c, u.data(), rows, D, grad_v.data(), grad_u.data(), -lr);
            for (int64_t d = 0; d < D; ++d) v_c[d] += grad_v[static_cast<size_t>(d)];
            ++examples;
          }
        }
        // Thread 0 checks the loss and reports (also after its last sentence), so with one
        // thread the log is the same on every run.
        const bool last = epoch == o.epochs - 1 && n + 1 == end;
        if (thread == 0 && (now + static_cast<int64_t>(sentence.size()) >= next_log || last)) {
          const double mean = examples > 0 ? loss_sum / static_cast<double>(examples) : 0.0;
          try {  // an exception must not leave the parallel region: keep it for after
            if (!std::isfinite(mean))
              throw dl::NonFiniteError("skip-gram loss became " + std::to_string(mean) + " after " + std::to_string(now) + " words");
            if (log) log({now + static_cast<int64_t>(sentence.size()), total, mean, lr});
          } catch (...) {
            error = std::current_exception();
            stop = true;
          }
          loss_sum = 0, examples = 0;
          while (next_log <= now + static_cast<int64_t>(sentence.size())) next_log += o.log_every;
        }
      }
    }
  }
  if (error) std::rethrow_exception(error);
  return model;
}
// [train-loop]

}  // namespace ch04

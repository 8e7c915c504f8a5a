#include "glosses.hpp"

#include <algorithm>
#include <filesystem>
#include <numeric>

#include <dl/error.hpp>
#include <dl/random.hpp>

#include "wordnet.hpp"

namespace ch06 {

const std::array<const char*, kClasses>& supersense_names() {
  static const std::array<const char*, kClasses> names = {
      "noun.Tops",      "noun.act",         "noun.animal",    "noun.artifact", "noun.attribute", "noun.body",
      "noun.cognition", "noun.communication", "noun.event",   "noun.feeling",  "noun.food",      "noun.group",
      "noun.location",  "noun.motive",      "noun.object",    "noun.person",   "noun.phenomenon", "noun.plant",
      "noun.possession", "noun.process",    "noun.quantity",  "noun.relation", "noun.shape",     "noun.state",
      "noun.substance", "noun.time"};
  return names;
}

int supersense_label(const std::string& name) {
  const auto& names = supersense_names();
  for (int c = 0; c < kClasses; ++c)
    if (name == names[static_cast<size_t>(c)]) return c;
  return -1;
}

Glosses read_glosses(const std::string& dir, const dl::tokenize::WordPiece& wp) {
  const std::string path = dir + "/data.noun";
  if (!std::filesystem::exists(path))
    throw dl::FileError(path + ": not found; WordNet's noun glosses come with the Debian package wordnet-base "
                        "(./book deps installs it), or pass --data DIR");
  Glosses out;
  // [read-glosses]
  for (ch04::Synset& s : ch04::read_wordnet_file(path, 'n')) {
    const int label = s.lex_filenum - 3;
    if (label < 0 || label >= kClasses)
      throw dl::FileError(path + ": synset " + std::to_string(s.offset) + " has lexicographer file " +
                          std::to_string(s.lex_filenum) + ", not a noun's (3 to 28)");
    Example e;
    e.offset = s.offset;
    e.label = label;
    e.lemma = s.lemmas.empty() ? "" : s.lemmas.front();
    e.gloss = std::move(s.gloss);
    std::vector<int> ids = wp.encode(e.gloss);  // [CLS] ... [SEP]
    e.pieces.assign(ids.begin() + 1, ids.end() - 1);
    switch (ch04::synset_split(s.offset)) {
      case ch04::Split::train: out.train.push_back(std::move(e)); break;
      case ch04::Split::validation: out.validation.push_back(std::move(e)); break;
      case ch04::Split::test: out.test.push_back(std::move(e)); break;
    }
  }
  // [read-glosses]
  return out;
}

std::vector<int> labels_of(std::span<const Example> examples) {
  std::vector<int> labels;
  labels.reserve(examples.size());
  for (const Example& e : examples) labels.push_back(e.label);
  return labels;
}

std::vector<Example> sample(const std::vector<Example>& train, int64_t n, uint64_t seed) {
  std::vector<int64_t> order(train.size());
  std::iota(order.begin(), order.end(), 0);
  dl::Generator gen(seed);
  gen.shuffle(order);
  order.resize(std::min(order.size(), static_cast<size_t>(std::max<int64_t>(n, 0))));
  std::vector<Example> out;
  out.reserve(order.size());
  for (int64_t i : order) out.push_back(train[static_cast<size_t>(i)]);
  return out;
}

// [length-batches]
std::vector<std::vector<int64_t>> length_batches(std::span<const size_t> lengths, int64_t batch, int64_t window,
                                                 bool keep_partial, dl::Generator& gen) {
  if (batch < 1 || window < 1) throw dl::Error("length_batches: batch and window must be positive");
  std::vector<int64_t> order(lengths.size());
  std::iota(order.begin(), order.end(), 0);
  gen.shuffle(order);
  const size_t pool = static_cast<size_t>(batch * window);
  for (size_t start = 0; start < order.size(); start += pool) {
    const auto first = order.begin() + static_cast<std::ptrdiff_t>(start);
    const auto last = order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), start + pool));
    std::stable_sort(first, last, [&](int64_t a, int64_t b) {
      return lengths[static_cast<size_t>(a)] < lengths[static_cast<size_t>(b)];
    });
  }
  const int64_t n = static_cast<int64_t>(order.size());
  std::vector<int64_t> starts;
  for (int64_t start = 0; start < n && (keep_partial || start + batch <= n); start += batch) starts.push_back(start);
  gen.shuffle(starts);
  std::vector<std::vector<int64_t>> batches;
  for (int64_t start : starts)
    batches.emplace_back(order.begin() + start, order.begin() + std::min(n, start + batch));
  return batches;
}
// [length-batches]

}  // namespace ch06

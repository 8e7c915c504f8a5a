// Chapter 04: word embeddings. Skip-gram with negative sampling (word2vec) trained with
// plain loops, the count-based baseline (PPMI + truncated SVD), and their evaluation on
// WordNet's synonyms.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <dl/tensor.hpp>
#include <functional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace ch04 {

/// The words seen at least `min_count` times, ordered by falling count (ties
/// alphabetically), so ids are the same on every run.
class Vocabulary {
 public:
  /// Counts the words of `sentences` and keeps those seen at least `min_count` times.
  Vocabulary(const std::vector<std::vector<std::string>>& sentences, int64_t min_count);
  /// Number of words.
  int64_t size() const { return static_cast<int64_t>(words_.size()); }
  /// The id of `word`, or -1 when it is not in the vocabulary.
  int id(const std::string& word) const;
  /// The word of `id`.
  const std::string& word(int id) const { return words_.at(static_cast<size_t>(id)); }
  /// The words in id order.
  const std::vector<std::string>& words() const { return words_; }
  /// How often each word occurs, in id order.
  const std::vector<int64_t>& counts() const { return counts_; }
  /// Occurrences of the kept words (the length of the encoded corpus).
  int64_t total() const { return total_; }
  /// Every sentence as ids; words outside the vocabulary are dropped (as word2vec does),
  /// and sentences left empty are dropped too.
  std::vector<std::vector<int>> encode(const std::vector<std::vector<std::string>>& sentences) const;

 private:
  std::vector<std::string> words_;
  std::vector<int64_t> counts_;
  std::unordered_map<std::string, int> ids_;
  int64_t total_ = 0;
};

// [subsample]
/// The probability of keeping each occurrence of a word, from word2vec: with f = count/total,
/// keep = (sqrt(f/t) + 1) * t/f, capped at 1. Words rarer than about t are always kept;
/// "the" (f ~ 0.05 at t = 1e-3) is kept about one time in six. t <= 0 keeps everything.
std::vector<float> keep_probabilities(std::span<const int64_t> counts, double t);
// [subsample]

/// The power of the counts in word2vec's negative-sampling distribution.
inline constexpr double kUnigramPower = 0.75;

// [unigram-table]
/// A table of `size` word ids in which word w fills a share count_w^power / sum_v count_v^power
/// of the cells (power 0.75 in word2vec): a uniform cell is a draw from the smoothed unigram
/// distribution. Rare words are drawn more often than their count says, frequent ones less.
std::vector<int> unigram_table(std::span<const int64_t> counts, double power, int64_t size);
// [unigram-table]

// [sgns-gradient]
/// Skip-gram with negative sampling, for one training example: the centre word's input
/// vector v_c, the output vector u_o = u[0] of a word seen in its window, and the output
/// vectors u_k = u[1..K] of K words drawn from the unigram table (the negatives).
///
///   loss = -log σ(u_o·v_c) - Σ_k log σ(-u_k·v_c)
///   dL/dv_c = (σ(u_o·v_c) - 1) u_o + Σ_k σ(u_k·v_c) u_k
///   dL/du_o = (σ(u_o·v_c) - 1) v_c
///   dL/du_k = σ(u_k·v_c) v_c
///
/// Each gradient times `scale` is added into grad_v and grad_u[j]. Returns the loss.
/// v_c: (D)  u: rows pointers to (D)  grad_v: (D)  grad_u: rows pointers to (D).
/// Training passes grad_u = u and scale = -lr, a fused SGD step on the output vectors
/// (each u_j is read for grad_v before it is updated, as word2vec does).
template <class T>
T sgns_loss_and_grad(const T* v_c, const T* const* u, int64_t rows, int64_t dim, T* grad_v, T* const* grad_u,
                     T scale = 1) {
  T loss = 0;
  for (int64_t j = 0; j < rows; ++j) {
    const T label = j == 0 ? T(1) : T(0);  // 1 for the word seen in the window, 0 for a negative
    const T* uj = u[j];
    T s = 0;  // s = u_j·v_c
#pragma omp simd reduction(+ : s)
    for (int64_t d = 0; d < dim; ++d) s += uj[d] * v_c[d];
    // -log σ(s) = log(1 + e^-s) for the context word, -log σ(-s) = log(1 + e^s) for a negative;
    // both from e = e^-|s|, which never overflows: log(1 + e^z) = max(z, 0) + log(1 + e^-|z|).
    const T e = std::exp(-std::abs(s));
    const T sigma = s >= 0 ? T(1) / (T(1) + e) : e / (T(1) + e);  // σ(s)
    loss += std::max(label == 1 ? -s : s, T(0)) + std::log1p(e);
    const T g = scale * (sigma - label);  // dL/ds = σ(s) - label
    for (int64_t d = 0; d < dim; ++d) grad_v[d] += g * uj[d];    // s = u_j·v_c  =>  dv_c += dL/ds u_j
    T* gj = grad_u[j];
    for (int64_t d = 0; d < dim; ++d) gj[d] += g * v_c[d];       //              =>  du_j += dL/ds v_c
  }
  return loss;
}
// [sgns-gradient]

/// Settings of `train_skipgram`.
struct SkipGramOptions {
  int64_t dim = 100;             ///< D, the size of each vector
  int64_t window = 5;            ///< the largest window; each centre word draws its own from 1..window
  int64_t negatives = 5;         ///< K, negatives per (centre, context) pair
  int64_t epochs = 5;            ///< passes over the corpus
  float lr = 0.025f;             ///< initial learning rate, decayed linearly to lr * 1e-4
  double subsample = 1e-3;       ///< t of `keep_probabilities` (0: keep every word)
  int64_t table_size = 1'000'000;   ///< cells of the unigram table (4 MB: small enough to stay in cache)
  uint64_t seed = 0;             ///< initial vectors, subsampling, windows and negatives
  int threads = 1;               ///< Hogwild threads (1: the same vectors for the same seed)
  int64_t log_every = 200'000;   ///< words between two calls of the log callback
};

/// A progress report of `train_skipgram`.
struct SkipGramLog {
  int64_t words = 0;  ///< words of the corpus processed so far (all threads, all epochs)
  int64_t total = 0;  ///< words it will process in all
  double loss = 0;    ///< mean loss per (centre, context) example since the last report (thread 0's)
  float lr = 0;       ///< the learning rate now
};

/// The two tables of skip-gram: W_in holds the vector v_w of each word as a centre, W_out
/// its vector u_w as a context. The embeddings are W_in.
struct SkipGram {
  dl::Tensor input;   ///< (V, D) v_w; uniform in ±0.5/D at the start
  dl::Tensor output;  ///< (V, D) u_w; zeros at the start
};

/// A word's embedding: the sum of its two vectors, v_w + u_w (V, D). Adding the context
/// vectors helps similarity, as Levy, Goldberg and Dagan (2015) found (GloVe adds its two tables too).
dl::Tensor skipgram_embeddings(const SkipGram& model);

/// Trains skip-gram with negative sampling on `sentences` (ids of `vocab`): for each kept
/// centre word, a window b drawn from 1..window, and for each context word within b
/// positions one SGD step of `sgns_loss_and_grad` with K negatives. OpenMP threads work
/// on their own slices of the corpus and update the shared tables without locks
/// (Hogwild, as word2vec does), so only `threads = 1` is deterministic. `log` (if set) is
/// called from one thread every `log_every` words. Throws dl::NonFiniteError if the loss
/// stops being finite.
SkipGram train_skipgram(const std::vector<std::vector<int>>& sentences, const Vocabulary& vocab,
                        const SkipGramOptions& options, const std::function<void(const SkipGramLog&)>& log = {});

/// @name The count-based baseline (ppmi_svd.cpp)
/// @{

/// A sparse matrix in compressed rows: row i holds (indices[k], values[k]) for k in
/// [indptr[i], indptr[i+1]), columns in increasing order.
struct SparseMatrix {
  int64_t rows = 0, cols = 0;    ///< the shape
  std::vector<int64_t> indptr;   ///< (rows + 1) where each row starts in `indices` and `values`
  std::vector<int32_t> indices;  ///< (nonzeros) column of each value
  std::vector<float> values;     ///< (nonzeros) the values, row after row
  /// The value at (i, j), 0 when it is not stored.
  float at(int64_t i, int64_t j) const;
  /// Number of stored values.
  int64_t nonzeros() const { return static_cast<int64_t>(values.size()); }
};

/// Co-occurrence counts: for each pair of positions at distance d <= window within a
/// sentence, (window - d + 1) / window is added to (w, c) and to (c, w), the expected
/// weight skip-gram's random window gives the pair. (V, V), symmetric.
SparseMatrix cooccurrence(const std::vector<std::vector<int>>& sentences, int64_t vocab_size, int64_t window);

// [ppmi]
/// Positive pointwise mutual information of a count matrix n, with the context counts
/// raised to `alpha` (0.75 smooths them as word2vec's negative sampling does):
///   PPMI(w, c) = max(0, log(n_wc * Z / (n_w * n_c^alpha))),  n_w = Σ_c n_wc,  Z = Σ_c n_c^alpha
/// where n_c = Σ_w n_wc. Only positive values are stored.
SparseMatrix ppmi(const SparseMatrix& counts, double alpha = 0.75);
// [ppmi]

/// The top `k` singular values and left singular vectors of `a`, by the randomized SVD of
/// Halko, Martinsson and Tropp (2011): project onto k + `oversample` random directions,
/// sharpen with `power_iterations` rounds of (A Aᵀ), orthonormalise (Eigen's Householder QR),
/// then an exact eigen-decomposition of the small (k+p, k+p) matrix B Bᵀ with B = Qᵀ A.
struct TruncatedSvd {
  dl::Tensor u;                ///< (rows, k) left singular vectors, columns orthonormal
  std::vector<double> sigma;   ///< (k) singular values, falling
};
TruncatedSvd randomized_svd(const SparseMatrix& a, int64_t k, uint64_t seed, int64_t oversample = 40,
                            int64_t power_iterations = 8);

/// Settings of `ppmi_svd_embeddings`.
struct PpmiSvdOptions {
  int64_t window = 5;       ///< the largest distance between the words of a counted pair
  int64_t dim = 100;        ///< k, singular vectors kept
  double alpha = 0.75;      ///< power of the context counts in `ppmi` (1: plain PMI)
  double sigma_power = 0.5; ///< the rows are U_k Σ_k^p (1: the plain truncated SVD)
  uint64_t seed = 0;        ///< the random directions of the SVD
};

/// Embeddings from co-occurrence: PPMI of `cooccurrence(sentences, window)`, then the
/// rows of U_k Σ_k^p of its truncated SVD. (V, dim). The defaults carry over word2vec's
/// smoothing of the context distribution (alpha 0.75) and weigh the singular values less
/// than the plain SVD does (p 0.5), as Levy, Goldberg and Dagan (2015) recommend.
dl::Tensor ppmi_svd_embeddings(const std::vector<std::vector<int>>& sentences, int64_t vocab_size,
                               const PpmiSvdOptions& options);
/// @}

/// @name Evaluation (evaluate.cpp)
/// @{

/// Vectors drawn from N(0, 1): the baseline any trained embedding must beat. (V, dim).
dl::Tensor random_embeddings(int64_t vocab_size, int64_t dim, uint64_t seed);

/// `e` with every row scaled to length 1 (zero rows stay zero), so that dot products are cosines.
dl::Tensor normalize_rows(const dl::Tensor& e);

// [rank]
/// For each (query, target) pair of word ids: 1 + the number of other words (neither the
/// query nor the target) whose cosine to the query is greater than the target's.
/// A target that is the query's nearest neighbour has rank 1. unit: (V, D), rows of length 1.
std::vector<int64_t> neighbour_ranks(const dl::Tensor& unit, std::span<const std::pair<int, int>> pairs);
// [rank]

/// Mean reciprocal rank, recall at 10 and the number of queries.
struct RetrievalScore {
  double mrr = 0;           ///< mean of 1/rank
  double mrr_stderr = 0;    ///< standard error of that mean: sd(1/rank) / sqrt(queries)
  double recall_at_10 = 0;  ///< share of ranks <= 10
  int64_t queries = 0;
};
/// The scores of `ranks`; zeros for no ranks.
RetrievalScore retrieval_score(std::span<const int64_t> ranks);

/// A word and its cosine to a query.
struct Neighbour {
  int id = 0;
  float cosine = 0;
};
/// The `k` words nearest to `query` by cosine, nearest first, the query itself left out.
/// unit: (V, D), rows of length 1.
std::vector<Neighbour> nearest(const dl::Tensor& unit, int query, int64_t k);
/// The `k` words nearest to v_b - v_a + v_c (a is to b as c is to ?), a, b and c left out (3CosAdd).
std::vector<Neighbour> analogy(const dl::Tensor& unit, int a, int b, int c, int64_t k);

/// The first two principal components of the rows `ids` of `e`.
struct Projection {
  std::vector<float> x, y;              ///< coordinates, one per id
  std::vector<double> explained;        ///< share of the variance along each component
};
Projection pca_2d(const dl::Tensor& e, std::span<const int> ids);

/// Vectors in word2vec's text format (a line "V D", then one line per word: the word and
/// its D numbers, as gensim's `save_word2vec_format` writes them), as a (vocab.size(), D)
/// tensor in `vocab`'s order, so that vectors trained elsewhere on the same corpus are
/// scored by the same code. Words of the file outside `vocab` are skipped; a word of
/// `vocab` missing from the file, a malformed line or a count that disagrees with the
/// header throws dl::Error naming the line.
dl::Tensor read_word2vec_text(const std::string& path, const Vocabulary& vocab);
/// @}

}  // namespace ch04

// Chapter 04: nearest neighbours by cosine, the ranks of synonyms, analogies and a 2-D view.
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <dl/eigen.hpp>
#include <dl/error.hpp>
#include <dl/io.hpp>
#include <dl/random.hpp>
#include <map>
#include <numeric>
#include <sstream>

#include "word2vec.hpp"

namespace ch04 {

dl::Tensor random_embeddings(int64_t vocab_size, int64_t dim, uint64_t seed) {
  dl::Generator gen(seed);
  return dl::Tensor::randn({vocab_size, dim}, gen);
}

dl::Tensor normalize_rows(const dl::Tensor& e) {
  if (e.dim() != 2) throw dl::ShapeError("normalize_rows: expected (V, D) embeddings, got " + dl::to_string(e.shape()));
  dl::Tensor out = e.clone();
  dl::MatMap m = dl::as_matrix(out, e.size(0), e.size(1));
  for (int64_t i = 0; i < m.rows(); ++i)
    if (const float norm = m.row(i).norm(); norm > 0) m.row(i) /= norm;
  return out;
}

namespace {

void check_id(const dl::Tensor& unit, int id, const char* what) {
  if (id < 0 || id >= unit.size(0))
    throw dl::Error(std::string(what) + ": word id " + std::to_string(id) + " is outside the vocabulary of " +
                    std::to_string(unit.size(0)) + " words");
}

// The k best of `scores` (one per word), the ids in `skip` left out.
std::vector<Neighbour> top_k(const Eigen::VectorXf& scores, int64_t k, std::initializer_list<int> skip) {
  std::vector<int> ids(static_cast<size_t>(scores.size()));
  std::iota(ids.begin(), ids.end(), 0);
  std::erase_if(ids, [&](int i) { return std::find(skip.begin(), skip.end(), i) != skip.end(); });
  k = std::min<int64_t>(k, static_cast<int64_t>(ids.size()));
  std::partial_sort(ids.begin(), ids.begin() + k, ids.end(), [&](int a, int b) { return scores(a) != scores(b) ? scores(a) > scores(b) : a < b; });
  std::vector<Neighbour> out;
  for (int64_t i = 0; i < k; ++i) out.push_back({ids[static_cast<size_t>(i)], scores(ids[static_cast<size_t>(i)])});
  return out;
}

}  // namespace

// [rank-impl]
std::vector<int64_t> neighbour_ranks(const dl::Tensor& unit, std::span<const std::pair<int, int>> pairs) {
  const int64_t V = unit.size(0), D = unit.size(1);
  const dl::ConstMatMap e = dl::as_matrix(unit, V, D);
  for (const auto& [q, t] : pairs) check_id(unit, q, "neighbour_ranks"), check_id(unit, t, "neighbour_ranks");
  std::vector<int64_t> ranks(pairs.size());
  constexpr int64_t kBlock = 256;  // queries per matrix product
  for (size_t first = 0; first < pairs.size(); first += kBlock) {
    const int64_t n = std::min<int64_t>(kBlock, static_cast<int64_t>(pairs.size() - first));
    dl::MatrixRM queries(n, D);
    for (int64_t i = 0; i < n; ++i) queries.row(i) = e.row(pairs[first + static_cast<size_t>(i)].first);
    dl::MatrixRM cosines(n, V);
    cosines.noalias() = queries * e.transpose();  // (n, V): every word's cosine to each query
#pragma omp parallel for
    for (int64_t i = 0; i < n; ++i) {
      const auto [query, target] = pairs[first + static_cast<size_t>(i)];
      const float bar = cosines(i, target);
      int64_t above = 0;
      for (int64_t w = 0; w < V; ++w) above += cosines(i, w) > bar && w != query && w != target;
      ranks[first + static_cast<size_t>(i)] = 1 + above;
    }
  }
  return ranks;
}
// [rank-impl]

RetrievalScore retrieval_score(std::span<const int64_t> ranks) {
  RetrievalScore s;
  s.queries = static_cast<int64_t>(ranks.size());
  if (ranks.empty()) return s;
  double squares = 0;
  for (int64_t r : ranks) {
    if (r < 1) throw dl::Error("retrieval_score: a rank is at least 1, got " + std::to_string(r));
    s.mrr += 1.0 / static_cast<double>(r);
    squares += 1.0 / static_cast<double>(r * r);
    s.recall_at_10 += r <= 10;
  }
  const double n = static_cast<double>(ranks.size());
  s.mrr /= n;
  s.recall_at_10 /= n;
  if (ranks.size() > 1) s.mrr_stderr = std::sqrt(std::max(0.0, squares / n - s.mrr * s.mrr) * n / (n - 1) / n);
  return s;
}

std::vector<Neighbour> nearest(const dl::Tensor& unit, int query, int64_t k) {
  check_id(unit, query, "nearest");
  const dl::ConstMatMap e = dl::as_matrix(unit, unit.size(0), unit.size(1));
  const Eigen::VectorXf scores = e * e.row(query).transpose();
  return top_k(scores, k, {query});
}

std::vector<Neighbour> analogy(const dl::Tensor& unit, int a, int b, int c, int64_t k) {
  for (int id : {a, b, c}) check_id(unit, id, "analogy");
  const dl::ConstMatMap e = dl::as_matrix(unit, unit.size(0), unit.size(1));
  const Eigen::VectorXf target = (e.row(b) - e.row(a) + e.row(c)).transpose();  // b - a + c
  const Eigen::VectorXf scores = e * target;  // ranks by cosine: target's own length is the same for all
  return top_k(scores, k, {a, b, c});
}

Projection pca_2d(const dl::Tensor& e, std::span<const int> ids) {
  const int64_t D = e.size(1);
  if (ids.size() < 2) return {};  // no spread to show
  const dl::ConstMatMap all = dl::as_matrix(e, e.size(0), D);
  Eigen::MatrixXd x(static_cast<int64_t>(ids.size()), D);
  for (size_t i = 0; i < ids.size(); ++i) x.row(static_cast<int64_t>(i)) = all.row(ids[i]).cast<double>();
  x.rowwise() -= x.colwise().mean();
  const Eigen::MatrixXd covariance = x.transpose() * x;
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(covariance);  // eigenvalues rising
  const double total = std::max(eig.eigenvalues().sum(), 1e-300);
  Projection p;
  for (int j = 0; j < std::min<int64_t>(2, D); ++j) {
    Eigen::VectorXd axis = eig.eigenvectors().col(D - 1 - j);
    Eigen::Index largest = 0;
    axis.cwiseAbs().maxCoeff(&largest);
    if (axis(largest) < 0) axis = -axis;  // a fixed sign, so the picture is the same on every run
    const Eigen::VectorXd coords = x * axis;
    std::vector<float>& out = j == 0 ? p.x : p.y;
    for (Eigen::Index i = 0; i < coords.size(); ++i) out.push_back(static_cast<float>(coords(i)));
    p.explained.push_back(eig.eigenvalues()(D - 1 - j) / total);
  }
  return p;
}

dl::Tensor read_word2vec_text(const std::string& path, const Vocabulary& vocab) {
  std::istringstream in(dl::read_file(path, "word vectors in word2vec's text format"));
  const auto fail = [&](int64_t line, const std::string& what) {
    throw dl::Error(path + ":" + std::to_string(line) + ": " + what);
  };
  std::string line;
  int64_t rows = 0, dim = 0;
  if (!std::getline(in, line)) fail(1, "empty file; expected a header \"V D\"");
  {
    std::istringstream header(line);
    std::string rest;
    if (!(header >> rows >> dim) || (header >> rest) || rows < 1 || dim < 1 || dim > (int64_t{1} << 20))
      fail(1, "expected a header \"V D\" with two positive counts, got \"" + line.substr(0, 80) + "\"");
  }
  dl::Tensor out = dl::Tensor::zeros({vocab.size(), dim});
  std::vector<bool> seen(static_cast<size_t>(vocab.size()), false);
  int64_t read = 0;
  for (int64_t number = 2; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    if (++read > rows) fail(number, "more rows than the header's " + std::to_string(rows));
    std::istringstream fields(line);
    std::string word;
    fields >> word;
    std::vector<float> values(static_cast<size_t>(dim));
    for (float& v : values)
      if (!(fields >> v)) fail(number, "expected " + std::to_string(dim) + " numbers after \"" + word + "\"");
    if (std::string extra; fields >> extra) fail(number, "more than " + std::to_string(dim) + " numbers after \"" + word + "\"");
    const int id = vocab.id(word);
    if (id < 0) continue;
    if (seen[static_cast<size_t>(id)]) fail(number, "\"" + word + "\" appears twice");
    seen[static_cast<size_t>(id)] = true;
    std::copy(values.begin(), values.end(), out.data() + static_cast<int64_t>(id) * dim);
  }
  if (read != rows) fail(read + 1, "the header promises " + std::to_string(rows) + " rows, the file has " + std::to_string(read));
  if (const auto missing = std::find(seen.begin(), seen.end(), false); missing != seen.end()) {
    const int64_t count = std::count(seen.begin(), seen.end(), false);
    throw dl::Error(path + ": " + std::to_string(count) + " words of the vocabulary have no vector, e.g. \"" +
                    vocab.word(static_cast<int>(missing - seen.begin())) + "\"");
  }
  return out;
}

}  // namespace ch04

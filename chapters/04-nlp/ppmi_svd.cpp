// Chapter 04: the count-based baseline. Window co-occurrence counts, positive PMI, and a
// randomized truncated SVD (Halko, Martinsson and Tropp 2011) on Eigen.
#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <algorithm>
#include <cmath>
#include <dl/eigen.hpp>
#include <dl/error.hpp>
#include <dl/random.hpp>
#include <numeric>

#include "word2vec.hpp"

namespace ch04 {

float SparseMatrix::at(int64_t i, int64_t j) const {
  const auto first = indices.begin() + indptr.at(static_cast<size_t>(i));
  const auto last = indices.begin() + indptr.at(static_cast<size_t>(i) + 1);
  const auto it = std::lower_bound(first, last, static_cast<int32_t>(j));
  return it != last && *it == j ? values[static_cast<size_t>(it - indices.begin())] : 0.0f;
}

namespace {

// Rows built one at a time (in parallel) and then joined into compressed rows.
SparseMatrix join_rows(int64_t cols, std::vector<std::vector<std::pair<int32_t, float>>>& rows) {
  SparseMatrix m;
  m.rows = static_cast<int64_t>(rows.size()), m.cols = cols;
  m.indptr.assign(rows.size() + 1, 0);
  for (size_t i = 0; i < rows.size(); ++i) m.indptr[i + 1] = m.indptr[i] + static_cast<int64_t>(rows[i].size());
  m.indices.resize(static_cast<size_t>(m.indptr.back()));
  m.values.resize(m.indices.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    size_t k = static_cast<size_t>(m.indptr[i]);
    for (const auto& [j, v] : rows[i]) m.indices[k] = j, m.values[k++] = v;
    std::vector<std::pair<int32_t, float>>().swap(rows[i]);  // free as we go
  }
  return m;
}

SparseMatrix transpose(const SparseMatrix& a) {
  SparseMatrix t;
  t.rows = a.cols, t.cols = a.rows;
  t.indptr.assign(static_cast<size_t>(a.cols) + 1, 0);
  for (int32_t j : a.indices) ++t.indptr[static_cast<size_t>(j) + 1];
  std::partial_sum(t.indptr.begin(), t.indptr.end(), t.indptr.begin());
  t.indices.resize(a.indices.size());
  t.values.resize(a.values.size());
  std::vector<int64_t> next(t.indptr.begin(), t.indptr.end() - 1);
  for (int64_t i = 0; i < a.rows; ++i)  // rows in order, so each column of t stays sorted
    for (int64_t k = a.indptr[static_cast<size_t>(i)]; k < a.indptr[static_cast<size_t>(i) + 1]; ++k) {
      const size_t to = static_cast<size_t>(next[static_cast<size_t>(a.indices[static_cast<size_t>(k)])]++);
      t.indices[to] = static_cast<int32_t>(i);
      t.values[to] = a.values[static_cast<size_t>(k)];
    }
  return t;
}

// a: (R, C) sparse  x: (C, L)  ->  (R, L)
dl::MatrixRM sparse_times(const SparseMatrix& a, const dl::MatrixRM& x) {
  dl::MatrixRM out(a.rows, x.cols());
#pragma omp parallel for schedule(dynamic, 256)
  for (int64_t i = 0; i < a.rows; ++i) {
    out.row(i).setZero();
    for (int64_t k = a.indptr[static_cast<size_t>(i)]; k < a.indptr[static_cast<size_t>(i) + 1]; ++k)
      out.row(i) += a.values[static_cast<size_t>(k)] * x.row(a.indices[static_cast<size_t>(k)]);
  }
  return out;
}

// An orthonormal basis of the columns of y (thin Q of its Householder QR). y: (R, L) -> (R, L)
dl::MatrixRM orthonormalize(const dl::MatrixRM& y) {
  const Eigen::HouseholderQR<Eigen::MatrixXf> qr(y);
  const Eigen::MatrixXf q = qr.householderQ() * Eigen::MatrixXf::Identity(y.rows(), y.cols());
  return q;
}

}  // namespace

SparseMatrix cooccurrence(const std::vector<std::vector<int>>& sentences, int64_t vocab_size, int64_t window) {
  if (window < 1) throw dl::Error("cooccurrence: the window must be at least 1");
  // The corpus as one stream with -1 around every sentence, and where each word occurs in it.
  std::vector<int> stream{-1};
  for (const auto& s : sentences) {
    stream.insert(stream.end(), s.begin(), s.end());
    stream.push_back(-1);
  }
  std::vector<int64_t> start(static_cast<size_t>(vocab_size) + 1, 0);
  for (int w : stream)
    if (w >= 0) ++start[static_cast<size_t>(w) + 1];
  std::partial_sum(start.begin(), start.end(), start.begin());
  std::vector<int64_t> positions(static_cast<size_t>(start.back())), next(start.begin(), start.end() - 1);
  for (size_t p = 0; p < stream.size(); ++p)
    if (stream[p] >= 0) positions[static_cast<size_t>(next[static_cast<size_t>(stream[p])]++)] = static_cast<int64_t>(p);

  // Row w: every occurrence of w adds its neighbours, weighted by distance, into a dense scratch row.
  std::vector<std::vector<std::pair<int32_t, float>>> rows(static_cast<size_t>(vocab_size));
#pragma omp parallel
  {
    std::vector<float> scratch(static_cast<size_t>(vocab_size), 0.0f);
    std::vector<int32_t> touched;
#pragma omp for schedule(dynamic, 16)
    for (int64_t w = 0; w < vocab_size; ++w) {
      for (int64_t k = start[static_cast<size_t>(w)]; k < start[static_cast<size_t>(w) + 1]; ++k) {
        const int64_t p = positions[static_cast<size_t>(k)];
        for (int side : {-1, 1})
          for (int64_t d = 1; d <= window; ++d) {
            const int c = stream[static_cast<size_t>(p + side * d)];
            if (c < 0) break;  // the sentence ends
            if (scratch[static_cast<size_t>(c)] == 0.0f) touched.push_back(c);
            scratch[static_cast<size_t>(c)] += static_cast<float>(window - d + 1) / static_cast<float>(window);
          }
      }
      std::sort(touched.begin(), touched.end());
      auto& row = rows[static_cast<size_t>(w)];
      row.reserve(touched.size());
      for (int32_t c : touched) {
        row.emplace_back(c, scratch[static_cast<size_t>(c)]);
        scratch[static_cast<size_t>(c)] = 0.0f;
      }
      touched.clear();
    }
  }
  return join_rows(vocab_size, rows);
}

// [ppmi-impl]
SparseMatrix ppmi(const SparseMatrix& n, double alpha) {
  std::vector<double> row_sum(static_cast<size_t>(n.rows), 0.0), col_sum(static_cast<size_t>(n.cols), 0.0);
  for (int64_t i = 0; i < n.rows; ++i)
    for (int64_t k = n.indptr[static_cast<size_t>(i)]; k < n.indptr[static_cast<size_t>(i) + 1]; ++k) {
      row_sum[static_cast<size_t>(i)] += n.values[static_cast<size_t>(k)];
      col_sum[static_cast<size_t>(n.indices[static_cast<size_t>(k)])] += n.values[static_cast<size_t>(k)];
    }
  std::vector<double> col_smoothed(col_sum.size());  // n_c^alpha
  double z = 0;
  for (size_t c = 0; c < col_sum.size(); ++c) z += col_smoothed[c] = std::pow(col_sum[c], alpha);
  std::vector<std::vector<std::pair<int32_t, float>>> rows(static_cast<size_t>(n.rows));
  for (int64_t w = 0; w < n.rows; ++w)
    for (int64_t k = n.indptr[static_cast<size_t>(w)]; k < n.indptr[static_cast<size_t>(w) + 1]; ++k) {
      const int32_t c = n.indices[static_cast<size_t>(k)];
      // PMI = log(P(w,c) / (P(w) P_alpha(c))) = log(n_wc Z / (n_w n_c^alpha))
      const double pmi = std::log(n.values[static_cast<size_t>(k)] * z /
                                  (row_sum[static_cast<size_t>(w)] * col_smoothed[static_cast<size_t>(c)]));
      if (pmi > 0) rows[static_cast<size_t>(w)].emplace_back(c, static_cast<float>(pmi));
    }
  return join_rows(n.cols, rows);
}
// [ppmi-impl]

// [randomized-svd]
TruncatedSvd randomized_svd(const SparseMatrix& a, int64_t k, uint64_t seed, int64_t oversample, int64_t power_iterations) {
  const int64_t l = std::min(k + oversample, std::min(a.rows, a.cols));
  if (k < 1 || k > l) throw dl::Error("randomized_svd: k = " + std::to_string(k) + " must be in 1.." + std::to_string(l));
  const SparseMatrix at = transpose(a);
  dl::Generator gen(seed);
  dl::MatrixRM omega(a.cols, l);  // random directions
  for (int64_t i = 0; i < omega.size(); ++i) omega.data()[i] = gen.normal();
  dl::MatrixRM q = orthonormalize(sparse_times(a, omega));  // (R, l): spans A's top directions, roughly
  for (int64_t i = 0; i < power_iterations; ++i)        // each round multiplies by A Aᵀ: small σ fade
    q = orthonormalize(sparse_times(a, orthonormalize(sparse_times(at, q))));
  const dl::MatrixRM bt = sparse_times(at, q);  // Bᵀ = Aᵀ Q: (C, l), B = Qᵀ A
  // B Bᵀ = Û Σ² Ûᵀ (small and symmetric); then A ≈ Q B has left singular vectors Q Û.
  const Eigen::MatrixXd bbt = (bt.transpose() * bt).cast<double>();
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(bbt);  // eigenvalues rising
  Eigen::MatrixXf top(l, k);
  TruncatedSvd out;
  for (int64_t j = 0; j < k; ++j) {
    top.col(j) = eig.eigenvectors().col(l - 1 - j).cast<float>();
    out.sigma.push_back(std::sqrt(std::max(0.0, eig.eigenvalues()(l - 1 - j))));
  }
  out.u = dl::Tensor::empty({a.rows, k});
  dl::as_matrix(out.u, a.rows, k).noalias() = q * top;
  return out;
}
// [randomized-svd]

dl::Tensor ppmi_svd_embeddings(const std::vector<std::vector<int>>& sentences, int64_t vocab_size,
                               const PpmiSvdOptions& o) {
  const SparseMatrix counts = cooccurrence(sentences, vocab_size, o.window);
  const TruncatedSvd svd = randomized_svd(ppmi(counts, o.alpha), o.dim, o.seed);
  dl::Tensor e = svd.u;  // rows of U Σ^p
  dl::MatMap m = dl::as_matrix(e, vocab_size, o.dim);
  for (int64_t j = 0; j < o.dim; ++j) m.col(j) *= static_cast<float>(std::pow(svd.sigma[static_cast<size_t>(j)], o.sigma_power));
  return e;
}

}  // namespace ch04

// Reference solution of the exercise cosine_nearest (chapter 04).
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "exercises.hpp"

namespace ex {

std::vector<Neighbour> cosine_nearest(const dl::Tensor& e, int query, int64_t k) {
  // e: (V, D)
  if (e.dim() != 2) throw dl::ShapeError("cosine_nearest: need an embedding table (V, D), got " + dl::to_string(e.shape()));
  const int64_t rows = e.size(0), dim = e.size(1);
  if (query < 0 || query >= rows)
    throw std::out_of_range("cosine_nearest: query " + std::to_string(query) + " is not a row of a table of " +
                            std::to_string(rows) + " rows");
  if (k < 0) throw std::invalid_argument("cosine_nearest: k must be 0 or more, got " + std::to_string(k));

  // Sums of products in double: a float would overflow for entries near 1e20 (their
  // squares are 1e40) and underflow to 0 for entries near 1e-20.
  const auto dot = [&](int64_t a, int64_t b) {
    double s = 0;
    for (int64_t d = 0; d < dim; ++d) s += double(e.data()[a * dim + d]) * double(e.data()[b * dim + d]);
    return s;
  };
  const auto norm = [&](int64_t r) {
    const double n = std::sqrt(dot(r, r));
    if (n == 0)
      throw std::invalid_argument("cosine_nearest: row " + std::to_string(r) +
                                  " is all zeros, so its cosine to anything is undefined");
    return n;
  };
  const double query_norm = norm(query);

  std::vector<std::pair<double, int>> scored;  // (cosine, id)
  for (int64_t r = 0; r < rows; ++r)
    if (r != query) scored.push_back({dot(query, r) / (query_norm * norm(r)), static_cast<int>(r)});
  const size_t keep = std::min(scored.size(), static_cast<size_t>(k));
  // Higher cosine first; equal cosines by lower id.
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(keep), scored.end(),
                    [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  std::vector<Neighbour> out;
  for (size_t i = 0; i < keep; ++i) out.push_back({scored[i].second, static_cast<float>(scored[i].first)});
  return out;
}

}  // namespace ex

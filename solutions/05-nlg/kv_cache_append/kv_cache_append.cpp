// Reference solution of the exercise kv_cache_append (chapter 05).
#include <algorithm>
#include <cmath>
#include <string>

#include "exercises.hpp"

namespace ex {

std::vector<float> kv_cache_append(KVCache& cache, std::span<const float> key, std::span<const float> value,
                                   std::span<const float> query) {
  // cache.keys, cache.values: (capacity, D)  key, value, query: D  out: D
  const int64_t d = cache.dim;
  if (d < 1 || cache.capacity < 0 || cache.length < 0 || cache.length > cache.capacity ||
      static_cast<int64_t>(cache.keys.size()) != cache.capacity * d ||
      static_cast<int64_t>(cache.values.size()) != cache.capacity * d)
    throw dl::ShapeError("kv_cache_append: a malformed cache: D = " + std::to_string(d) + ", capacity " +
                         std::to_string(cache.capacity) + ", length " + std::to_string(cache.length) + ", " +
                         std::to_string(cache.keys.size()) + " key and " + std::to_string(cache.values.size()) +
                         " value floats");
  if (cache.length == cache.capacity)
    throw dl::ShapeError("kv_cache_append: the cache is full (" + std::to_string(cache.capacity) + " positions)");
  for (const auto& [name, x] : {std::pair{"key", key}, std::pair{"value", value}, std::pair{"query", query}})
    if (static_cast<int64_t>(x.size()) != d)
      throw dl::ShapeError(std::string("kv_cache_append: the ") + name + " has " + std::to_string(x.size()) +
                           " floats, the cache's D is " + std::to_string(d));

  // Append: row `length` of each buffer.
  const auto row = [d](int64_t j) { return static_cast<std::ptrdiff_t>(j * d); };
  std::copy(key.begin(), key.end(), cache.keys.begin() + row(cache.length));
  std::copy(value.begin(), value.end(), cache.values.begin() + row(cache.length));
  ++cache.length;

  // Attend over positions 0 .. length-1, in double, the largest score subtracted first.
  const auto n = static_cast<size_t>(cache.length);
  const double scale = 1.0 / std::sqrt(double(d));
  std::vector<double> w(n);
  for (size_t j = 0; j < n; ++j) {
    double s = 0;
    for (int64_t c = 0; c < d; ++c) s += double(query[static_cast<size_t>(c)]) * cache.keys[row(int64_t(j)) + c];
    w[j] = s * scale;
  }
  const double top = *std::max_element(w.begin(), w.end());
  double total = 0;
  for (double& x : w) total += x = std::exp(x - top);
  std::vector<double> acc(static_cast<size_t>(d), 0.0);
  for (size_t j = 0; j < n; ++j)
    for (int64_t c = 0; c < d; ++c) acc[static_cast<size_t>(c)] += w[j] * cache.values[row(int64_t(j)) + c];
  std::vector<float> out(static_cast<size_t>(d));
  for (int64_t c = 0; c < d; ++c) out[static_cast<size_t>(c)] = static_cast<float>(acc[static_cast<size_t>(c)] / total);
  return out;
}

}  // namespace ex

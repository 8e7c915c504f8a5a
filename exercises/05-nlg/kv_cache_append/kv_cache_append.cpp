// Exercise kv_cache_append (chapter 05): one decoding step of attention with a key-value cache.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade kv_cache_append`.
#include "exercises.hpp"

namespace ex {

std::vector<float> kv_cache_append([[maybe_unused]] KVCache& cache, [[maybe_unused]] std::span<const float> key,
                                   [[maybe_unused]] std::span<const float> value,
                                   [[maybe_unused]] std::span<const float> query) {
  // cache.keys, cache.values: (capacity, D)  key, value, query: D  out: D
  // TODO: dl::ShapeError for a malformed cache (D < 1, buffers not capacity D long,
  // length outside [0, capacity]), a full one (length == capacity), or a key, value or
  // query that is not D long. Check all of it before you write anything.
  // Copy key and value into row `length` of the buffers and add 1 to length. Then, for
  // every cached row j (the new one too): score_j = (query · key_j) / sqrt(D); subtract
  // the largest score, w_j = exp(score_j - max), and out = sum_j w_j value_j / sum_j w_j.
  throw dl::NotImplemented("kv_cache_append is not written yet (exercises/05-nlg/kv_cache_append/kv_cache_append.cpp)");
}

}  // namespace ex

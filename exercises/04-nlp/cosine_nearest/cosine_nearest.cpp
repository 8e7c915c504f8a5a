// Exercise cosine_nearest (chapter 04): nearest neighbours by cosine similarity.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade cosine_nearest`.
#include "exercises.hpp"

namespace ex {

std::vector<Neighbour> cosine_nearest([[maybe_unused]] const dl::Tensor& e, [[maybe_unused]] int query,
                                      [[maybe_unused]] int64_t k) {
  // e: (V, D)
  // TODO: check the arguments: dl::ShapeError unless e is 2-D, std::out_of_range for
  // a query outside [0, V), std::invalid_argument for k < 0.
  // cos(a, b) = a·b / (|a| |b|); sum the products in a double. A row whose length is
  // 0 has no cosine: throw std::invalid_argument naming it.
  // Score every row except the query, sort by cosine from high to low (equal cosines
  // by increasing id), and return the first k (or all, if there are fewer).
  throw dl::NotImplemented("cosine_nearest is not written yet (exercises/04-nlp/cosine_nearest/cosine_nearest.cpp)");
}

}  // namespace ex

// Reference solution of the exercise ctc_collapse (chapter 07).
#include "exercises.hpp"

namespace ex {

std::vector<int> ctc_collapse(std::span<const int> frame_labels, int blank) {
  // frame_labels: (T)  out: at most T labels, none of them the blank
  std::vector<int> out;
  for (size_t t = 0; t < frame_labels.size(); ++t) {
    const int label = frame_labels[t];
    const bool new_run = t == 0 || label != frame_labels[t - 1];
    if (new_run && label != blank) out.push_back(label);
  }
  return out;
}

}  // namespace ex

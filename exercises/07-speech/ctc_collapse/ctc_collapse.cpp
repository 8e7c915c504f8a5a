// Exercise ctc_collapse (chapter 07): from one label per frame to CTC's output.
// The task, the hint and the lesson section to read first are in README.md, next to
// this file. Replace the TODO below with your code, then run `./book grade ctc_collapse`.
#include "exercises.hpp"

namespace ex {

std::vector<int> ctc_collapse([[maybe_unused]] std::span<const int> frame_labels, [[maybe_unused]] int blank) {
  // frame_labels: (T)  out: at most T labels, none of them the blank
  // TODO: walk the frames once. A frame whose label equals the previous frame's continues
  // that run and adds nothing; a frame that starts a new run adds its label to the output,
  // unless that label is the blank.
  throw dl::NotImplemented("ctc_collapse is not written yet (exercises/07-speech/ctc_collapse/ctc_collapse.cpp)");
}

}  // namespace ex

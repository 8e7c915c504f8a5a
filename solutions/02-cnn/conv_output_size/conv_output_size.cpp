// Reference solution of the exercise conv_output_size (chapter 02).
#include <string>

#include "exercises.hpp"

namespace ex {

int64_t conv_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation) {
  const std::string args = "in " + std::to_string(in) + ", kernel " + std::to_string(kernel) + ", stride " +
                           std::to_string(stride) + ", padding " + std::to_string(padding) + ", dilation " +
                           std::to_string(dilation);
  if (in < 1 || kernel < 1 || stride < 1 || dilation < 1 || padding < 0)
    throw dl::ShapeError("conv_output_size: " + args +
                         ": in, kernel, stride and dilation must be at least 1 and padding at least 0");
  const int64_t span = dilation * (kernel - 1) + 1;
  const int64_t padded = in + 2 * padding;
  // Checked before dividing: with a negative numerator, C++ division rounds towards
  // zero, so (padded - span) / stride + 1 could come out as 1 for a window that does not fit.
  if (span > padded)
    throw dl::ShapeError("conv_output_size: " + args + ": the window spans " + std::to_string(span) +
                         " positions but the padded input has only " + std::to_string(padded));
  return (padded - span) / stride + 1;
}

}  // namespace ex

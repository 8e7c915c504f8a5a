/// @file conv.hpp
/// @brief Convolution and pooling: the differentiable ops, and the plain kernels they call.
///
/// Layout is NCHW throughout: x (B, C, H, W), weight (O, C, kh, kw), like PyTorch.
/// Every spatial size follows one formula, for each of height and width:
///
///     out = floor((in + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1
#pragma once

#include "dl/tensor.hpp"

namespace dl {

/// Stride, padding and dilation of a 2-D window, the same along height and width.
struct WindowOptions {
  int64_t stride = 1;    ///< step between windows
  int64_t padding = 0;   ///< zeros added on every side
  int64_t dilation = 1;  ///< spacing between kernel taps (1: contiguous)
};

/// The sizes of one 2-D sliding-window op, derived once from the shapes.
struct Conv2dGeometry {
  int64_t batch;     ///< input batch size B
  int64_t channels;  ///< input channels C
  int64_t height;    ///< input height H
  int64_t width;     ///< input width W
  int64_t kernel_h;  ///< window height kh
  int64_t kernel_w;  ///< window width kw
  int64_t stride;    ///< step between windows
  int64_t padding;   ///< zeros added on every side
  int64_t dilation;  ///< spacing between kernel taps
  int64_t out_h;     ///< output height OH
  int64_t out_w;     ///< output width OW
  /// Rows of the im2col matrix: C*kh*kw.
  int64_t patch() const { return channels * kernel_h * kernel_w; }
  /// Output positions per image: out_h*out_w.
  int64_t positions() const { return out_h * out_w; }
};

/// Output size along one dimension; throws ShapeError naming `op`, the shapes and the formula
/// when the window does not fit into the padded input.
int64_t conv_output_size(int64_t in, int64_t kernel, const WindowOptions& o, const char* op, const Shape& input,
                         const Shape& window);

/// @name Kernels (plain functions on raw row-major memory; the ops call them)
/// @{

/// Unfolds every receptive field of one image into a column: col (C*kh*kw, out_h*out_w),
/// written into `col` with a row stride of `ld` floats (so several images can share one matrix).
void im2col(const float* image, const Conv2dGeometry& g, float* col, int64_t ld);
/// The adjoint of im2col: adds each column entry back into the image position it came from.
void col2im(const float* col, const Conv2dGeometry& g, int64_t ld, float* image);
/// @}

/// 2-D convolution (cross-correlation, like PyTorch) through im2col + one GEMM per batch.
/// x: (B, C, H, W)  weight: (O, C, kh, kw)  bias: (O) or undefined  ->  (B, O, out_h, out_w)
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const WindowOptions& options = {});

/// Max over each window; the gradient goes to the (first) arg-max. Padding never wins.
/// x: (B, C, H, W)  ->  (B, C, out_h, out_w)
Tensor max_pool2d(const Tensor& x, int64_t kernel, int64_t stride = 0, int64_t padding = 0);

/// Mean over each window, padding counted as zeros (PyTorch's count_include_pad=True).
/// x: (B, C, H, W)  ->  (B, C, out_h, out_w)
Tensor avg_pool2d(const Tensor& x, int64_t kernel, int64_t stride = 0, int64_t padding = 0);

/// Batch normalisation per channel. In training it normalises with the batch's
/// mean and (biased) variance and updates the running statistics in place:
/// running = (1 - momentum) * running + momentum * batch (unbiased variance).
/// In evaluation it uses the running statistics.
/// x: (B, C, H, W)  weight, bias, running_mean, running_var: (C)  ->  (B, C, H, W)
Tensor batch_norm2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                    Tensor& running_var, bool training, float momentum = 0.1f, float eps = 1e-5f);

}  // namespace dl

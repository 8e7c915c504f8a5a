/// @file data.hpp
/// @brief Datasets and batching: the IDX reader, Fashion-MNIST, and a shuffling `DataLoader`.
///
/// The pipeline of a chapter program is three lines:
///
/// ```cpp
/// dl::data::Dataset train = dl::data::load_fashion_mnist(data_dir, dl::data::Split::train);
/// dl::data::DataLoader loader(train, 64, /*shuffle=*/true, seed);
/// for (loader.start_epoch(); loader.next(batch);) { ... batch.x: (B,784), batch.y: (B) ... }
/// ```
///
/// Every file problem (missing, truncated, wrong magic, corrupt gzip) throws
/// `dl::FileError` with the path, what was expected, and how to fix it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dl/tensor.hpp"

namespace dl::data {

// ---- IDX files ------------------------------------------------------------

/// The contents of an IDX file: its extents and its raw unsigned bytes.
///
/// dims: (D0, ..., Dk-1) with 1 <= k <= 4   bytes: (D0*...*Dk-1), row-major.
struct IdxArray {
  std::vector<int64_t> dims;   ///< extents, outermost first (e.g. [10000,28,28])
  std::vector<uint8_t> bytes;  ///< the elements, row-major; size is the product of dims
};

/// Largest payload `read_idx` accepts (2 GiB); a header that promises more is treated as corrupt.
inline constexpr int64_t kMaxIdxBytes = int64_t{1} << 31;

/// Reads an IDX file (LeCun's MNIST format), gzip-compressed or plain.
///
/// The header is `00 00 <type> <ndim>` followed by `ndim` big-endian uint32 extents;
/// only type 0x08 (unsigned byte) is supported, which is what MNIST-style datasets use.
/// out.dims: (ndim)  out.bytes: (product of dims).
/// @param path          the file; `.gz` or not does not matter, the content decides.
/// @param expected_ndim when given, a file with another number of dimensions is an error
///                      (catches swapped image and label files).
/// @throws dl::FileError naming `path` when the file is missing, the magic or type is
///         wrong, ndim is 0 or above 4, an extent is 0, the payload is larger than
///         `kMaxIdxBytes`, the data is truncated or followed by extra bytes, or the gzip
///         stream is corrupt.
IdxArray read_idx(const std::string& path, std::optional<size_t> expected_ndim = {});

// ---- datasets -------------------------------------------------------------

/// Which half of a dataset to load.
enum class Split {
  train,  ///< the training set (60000 images for Fashion-MNIST)
  test,   ///< the test set (10000 images for Fashion-MNIST)
};

/// Images with one integer class label each.
///
/// images: (N, rows*cols) float32 in [0,1]   labels: (N), each in [0, number of classes).
struct Dataset {
  Tensor images;            ///< (N, rows*cols) pixels scaled to [0,1], one flattened image per row
  std::vector<int> labels;  ///< (N) class index of each image
  int64_t rows = 0;         ///< image height (28 for Fashion-MNIST)
  int64_t cols = 0;         ///< image width (28 for Fashion-MNIST)
  /// Number of examples N.
  int64_t size() const { return static_cast<int64_t>(labels.size()); }
};

/// Where the Debian package `dataset-fashion-mnist` installs the dataset.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

/// Names of the 10 Fashion-MNIST classes, indexed by label (0 = "T-shirt/top" ... 9 = "Ankle boot").
const std::array<const char*, 10>& fashion_mnist_classes();

/// Loads Fashion-MNIST from `dir` (`train-*-ubyte.gz` or `t10k-*-ubyte.gz`, uncompressed names too).
///
/// out.images: (N, 784) float32 in [0,1]   out.labels: (N) in [0,9]   out.rows = out.cols = 28.
/// @param dir   directory holding the four IDX files, usually `kFashionMnistDir` or `--data DIR`.
/// @param split which half to read.
/// @param limit keep only the first `limit` examples (all of them when negative), for quick runs.
/// @throws dl::FileError when a file is missing (the message names the Debian package and
///         the `--data` flag), malformed, or when image and label counts or labels disagree.
Dataset load_fashion_mnist(const std::string& dir, Split split, int64_t limit = -1);

/// A copy of examples [begin, end) of `data` (for a validation split, say).
///
/// data.images: (N, F)  ->  out.images: (end-begin, F), out.labels: (end-begin).
/// @throws dl::Error unless 0 <= begin <= end <= N.
Dataset subset(const Dataset& data, int64_t begin, int64_t end);

// ---- batching -------------------------------------------------------------

/// One mini-batch gathered from a dataset.
///
/// x: (B, F)   y: (B)   indices: (B); B is the batch size, smaller for the last batch.
struct Batch {
  Tensor x;                      ///< (B, F) the examples' features, copied out of the dataset
  std::vector<int> y;            ///< (B) their labels
  std::vector<int64_t> indices;  ///< (B) the dataset row each example came from
};

/// Cuts a dataset into mini-batches, in a fresh shuffled order every epoch.
///
/// The order is deterministic: epoch e is shuffled by a generator seeded from
/// (seed, e) alone, so the same seed gives the same batches on every run and
/// every standard library, and a resumed run can replay epoch e directly.
///
/// ```cpp
/// for (int epoch = 0; epoch < epochs; ++epoch)
///   for (loader.start_epoch(); loader.next(batch);) train_step(batch.x, batch.y);
/// ```
class DataLoader {
 public:
  /// Batches of `batch_size` rows of `data` (images: (N, F), labels: (N)).
  ///
  /// The loader keeps its own handle to `data.images` (shared storage, no copy of the pixels).
  /// @param data        the examples; the loader shares their storage.
  /// @param batch_size  rows per batch.
  /// @param shuffle   reshuffle every epoch; when false, rows come in dataset order.
  /// @param seed      seeds the shuffles.
  /// @param drop_last drop the last batch when it is smaller than `batch_size`.
  /// @throws dl::Error when `batch_size <= 0` or the dataset is empty;
  ///         dl::ShapeError when images are not (N, F) with N labels.
  DataLoader(const Dataset& data, int64_t batch_size, bool shuffle, uint64_t seed, bool drop_last = false);

  /// Begins the next epoch (0 first, then 1, 2, ...): reshuffles and rewinds.
  void start_epoch();
  /// Begins epoch `epoch` explicitly (to resume a run): same order as when reached by counting.
  void start_epoch(int64_t epoch);
  /// Fills `batch` with the next mini-batch (x: (B, F), y: (B)); false once the epoch is over.
  ///
  /// Calling `next` before any `start_epoch` starts epoch 0.
  bool next(Batch& batch);

  /// Number of batches `next` yields per epoch: ceil(N / batch_size), or floor with drop_last.
  int64_t batches_per_epoch() const;
  /// Index of the current epoch (-1 before the first `start_epoch`).
  int64_t epoch() const { return epoch_; }
  /// Number of examples N in the dataset.
  int64_t size() const { return static_cast<int64_t>(labels_.size()); }
  /// The batch size B.
  int64_t batch_size() const { return batch_size_; }

 private:
  Tensor images_;                // (N, F) shared with the dataset
  std::vector<int> labels_;      // (N)
  int64_t features_ = 0;         // F
  int64_t batch_size_ = 0;       // B
  bool shuffle_ = false;
  uint64_t seed_ = 0;
  bool drop_last_ = false;
  int64_t epoch_ = -1;           // current epoch, -1 before the first
  std::vector<int64_t> order_;   // (N) the permutation of this epoch
  int64_t cursor_ = 0;           // position in order_ of the next batch's first row
};

}  // namespace dl::data

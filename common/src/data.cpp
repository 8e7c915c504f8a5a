// IDX files (plain or gzip), Fashion-MNIST, and the shuffling DataLoader.
#include "dl/data.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <system_error>
#include <utility>

namespace dl::data {

namespace fs = std::filesystem;

// ---- IDX files ------------------------------------------------------------

namespace {

// Closes the gzFile on every path out of read_idx, the throwing ones included.
struct GzClose {
  void operator()(gzFile_s* file) const { gzclose(file); }
};
using GzFile = std::unique_ptr<gzFile_s, GzClose>;

// The IDX element type that MNIST-style files use; the only one we read.
constexpr uint8_t kTypeUnsignedByte = 0x08;
// The format allows up to 255 dimensions, but image data uses 1 (labels) to 4
// (colour images); a larger count is far more likely a corrupt header.
constexpr size_t kMaxIdxDims = 4;
// First buffer size for the payload; it doubles up to what the header promises.
constexpr size_t kFirstChunk = size_t{1} << 24;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw FileError("read_idx: " + path + ": " + what);
}

std::string hex_byte(uint8_t b) {
  char buf[3];
  std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>(b));
  return buf;
}

// The magic a caller should see in the message: "00 00 08 03", or "00 00 08 <ndim>" when any ndim will do.
std::string expected_magic(std::optional<size_t> ndim) {
  return "00 00 08 " + (ndim ? hex_byte(static_cast<uint8_t>(*ndim)) : std::string("<ndim>"));
}

const char* idx_type_name(uint8_t type) {
  switch (type) {
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "not an IDX type";
  }
}

// What zlib says went wrong, or "" when the stream is healthy. Z_BUF_ERROR
// ("unexpected end of file") is reported here too: gzread returns a short count
// for a cut-off gzip stream instead of -1, so callers must ask.
std::string gz_problem(gzFile file) {
  int code = Z_OK;
  const char* msg = gzerror(file, &code);
  if (code == Z_OK) return "";
  return std::string("zlib: ") + (msg && *msg ? msg : "error " + std::to_string(code));
}

// Reads up to `n` bytes, fewer only at the end of the data. gzread takes an
// unsigned and returns an int, so large reads go in chunks below INT_MAX.
size_t read_some(gzFile file, uint8_t* dst, size_t n, const std::string& path) {
  constexpr size_t kMaxRead = size_t{1} << 30;
  size_t done = 0;
  while (done < n) {
    const auto want = static_cast<unsigned>(std::min(n - done, kMaxRead));
    const int got = gzread(file, dst + done, want);
    if (got < 0)
      fail(path, "corrupt gzip stream (" + gz_problem(file) + "); the file is damaged, copy or download it again");
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  return done;
}

[[noreturn]] void fail_truncated(gzFile file, const std::string& path, const std::string& what, size_t expected,
                                 size_t got) {
  const std::string zlib = gz_problem(file);
  fail(path, "truncated " + what + ": expected " + std::to_string(expected) + " bytes but got " +
                 std::to_string(got) + (zlib.empty() ? "" : " (" + zlib + ")") +
                 "; the file is incomplete, copy or download it again");
}

}  // namespace

IdxArray read_idx(const std::string& path, std::optional<size_t> expected_ndim) {
  // Look first so a missing file says "not found" rather than zlib's or errno's words.
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) fail(path, "file not found (expected an IDX file here); check the path");
  if (fs::is_directory(status)) fail(path, "is a directory, expected an IDX file; name the file inside it");
  // A FIFO would block and a device such as /dev/zero never ends: only plain files.
  if (!fs::is_regular_file(status)) fail(path, "is not a regular file (a pipe or a device?); expected an IDX file");

  // gzopen reads gzip and plain files alike ("transparent" mode), so one code path serves both.
  GzFile file(gzopen(path.c_str(), "rb"));
  if (!file) fail(path, std::string("cannot open: ") + std::strerror(errno) + "; check the file's permissions");
  gzbuffer(file.get(), 1u << 17);  // fewer, larger reads: the default 8 KiB buffer is slow for 47 MB

  // Header: 00 00 <type> <ndim>.
  std::array<uint8_t, 4> magic{};
  const size_t got_magic = read_some(file.get(), magic.data(), magic.size(), path);
  if (got_magic < magic.size())
    fail(path, "file holds only " + std::to_string(got_magic) + " bytes, too short for the IDX header (expected magic " +
                   expected_magic(expected_ndim) + "); is this an IDX file?");
  if (magic[0] != 0 || magic[1] != 0)
    fail(path, "expected IDX magic " + expected_magic(expected_ndim) + " but the file starts with " +
                   hex_byte(magic[0]) + " " + hex_byte(magic[1]) + " " + hex_byte(magic[2]) + " " +
                   hex_byte(magic[3]) + "; is this an IDX file (like t10k-images-idx3-ubyte.gz)?");
  if (magic[2] != kTypeUnsignedByte)
    fail(path, "IDX type byte 0x" + hex_byte(magic[2]) + " (" + idx_type_name(magic[2]) +
                   ") is not supported; only 0x08 (unsigned byte, as in MNIST and Fashion-MNIST) is "
                   "(expected magic " + expected_magic(expected_ndim) + ")");
  const size_t ndim = magic[3];
  if (ndim == 0 || ndim > kMaxIdxDims)
    fail(path, "header says " + std::to_string(ndim) + " dimensions, expected 1 to " + std::to_string(kMaxIdxDims) +
                   " (magic " + expected_magic(expected_ndim) + "); the header is corrupt");
  if (expected_ndim && ndim != *expected_ndim)
    fail(path, "expected a " + std::to_string(*expected_ndim) + "-dimensional IDX file (magic " +
                   expected_magic(expected_ndim) + ") but the header says " + std::to_string(ndim) +
                   "; are the images and labels files swapped?");

  // Extents: ndim big-endian uint32.
  std::array<uint8_t, 4 * kMaxIdxDims> raw{};
  const size_t got_dims = read_some(file.get(), raw.data(), 4 * ndim, path);
  if (got_dims < 4 * ndim) fail_truncated(file.get(), path, "header", 4 * ndim, got_dims);

  IdxArray out;
  int64_t total = 1;
  for (size_t d = 0; d < ndim; ++d) {
    const uint8_t* p = raw.data() + 4 * d;
    const int64_t extent = (int64_t{p[0]} << 24) | (int64_t{p[1]} << 16) | (int64_t{p[2]} << 8) | int64_t{p[3]};
    if (extent == 0)
      fail(path, "dimension " + std::to_string(d) + " has extent 0 in the header; an IDX array must not be empty");
    // Checked before multiplying, so the product can neither overflow nor
    // reach the allocator when a corrupt header promises terabytes.
    if (total > kMaxIdxBytes / extent)
      fail(path, "header promises more than " + std::to_string(kMaxIdxBytes) +
                     " bytes of data (extent " + std::to_string(extent) + " in dimension " + std::to_string(d) +
                     "); the header is corrupt");
    total *= extent;
    out.dims.push_back(extent);
  }

  // Grow the buffer as data actually arrives instead of trusting the header
  // with one big allocation: a 20-byte corrupt file must not cost 2 GiB.
  const auto want = static_cast<size_t>(total);
  size_t have = 0;
  out.bytes.resize(std::min(want, kFirstChunk));
  for (;;) {
    have += read_some(file.get(), out.bytes.data() + have, out.bytes.size() - have, path);
    if (have < out.bytes.size() || have == want) break;
    out.bytes.resize(std::min(want, 2 * out.bytes.size()));
  }
  if (have < want) {
    std::string shape;
    for (size_t d = 0; d < ndim; ++d) shape += (d ? "," : "") + std::to_string(out.dims[d]);
    fail_truncated(file.get(), path, "data of shape [" + shape + "]", want, have);
  }

  // Reading on to the end also makes zlib check the gzip trailer (CRC and length). One
  // chunk is enough to know there is more: a small file that inflates to gigabytes of
  // trailing zeros must not cost the time to inflate them all.
  std::array<uint8_t, 4096> rest{};
  if (const size_t extra = read_some(file.get(), rest.data(), rest.size(), path); extra > 0)
    fail(path, (extra == rest.size() ? "at least " : "") + std::to_string(extra) + " trailing bytes after the " +
                   std::to_string(want) + " data bytes the header promises; the header or the file is corrupt");
  if (const std::string zlib = gz_problem(file.get()); !zlib.empty())
    fail(path, "corrupt gzip stream (" + zlib + "); the file is damaged, copy or download it again");
  return out;
}

// ---- Fashion-MNIST --------------------------------------------------------

const std::array<const char*, 10>& fashion_mnist_classes() {
  static const std::array<const char*, 10> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

namespace {

constexpr int kFashionClasses = 10;

// `dir/name.gz`, else `dir/name` (some mirrors ship the files uncompressed),
// else an error that tells the learner where the dataset comes from.
std::string find_dataset_file(const std::string& dir, const std::string& name) {
  const fs::path base = fs::path(dir) / name;
  std::error_code ec;
  const fs::path gz = fs::path(base).concat(".gz");
  if (fs::is_regular_file(gz, ec)) return gz.string();
  if (fs::is_regular_file(base, ec)) return base.string();
  const std::string where = fs::is_directory(dir, ec) ? "" : " (the directory " + dir + " does not exist)";
  throw FileError("Fashion-MNIST not found: expected " + gz.string() + " (or the uncompressed " + name + ") in " +
                  dir + where + ". The Debian package dataset-fashion-mnist provides these files in " +
                  kFashionMnistDir + ": install it with `./book deps` or `sudo apt-get install dataset-fashion-mnist`, "
                  "or pass --data DIR to point to a directory that holds them.");
}

}  // namespace

Dataset load_fashion_mnist(const std::string& dir, Split split, int64_t limit) {
  // The file names are the ones of the original Zalando release: "t10k" is the test split.
  const std::string prefix = split == Split::train ? "train" : "t10k";
  const std::string images_path = find_dataset_file(dir, prefix + "-images-idx3-ubyte");
  const std::string labels_path = find_dataset_file(dir, prefix + "-labels-idx1-ubyte");
  const IdxArray images = read_idx(images_path, 3);  // (N, rows, cols)
  const IdxArray labels = read_idx(labels_path, 1);  // (N)

  const int64_t count = images.dims[0];
  if (labels.dims[0] != count)
    throw FileError("load_fashion_mnist: " + images_path + " holds " + std::to_string(count) + " images but " +
                    labels_path + " holds " + std::to_string(labels.dims[0]) +
                    " labels; both files must come from the same split and release");

  Dataset out;
  out.rows = images.dims[1];
  out.cols = images.dims[2];
  const int64_t n = limit < 0 ? count : std::min(limit, count);
  const int64_t features = out.rows * out.cols;

  out.labels.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t label = labels.bytes[static_cast<size_t>(i)];
    if (label >= kFashionClasses)
      throw FileError("load_fashion_mnist: " + labels_path + ": label " + std::to_string(label) + " at index " +
                      std::to_string(i) + " is not a class 0..9; is this a Fashion-MNIST labels file?");
    out.labels[static_cast<size_t>(i)] = label;
  }

  // A 256-entry table: one exact division per byte value instead of one per pixel,
  // and 255 maps to exactly 1.0f (multiplying by 1/255.0f need not).
  std::array<float, 256> scale{};
  for (size_t v = 0; v < scale.size(); ++v) scale[v] = static_cast<float>(v) / 255.0f;
  out.images = Tensor::empty({n, features});
  float* dst = out.images.data();
  const uint8_t* src = images.bytes.data();
  for (int64_t i = 0; i < n * features; ++i) dst[i] = scale[src[i]];
  return out;
}

Dataset subset(const Dataset& data, int64_t begin, int64_t end) {
  const int64_t n = data.size();
  if (begin < 0 || begin > end || end > n)
    throw Error("subset: range [" + std::to_string(begin) + "," + std::to_string(end) +
                ") does not fit a dataset of " + std::to_string(n) + " examples; need 0 <= begin <= end <= " +
                std::to_string(n));
  if (!data.images.defined() || data.images.dim() != 2 || data.images.size(0) != n)
    throw ShapeError("subset: images must be (N, F) with N = " + std::to_string(n) + " labels, got " +
                     (data.images.defined() ? to_string(data.images.shape()) : std::string("undefined")));
  const int64_t features = data.images.size(1);
  Dataset out;
  out.rows = data.rows;
  out.cols = data.cols;
  out.labels.assign(data.labels.begin() + begin, data.labels.begin() + end);
  out.images = Tensor::empty({end - begin, features});
  // Rows [begin, end) are contiguous in row-major storage: one copy moves them all.
  std::memcpy(out.images.data(), data.images.data() + begin * features,
              static_cast<size_t>((end - begin) * features) * sizeof(float));
  return out;
}

// ---- DataLoader -----------------------------------------------------------

namespace {

// SplitMix64 finaliser: spreads nearby inputs (seeds 1 and 2, epochs 0 and 1)
// over all 64 bits, so (seed, epoch) pairs do not collide as seed + epoch would.
uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t epoch_seed(uint64_t seed, int64_t epoch) {
  return splitmix64(splitmix64(seed) ^ static_cast<uint64_t>(epoch));
}

}  // namespace

DataLoader::DataLoader(const Dataset& data, int64_t batch_size, bool shuffle, uint64_t seed, bool drop_last)
    : images_(data.images), labels_(data.labels), batch_size_(batch_size), shuffle_(shuffle), seed_(seed),
      drop_last_(drop_last) {
  if (batch_size <= 0)
    throw Error("DataLoader: batch_size must be positive, got " + std::to_string(batch_size));
  if (data.size() == 0)
    throw Error("DataLoader: the dataset is empty; check the data directory and --limit");
  if (!images_.defined() || images_.dim() != 2 || images_.size(0) != data.size())
    throw ShapeError("DataLoader: images must be (N, F) with N = " + std::to_string(data.size()) +
                     " labels, got " + (images_.defined() ? to_string(images_.shape()) : std::string("undefined")));
  features_ = images_.size(1);
}

void DataLoader::start_epoch() { start_epoch(epoch_ + 1); }

void DataLoader::start_epoch(int64_t epoch) {
  if (epoch < 0) throw Error("DataLoader::start_epoch: epoch must be >= 0, got " + std::to_string(epoch));
  epoch_ = epoch;
  order_.resize(labels_.size());
  std::iota(order_.begin(), order_.end(), int64_t{0});
  if (shuffle_) {
    // A fresh generator per epoch (not one running stream): epoch e's order depends on (seed, e) only.
    Generator gen(epoch_seed(seed_, epoch));
    gen.shuffle(order_);
  }
  cursor_ = 0;
}

bool DataLoader::next(Batch& batch) {
  if (epoch_ < 0) start_epoch(0);
  const int64_t n = size();
  if (cursor_ >= n) return false;
  const int64_t b = std::min(batch_size_, n - cursor_);
  if (drop_last_ && b < batch_size_) {
    cursor_ = n;
    return false;
  }
  // x: (B, F). A new tensor per batch: the previous one may still be held by the caller's graph.
  batch.x = Tensor::empty({b, features_});
  batch.y.resize(static_cast<size_t>(b));
  batch.indices.resize(static_cast<size_t>(b));
  const float* src = images_.data();
  float* dst = batch.x.data();
  const size_t row_bytes = static_cast<size_t>(features_) * sizeof(float);
  for (int64_t i = 0; i < b; ++i) {
    const int64_t row = order_[static_cast<size_t>(cursor_ + i)];
    std::memcpy(dst + i * features_, src + row * features_, row_bytes);
    batch.y[static_cast<size_t>(i)] = labels_[static_cast<size_t>(row)];
    batch.indices[static_cast<size_t>(i)] = row;
  }
  cursor_ += b;
  return true;
}

int64_t DataLoader::batches_per_epoch() const {
  const int64_t n = size();
  // n / b rounded up without computing n + b - 1, which overflows for a huge batch size.
  return drop_last_ ? n / batch_size_ : n / batch_size_ + (n % batch_size_ != 0);
}

}  // namespace dl::data

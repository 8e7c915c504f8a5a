// Tests of dl/data.hpp: the IDX reader against hand-made good and bad files,
// Fashion-MNIST loading from a fake directory (and the real one when installed),
// and the DataLoader's coverage, determinism and batch sizes.
#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "dl/data.hpp"
#include "dl/io.hpp"
#include "dl/text.hpp"
#include "dl/tokenize.hpp"
#include "test_support.hpp"

namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using Bytes = std::vector<uint8_t>;
using test::TempDir;


// The bytes of an IDX file: 00 00 <type> <ndim>, big-endian extents, then `payload`.
Bytes idx_bytes(const std::vector<uint32_t>& dims, const Bytes& payload, uint8_t type = 0x08) {
  Bytes out = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(d >> shift));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

// n bytes counting up from `start` (wrapping at 256), so any misplaced byte shows.
Bytes counting(size_t n, unsigned start = 0) {
  Bytes out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(start + i);
  return out;
}

void write_plain(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

void write_gzip(const std::string& path, const Bytes& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  REQUIRE(file != nullptr);
  const int written = bytes.empty() ? 0 : gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  const int closed = gzclose(file);
  REQUIRE(written == static_cast<int>(bytes.size()));
  REQUIRE(closed == Z_OK);
}

Bytes read_plain(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The message of the dl::FileError that `f` throws; fails the test if it throws nothing.
// Any other exception type escapes and fails the test as well.
std::string file_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const dl::FileError& e) {
    return e.what();
  }
  FAIL("expected a dl::FileError, nothing was thrown");
  return {};
}

// Writes `bytes` to `name` in `dir` and returns the message read_idx throws for it.
std::string idx_error(const TempDir& dir, const std::string& name, const Bytes& bytes,
                      std::optional<size_t> ndim = {}) {
  const std::string path = dir.file(name);
  write_plain(path, bytes);
  const std::string msg = file_error([&] { dl::data::read_idx(path, ndim); });
  CHECK_THAT(msg, Contains(path));
  return msg;
}

// Writes a Fashion-MNIST-style pair of files for `count` images of 28x28.
// Pixel p of image i is (i*31 + p) % 256, so 0 and 255 both occur.
void write_fake_fashion(const TempDir& dir, const std::string& prefix, uint32_t count, const Bytes& labels,
                        bool gzip) {
  Bytes pixels(size_t{count} * 784);
  for (size_t i = 0; i < count; ++i)
    for (size_t p = 0; p < 784; ++p) pixels[i * 784 + p] = static_cast<uint8_t>((i * 31 + p) % 256);
  const std::string suffix = gzip ? ".gz" : "";
  const auto write = gzip ? write_gzip : write_plain;
  write(dir.file(prefix + "-images-idx3-ubyte" + suffix), idx_bytes({count, 28, 28}, pixels));
  write(dir.file(prefix + "-labels-idx1-ubyte" + suffix),
        idx_bytes({static_cast<uint32_t>(labels.size())}, labels));
}

// A dataset of n rows of f features where row i holds i*f, i*f+1, ... and label i,
// so a batch row can be traced back to its dataset row.
dl::data::Dataset numbered(int64_t n, int64_t f) {
  std::vector<float> values(static_cast<size_t>(n * f));
  std::iota(values.begin(), values.end(), 0.0f);
  dl::data::Dataset data;
  data.images = dl::Tensor::from_data({n, f}, values);
  data.labels.resize(static_cast<size_t>(n));
  std::iota(data.labels.begin(), data.labels.end(), 0);
  return data;
}

// One epoch of `loader`: the dataset rows in the order served, and each batch's size.
// Checks on the way that every batch row is the dataset row its label names.
struct Epoch {
  std::vector<int64_t> order;
  std::vector<int64_t> sizes;
};
Epoch run_epoch(dl::data::DataLoader& loader, int64_t features) {
  Epoch e;
  dl::data::Batch batch;
  while (loader.next(batch)) {
    const int64_t b = batch.x.size(0);
    REQUIRE(batch.x.shape() == dl::Shape{b, features});
    REQUIRE(batch.y.size() == static_cast<size_t>(b));
    REQUIRE(batch.indices.size() == static_cast<size_t>(b));
    for (int64_t r = 0; r < b; ++r) {
      const int row = batch.y[static_cast<size_t>(r)];
      CHECK(batch.indices[static_cast<size_t>(r)] == row);
      for (int64_t c = 0; c < features; ++c)
        CHECK(batch.x.data()[r * features + c] == static_cast<float>(row * features + c));
      e.order.push_back(row);
    }
    e.sizes.push_back(b);
  }
  return e;
}

}  // namespace

// ---- read_idx ---------------------------------------------------------------

TEST_CASE("read_idx: plain and gzip files round-trip dims and bytes", "[data]") {
  TempDir dir;
  const Bytes payload = counting(2 * 3 * 4, 7);
  const Bytes file = idx_bytes({2, 3, 4}, payload);
  write_plain(dir.file("plain-idx3"), file);
  write_gzip(dir.file("packed-idx3.gz"), file);
  for (const std::string name : {"plain-idx3", "packed-idx3.gz"}) {
    INFO(name);
    const dl::data::IdxArray a = dl::data::read_idx(dir.file(name), 3);
    CHECK(a.dims == std::vector<int64_t>{2, 3, 4});
    CHECK(a.bytes == payload);
  }

  // 1-D (labels) and 4-D, with extents above 255 to exercise all four header bytes.
  write_gzip(dir.file("labels.gz"), idx_bytes({300}, counting(300)));
  const dl::data::IdxArray labels = dl::data::read_idx(dir.file("labels.gz"));
  CHECK(labels.dims == std::vector<int64_t>{300});
  CHECK(labels.bytes == counting(300));
  write_plain(dir.file("four"), idx_bytes({2, 1, 2, 3}, counting(12, 200)));
  const dl::data::IdxArray four = dl::data::read_idx(dir.file("four"), 4);
  CHECK(four.dims == std::vector<int64_t>{2, 1, 2, 3});
  CHECK(four.bytes == counting(12, 200));
}

TEST_CASE("read_idx: a payload larger than the first read buffer arrives whole", "[data]") {
  // 17 MiB: more than the reader's first 16 MiB buffer, so it must grow it once.
  TempDir dir;
  const Bytes payload = counting(size_t{17} << 20, 3);
  write_plain(dir.file("big"), idx_bytes({17, 1024, 1024}, payload));
  const dl::data::IdxArray a = dl::data::read_idx(dir.file("big"), 3);
  CHECK(a.dims == std::vector<int64_t>{17, 1024, 1024});
  CHECK(a.bytes == payload);

  Bytes cut = idx_bytes({17, 1024, 1024}, payload);
  cut.pop_back();
  const std::string msg = idx_error(dir, "big-cut", cut, 3);
  CHECK_THAT(msg, Contains("expected 17825792 bytes but got 17825791"));
}

TEST_CASE("read_idx: a wrong magic number is a FileError naming the path", "[data]") {
  TempDir dir;
  const std::string msg = idx_error(dir, "magic", {1, 0, 8, 1, 0, 0, 0, 1, 5}, 1);
  CHECK_THAT(msg, Contains("expected IDX magic 00 00 08 01"));
  CHECK_THAT(msg, Contains("01 00 08 01"));
  // A file shorter than the header is also reported against the magic.
  CHECK_THAT(idx_error(dir, "short", {0, 0}), Contains("too short for the IDX header"));
  CHECK_THAT(idx_error(dir, "empty", {}), Contains("too short for the IDX header"));
}

TEST_CASE("read_idx: a type other than unsigned byte is rejected and named", "[data]") {
  TempDir dir;
  const std::string msg = idx_error(dir, "floats", idx_bytes({1}, {0, 0, 0, 0}, 0x0D));
  CHECK_THAT(msg, Contains("0x0d"));
  CHECK_THAT(msg, Contains("float32"));
  CHECK_THAT(msg, Contains("only 0x08 (unsigned byte"));
}

TEST_CASE("read_idx: ndim of 0, above 4, or other than expected is rejected", "[data]") {
  TempDir dir;
  CHECK_THAT(idx_error(dir, "ndim0", {0, 0, 8, 0}), Contains("header says 0 dimensions"));
  CHECK_THAT(idx_error(dir, "ndim5", idx_bytes({1, 1, 1, 1, 1}, {9})), Contains("header says 5 dimensions"));
  // A labels file (1-D) where images (3-D) were asked for: the usual swap.
  const std::string msg = idx_error(dir, "labels-as-images", idx_bytes({3}, {1, 2, 3}), 3);
  CHECK_THAT(msg, Contains("expected a 3-dimensional IDX file"));
  CHECK_THAT(msg, Contains("swapped"));
}

TEST_CASE("read_idx: a zero extent or an absurd size is rejected before reading data", "[data]") {
  TempDir dir;
  CHECK_THAT(idx_error(dir, "zero", idx_bytes({2, 0, 3}, {})), Contains("dimension 1 has extent 0"));
  // 65535^3 bytes (about 2.8e14) would have to be allocated if the header were trusted.
  CHECK_THAT(idx_error(dir, "huge", idx_bytes({65535, 65535, 65535}, {1, 2, 3})), Contains("more than 2147483648"));
  // Exactly at the cap is legal, so this one must fail as truncated, quickly and without a 2 GiB buffer.
  CHECK_THAT(idx_error(dir, "cap", idx_bytes({65536, 32768}, counting(10))),
             Contains("expected 2147483648 bytes but got 10"));
}

TEST_CASE("read_idx: truncated data and a truncated header say how much is missing", "[data]") {
  TempDir dir;
  const std::string msg = idx_error(dir, "truncated", idx_bytes({2, 3, 4}, counting(20)), 3);
  CHECK_THAT(msg, Contains("truncated data of shape [2,3,4]"));
  CHECK_THAT(msg, Contains("expected 24 bytes but got 20"));

  Bytes header = idx_bytes({2, 3, 4}, {});
  header.resize(9);  // magic plus 5 of the 12 extent bytes
  CHECK_THAT(idx_error(dir, "header", header), Contains("truncated header: expected 12 bytes but got 5"));
}

TEST_CASE("read_idx: bytes after the promised data are an error", "[data]") {
  TempDir dir;
  const std::string msg = idx_error(dir, "trailing", idx_bytes({2, 2}, counting(7)));
  CHECK_THAT(msg, Contains("3 trailing bytes after the 4 data bytes"));

  // The same check applies inside a gzip stream.
  const std::string gz = dir.file("trailing.gz");
  write_gzip(gz, idx_bytes({2, 2}, counting(5)));
  const std::string gz_msg = file_error([&] { dl::data::read_idx(gz); });
  CHECK_THAT(gz_msg, Contains(gz));
  CHECK_THAT(gz_msg, Contains("1 trailing bytes"));
}

TEST_CASE("read_idx: a missing file or a directory is a FileError naming the path", "[data]") {
  TempDir dir;
  const std::string missing = dir.file("no-such-file.gz");
  const std::string msg = file_error([&] { dl::data::read_idx(missing); });
  CHECK_THAT(msg, Contains(missing));
  CHECK_THAT(msg, Contains("not found"));
  const std::string dmsg = file_error([&] { dl::data::read_idx(dir.str()); });
  CHECK_THAT(dmsg, Contains(dir.str()));
  CHECK_THAT(dmsg, Contains("is a directory"));
}

TEST_CASE("read_idx: a corrupt gzip stream is a FileError naming the path", "[data]") {
  TempDir dir;
  SECTION("valid gzip header, then garbage") {
    // 1f 8b 08: gzip with deflate; 0xff as the first deflate byte is a block of the reserved type 3.
    Bytes bytes = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03};
    bytes.insert(bytes.end(), 32, 0xff);
    const std::string msg = idx_error(dir, "garbage.gz", bytes);
    CHECK_THAT(msg, Contains("corrupt gzip stream"));
    CHECK_THAT(msg, Contains("zlib:"));
  }
  SECTION("CRC of the gzip trailer does not match") {
    const std::string good = dir.file("good.gz");
    write_gzip(good, idx_bytes({4, 4}, counting(16)));
    Bytes bytes = read_plain(good);
    REQUIRE(bytes.size() > 8);
    bytes[bytes.size() - 8] ^= 0xff;  // the trailer is CRC32 (4 bytes) then the length (4 bytes)
    const std::string msg = idx_error(dir, "bad-crc.gz", bytes);
    CHECK_THAT(msg, Contains("corrupt gzip stream"));
  }
  SECTION("stream cut off in the middle") {
    const std::string good = dir.file("good.gz");
    write_gzip(good, idx_bytes({64, 64}, counting(4096)));
    Bytes bytes = read_plain(good);
    bytes.resize(bytes.size() / 2);
    const std::string msg = idx_error(dir, "cut.gz", bytes);
    CHECK_THAT(msg, Contains("truncated"));
    CHECK_THAT(msg, Contains("unexpected end of file"));
  }
}

// ---- Fashion-MNIST ------------------------------------------------------------

TEST_CASE("load_fashion_mnist: a fake directory gives (N,784) pixels in 0..1 and the labels", "[data]") {
  TempDir dir;
  const Bytes labels = {0, 9, 3, 3, 7};
  write_fake_fashion(dir, "t10k", 5, labels, /*gzip=*/true);
  const dl::data::Dataset test = dl::data::load_fashion_mnist(dir.str(), dl::data::Split::test);
  REQUIRE(test.size() == 5);
  REQUIRE(test.images.shape() == dl::Shape{5, 784});
  CHECK(test.rows == 28);
  CHECK(test.cols == 28);
  CHECK(test.labels == std::vector<int>{0, 9, 3, 3, 7});
  const float* px = test.images.data();
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t p = 0; p < 784; ++p) {
      const auto byte = static_cast<uint8_t>((i * 31 + p) % 256);
      REQUIRE(px[i * 784 + p] == static_cast<float>(byte) / 255.0f);
    }
  CHECK(*std::min_element(px, px + 5 * 784) == 0.0f);
  CHECK(*std::max_element(px, px + 5 * 784) == 1.0f);

  // limit keeps the first rows; a limit beyond N keeps them all.
  const dl::data::Dataset first = dl::data::load_fashion_mnist(dir.str(), dl::data::Split::test, 2);
  CHECK(first.images.shape() == dl::Shape{2, 784});
  CHECK(first.labels == std::vector<int>{0, 9});
  CHECK(first.images.to_vector() == std::vector<float>(px, px + 2 * 784));
  CHECK(dl::data::load_fashion_mnist(dir.str(), dl::data::Split::test, 100).size() == 5);
}

TEST_CASE("load_fashion_mnist: uncompressed files are used when the .gz ones are absent", "[data]") {
  TempDir dir;
  write_fake_fashion(dir, "train", 3, {4, 5, 6}, /*gzip=*/false);
  const dl::data::Dataset train = dl::data::load_fashion_mnist(dir.str(), dl::data::Split::train);
  CHECK(train.images.shape() == dl::Shape{3, 784});
  CHECK(train.labels == std::vector<int>{4, 5, 6});
  // The train split must not be found under the test names.
  CHECK_THAT(file_error([&] { dl::data::load_fashion_mnist(dir.str(), dl::data::Split::test); }),
             Contains("t10k-images-idx3-ubyte.gz"));
}

TEST_CASE("load_fashion_mnist: image and label counts must agree, labels must be classes", "[data]") {
  TempDir dir;
  write_fake_fashion(dir, "t10k", 5, {1, 2, 3, 4}, /*gzip=*/true);
  const std::string msg = file_error([&] { dl::data::load_fashion_mnist(dir.str(), dl::data::Split::test); });
  CHECK_THAT(msg, Contains("5 images"));
  CHECK_THAT(msg, Contains("4 labels"));
  CHECK_THAT(msg, Contains(dir.file("t10k-labels-idx1-ubyte.gz")));

  write_fake_fashion(dir, "train", 2, {1, 10}, /*gzip=*/true);
  const std::string bad = file_error([&] { dl::data::load_fashion_mnist(dir.str(), dl::data::Split::train); });
  CHECK_THAT(bad, Contains("label 10 at index 1"));
  CHECK_THAT(bad, Contains(dir.file("train-labels-idx1-ubyte.gz")));
}

TEST_CASE("load_fashion_mnist: a missing dataset names the package and the --data flag", "[data]") {
  TempDir dir;
  const std::string nowhere = dir.file("nowhere");
  const std::string msg = file_error([&] { dl::data::load_fashion_mnist(nowhere, dl::data::Split::train); });
  CHECK_THAT(msg, Contains(nowhere));
  CHECK_THAT(msg, Contains("train-images-idx3-ubyte.gz"));
  CHECK_THAT(msg, Contains("does not exist"));
  CHECK_THAT(msg, Contains("dataset-fashion-mnist"));
  CHECK_THAT(msg, Contains("sudo apt-get install dataset-fashion-mnist"));
  CHECK_THAT(msg, Contains("./book deps"));
  CHECK_THAT(msg, Contains("--data"));

  // The directory exists and holds the images, but the labels are missing.
  write_gzip(dir.file("t10k-images-idx3-ubyte.gz"), idx_bytes({1, 28, 28}, Bytes(784)));
  const std::string lmsg = file_error([&] { dl::data::load_fashion_mnist(dir.str(), dl::data::Split::test); });
  CHECK_THAT(lmsg, Contains("t10k-labels-idx1-ubyte"));
  CHECK_THAT(lmsg, Contains("dataset-fashion-mnist"));
  CHECK_THAT(lmsg, !Contains("does not exist"));
}

TEST_CASE("fashion_mnist_classes: ten names in label order", "[data]") {
  const auto& names = dl::data::fashion_mnist_classes();
  CHECK(std::string(names[0]) == "T-shirt/top");
  CHECK(std::string(names[5]) == "Sandal");
  CHECK(std::string(names[9]) == "Ankle boot");
}

TEST_CASE("subset: copies rows begin..end-1 and rejects ranges outside the dataset", "[data]") {
  const dl::data::Dataset data = numbered(6, 2);
  const dl::data::Dataset mid = dl::data::subset(data, 2, 5);
  CHECK(mid.images.shape() == dl::Shape{3, 2});
  CHECK(mid.images.to_vector() == std::vector<float>{4, 5, 6, 7, 8, 9});
  CHECK(mid.labels == std::vector<int>{2, 3, 4});
  CHECK(mid.images.data() != data.images.data() + 4);  // a copy, not a view
  CHECK(dl::data::subset(data, 3, 3).size() == 0);
  CHECK_THROWS_AS(dl::data::subset(data, 4, 7), dl::Error);
  CHECK_THROWS_AS(dl::data::subset(data, -1, 2), dl::Error);
  CHECK_THROWS_AS(dl::data::subset(data, 3, 2), dl::Error);
}

// ---- DataLoader -----------------------------------------------------------------

TEST_CASE("DataLoader: each epoch serves every example exactly once, rows intact", "[data]") {
  const dl::data::Dataset data = numbered(10, 3);
  dl::data::DataLoader loader(data, 3, /*shuffle=*/true, /*seed=*/1);
  CHECK(loader.batches_per_epoch() == 4);
  for (int epoch = 0; epoch < 3; ++epoch) {
    loader.start_epoch();
    CHECK(loader.epoch() == epoch);
    Epoch e = run_epoch(loader, 3);
    CHECK(e.sizes == std::vector<int64_t>{3, 3, 3, 1});
    std::sort(e.order.begin(), e.order.end());
    std::vector<int64_t> all(10);
    std::iota(all.begin(), all.end(), 0);
    CHECK(e.order == all);
  }
  // Once the epoch is over, next keeps saying so until the next start_epoch.
  dl::data::Batch batch;
  CHECK_FALSE(loader.next(batch));
  CHECK_FALSE(loader.next(batch));
}

TEST_CASE("DataLoader: same seed gives the same order, a new epoch or seed a new order", "[data]") {
  const dl::data::Dataset data = numbered(20, 1);
  dl::data::DataLoader a(data, 4, true, 7);
  dl::data::DataLoader b(data, 4, true, 7);
  dl::data::DataLoader other_seed(data, 4, true, 8);
  a.start_epoch();
  b.start_epoch();
  other_seed.start_epoch();
  const Epoch a0 = run_epoch(a, 1);
  const Epoch b0 = run_epoch(b, 1);
  const Epoch s0 = run_epoch(other_seed, 1);
  a.start_epoch();
  const Epoch a1 = run_epoch(a, 1);
  CHECK(a0.order == b0.order);
  CHECK(a0.order != a1.order);
  CHECK(a0.order != s0.order);
  std::vector<int64_t> identity(20);
  std::iota(identity.begin(), identity.end(), 0);
  CHECK(a0.order != identity);

  // Jumping straight to epoch 1 (a resumed run) replays the same order.
  dl::data::DataLoader resumed(data, 4, true, 7);
  resumed.start_epoch(1);
  CHECK(run_epoch(resumed, 1).order == a1.order);
  // next before any start_epoch starts epoch 0.
  dl::data::DataLoader implicit(data, 4, true, 7);
  CHECK(run_epoch(implicit, 1).order == a0.order);
  CHECK(implicit.epoch() == 0);
}

TEST_CASE("DataLoader: the shuffled order is pinned for a fixed seed", "[data]") {
  // Our own Fisher-Yates over mt19937_64 (whose output the standard fixes) gives
  // this order with every standard library; std::shuffle would not.
  const dl::data::Dataset data = numbered(10, 1);
  dl::data::DataLoader loader(data, 10, true, 42);
  loader.start_epoch();
  CHECK(run_epoch(loader, 1).order == std::vector<int64_t>{2, 0, 4, 7, 8, 3, 5, 1, 9, 6});
}

TEST_CASE("DataLoader: without shuffle the rows come in dataset order", "[data]") {
  const dl::data::Dataset data = numbered(7, 2);
  dl::data::DataLoader loader(data, 2, /*shuffle=*/false, 123);
  for (int epoch = 0; epoch < 2; ++epoch) {
    loader.start_epoch();
    const Epoch e = run_epoch(loader, 2);
    CHECK(e.order == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6});
    CHECK(e.sizes == std::vector<int64_t>{2, 2, 2, 1});
  }
}

TEST_CASE("DataLoader: the last partial batch is kept unless drop_last", "[data]") {
  const dl::data::Dataset data = numbered(10, 2);
  dl::data::DataLoader keep(data, 4, true, 3, /*drop_last=*/false);
  dl::data::DataLoader drop(data, 4, true, 3, /*drop_last=*/true);
  CHECK(keep.batches_per_epoch() == 3);
  CHECK(drop.batches_per_epoch() == 2);
  keep.start_epoch();
  drop.start_epoch();
  const Epoch k = run_epoch(keep, 2);
  const Epoch d = run_epoch(drop, 2);
  CHECK(k.sizes == std::vector<int64_t>{4, 4, 2});
  CHECK(d.sizes == std::vector<int64_t>{4, 4});
  // drop_last drops the tail of the same shuffled order, nothing else.
  CHECK(d.order == std::vector<int64_t>(k.order.begin(), k.order.begin() + 8));

  // When the batch size divides N nothing is dropped.
  dl::data::DataLoader exact(numbered(8, 2), 4, true, 3, /*drop_last=*/true);
  CHECK(exact.batches_per_epoch() == 2);
  exact.start_epoch();
  CHECK(run_epoch(exact, 2).sizes == std::vector<int64_t>{4, 4});
  // A batch larger than the dataset yields one short batch, or none with drop_last.
  dl::data::DataLoader big(numbered(3, 2), 5, false, 0);
  CHECK(big.batches_per_epoch() == 1);
  CHECK(run_epoch(big, 2).sizes == std::vector<int64_t>{3});
  dl::data::DataLoader big_drop(numbered(3, 2), 5, false, 0, true);
  CHECK(big_drop.batches_per_epoch() == 0);
  CHECK(run_epoch(big_drop, 2).sizes.empty());
}

TEST_CASE("DataLoader: a non-positive batch size or an empty dataset is an error", "[data]") {
  const dl::data::Dataset data = numbered(4, 2);
  CHECK_THROWS_AS(dl::data::DataLoader(data, 0, true, 0), dl::Error);
  CHECK_THROWS_AS(dl::data::DataLoader(data, -3, true, 0), dl::Error);
  CHECK_THROWS_AS(dl::data::DataLoader(dl::data::Dataset{}, 4, true, 0), dl::Error);
  CHECK_THROWS_AS(dl::data::DataLoader(dl::data::subset(data, 0, 0), 4, true, 0), dl::Error);
  dl::data::Dataset mismatched = numbered(4, 2);
  mismatched.labels.pop_back();
  CHECK_THROWS_AS(dl::data::DataLoader(mismatched, 2, true, 0), dl::ShapeError);
}

// ---- the real dataset -----------------------------------------------------------

TEST_CASE("load_fashion_mnist: the installed test split has 10000 balanced images", "[data][fashion]") {
  if (!fs::is_directory(dl::data::kFashionMnistDir)) {
    WARN("skipped: " << dl::data::kFashionMnistDir
                     << " not found (sudo apt-get install dataset-fashion-mnist, or ./book deps)");
    return;
  }
  const dl::data::Dataset test = dl::data::load_fashion_mnist(dl::data::kFashionMnistDir, dl::data::Split::test);
  REQUIRE(test.size() == 10000);
  REQUIRE(test.images.shape() == dl::Shape{10000, 784});
  CHECK(test.rows == 28);
  CHECK(test.cols == 28);
  std::vector<int> per_class(10, 0);
  for (int y : test.labels) {
    REQUIRE(y >= 0);
    REQUIRE(y < 10);
    ++per_class[static_cast<size_t>(y)];
  }
  CHECK(per_class == std::vector<int>(10, 1000));
  const float* px = test.images.data();
  CHECK(*std::min_element(px, px + test.images.numel()) == 0.0f);
  CHECK(*std::max_element(px, px + test.images.numel()) == 1.0f);
  CHECK(test.labels[0] == 9);  // the first test image is an ankle boot
}

TEST_CASE("read_idx: a gzip stream with megabytes of trailing zeros is refused after one chunk", "[data][errors]") {
  TempDir dir;
  const std::string gz = dir.file("bomb.gz");
  Bytes bomb = idx_bytes({2, 2}, counting(4));
  bomb.resize(bomb.size() + 10'000'000, 0);  // compresses to about 10 KB
  write_gzip(gz, bomb);
  CHECK_THAT(file_error([&] { dl::data::read_idx(gz); }),
             Contains(gz) && Contains("at least 4096 trailing bytes after the 4 data bytes"));
}

TEST_CASE("readers: a FIFO or /dev/zero is refused as input instead of blocking or reading forever", "[data][errors]") {
  TempDir dir;
  const std::string fifo = dir.file("pipe");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  for (const std::string& path : {fifo, std::string("/dev/zero")}) {
    INFO(path);
    CHECK_THAT(file_error([&] { dl::data::read_idx(path); }), Contains(path) && Contains("not a regular file"));
    CHECK_THROWS_WITH(dl::data::read_fortunes(path), Contains(path) && Contains("not a regular file"));
    CHECK_THROWS_WITH(dl::read_file(path, "a vocab.txt"), Contains("not a regular file") && Contains("a vocab.txt"));
    CHECK_THROWS_WITH(dl::tokenize::WordPiece::load(path), Contains("not a regular file"));
    CHECK_THROWS_WITH(dl::load_safetensors(path), Contains("not a regular file"));
  }
  std::ofstream(dir.file("big.txt")) << std::string(100, 'x');
  CHECK_THROWS_WITH(dl::read_file(dir.file("big.txt"), "a small file", 10), Contains("100 bytes, more than the 10"));
  CHECK(dl::read_file(dir.file("big.txt"), "a small file") == std::string(100, 'x'));
}

TEST_CASE("DataLoader: a batch size larger than the data set is one batch, even near the int64 limit", "[data]") {
  const dl::data::Dataset data = numbered(7, 3);
  for (const int64_t batch : {int64_t{8}, int64_t{1} << 40, INT64_MAX}) {
    dl::data::DataLoader loader(data, batch, /*shuffle=*/true, /*seed=*/1);
    CHECK(loader.batches_per_epoch() == 1);
    dl::data::Batch b;
    REQUIRE(loader.next(b));
    CHECK(b.y.size() == 7);
    CHECK_FALSE(loader.next(b));
  }
}

// Safetensors checkpoints: round trips, the exact byte layout, and every corruption the loader must catch.
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "dl/io.hpp"
#include <nlohmann/json.hpp>
#include "test_support.hpp"

using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {
using test::TempDir;


void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string le_u64(uint64_t v) {
  std::string s;
  for (int i = 0; i < 8; ++i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
  return s;
}

// A safetensors file built by hand from a header text and a data buffer.
std::string safetensors_bytes(const std::string& header, const std::string& data) {
  return le_u64(header.size()) + header + data;
}

// The message of the FileError that loading `path` throws, or a note that it did not throw.
std::string load_error(const std::string& path) {
  try {
    dl::load_safetensors(path);
  } catch (const dl::FileError& e) {
    return e.what();
  }
  return "<no FileError thrown>";
}

bool same_bits(const dl::Tensor& a, const dl::Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), static_cast<size_t>(a.numel()) * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("safetensors: round trip keeps names, order, shapes, bits and metadata", "[io]") {
  TempDir dir;
  const std::string path = dir.file("model.safetensors");
  dl::Generator gen(7);
  const dl::NamedTensors saved = {
      {"fc1.weight", dl::Tensor::randn({3, 5}, gen)},
      {"fc1.bias", dl::Tensor::from_data({4}, {-0.0f, std::numeric_limits<float>::denorm_min(),
                                               std::numeric_limits<float>::infinity(), std::nanf("")})},
      {"step", dl::Tensor::scalar(42.0f)},   // 0-d: shape []
      {"empty", dl::Tensor::zeros({0, 4})},  // no elements: data_offsets [x, x]
      {"名字 with \"quotes\"", dl::Tensor::randn({2, 1, 3}, gen)},
  };
  const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"epoch", "3"}, {"note", "卷积"}};
  dl::save_safetensors(path, saved, metadata);

  std::map<std::string, std::string> meta_back;
  const dl::NamedTensors loaded = dl::load_safetensors(path, &meta_back);
  REQUIRE(loaded.size() == saved.size());
  for (size_t i = 0; i < saved.size(); ++i) {
    INFO("tensor " << saved[i].first);
    CHECK(loaded[i].first == saved[i].first);
    CHECK(loaded[i].second.shape() == saved[i].second.shape());
    CHECK(same_bits(loaded[i].second, saved[i].second));
  }
  CHECK(loaded[2].second.dim() == 0);
  CHECK(loaded[3].second.numel() == 0);
  CHECK(meta_back == metadata);

  // Without metadata there is no __metadata__ entry, and loading clears stale metadata.
  dl::save_safetensors(path, {{"x", dl::Tensor::ones({2})}});
  const std::string bytes = read_bytes(path);
  CHECK(bytes.find("__metadata__") == std::string::npos);
  std::map<std::string, std::string> stale = {{"old", "value"}};
  CHECK(dl::load_safetensors(path, &stale).size() == 1);
  CHECK(stale.empty());
}

TEST_CASE("safetensors: header length is little-endian and the data start 8-byte aligned", "[io]") {
  TempDir dir;
  const std::string path = dir.file("layout.safetensors");
  // 1.0f is 0x3F800000, stored little-endian as 00 00 80 3F; 2.0f as 00 00 00 40.
  dl::save_safetensors(path, {{"a", dl::Tensor::from_data({2}, {1.0f, 2.0f})}, {"b", dl::Tensor::scalar(-2.0f)}});
  const std::string bytes = read_bytes(path);
  REQUIRE(bytes.size() >= 8);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[static_cast<size_t>(i)]);
  CHECK(static_cast<unsigned char>(bytes[0]) != 0);  // little-endian: the low byte comes first
  CHECK(bytes.substr(4, 4) == std::string(4, '\0'));
  CHECK((8 + n) % 8 == 0);
  REQUIRE(bytes.size() == 8 + n + 12);

  const std::string header = bytes.substr(8, n);
  CHECK(header.front() == '{');
  CHECK(header.find_last_not_of(' ') != std::string::npos);  // padding is spaces after the object
  const auto parsed = nlohmann::ordered_json::parse(header);
  CHECK(parsed.at("a").at("dtype") == "F32");
  CHECK(parsed.at("a").at("shape").dump() == "[2]");
  CHECK(parsed.at("a").at("data_offsets").dump() == "[0,8]");
  CHECK(parsed.at("b").at("shape").dump() == "[]");
  CHECK(parsed.at("b").at("data_offsets").dump() == "[8,12]");

  const unsigned char expected[12] = {0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0xC0};
  CHECK(std::memcmp(bytes.data() + 8 + n, expected, sizeof expected) == 0);
}

TEST_CASE("safetensors: a hand-written file loads, tensors in data-offset order", "[io]") {
  TempDir dir;
  const std::string path = dir.file("hand.safetensors");
  // "late" is listed first in the header but its data come second; extra fields are ignored.
  const std::string header = R"({"late":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},)"
                             R"("early":{"shape":[2],"dtype":"F32","data_offsets":[0,8],"extra":"ignored"},)"
                             R"("__metadata__":{"k":"v"}})";
  const float early[2] = {1.5f, -3.0f};
  const float late[1] = {0.25f};
  std::string data(reinterpret_cast<const char*>(early), 8);
  data.append(reinterpret_cast<const char*>(late), 4);
  write_bytes(path, safetensors_bytes(header, data));

  std::map<std::string, std::string> meta;
  const dl::NamedTensors t = dl::load_safetensors(path, &meta);
  REQUIRE(t.size() == 2);
  CHECK(t[0].first == "early");
  CHECK(t[0].second.to_vector() == std::vector<float>{1.5f, -3.0f});
  CHECK(t[1].first == "late");
  CHECK(t[1].second.to_vector() == std::vector<float>{0.25f});
  CHECK(meta.at("k") == "v");

  write_bytes(path, safetensors_bytes("{}", ""));  // an empty checkpoint is valid
  CHECK(dl::load_safetensors(path).empty());
}

TEST_CASE("safetensors: each kind of corrupt file throws FileError naming the path and the expectation", "[io]") {
  TempDir dir;
  const std::string path = dir.file("bad.safetensors");
  const std::string f8(8, '\0');  // 8 data bytes, enough for two floats
  const auto entry = [](const std::string& name, const std::string& body) { return "\"" + name + "\":{" + body + "}"; };
  struct Case {
    const char* what;
    std::string bytes;
    std::string fragment;
  };
  const std::vector<Case> cases = {
      {"empty file", "", "too short for the 8-byte header length"},
      {"5-byte file", std::string("\x05\0\0\0\0", 5), "too short"},
      {"absurd header length", le_u64(0xFFFFFFFFFFFFFFFFull) + "{}", "exceeds the limit"},
      {"header just over the limit", le_u64(100'000'001) + "{}", "exceeds the limit"},
      {"header longer than the file", le_u64(100) + "{}", "runs past the end"},
      {"header not JSON", safetensors_bytes("{not json", f8), "not valid JSON"},
      {"header with trailing garbage", safetensors_bytes("{}}", ""), "not valid JSON"},
      {"header is an array", safetensors_bytes("[]", ""), "expected an object"},
      {"entry is a number", safetensors_bytes(R"({"w":5})", ""), "expected an object with"},
      {"missing dtype", safetensors_bytes("{" + entry("w", R"("shape":[2],"data_offsets":[0,8])") + "}", f8),
       "missing \"dtype\""},
      {"missing shape", safetensors_bytes("{" + entry("w", R"("dtype":"F32","data_offsets":[0,8])") + "}", f8),
       "missing \"shape\""},
      {"missing data_offsets", safetensors_bytes("{" + entry("w", R"("dtype":"F32","shape":[2])") + "}", f8),
       "missing \"data_offsets\""},
      {"dtype not a string",
       safetensors_bytes("{" + entry("w", R"("dtype":32,"shape":[2],"data_offsets":[0,8])") + "}", f8),
       "expected a string"},
      {"dtype F16", safetensors_bytes("{" + entry("w", R"("dtype":"F16","shape":[4],"data_offsets":[0,8])") + "}", f8),
       "has dtype \"F16\", but only F32 is supported"},
      {"shape not an array",
       safetensors_bytes("{" + entry("w", R"("dtype":"F32","shape":2,"data_offsets":[0,8])") + "}", f8),
       "expected an array"},
      {"negative extent",
       safetensors_bytes("{" + entry("w", R"("dtype":"F32","shape":[-2],"data_offsets":[0,8])") + "}", f8),
       "negative extent"},
      {"fractional extent",
       safetensors_bytes("{" + entry("w", R"("dtype":"F32","shape":[1.5],"data_offsets":[0,8])") + "}", f8),
       "expected a non-negative integer"},
      {"overflowing shape",
       safetensors_bytes(
           "{" + entry("w", R"("dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8])") + "}",
           f8),
       "more bytes than any file holds"},
      {"one offset", safetensors_bytes("{" + entry("w", R"("dtype":"F32","shape":[2],"data_offsets":[8])") + "}", f8),
       "expected two integers"},
      {"three offsets",
       safetensors_bytes("{" + entry("w", R"("dtype":"F32","shape":[2],"data_offsets":[0,4,8])") + "}", f8),
       "expected two integers"},
      {"offsets as strings",
       safetensors_bytes("{" + entry("w", R"("dtype":"F32","shape":[2],"data_offsets":["0","8"])") + "}", f8),
       "expected a non-negative integer"},
      {"negative offset",
       safetensors_bytes("{" + entry("w", R"("dtype":"F32","shape":[2],"data_offsets":[-8,0])") + "}", f8),
       "expected a non-negative integer"},
      {"begin after end",
       safetensors_bytes("{" + entry("w", R"("dtype":"F32","shape":[1],"data_offsets":[8,4])") + "}", f8),
       "expected begin <= end"},
      {"end past the data",
       safetensors_bytes("{" + entry("w", R"("dtype":"F32","shape":[100],"data_offsets":[0,400])") + "}", f8),
       "run past the end of the 8-byte data buffer"},
      {"size disagrees with shape",
       safetensors_bytes("{" + entry("w", R"("dtype":"F32","shape":[3],"data_offsets":[0,8])") + "}", f8),
       "needs 12 bytes"},
      {"overlapping tensors",
       safetensors_bytes("{" + entry("a", R"("dtype":"F32","shape":[2],"data_offsets":[0,8])") + "," +
                             entry("b", R"("dtype":"F32","shape":[1],"data_offsets":[4,8])") + "}",
                         f8),
       "overlaps"},
      {"gap between tensors",
       safetensors_bytes("{" + entry("a", R"("dtype":"F32","shape":[1],"data_offsets":[0,4])") + "," +
                             entry("b", R"("dtype":"F32","shape":[1],"data_offsets":[8,12])") + "}",
                         f8 + std::string(4, '\0')),
       "belong to no tensor"},
      {"gap at the start",
       safetensors_bytes("{" + entry("a", R"("dtype":"F32","shape":[1],"data_offsets":[4,8])") + "}", f8),
       "bytes [0,4) of the data buffer belong to no tensor"},
      {"trailing bytes",
       safetensors_bytes("{" + entry("a", R"("dtype":"F32","shape":[1],"data_offsets":[0,4])") + "}", f8),
       "the last 4 bytes"},
      {"metadata not strings", safetensors_bytes(R"({"__metadata__":{"epoch":3}})", ""), "expected a string"},
      {"metadata not an object", safetensors_bytes(R"({"__metadata__":[]})", ""), "expected an object of strings"},
      {"a tensor named twice",
       safetensors_bytes("{" + entry("w", R"("dtype":"F32","shape":[1],"data_offsets":[0,4])") + "," +
                             entry("w", R"("dtype":"F32","shape":[1],"data_offsets":[4,8])") + "}",
                         f8),
       "names \"w\" twice"},
      {"nesting beyond the limit", safetensors_bytes(std::string(100, '[') + std::string(100, ']'), ""),
       "nests deeper than 64 levels"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    write_bytes(path, c.bytes);
    const std::string message = load_error(path);
    CHECK_THAT(message, Contains(path + ": "));
    CHECK_THAT(message, Contains(c.fragment));
    CHECK_THAT(message, Contains("expected"));
  }
}

TEST_CASE("safetensors: every truncation of a valid file is rejected", "[io]") {
  TempDir dir;
  const std::string good = dir.file("good.safetensors");
  const std::string cut = dir.file("cut.safetensors");
  dl::save_safetensors(good, {{"w", dl::Tensor::ones({2, 3})}, {"b", dl::Tensor::ones({3})}}, {{"k", "v"}});
  const std::string bytes = read_bytes(good);
  CHECK(dl::load_safetensors(good).size() == 2);
  for (size_t n = 0; n < bytes.size(); ++n) {
    INFO("first " << n << " of " << bytes.size() << " bytes");
    write_bytes(cut, bytes.substr(0, n));
    CHECK_THAT(load_error(cut), Contains(cut));
  }
}

TEST_CASE("safetensors: a missing file or a directory is a FileError naming the path", "[io]") {
  TempDir dir;
  const std::string missing = dir.file("nope.safetensors");
  CHECK_THAT(load_error(missing), Contains(missing) && Contains("No such file"));
  CHECK_THAT(load_error(dir.path.string()), Contains("not a regular file"));
}

TEST_CASE("safetensors: save refuses duplicate, reserved and undefined tensors without writing", "[io]") {
  TempDir dir;
  const std::string path = dir.file("m.safetensors");
  const dl::Tensor t = dl::Tensor::ones({2});
  const dl::NamedTensors duplicate = {{"w", t}, {"w", t}};
  const dl::NamedTensors reserved = {{"__metadata__", t}};
  const dl::NamedTensors undefined = {{"u", dl::Tensor()}};
  CHECK_THROWS_WITH(dl::save_safetensors(path, duplicate), Contains("duplicate tensor name \"w\""));
  CHECK_THROWS_WITH(dl::save_safetensors(path, reserved), Contains("reserved"));
  CHECK_THROWS_WITH(dl::save_safetensors(path, undefined), Contains("undefined"));
  CHECK(dir.listing().empty());
}

TEST_CASE("safetensors: saving replaces the old file and leaves no temporary file", "[io]") {
  TempDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  dl::save_safetensors(path, {{"w", dl::Tensor::full({3}, 1.0f)}});
  dl::save_safetensors(path, {{"w", dl::Tensor::full({2}, 2.0f)}, {"v", dl::Tensor::scalar(5.0f)}});
  const dl::NamedTensors t = dl::load_safetensors(path);
  REQUIRE(t.size() == 2);
  CHECK(t[0].second.to_vector() == std::vector<float>{2.0f, 2.0f});
  CHECK(dir.listing() == std::vector<std::string>{"ckpt.safetensors"});
}

TEST_CASE("safetensors: a failed save throws FileError and leaves no stray file", "[io]") {
  TempDir dir;
  const dl::NamedTensors state = {{"w", dl::Tensor::ones({4})}};

  // Into a directory that does not exist: the temporary file cannot even be created.
  const std::string nowhere = dir.file("missing-dir/ckpt.safetensors");
  CHECK_THROWS_AS(dl::save_safetensors(nowhere, state), dl::FileError);
  CHECK_THROWS_WITH(dl::save_safetensors(nowhere, state), Contains(nowhere) && Contains("No such file"));
  CHECK(dir.listing().empty());

  // Over a non-empty directory: the data are written, then the rename fails; the
  // temporary file must be cleaned up and the directory left as it was.
  const std::string blocked = dir.file("blocked.safetensors");
  fs::create_directories(blocked);
  write_bytes(blocked + "/keep", "x");
  CHECK_THROWS_AS(dl::save_safetensors(blocked, state), dl::FileError);
  CHECK(dir.listing() == std::vector<std::string>{"blocked.safetensors"});
  CHECK(read_bytes(blocked + "/keep") == "x");

  // A save that fails validation does not touch the existing checkpoint.
  const std::string path = dir.file("ckpt.safetensors");
  dl::save_safetensors(path, state);
  const std::string before = read_bytes(path);
  const dl::NamedTensors duplicate = {{"w", state[0].second}, {"w", state[0].second}};
  CHECK_THROWS_AS(dl::save_safetensors(path, duplicate), dl::Error);
  CHECK(read_bytes(path) == before);
}

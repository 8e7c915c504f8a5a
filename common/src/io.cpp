// Files the library writes and reads: atomic writes, and safetensors checkpoints (an
// 8-byte length, a JSON header, then the raw tensor bytes).
// The loader treats the file as hostile input and checks every field before using it.
#include "dl/io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <system_error>

#include <nlohmann/json.hpp>

namespace dl {

namespace {

// The header's JSON, parsed and written by nlohmann/json; `ordered_json` keeps the
// tensors in the order they were written.
using Json = nlohmann::ordered_json;

constexpr const char* kMetadataKey = "__metadata__";
constexpr uint64_t kFloatBytes = sizeof(float);
static_assert(sizeof(float) == 4, "safetensors F32 is 4 bytes");

void append_le_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

uint64_t read_le_u64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// The format stores little-endian floats; on a big-endian machine swap each one.
void floats_to_little_endian(std::string& out, const float* p, int64_t n) {
  if constexpr (std::endian::native == std::endian::little) {
    out.append(reinterpret_cast<const char*>(p), static_cast<size_t>(n) * kFloatBytes);
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const auto bits = std::bit_cast<uint32_t>(p[i]);
      for (int b = 0; b < 4; ++b) out += static_cast<char>((bits >> (8 * b)) & 0xFF);
    }
  }
}

void floats_from_little_endian(float* p, int64_t n) {
  if constexpr (std::endian::native != std::endian::little) {
    for (int64_t i = 0; i < n; ++i) {
      unsigned char b[4];
      std::memcpy(b, p + i, 4);
      const uint32_t bits = b[0] | (uint32_t{b[1]} << 8) | (uint32_t{b[2]} << 16) | (uint32_t{b[3]} << 24);
      p[i] = std::bit_cast<float>(bits);
    }
  } else {
    (void)p, (void)n;  // already in the machine's order
  }
}

// A name or JSON value as it appears in a message: escaped, and cut short so that a
// hostile header cannot produce a megabyte-long error.
std::string shown(const Json& value) {
  constexpr size_t kMaxShown = 60;
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > kMaxShown) text = text.substr(0, kMaxShown) + "...";
  return text;
}

// "an array", "a number": the type of a JSON value with its article, for messages.
std::string a_type(const Json& value) {
  const std::string name = value.is_number() ? "number" : value.type_name();
  return (name == "array" || name == "object" ? "an " : "a ") + name;
}

// The directory a path lives in, "." for a bare file name.
std::string directory_of(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

[[noreturn]] void corrupt(const std::string& path, const std::string& what) { throw FileError(path + ": " + what); }

// Owns a file descriptor; reads exact byte ranges with pread.
class InputFile {
 public:
  // `expected` says what the file should be, for the messages.
  InputFile(const std::string& path, const std::string& expected)
      : path_(path), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; a regular file ignores it.
    if (fd_ < 0)
      corrupt(path, "cannot open for reading: " + std::system_category().message(errno) + " (expected " + expected + ")");
    struct stat st {};
    if (::fstat(fd_, &st) != 0) corrupt(path, "cannot stat: " + std::system_category().message(errno));
    if (!S_ISREG(st.st_mode)) {
      ::close(fd_);
      corrupt(path, "not a regular file (a directory, a pipe or a device?); expected " + expected);
    }
    size_ = static_cast<uint64_t>(st.st_size);
  }
  ~InputFile() { ::close(fd_); }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  uint64_t size() const { return size_; }

  void read(uint64_t offset, void* dst, uint64_t count) const {
    auto* p = static_cast<char*>(dst);
    while (count > 0) {
      const ssize_t n = ::pread(fd_, p, std::min<uint64_t>(count, uint64_t{1} << 30), static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) corrupt(path_, "read failed: " + std::system_category().message(errno));
      if (n == 0) corrupt(path_, "file ended early while reading (was it truncated or changed during loading?)");
      p += n;
      offset += static_cast<uint64_t>(n);
      count -= static_cast<uint64_t>(n);
    }
  }

 private:
  std::string path_;
  int fd_;
  uint64_t size_ = 0;
};

// One tensor entry of the header, validated.
struct Entry {
  std::string name;
  Shape shape;
  uint64_t begin = 0, end = 0;  // byte range within the data buffer
};

// A non-negative integer field (an extent or an offset); throws naming `what`.
uint64_t non_negative_integer(const std::string& path, const std::string& where, const Json& v) {
  if (!v.is_number_unsigned()) corrupt(path, where + " holds " + shown(v) + " (expected a non-negative integer)");
  return v.get<uint64_t>();
}

Entry parse_entry(const std::string& path, const std::string& name, const Json& spec, uint64_t data_size) {
  const std::string who = "tensor " + shown(Json(name));
  if (!spec.is_object())
    corrupt(path, who + ": entry is " + a_type(spec) +
                      " (expected an object with \"dtype\", \"shape\" and \"data_offsets\")");
  const auto field = [&](const char* key) -> const Json& {
    const auto v = spec.find(key);
    if (v == spec.end())
      corrupt(path, who + ": missing \"" + key + "\" (expected \"dtype\", \"shape\" and \"data_offsets\")");
    return *v;
  };

  const Json& dtype = field("dtype");
  if (!dtype.is_string()) corrupt(path, who + ": dtype is " + shown(dtype) + " (expected a string such as \"F32\")");
  if (dtype.get<std::string>() != "F32")
    corrupt(path, who + " has dtype " + shown(dtype) +
                      ", but only F32 is supported (expected \"F32\"; convert the checkpoint to float32 first, e.g. "
                      "in PyTorch {k: v.float() for k, v in state_dict.items()})");

  Entry e;
  e.name = name;
  const Json& shape = field("shape");
  if (!shape.is_array()) corrupt(path, who + ": shape is " + shown(shape) + " (expected an array of extents)");
  // Count elements with saturation: a hostile shape must not overflow, only fail the size check below.
  constexpr uint64_t kCap = uint64_t{1} << 60;  // far beyond any file, and 4 * kCap still fits
  uint64_t count = 1;
  for (const Json& d : shape) {
    if (d.is_number() && d.get<double>() < 0)
      corrupt(path, who + ": shape " + shown(shape) + " has a negative extent (expected extents >= 0)");
    const uint64_t extent = non_negative_integer(path, who + ": shape " + shown(shape), d);
    e.shape.push_back(static_cast<int64_t>(extent));
    count = (extent != 0 && count > kCap / extent) ? kCap : count * extent;
  }

  const Json& offsets = field("data_offsets");
  if (!offsets.is_array() || offsets.size() != 2)
    corrupt(path, who + ": data_offsets is " + shown(offsets) + " (expected two integers [begin, end])");
  e.begin = non_negative_integer(path, who + ": data_offsets " + shown(offsets), offsets[0]);
  e.end = non_negative_integer(path, who + ": data_offsets " + shown(offsets), offsets[1]);
  if (e.begin > e.end)
    corrupt(path, who + ": data_offsets " + shown(offsets) + " begin after they end (expected begin <= end)");
  if (e.end > data_size)
    corrupt(path, who + ": data_offsets " + shown(offsets) + " run past the end of the " + std::to_string(data_size) +
                      "-byte data buffer (expected end <= " + std::to_string(data_size) + "; was the file truncated?)");
  const uint64_t bytes = e.end - e.begin;
  if (count >= kCap || count * kFloatBytes != bytes)
    corrupt(path, who + ": shape " + to_string(e.shape) + " of F32 needs " +
                      (count >= kCap ? std::string("more bytes than any file holds")
                                     : std::to_string(count * kFloatBytes) + " bytes") +
                      " but data_offsets " + shown(offsets) + " span " + std::to_string(bytes) +
                      " (expected end - begin = 4 x number of elements)");
  return e;
}

// Nesting beyond this is no safetensors header (which is two levels deep); refusing it
// bounds the work a hostile file can ask for.
constexpr int kMaxHeaderDepth = 64;

// The header as JSON, or a FileError saying what is wrong with it: not JSON (with the
// byte offset), nested too deeply, or a tensor name given twice (a JSON parser would
// silently keep only the last).
Json parse_header(const std::string& path, const std::string& text) {
  std::set<std::string> names;
  const auto check = [&](int depth, Json::parse_event_t event, Json& value) {
    if (depth > kMaxHeaderDepth)
      corrupt(path, "header nests deeper than " + std::to_string(kMaxHeaderDepth) +
                        " levels (expected an object of tensor entries, two levels deep)");
    if (event == Json::parse_event_t::key && depth == 1 && !names.insert(value.get<std::string>()).second)
      corrupt(path, "header names " + shown(value) + " twice (expected each tensor under its own name)");
    return true;
  };
  try {
    return Json::parse(text, check);
  } catch (const Json::parse_error& e) {
    corrupt(path, "header is not valid JSON at byte " + std::to_string(e.byte) + ": " + e.what() +
                      " (offsets count from the header's start at file byte 8; expected a JSON object)");
  }
}

}  // namespace

std::string read_file(const std::string& path, const std::string& expected, uint64_t max_bytes) {
  const InputFile in(path, expected);
  if (in.size() > max_bytes)
    throw FileError(path + ": " + std::to_string(in.size()) + " bytes, more than the " + std::to_string(max_bytes) +
                    " expected of " + expected);
  std::string bytes(in.size(), '\0');
  in.read(0, bytes.data(), bytes.size());
  return bytes;
}

void write_file_atomically(const std::string& path, std::string_view bytes) {
  if (path.empty()) throw FileError("write_file_atomically: empty path (expected a file name)");
  // Same directory as the target: rename() is only atomic within one file system.
  // A fresh, unpredictable name created exclusively (mkostemp: O_CREAT | O_EXCL), so a
  // file or symbolic link planted under a guessable name is never followed or truncated.
  std::string tmp = path + ".tmp.XXXXXX";
  int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd >= 0) {
    // mkostemp makes the file 0600; a result file is as readable as any other the user writes.
    const mode_t mask = ::umask(0);
    ::umask(mask);
    (void)::fchmod(fd, 0666 & ~mask);
  }
  const auto fail = [&](const char* step) {
    const int err = errno;
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());  // may already be gone; the error that matters is `err`
    throw FileError(path + ": cannot save (" + step + "): " + std::system_category().message(err) +
                    " (expected the directory " + directory_of(path) + " to exist, be writable and have free space)");
  };
  if (fd < 0) fail("creating the temporary file");

  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    // write() may write less than asked (signals, pipes, 2 GB cap), so loop until done.
    const ssize_t n = ::write(fd, p, std::min<size_t>(left, size_t{1} << 30));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("writing");
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  // Without fsync a crash right after the rename can leave an empty file under the new name.
  if (::fsync(fd) != 0) fail("flushing to disk");
  const int closed = ::close(fd);
  fd = -1;
  if (closed != 0) fail("closing");
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("renaming the temporary file over it");

  // Persist the rename itself. Best effort: some file systems refuse fsync on a directory,
  // and the data is already safe in the file.
  const int dir = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    (void)::fsync(dir);
    ::close(dir);
  }
}

void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata) {
  Json header = Json::object();
  if (!metadata.empty()) header[kMetadataKey] = metadata;
  std::set<std::string_view> names;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    if (name == kMetadataKey)
      throw Error("save_safetensors: " + path + ": the name \"__metadata__\" is reserved by the format " +
                  "(rename the tensor; pass strings through the metadata argument instead)");
    if (!names.insert(name).second)
      throw Error("save_safetensors: " + path + ": duplicate tensor name " + shown(Json(name)) +
                  " (expected each tensor under its own name)");
    if (!t.defined())
      throw Error("save_safetensors: " + path + ": tensor " + shown(Json(name)) +
                  " is undefined (expected a tensor with data)");
    const uint64_t bytes = static_cast<uint64_t>(t.numel()) * kFloatBytes;
    header[name] = {{"dtype", "F32"}, {"shape", t.shape()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }

  std::string text = header.dump(-1, ' ', false, Json::error_handler_t::replace);
  // Spaces are JSON whitespace, so padding keeps the header valid while aligning the
  // data to 8 bytes, which lets readers map the floats in place.
  text.append((8 - (8 + text.size()) % 8) % 8, ' ');

  std::string file;
  file.reserve(8 + text.size() + offset);
  append_le_u64(file, text.size());
  file += text;
  for (const auto& [name, t] : tensors) floats_to_little_endian(file, t.data(), t.numel());
  write_file_atomically(path, file);
}

NamedTensors load_safetensors(const std::string& path, std::map<std::string, std::string>* metadata) {
  const InputFile in(path, "a safetensors checkpoint; check the path, or run training first to create it");
  if (in.size() < 8)
    corrupt(path, "file is " + std::to_string(in.size()) +
                      " bytes, too short for the 8-byte header length (expected a safetensors file; was it "
                      "truncated?)");
  unsigned char length_bytes[8];
  in.read(0, length_bytes, 8);
  const uint64_t header_size = read_le_u64(length_bytes);
  if (header_size > kMaxSafetensorsHeader)
    corrupt(path, "header length " + std::to_string(header_size) + " exceeds the limit of " +
                      std::to_string(kMaxSafetensorsHeader) +
                      " bytes (expected a safetensors file; this one is corrupt or in another format)");
  if (header_size > in.size() - 8)
    corrupt(path, "header length " + std::to_string(header_size) + " runs past the end of the " +
                      std::to_string(in.size()) + "-byte file (expected at most " + std::to_string(in.size() - 8) +
                      "; was the file truncated?)");

  std::string text(header_size, '\0');
  in.read(8, text.data(), header_size);
  const Json header = parse_header(path, text);
  if (!header.is_object())
    corrupt(path, "header is " + a_type(header) +
                      " (expected an object mapping tensor names to {dtype, shape, data_offsets})");

  const uint64_t data_start = 8 + header_size;
  const uint64_t data_size = in.size() - data_start;
  std::map<std::string, std::string> meta;
  std::vector<Entry> entries;
  for (const auto& [name, spec] : header.items()) {
    if (name == kMetadataKey) {
      if (!spec.is_object()) corrupt(path, "__metadata__ is " + a_type(spec) + " (expected an object of strings)");
      for (const auto& [key, value] : spec.items()) {
        if (!value.is_string())
          corrupt(path, "__metadata__ entry " + shown(Json(key)) + " is " + shown(value) +
                            " (expected a string; the format allows only string metadata)");
        meta[key] = value.get<std::string>();
      }
      continue;
    }
    entries.push_back(parse_entry(path, name, spec, data_size));
  }

  // The format requires the tensors to tile the data buffer: sorted by offset, each one
  // starts where the previous one ended, and the last one ends at the end of the file.
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t cursor = 0;
  const Entry* previous = nullptr;
  for (const Entry& e : entries) {
    const std::string range = "[" + std::to_string(e.begin) + "," + std::to_string(e.end) + ")";
    if (e.begin < cursor)
      corrupt(path, "tensor " + shown(Json(e.name)) + " at bytes " + range + " overlaps tensor " +
                        shown(Json(previous->name)) + " ending at byte " + std::to_string(cursor) +
                        " (expected tensors not to overlap)");
    if (e.begin > cursor)
      corrupt(path, "bytes [" + std::to_string(cursor) + "," + std::to_string(e.begin) +
                        ") of the data buffer belong to no tensor, a gap before tensor " + shown(Json(e.name)) +
                        " (expected tensors to cover the data buffer contiguously)");
    cursor = e.end;
    previous = &e;
  }
  if (cursor != data_size)
    corrupt(path, "the last " + std::to_string(data_size - cursor) + " bytes of the " + std::to_string(data_size) +
                      "-byte data buffer belong to no tensor (expected the last tensor to end at the end of the file)");

  NamedTensors tensors;
  tensors.reserve(entries.size());
  for (const Entry& e : entries) {
    Tensor t = Tensor::empty(e.shape);
    in.read(data_start + e.begin, t.data(), e.end - e.begin);
    floats_from_little_endian(t.data(), t.numel());
    tensors.emplace_back(e.name, std::move(t));
  }
  if (metadata) *metadata = std::move(meta);
  return tensors;
}

}  // namespace dl

/// @file io.hpp
/// @brief Files that survive a crash (`write_file_atomically`) and checkpoints in the
/// safetensors format, readable by PyTorch, JAX and 🤗 tools.
///
/// A safetensors file is three parts:
///
/// | bytes | content                                                                           |
/// |-------|-----------------------------------------------------------------------------------|
/// | 8     | N, the header length, as a little-endian unsigned 64-bit integer                  |
/// | N     | JSON: name → {"dtype", "shape", "data_offsets"}, optional "__metadata__" strings |
/// | rest  | the tensors' raw little-endian bytes, back to back                                |
///
/// `data_offsets` are `[begin, end)` byte positions relative to the start of the data
/// part. The format has no code in it (unlike Python pickles), so loading an untrusted
/// checkpoint is safe; the loader checks every field before it trusts it.
///
/// ```cpp
/// dl::NamedTensors state = {{"fc.weight", w}, {"fc.bias", b}};
/// dl::save_safetensors("model.safetensors", state, {{"epoch", "3"}});
/// for (auto& [name, t] : dl::load_safetensors("model.safetensors")) std::cout << name << ' ' << t << '\n';
/// ```
/// In Python: `safetensors.torch.load_file("model.safetensors")` reads the same file.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dl/tensor.hpp"

namespace dl {

/// The largest header `load_safetensors` accepts (100 MB, the same limit as the
/// reference implementation): a larger length field means a corrupt or foreign file.
inline constexpr uint64_t kMaxSafetensorsHeader = 100'000'000;

/// Replaces the file at `path` with `bytes` so that readers see either the old file or
/// the complete new one, never a half-written file (a crash mid-save keeps the last
/// good checkpoint). Writes a temporary file `path.tmp.XXXXXX` (a fresh name, created
/// exclusively: a planted file or symbolic link is never followed) in the same directory, flushes it to
/// disk (fsync), then renames it over `path`. The directory must exist. On failure the
/// temporary file is removed, `path` is left untouched, and `dl::FileError` names the
/// path and the system's reason. Two threads of one process must not write the same path at once.
void write_file_atomically(const std::string& path, std::string_view bytes);

/// The bytes of the plain file at `path`, for readers of text formats. Throws
/// `dl::FileError` naming the path and `expected` (what the file should be, e.g. "a
/// vocab.txt") when it is missing, not a regular file (a directory, a FIFO that would
/// block, a device such as /dev/zero that never ends) or larger than `max_bytes`.
std::string read_file(const std::string& path, const std::string& expected, uint64_t max_bytes = uint64_t{1} << 30);

/// Writes `tensors` (float32, stored as dtype "F32") and string `metadata` to `path` in
/// the safetensors format, atomically: a crash mid-save leaves the previous file intact.
/// The data of the tensors follow in the given order; the header is padded with spaces
/// so that the data start at a multiple of 8 bytes. The directory must exist.
/// Throws `dl::Error` for duplicate, reserved ("__metadata__") names or an undefined
/// tensor, and `dl::FileError` when the file cannot be written.
void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata = {});

/// Reads a safetensors file written by `save_safetensors` or by another framework, as
/// long as every tensor is F32. Returns the tensors in the order of their data in the
/// file; stores the "__metadata__" strings into `*metadata` when it is not null.
/// Throws `dl::FileError` "path: what was wrong (expected …)" for a missing, truncated
/// or malformed file: bad header length, header not a JSON object, missing or invalid
/// dtype/shape/data_offsets, a dtype other than F32, sizes that disagree with shapes,
/// and tensors that overlap or leave gaps in the data.
NamedTensors load_safetensors(const std::string& path, std::map<std::string, std::string>* metadata = nullptr);

}  // namespace dl

/// @file memory.hpp
/// @brief The caching allocator behind every tensor's storage.
///
/// On a fresh page the first touch costs a page fault (about 11 µs per 4 KiB on
/// the reference machine), and glibc returns large freed blocks to the kernel,
/// so a training loop that frees and re-allocates the same sizes every step
/// would pay those faults again and again. Freed buffers therefore go to
/// size-bucketed free lists and are handed out again; buffers of 2 MiB and more
/// are asked to use huge pages.
#pragma once

#include <cstddef>

namespace dl::memory {

/// Alignment of every buffer (AVX-512 width).
inline constexpr std::size_t kAlignment = 64;

/// A buffer of at least `bytes` bytes, `kAlignment`-aligned, reused from the cache when possible.
void* allocate(std::size_t bytes);

/// Returns a buffer obtained from `allocate(bytes)` to the cache.
void deallocate(void* ptr, std::size_t bytes);

/// Counters of the allocator, for tests and benchmarks.
struct Stats {
  std::size_t in_use_bytes = 0;  ///< bytes handed out and not yet returned
  std::size_t cached_bytes = 0;  ///< bytes held in free lists
  std::size_t hits = 0;          ///< allocations served from the cache
  std::size_t misses = 0;        ///< allocations that went to the system
};

/// Current counters.
Stats stats();

/// Frees every cached buffer back to the system.
void empty_cache();

/// Resident set size of this process in bytes (from /proc/self/statm), 0 if unknown.
std::size_t resident_bytes();

}  // namespace dl::memory

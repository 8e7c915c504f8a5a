// The caching allocator: size-bucketed free lists in front of aligned_alloc.
#include "dl/memory.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bit>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace dl::memory {
namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;

// Rounds a request up to its size class: multiples of 64 bytes up to 1 KiB,
// then four classes per power of two, so at most a quarter is wasted.
std::size_t size_class(std::size_t bytes) {
  if (bytes <= 1024) return bytes == 0 ? kAlignment : (bytes + kAlignment - 1) / kAlignment * kAlignment;
  const std::size_t step = std::bit_floor(bytes - 1) / 4;
  return (bytes + step - 1) / step * step;
}

struct Cache {
  std::mutex mutex;
  std::unordered_map<std::size_t, std::vector<void*>> free_lists;
  Stats stats;
};

Cache& cache() {
  static Cache* instance = new Cache;  // never destroyed: tensors may outlive static destructors
  return *instance;
}

// glibc serves blocks of 128 KiB and more with mmap and trims the heap top on
// free, so every step of a training loop would fault its pages in again. Eigen
// allocates its GEMM packing buffers with malloc on every product, so this
// matters even for memory we do not own. Keep such memory in the heap instead.
struct TuneMalloc {
  TuneMalloc() {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);   // glibc's maximum on 64-bit
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_TOP_PAD, 64 << 20);
  }
};
const TuneMalloc tune_malloc;

void* system_allocate(std::size_t bytes) {
  const std::size_t alignment = bytes >= kHugePage ? kHugePage : kAlignment;
  void* ptr = std::aligned_alloc(alignment, (bytes + alignment - 1) / alignment * alignment);
  if (ptr == nullptr) throw std::bad_alloc();
  if (bytes >= kHugePage) madvise(ptr, bytes, MADV_HUGEPAGE);  // a hint; failure is harmless
  return ptr;
}

}  // namespace

void* allocate(std::size_t bytes) {
  const std::size_t cls = size_class(bytes);
  Cache& c = cache();
  {
    std::lock_guard lock(c.mutex);
    c.stats.in_use_bytes += cls;
    auto it = c.free_lists.find(cls);
    if (it != c.free_lists.end() && !it->second.empty()) {
      void* ptr = it->second.back();
      it->second.pop_back();
      c.stats.cached_bytes -= cls;
      ++c.stats.hits;
      return ptr;
    }
    ++c.stats.misses;
  }
  return system_allocate(cls);
}

void deallocate(void* ptr, std::size_t bytes) {
  if (ptr == nullptr) return;
  const std::size_t cls = size_class(bytes);
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  c.free_lists[cls].push_back(ptr);
  c.stats.in_use_bytes -= cls;
  c.stats.cached_bytes += cls;
}

Stats stats() {
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  return c.stats;
}

void empty_cache() {
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  for (auto& [cls, list] : c.free_lists)
    for (void* ptr : list) std::free(ptr);
  c.free_lists.clear();
  c.stats.cached_bytes = 0;
}

std::size_t resident_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  const int read = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return read == 2 ? resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE)) : 0;
}

}  // namespace dl::memory

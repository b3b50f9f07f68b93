#include "sim/comm/frame_buffer_pool.h"

#include <algorithm>
#include <utility>

namespace distsim::comm {

std::shared_ptr<std::byte> FrameBufferPool::Get(size_t bytes) {
  Buffer buffer;
  {
    absl::MutexLock lock(&mu_);
    // Best fit among the idle buffers (there are few: about one collective's frames).
    auto best = free_.end();
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      if (it->capacity >= bytes && (best == free_.end() || it->capacity < best->capacity)) {
        best = it;
      }
    }
    if (best != free_.end()) {
      buffer = std::move(*best);
      free_.erase(best);
      idle_bytes_ -= buffer.capacity;
    }
  }
  if (buffer.data == nullptr) {
    buffer.capacity = std::max<size_t>(bytes, 1);
    buffer.data.reset(new std::byte[buffer.capacity]);
  }
  std::byte* raw = buffer.data.release();
  const size_t capacity = buffer.capacity;
  return std::shared_ptr<std::byte>(raw, [pool = shared_from_this(), capacity](std::byte* p) {
    pool->Put(Buffer{std::unique_ptr<std::byte[]>(p), capacity});
  });
}

void FrameBufferPool::Put(Buffer buffer) {
  absl::MutexLock lock(&mu_);
  if (idle_bytes_ + buffer.capacity > kMaxPooledBytes) return;  // freed
  idle_bytes_ += buffer.capacity;
  free_.push_back(std::move(buffer));
}

}  // namespace distsim::comm

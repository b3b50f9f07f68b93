// Recycled receive buffers for frames: a fresh multi-megabyte allocation per frame costs page
// faults and zeroing comparable to the transfer itself. Thread-safe. Create it with
// std::make_shared: every buffer handed out holds a reference to the pool, so the pool outlives
// its owner while a frame is queued anywhere. Keeps at most 256 MiB idle.
#ifndef DISTSIM_SIM_COMM_FRAME_BUFFER_POOL_H_
#define DISTSIM_SIM_COMM_FRAME_BUFFER_POOL_H_

#include <cstddef>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace distsim::comm {

class FrameBufferPool : public std::enable_shared_from_this<FrameBufferPool> {
 public:
  // A buffer of at least `bytes`, given back to the pool when the returned owner is released.
  std::shared_ptr<std::byte> Get(size_t bytes);

 private:
  static constexpr size_t kMaxPooledBytes = 256 << 20;
  struct Buffer {
    std::unique_ptr<std::byte[]> data;
    size_t capacity = 0;
  };
  void Put(Buffer buffer);

  absl::Mutex mu_;
  std::vector<Buffer> free_ ABSL_GUARDED_BY(mu_);
  size_t idle_bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace distsim::comm

#endif  // DISTSIM_SIM_COMM_FRAME_BUFFER_POOL_H_

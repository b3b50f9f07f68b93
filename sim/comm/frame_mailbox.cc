#include "sim/comm/frame_mailbox.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"

namespace distsim::comm {
namespace {

// One spin-wait iteration: a pause hint where the CPU has one.
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

std::string TagString(int from, const FrameTag& tag) {
  return absl::StrCat("rank ", from, " (op ", tag.op, ", step ", tag.step, ", segment ",
                      tag.segment, ")");
}

// out[i] (+)= the float whose 4 bytes start at p (any alignment).
void StoreRun(const std::byte* p, size_t count, float* out, RecvMode mode) {
  if (mode == RecvMode::kCopy) {
    std::memcpy(out, p, count * sizeof(float));
    return;
  }
  for (size_t i = 0; i < count; ++i) {
    float v;
    std::memcpy(&v, p + i * sizeof(float), sizeof(float));
    out[i] = out[i] + v;
  }
}

}  // namespace

void UnpackFloats(const std::vector<std::span<const std::byte>>& pieces, std::span<float> out,
                  RecvMode mode) {
  size_t index = 0;      // next float of out
  std::byte partial[4];  // a float split across pieces
  size_t partial_bytes = 0;
  for (std::span<const std::byte> piece : pieces) {
    const std::byte* p = piece.data();
    size_t left = piece.size();
    if (partial_bytes > 0) {
      size_t take = std::min(left, sizeof(float) - partial_bytes);
      std::memcpy(partial + partial_bytes, p, take);
      partial_bytes += take;
      p += take;
      left -= take;
      if (partial_bytes < sizeof(float)) continue;
      StoreRun(partial, 1, &out[index++], mode);
      partial_bytes = 0;
    }
    size_t whole = left / sizeof(float);
    StoreRun(p, whole, out.data() + index, mode);
    index += whole;
    p += whole * sizeof(float);
    left -= whole * sizeof(float);
    std::memcpy(partial, p, left);
    partial_bytes = left;
  }
}

int SpinMicrosFor(int ranks) {
  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return cores > 0 && ranks <= cores ? 30 : 0;
}

FrameMailbox::FrameMailbox(int rank, int size, int spin_micros)
    : rank_(rank), spin_micros_(spin_micros), closed_(size) {}

void FrameMailbox::Put(int from, const FrameTag& tag, InboundFrame frame) {
  absl::MutexLock lock(&mu_);
  frames_[Key(from, tag)].push_back(std::move(frame));
  changes_.fetch_add(1, std::memory_order_release);
}

void FrameMailbox::ClosePeer(int from, absl::Status why) {
  absl::MutexLock lock(&mu_);
  if (from >= 0 && from < static_cast<int>(closed_.size()) && closed_[from].ok()) {
    closed_[from] = std::move(why);
  }
  changes_.fetch_add(1, std::memory_order_release);
}

void FrameMailbox::Abort() {
  absl::MutexLock lock(&mu_);
  aborted_ = true;
  changes_.fetch_add(1, std::memory_order_release);
}

size_t FrameMailbox::queued() const {
  absl::MutexLock lock(&mu_);
  size_t n = 0;
  for (const auto& [key, queue] : frames_) n += queue.size();
  return n;
}

int FrameMailbox::waiting() const { return waiting_.load(std::memory_order_relaxed); }

absl::Status FrameMailbox::Take(int from, const FrameTag& tag, std::span<float> out, RecvMode mode,
                                absl::Time deadline, uint64_t* wire_bytes) {
  if (from < 0 || from >= static_cast<int>(closed_.size()) || from == rank_) {
    return absl::InvalidArgumentError(absl::StrCat("rank ", rank_, " cannot receive from rank ",
                                                   from, " (group of ", closed_.size(), ")"));
  }
  const Key key(from, tag);
  InboundFrame frame;
  waiting_.fetch_add(1, std::memory_order_relaxed);  // until the wait below ends
  if (spin_micros_ > 0) {
    // A frame usually arrives within microseconds of the wait starting; a thread put to sleep
    // takes tens of microseconds to wake on a virtual machine. So spin briefly on the change
    // counter before the blocking wait.
    uint64_t seen = changes_.load(std::memory_order_acquire);
    bool present;
    {
      absl::MutexLock lock(&mu_);
      present = aborted_ || frames_.count(key) > 0 || !closed_[from].ok();
    }
    if (!present) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(spin_micros_);
      while (changes_.load(std::memory_order_acquire) == seen &&
             std::chrono::steady_clock::now() < until) {
        CpuRelax();
      }
    }
  }
  {
    absl::MutexLock lock(&mu_);
    auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return aborted_ || frames_.count(key) > 0 || !closed_[from].ok();
    };
    mu_.AwaitWithDeadline(absl::Condition(&ready), deadline);
    waiting_.fetch_sub(1, std::memory_order_relaxed);
    if (aborted_) {
      return absl::CancelledError(
          absl::StrCat("rank ", rank_, ": link aborted while waiting for ", TagString(from, tag)));
    }
    auto it = frames_.find(key);
    if (it == frames_.end()) {
      if (!closed_[from].ok()) return closed_[from];
      // The peer that sent nothing is the one stalled (or stuck behind one that is).
      return absl::DeadlineExceededError(
          absl::StrCat("rank ", from, " stalled: rank ", rank_,
                       " waited until the stall timeout for its frame of op ", tag.op, ", step ",
                       tag.step, ", segment ", tag.segment));
    }
    frame = std::move(it->second.front());
    it->second.pop_front();
    if (it->second.empty()) frames_.erase(it);
  }
  if (wire_bytes != nullptr) *wire_bytes += frame.wire_bytes;
  if (frame.bytes != out.size() * sizeof(float)) {
    return absl::InternalError(absl::StrCat("rank ", rank_, ": frame from ", TagString(from, tag),
                                            " holds ", frame.bytes, " bytes, expected ",
                                            out.size() * sizeof(float)));
  }
  UnpackFloats(frame.pieces, out, mode);
  return absl::OkStatus();
}

}  // namespace distsim::comm

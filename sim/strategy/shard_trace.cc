#include "sim/strategy/shard_trace.h"

#include <vector>

namespace distsim::strategy {

void ShardTrace::Add(const ShardSpan& span) {
  if (capacity_ == 0 || span.step % stride_ != 0) return;
  while (spans_.size() >= capacity_) {
    stride_ *= 2;
    std::erase_if(spans_, [this](const ShardSpan& s) { return s.step % stride_ != 0; });
    if (span.step % stride_ != 0) return;
  }
  spans_.push_back(span);
}

}  // namespace distsim::strategy

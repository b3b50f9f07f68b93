#include "sim/strategy/exchange.h"

#include <algorithm>

namespace distsim::strategy {

void Accumulate(const StepComm& step, StepComm* total) {
  total->pull_s += step.pull_s;
  total->push_s += step.push_s;
  total->wait_s += step.wait_s;
  total->reduce_s += step.reduce_s;
  total->update_s += step.update_s;
  total->bytes_sent += step.bytes_sent;
  total->bytes_received += step.bytes_received;
  total->nic_bytes_sent += step.nic_bytes_sent;
  total->nic_bytes_received += step.nic_bytes_received;
  total->staleness = std::max(total->staleness, step.staleness);
}

}  // namespace distsim::strategy

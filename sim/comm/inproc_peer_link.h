// In-process PeerLink: the ranks of a group are threads of one process (tests, and benchmarks that
// isolate the algorithm's cost from the transport's). Send copies the floats into the receiver's
// mailbox and returns at once; Recv copies (or adds) them out. Byte counters count the payload
// plus kInProcessFrameOverhead per frame, the header a network frame would carry, so counters
// read the same as over gRPC.
#ifndef DISTSIM_SIM_COMM_INPROC_PEER_LINK_H_
#define DISTSIM_SIM_COMM_INPROC_PEER_LINK_H_

#include <memory>
#include <vector>

#include "sim/comm/peer_link.h"

namespace distsim::comm {

inline constexpr uint64_t kInProcessFrameOverhead = 24;

// n links, element i for rank i, sharing one in-memory exchange. Each link may be used and
// destroyed independently (the shared state lives until the last link goes). Abort() on one link
// cancels only that rank's calls. n >= 1. `spin_micros`: see FrameMailbox.
std::vector<std::unique_ptr<PeerLink>> MakeInProcessLinks(int n, int spin_micros = 0);

}  // namespace distsim::comm

#endif  // DISTSIM_SIM_COMM_INPROC_PEER_LINK_H_

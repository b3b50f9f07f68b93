// The in-process parameter-server transport: a PsClient that calls PsShardHandler objects living
// in the same process directly (no serialization), for tests that run workers as threads and for
// the in-process half of bench/ps_bench.cc.
#ifndef DISTSIM_SIM_COMM_INPROC_PS_H_
#define DISTSIM_SIM_COMM_INPROC_PS_H_

#include <memory>
#include <vector>

#include "sim/comm/ps_client.h"

namespace distsim::comm {

// A client for worker `options.worker` over `shards` (index = shard id; not owned, they must
// outlive the client; their ranges must be options.shards). Shards are visited one after the
// other; waits poll in slices of at most 50 ms so that Abort() takes effect within that time.
// Byte counters count the float payload (4 bytes per element moved).
std::unique_ptr<PsClient> MakeInProcessPsClient(const PsClientOptions& options,
                                                std::vector<PsShardHandler*> shards);

}  // namespace distsim::comm

#endif  // DISTSIM_SIM_COMM_INPROC_PS_H_

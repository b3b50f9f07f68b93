// Where a run's figures came from: the build, the machine and the load on it.
#ifndef DISTSIM_SIM_NODE_PROVENANCE_H_
#define DISTSIM_SIM_NODE_PROVENANCE_H_

#include <string>

#include "distsim/result.pb.h"

namespace distsim::node {

// Fills build facts (version, git revision, compiler and flags, Eigen version and the SIMD sets it
// vectorises with) and machine facts (CPU model, online cores, hostname, UTC start time).
// `processes` is the number of training processes this run puts on the machine.
Provenance CollectProvenance(int processes, const std::string& command_line);

// The CPU model from /proc/cpuinfo ("unknown" when it cannot be read).
std::string CpuModel();

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_PROVENANCE_H_

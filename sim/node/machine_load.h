// How busy this machine is: /proc/loadavg and the cores this process may run on (nproc).
// `distsim predict` records it beside every calibration and check, since another process on the
// cores stretches measured wall times that the cost model cannot see.
#ifndef DISTSIM_SIM_NODE_MACHINE_LOAD_H_
#define DISTSIM_SIM_NODE_MACHINE_LOAD_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "distsim/result.pb.h"

namespace distsim::node {

// Parses the text of /proc/loadavg ("0.81 1.26 0.71 1/111 6311": three load averages,
// runnable/existing tasks, the newest pid) into load1/5/15, runnable and tasks; `cores` is left
// 0. InvalidArgument naming the file and field that does not parse.
absl::StatusOr<MachineLoad> ParseLoadAvg(absl::string_view text);

// Reads /proc/loadavg and sets cores to the CPUs this process may use (sched_getaffinity). On a
// system without /proc/loadavg, only cores is set (the load is unknown, not zero: runnable 0).
MachineLoad ReadMachineLoad();

// "load 0.81 0.66 0.71, 1 of 111 tasks runnable, 2 cores".
std::string DescribeLoad(const MachineLoad& load);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_MACHINE_LOAD_H_

// trace.json's processes for a distributed run that ended normally (sim/report/trace.h draws
// them): the coordinator, each parameter-server shard with the spans it reported, each worker as
// recorded (the chief with its evaluations), and the modelled cluster as a process of its own,
// named for its clock, with a thread per worker.
#ifndef DISTSIM_SIM_NODE_RUN_TRACE_H_
#define DISTSIM_SIM_NODE_RUN_TRACE_H_

#include <vector>

#include "sim/model/timeline.h"
#include "sim/node/coordinator.h"
#include "sim/node/modelled.h"
#include "sim/node/run_plan.h"
#include "sim/node/run_recorder.h"
#include "sim/report/trace.h"

namespace distsim::node {

// The name of the modelled cluster's process: "modelled cluster (<clock> clock[, instance])".
std::string ModelledProcessName(const RunConfig& config);

// `wall_s`: the run's length on its clock (the coordinator's "run" span). Processes started by
// hand elsewhere (pid unknown) get pids of their own above 1000000.
std::vector<report::TraceTrack> RunTraceTracks(const RunPlan& plan, const ModelFacts& facts,
                                               const Coordinator& coordinator,
                                               RunRecorder& recorder,
                                               const model::Timeline& timeline, double wall_s);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_RUN_TRACE_H_

// The shape of a run before it starts: which processes, on which simulated hosts, how the model
// is split over the servers and the data over the workers, and the bytes a step should move.
// `distsim plan` prints it, from the same facts (sim/node/run_plan.h) the run itself uses.
#ifndef DISTSIM_SIM_APP_PLAN_H_
#define DISTSIM_SIM_APP_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "distsim/config.pb.h"
#include "sim/strategy/partition.h"

namespace distsim::app {

// Expected bytes a worker moves per step (payload only, both directions), and per server.
struct ExpectedBytes {
  double worker_per_step = 0;
  std::vector<double> server_per_step;  // per server, all workers' traffic to it
  double worker_off_host_per_step = 0;  // COLOCATED: the part that leaves the worker's host
};
ExpectedBytes ExpectBytes(const RunConfig& config, int64_t params,
                          const strategy::ShardMap* shards);

// Modelled seconds of one step's communication on the simulated cluster with every worker
// exchanging at once (the lockstep timeline's phases: a PS pull and push of the shards of
// `shards`, or the ring's allreduce of `params` floats); 0 for a run of one process.
double ModelledCommSeconds(const RunConfig& config, int64_t params,
                           const strategy::ShardMap* shards);

// The simulated cluster of `config` as text: instance, network, clock, the modelled cost of one
// step's communication, faults.
std::string FormatCluster(const RunConfig& config, int64_t params, const strategy::ShardMap* shards,
                          double train_flops_per_example);

// The whole plan as text for `distsim plan`: processes, shard map with bytes per shard and the
// tensors on each, data per worker, expected bytes per step.
absl::StatusOr<std::string> FormatPlan(const RunConfig& config, const std::string& data_dir);

// The same plan as one line of JSON for `distsim plan --json`: run, strategy, model, parameters,
// processes (role, rank, host), shards (bytes, tensors), data (examples, object sizes, each
// worker's objects, examples and label counts), expected bytes per step, the modelled
// communication of one step, and the config's notes.
absl::StatusOr<std::string> PlanJson(const RunConfig& config, const std::string& data_dir);

// Whether `dir` holds the four IDX files (sim/data/idx.h's names), in words: what `distsim
// check` says of a run config's data folder.
std::string DataFolderState(const std::string& dir);

// What `distsim check` says of a run config's data in `dir`: DataFolderState for IDX folders; for
// CSV, both files read and checked whole (examples, features, classes), or the reader's error
// (NotFound, DataLoss naming file, line and column). Writes nothing.
absl::StatusOr<std::string> DataState(const RunConfig& config, const std::string& dir);

}  // namespace distsim::app

#endif  // DISTSIM_SIM_APP_PLAN_H_

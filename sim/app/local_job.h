// `distsim local`: SageMaker's local mode without Docker and with sharding. From a run config it
// builds the job SageMaker would run (SageMakerLayoutConfig: a parameter-server shard and a
// worker on every host) and runs it as SageMaker runs one:
//
//   trees     one /opt/ml tree per host, <run_dir>/local/algo-<i>/: input/config/
//             {resourceconfig,inputdataconfig,hyperparameters}.json as SageMaker writes them, and
//             the channels input/data/{train,test}, linked from the object store (the host of
//             rank r holds what host r holds in `distsim run`: all K objects, or its keys under
//             ShardedByS3Key)
//   token     256 random bits in <run_dir>/local/token (0600), named to every host by
//             $DISTSIM_TOKEN_FILE; never on a command line, never in hyperparameters.json
//   network   each host in a network namespace of its own (node/netns.h), names resolved through
//             its /etc/netns/<ns>/hosts, optionally shaped by the kernel (tc) instead of distsim's
//             own shaper; without root, loopback aliases 127.a.b.<i> and a hosts file instead
//   hosts     `distsim train --root <tree>` in each, its output in <run_dir>/local/algo-<i>.log
//   outputs   collected as local mode does: the chief's result files and model copied into
//             <run_dir> (result.json, steps.csv, trace.json, model/), every host's outcome in
//             <run_dir>/local.json
//
// The namespaces, links and hosts files are removed when the job ends, however it ends; a
// launcher killed with SIGKILL leaves them to the next start's sweep.
#ifndef DISTSIM_SIM_APP_LOCAL_JOB_H_
#define DISTSIM_SIM_APP_LOCAL_JOB_H_

#include <atomic>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "distsim/config.pb.h"
#include "distsim/result.pb.h"

namespace distsim::app {

enum class LocalNetwork { kAuto, kNamespaces, kLoopback };

struct LocalOptions {
  std::string data_dir;      // the config's data (IDX files)
  std::string objects_root;  // the object cache (node::DefaultObjectsRoot when empty)
  std::string run_dir;       // <output_dir>/<name>
  // kAuto: namespaces when this process can make them, else loopback (and says why).
  // kNamespaces: namespaces or FailedPrecondition saying why not.
  LocalNetwork network = LocalNetwork::kAuto;
  // Shape each host's veth with tc (tbf, netem) to cluster.network; needs namespaces. A config
  // with cluster.network.shape (distsim's own shaper, which `distsim train` refuses across real
  // hosts) is shaped by the kernel when the hosts are in namespaces, else runs unshaped.
  bool kernel_shaping = false;
  // hyperparameters.json's strings (a CreateTrainingJob request's, training_job_request.h);
  // empty: JobHyperparameters of the config.
  std::map<std::string, std::string> hyperparameters;
  std::string executable;                   // the binary the hosts run (default: this one)
  absl::Duration timeout = absl::Hours(1);  // the whole job; then every host is stopped
  // Seconds after the first host that host i (by name order algo-1, algo-2, ...) starts;
  // missing entries: 0. Hosts come up in any order, and a late one must still join.
  std::vector<double> start_delay_s;
  std::FILE* progress = stderr;
  const std::atomic<bool>* stop = nullptr;  // SIGINT/SIGTERM: every host is sent SIGTERM
};

struct LocalHostOutcome {
  std::string name;  // algo-<i>
  int rank = 0;      // its index in the hosts sorted as strings
  std::string address;
  std::string netns;              // "" on loopback
  std::string root;               // its /opt/ml tree
  int exit_code = -1;             // -1: killed by a signal
  std::string failure;            // output/failure's line, "" on success
  uint64_t channel_examples = 0;  // the examples its train channel holds
};

struct LocalOutcome {
  std::string network;                  // "namespaces", "loopback (<why>)"
  std::string tag;                      // the namespaces' tag (node/netns.h); "" on loopback
  std::string shaping;                  // "kernel (tc ...)" or "none"
  std::vector<LocalHostOutcome> hosts;  // by name order
  bool succeeded = false;
  std::string stopped;  // why the launcher stopped the hosts; "" when they ended on their own
  RunResult result;     // the chief's result.json, when it wrote one
  double wall_seconds = 0;
};

// Runs `config` as a local SageMaker job. OK with the outcome when every host ran to its end
// (outcome.succeeded says whether all succeeded); an error for what stopped the job from being
// run at all (bad config, no data, namespaces refused, Cancelled on *stop).
absl::StatusOr<LocalOutcome> RunLocalJob(const RunConfig& config, const LocalOptions& options);

// The outcome as local.json.
std::string LocalOutcomeJson(const LocalOutcome& outcome);

}  // namespace distsim::app

#endif  // DISTSIM_SIM_APP_LOCAL_JOB_H_

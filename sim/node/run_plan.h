// The facts of one run, derived once from its defaulted config: which processes, on which
// simulated hosts, how the model is split over the servers and the data over the workers, how many
// steps each worker takes, and the supervision timeouts. The launcher, the role processes, the
// local trainer and the modelled clock take them from here; nothing re-derives or re-defaults
// them.
#ifndef DISTSIM_SIM_NODE_RUN_PLAN_H_
#define DISTSIM_SIM_NODE_RUN_PLAN_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "distsim/config.pb.h"
#include "kernels/model.h"
#include "kernels/param_layout.h"
#include "sim/data/dataset.h"
#include "sim/data/distribution.h"
#include "sim/strategy/partition.h"

namespace distsim::node {

struct ClusterShape {
  int servers = 0;                    // parameter-server processes (0 unless parameter_server)
  int workers = 1;                    // worker processes: those with data to train on
  int hosts = 1;                      // simulated hosts, idle ones included
  std::vector<uint32_t> server_host;  // simulated host of each server
  std::vector<uint32_t> worker_host;  // simulated host of each worker
};

// `workers` hosts each run one worker: DEDICATED: servers on hosts 0..k-1, workers on hosts
// k..k+n-1. COLOCATED: server i and worker i on host i. Allreduce and local: worker i on host i.
// Under SHARDED_BY_KEY with allow_idle_hosts and n > K objects, only the first K of those hosts
// run a worker; the other n - K are idle (under COLOCATED they still serve their shard).
ClusterShape ShapeOf(const RunConfig& config);

bool IsDistributed(const RunConfig& config);

// The config's data distribution in sim/data's terms.
data::DistributionSpec DistributionOf(const RunConfig& config);

// Parameter-server shard map of `layout` for the config (balanced ranges or round-robin).
absl::StatusOr<strategy::ShardMap> ShardMapOf(const RunConfig& config,
                                              const kernels::ParamLayout& layout);

// "parameter_server ASYNC, 1 server (DEDICATED), 4 workers"; "allreduce RING, 4 workers"; "local".
std::string DescribeStrategy(const RunConfig& config);

// How long one worker's training loop runs.
struct RunLength {
  uint64_t max_steps = 0;     // this worker's steps; 0: until global_steps is reached
  uint64_t global_steps = 0;  // stop once the servers applied this many updates; 0: no such limit
};

// The length `config` gives a worker with `steps_per_epoch` batches per epoch: `steps` as is;
// `epochs` rounded up to whole steps (at least 1); `global_steps` under ASYNC and SSP as a limit
// on the servers' updates, under SYNC (one averaged update per step of every worker) as steps.
RunLength LengthOf(const RunConfig& config, double steps_per_epoch);

// How the config's run stops, in words for RunResult.run_length and the tables: "1000 steps per
// worker", "2 epochs per worker, each over its own objects" (SHARDED_BY_KEY: linear-learner's
// epochs), "1000 global steps (TensorFlow's shared step: updates at the servers)".
std::string RunLengthText(const RunConfig& config);

// The supervision section of the defaulted config, as durations.
struct Timeouts {
  absl::Duration heartbeat;  // a registered process silent this long is dead
  absl::Duration stall;      // a live peer that makes no progress this long stalls the run
  absl::Duration rpc;        // one RPC, and connecting to a peer
  // Start-up: reaching the coordinator and waiting for the peer table. Hundreds of processes
  // starting at once on two cores take seconds to be scheduled: longer than one RPC.
  // supervision.join_timeout_s when set (hosts that start on their own, `distsim train`).
  absl::Duration peers = absl::Seconds(120);
  // SIGTERM with checkpoints on: how long the run may go on to its next checkpoint.
  absl::Duration stop_grace = absl::Seconds(60);
};

// What a process knows of the run's data before reading it: sizes and shapes.
struct DataFacts {
  // N, the whole training set; 0 in a worker that opened only its channel (a sharded host does
  // not know the others' data): its plan then leaves out worker 0's epoch and the downloads.
  int64_t train_examples = 0;
  int64_t test_examples = 0;
  int rows = 0;
  int cols = 0;
  int value_bytes = 1;  // per value of an example: 1 for pixels, 4 for float features (CSV)
  int num_classes = 10;
};

// What one simulated host downloads before training (SageMaker's File mode): the files of its
// channels (channel.h): its objects' three files each and the test set. A host that runs only a
// server downloads nothing.
struct HostDownload {
  double bytes = 0;
  int64_t objects = 0;  // the training objects and the test set (one object)
};

// Which objects worker `worker`'s host downloads: its keys under SHARDED_BY_KEY, all K otherwise
// (FULLY_REPLICATED, GLOBAL_BATCH_SLICE and local runs read the whole set).
std::vector<int64_t> HostKeys(const struct RunPlan& plan, int worker);

// Per simulated host (index = host), for the distribution of `plan` and the data `facts`.
absl::StatusOr<std::vector<HostDownload>> HostDownloadsOf(const struct RunPlan& plan,
                                                          const DataFacts& facts);

struct RunPlan {
  RunConfig config;  // defaults filled, validated
  ClusterShape shape;
  data::DistributionSpec distribution;
  int batch = 0;  // per worker and step
  bool shuffle = true;
  uint64_t data_seed = 0;  // the data order's seed (DataSeed of config.seed)
  int warmup_steps = 0;    // steps left out of the step-time percentiles
  Timeouts timeouts;
  std::vector<FaultConfig> faults;       // one per worker (config::FaultsByWorker)
  bool continue_on_worker_loss = false;  // supervision.on_worker_failure CONTINUE

  // The model, built once for the data.
  int num_classes = 10;
  int64_t parameters = 0;
  double train_flops_per_example = 0;
  strategy::ShardMap shards;           // parameter server only
  std::vector<int64_t> server_params;  // floats per server shard

  std::vector<HostDownload> host_downloads;  // by simulated host (HostDownloadsOf)

  // Worker 0's view, for progress and the epoch column.
  int64_t examples_per_epoch = 1;
  RunLength length;                  // worker 0's
  uint64_t progress_total = 0;       // the progress bar's denominator
  bool progress_counts_all = false;  // ASYNC/SSP global steps: the steps of all workers count
};

// Derives the plan of `config` (defaults filled, validated) for `model` (built for the data
// `facts` describe).
absl::StatusOr<RunPlan> MakeRunPlan(const RunConfig& config, const kernels::Model<float>& model,
                                    const DataFacts& facts);

// Bytes the run's processes hold for the model, all together: each worker's parameters and
// gradients (and, where the worker applies the update itself, local and the ring, the optimizer's
// slots), each server shard's parameters, optimizer slots and the gradient it receives (SYNC: and
// the sum it accumulates). Activations and data are left out: the data is mapped, shared by all.
double ModelMemoryBytes(const RunPlan& plan);

// InvalidArgument (exit 78) naming the figures when ModelMemoryBytes
// exceeds `available_bytes`, before anything is allocated or started.
absl::Status CheckModelMemory(const RunPlan& plan, double available_bytes);

// This machine's available memory (MemAvailable of /proc/meminfo; 0 when unknown).
double AvailableMemoryBytes();

// Everything a process of the run derives from its config, opened and built once: the data, the
// model for it, and the plan.
struct RunInputs {
  data::Dataset train;  // the whole set, or a worker's channel
  data::Dataset test;
  std::unique_ptr<kernels::Model<float>> model;
  RunPlan plan;
  // A worker that opened its channel: the ids of each object it holds, in key order, and the
  // objects' keys. Empty when `train` is the whole set.
  std::vector<std::vector<int64_t>> channel_ids;
  std::vector<int64_t> channel_keys;
};

// Opens the IDX files of `data_dir` (with the config's limits; for dataset CSV, the IDX folder its
// CSV files are converted into, data_source.h), builds the model for their shape and derives the
// plan.
absl::StatusOr<RunInputs> OpenRun(const RunConfig& config, const std::string& data_dir);

// data.num_classes, 10 when not set.
int NumClasses(const RunConfig& config);

// A worker's inputs from its host's channels (channel.h): `host_data_dir`/train (its objects)
// and the test set (cut to the config's test_limit) from `host_data_dir`/test, or /validation
// (SageMaker's other usual name) where there is no test folder. Without either: NotFound when
// `needs_test` (the chief evaluates), else an empty test set. The plan does not know N.
absl::StatusOr<RunInputs> OpenChannelRun(const RunConfig& config, const std::string& host_data_dir,
                                         bool needs_test = true);

// The test channel folder of `host_data_dir`: <dir>/test, else <dir>/validation if that exists,
// else <dir>/test.
std::string TestChannelDir(const std::string& host_data_dir);

// The coordinator on the chief's host of a job whose hosts hold only their own channels
// (`distsim train`): `in` opened worker 0's channel (OpenChannelRun), which fixes worker 0's
// epoch, its length and the progress bar's total, as FillLength does from N.
absl::Status FillChiefLength(RunInputs* in);

// The sampler of `worker` under the plan's distribution, batch, seed and shuffle: over the
// channel's objects when `in` holds a channel, else over the whole set.
absl::StatusOr<std::unique_ptr<data::WorkerSampler>> WorkerSamplerOf(const RunInputs& in,
                                                                     int worker);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_RUN_PLAN_H_

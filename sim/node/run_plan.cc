#include "sim/node/run_plan.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sim/base/status.h"
#include "sim/config/config.h"
#include "sim/config/instances.h"
#include "sim/data/channel.h"
#include "sim/data/idx.h"
#include "sim/data/object_store.h"
#include "sim/node/data_source.h"
#include "sim/node/factory.h"
#include "sim/node/train_loop.h"

namespace distsim::node {

bool IsDistributed(const RunConfig& config) {
  return config.has_parameter_server() || config.has_allreduce();
}

ClusterShape ShapeOf(const RunConfig& config) {
  ClusterShape shape;
  const int requested = static_cast<int>(std::max<uint32_t>(1, config.workers()));
  const DataConfig& data = config.data();
  const bool idle_allowed = data.distribution() == DataConfig::SHARDED_BY_KEY &&
                            data.allow_idle_hosts() && data.objects() >= 1;
  shape.workers = idle_allowed ? std::min(requested, static_cast<int>(data.objects())) : requested;
  shape.hosts = requested;
  if (config.has_parameter_server()) {
    const auto& ps = config.parameter_server();
    const bool colocated = ps.placement() == ParameterServerStrategy::COLOCATED;
    shape.servers = colocated ? requested : static_cast<int>(std::max<uint32_t>(1, ps.servers()));
    if (!colocated) shape.hosts += shape.servers;
    for (int i = 0; i < shape.servers; ++i) shape.server_host.push_back(i);
    for (int i = 0; i < shape.workers; ++i) {
      shape.worker_host.push_back(colocated ? i : shape.servers + i);
    }
  } else {
    for (int i = 0; i < shape.workers; ++i) shape.worker_host.push_back(i);
  }
  return shape;
}

data::DistributionSpec DistributionOf(const RunConfig& config) {
  data::DistributionSpec spec;
  switch (config.data().distribution()) {
    case DataConfig::SHARDED_BY_KEY:
      spec.distribution = data::Distribution::kShardedByKey;
      break;
    case DataConfig::GLOBAL_BATCH_SLICE:
      spec.distribution = data::Distribution::kGlobalBatchSlice;
      break;
    default:
      spec.distribution = data::Distribution::kFullyReplicated;
  }
  spec.objects = config.data().objects() ? config.data().objects() : 10;
  switch (config.data().grouping()) {
    case DataConfig::BY_LABEL:
      spec.grouping = data::Grouping::kByLabel;
      break;
    case DataConfig::DIRICHLET:
      spec.grouping = data::Grouping::kDirichlet;
      break;
    default:
      spec.grouping = data::Grouping::kShuffled;
  }
  spec.dirichlet_alpha =
      config.data().dirichlet_alpha() > 0 ? config.data().dirichlet_alpha() : 1.0;
  spec.object_weights.assign(config.data().object_weights().begin(),
                             config.data().object_weights().end());
  return spec;
}

absl::StatusOr<strategy::ShardMap> ShardMapOf(const RunConfig& config,
                                              const kernels::ParamLayout& layout) {
  const ClusterShape shape = ShapeOf(config);
  const auto partitioning =
      config.parameter_server().partitioning() == ParameterServerStrategy::ROUND_ROBIN_TENSORS
          ? strategy::Partitioning::kRoundRobinTensors
          : strategy::Partitioning::kBalancedRanges;
  return strategy::PartitionParams(layout, shape.servers, partitioning);
}

std::string DescribeStrategy(const RunConfig& config) {
  const ClusterShape shape = ShapeOf(config);
  if (config.has_parameter_server()) {
    const auto& ps = config.parameter_server();
    std::string mode = ParameterServerStrategy::Mode_Name(ps.mode());
    if (ps.mode() == ParameterServerStrategy::SSP) absl::StrAppend(&mode, " s=", ps.staleness());
    return absl::StrFormat("parameter_server %s, %d server%s (%s), %d worker%s", mode,
                           shape.servers, shape.servers == 1 ? "" : "s",
                           ParameterServerStrategy::Placement_Name(ps.placement()), shape.workers,
                           shape.workers == 1 ? "" : "s");
  }
  if (config.has_allreduce()) {
    return absl::StrFormat("allreduce %s, %d worker%s",
                           AllreduceStrategy::Algorithm_Name(config.allreduce().algorithm()),
                           shape.workers, shape.workers == 1 ? "" : "s");
  }
  return "local";
}

RunLength LengthOf(const RunConfig& config, double steps_per_epoch) {
  const TrainConfig& t = config.train();
  const bool sync_ps = config.has_parameter_server() &&
                       config.parameter_server().mode() == ParameterServerStrategy::SYNC;
  RunLength length;
  if (t.length_case() == TrainConfig::kGlobalSteps && !sync_ps) {
    length.global_steps = t.global_steps();
  } else if (t.length_case() == TrainConfig::kGlobalSteps) {
    length.max_steps = t.global_steps();
  } else {
    length.max_steps = StepsForLength(t, steps_per_epoch);
  }
  return length;
}

std::string RunLengthText(const RunConfig& config) {
  const TrainConfig& t = config.train();
  const bool one = !IsDistributed(config);
  switch (t.length_case()) {
    case TrainConfig::kGlobalSteps:
      return absl::StrCat(t.global_steps(),
                          " global steps (TensorFlow's shared step: updates at the servers)");
    case TrainConfig::kEpochs: {
      const char* over = "the whole set";
      if (config.data().distribution() == DataConfig::SHARDED_BY_KEY) over = "its own objects";
      if (config.data().distribution() == DataConfig::GLOBAL_BATCH_SLICE && !one) {
        over = "its slices of the set";
      }
      return absl::StrFormat("%g epoch%s%s, each over %s", t.epochs(), t.epochs() == 1 ? "" : "s",
                             one ? "" : " per worker", one ? "the whole set" : over);
    }
    default:
      return absl::StrCat(t.steps(), t.steps() == 1 ? " step" : " steps", one ? "" : " per worker");
  }
}

absl::StatusOr<std::unique_ptr<data::WorkerSampler>> WorkerSamplerOf(const RunInputs& in,
                                                                     int worker) {
  const RunPlan& plan = in.plan;
  if (!in.channel_ids.empty()) {
    return data::MakeHeldSampler(plan.distribution.distribution, in.channel_ids, worker,
                                 plan.shape.workers, plan.batch, plan.data_seed, plan.shuffle);
  }
  return data::MakeWorkerSampler(plan.distribution, in.train, worker, plan.shape.workers,
                                 plan.batch, plan.data_seed, plan.shuffle);
}

namespace {

Timeouts TimeoutsOf(const SupervisionConfig& sup) {
  Timeouts t;
  t.heartbeat = absl::Seconds(sup.heartbeat_timeout_s());
  t.stall = absl::Seconds(sup.stall_timeout_s());
  t.rpc = absl::Seconds(sup.rpc_deadline_s());
  if (sup.join_timeout_s() > 0) t.peers = absl::Seconds(sup.join_timeout_s());
  if (sup.stop_grace_s() > 0) t.stop_grace = absl::Seconds(sup.stop_grace_s());
  return t;
}

// Worker 0's epoch and length, and what the progress bar counts. Left out (zero) in a process
// that does not know N.
absl::Status FillLength(const DataFacts& facts, RunPlan* plan) {
  if (facts.train_examples == 0) return absl::OkStatus();
  const RunConfig& config = plan->config;
  double steps_per_epoch = 0;
  if (IsDistributed(config)) {
    DS_ASSIGN_OR_RETURN(data::WorkerEpoch epoch,
                        data::WorkerEpochOf(plan->distribution, facts.train_examples, 0,
                                            plan->shape.workers, plan->batch));
    plan->examples_per_epoch = std::max<int64_t>(1, epoch.examples);
    steps_per_epoch = epoch.steps;
  } else {
    // One process reads the whole set: its epoch is N / batch steps.
    plan->examples_per_epoch = facts.train_examples;
    steps_per_epoch = static_cast<double>(facts.train_examples) / plan->batch;
  }
  plan->length = LengthOf(config, steps_per_epoch);
  plan->progress_counts_all = plan->length.global_steps > 0;
  plan->progress_total =
      plan->progress_counts_all ? plan->length.global_steps : plan->length.max_steps;
  return absl::OkStatus();
}

DataFacts FactsOf(const data::Dataset& train, const data::Dataset& test) {
  DataFacts facts;
  facts.train_examples = train.size();
  facts.test_examples = test.size();
  facts.rows = train.rows();
  facts.cols = train.cols();
  facts.value_bytes = train.value_bytes();
  facts.num_classes = std::max(1, train.num_classes());
  return facts;
}

}  // namespace

std::vector<int64_t> HostKeys(const RunPlan& plan, int worker) {
  const bool sharded = plan.distribution.distribution == data::Distribution::kShardedByKey;
  return data::WorkerObjects(
      sharded ? data::Distribution::kShardedByKey : data::Distribution::kFullyReplicated,
      plan.distribution.objects, worker, plan.shape.workers);
}

absl::StatusOr<std::vector<HostDownload>> HostDownloadsOf(const RunPlan& plan,
                                                          const DataFacts& facts) {
  DS_ASSIGN_OR_RETURN(std::vector<int64_t> sizes,
                      data::ObjectSizes(facts.train_examples, plan.distribution));
  std::vector<HostDownload> downloads(plan.shape.hosts);
  const double test_bytes =
      data::kIdxImagesHeaderBytes + data::kIdxLabelsHeaderBytes +
      static_cast<double>(facts.test_examples) * (facts.rows * facts.cols * facts.value_bytes + 1);
  for (int w = 0; w < plan.shape.workers; ++w) {
    HostDownload& host = downloads[plan.shape.worker_host[w]];
    for (int64_t k : HostKeys(plan, w)) {
      host.bytes += data::ObjectFileBytes(sizes[k], facts.rows, facts.cols, facts.value_bytes);
      ++host.objects;
    }
    host.bytes += test_bytes;
    ++host.objects;  // the test set, one object of its channel
  }
  return downloads;
}

absl::StatusOr<RunPlan> MakeRunPlan(const RunConfig& config, const kernels::Model<float>& model,
                                    const DataFacts& facts) {
  RunPlan plan;
  // Defaulting is idempotent: a config the CLI defaulted stays as it is, and one built by hand
  // (tests, compare's generated runs) gets the same defaults every role would see.
  plan.config = config::WithDefaults(config);
  const RunConfig& c = plan.config;
  plan.shape = ShapeOf(c);
  plan.distribution = DistributionOf(c);
  plan.batch = static_cast<int>(c.train().batch_size());
  plan.shuffle = c.train().shuffle();
  plan.data_seed = DataSeed(c.seed());
  plan.warmup_steps = static_cast<int>(c.train().warmup_steps());
  plan.timeouts = TimeoutsOf(c.supervision());
  plan.faults = config::FaultsByWorker(c);
  plan.continue_on_worker_loss = c.supervision().on_worker_failure() == SupervisionConfig::CONTINUE;
  plan.num_classes = std::max(1, facts.num_classes);
  plan.parameters = model.layout().size();
  plan.train_flops_per_example = model.TrainFlopsPerExample();
  if (facts.train_examples > 0) {  // unknown in a channel's worker
    DS_ASSIGN_OR_RETURN(plan.host_downloads, HostDownloadsOf(plan, facts));
  }
  if (c.has_parameter_server()) {
    DS_ASSIGN_OR_RETURN(plan.shards, ShardMapOf(c, model.layout()));
    for (int64_t b : strategy::BytesPerShard(plan.shards)) plan.server_params.push_back(b / 4);
  }
  DS_RETURN_IF_ERROR(FillLength(facts, &plan));
  return plan;
}

namespace {

// Float slots an optimizer keeps per parameter: momentum one, Adam two.
int OptimizerSlots(const OptimizerConfig& optimizer) {
  if (optimizer.has_adam()) return 2;
  return optimizer.has_momentum() ? 1 : 0;
}

std::string Gigabytes(double bytes) { return absl::StrFormat("%.1f GB", bytes / 1e9); }

}  // namespace

double ModelMemoryBytes(const RunPlan& plan) {
  const RunConfig& c = plan.config;
  const int slots = OptimizerSlots(c.optimizer());
  const double copy = 4.0 * static_cast<double>(plan.parameters);
  const bool worker_updates = !c.has_parameter_server();
  const double per_worker = copy * (2 + (worker_updates ? slots : 0));
  const bool sync =
      c.has_parameter_server() && c.parameter_server().mode() == ParameterServerStrategy::SYNC;
  const double servers = copy * (slots + 2 + (sync ? 1 : 0));  // all shards: one copy split
  return plan.shape.workers * per_worker + (c.has_parameter_server() ? servers : 0);
}

absl::Status CheckModelMemory(const RunPlan& plan, double available_bytes) {
  const double need = ModelMemoryBytes(plan);
  if (available_bytes <= 0 || need <= available_bytes) return absl::OkStatus();
  const int processes = plan.shape.workers + plan.shape.servers;
  return absl::InvalidArgumentError(absl::StrFormat(
      "model: %d parameters (%s a copy) need about %s across the run's %d process%s "
      "(parameters, gradients and optimizer state), and this machine has %s available; choose "
      "a smaller model or fewer workers",
      plan.parameters, Gigabytes(4.0 * plan.parameters), Gigabytes(need), processes,
      processes == 1 ? "" : "es", Gigabytes(available_bytes)));
}

double AvailableMemoryBytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  double kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

int NumClasses(const RunConfig& config) {
  return config.data().num_classes() == 0 ? 10 : static_cast<int>(config.data().num_classes());
}

absl::StatusOr<RunInputs> OpenRun(const RunConfig& config, const std::string& data_dir) {
  DS_ASSIGN_OR_RETURN(const std::string idx_dir, IdxDirOf(config, data_dir));
  DS_ASSIGN_OR_RETURN(auto sets, data::OpenIdxDir(idx_dir, config.data().train_limit(),
                                                  config.data().test_limit(), NumClasses(config)));
  DS_ASSIGN_OR_RETURN(auto model, MakeModel(config.model(), sets.first.rows(), sets.first.cols(),
                                            sets.first.num_classes()));
  DS_ASSIGN_OR_RETURN(RunPlan plan, MakeRunPlan(config, *model, FactsOf(sets.first, sets.second)));
  return RunInputs{
      std::move(sets.first), std::move(sets.second), std::move(model), std::move(plan), {}, {}};
}

std::string TestChannelDir(const std::string& host_data_dir) {
  const std::string test = absl::StrCat(host_data_dir, "/test");
  const std::string validation = absl::StrCat(host_data_dir, "/validation");
  std::error_code ec;
  if (!std::filesystem::exists(test, ec) && std::filesystem::is_directory(validation, ec)) {
    return validation;
  }
  return test;
}

absl::StatusOr<RunInputs> OpenChannelRun(const RunConfig& config, const std::string& host_data_dir,
                                         bool needs_test) {
  absl::StatusOr<data::Channel> opened_train =
      data::OpenTrainChannel(absl::StrCat(host_data_dir, "/train"), NumClasses(config));
  if (absl::IsNotFound(opened_train.status()) && config.data().dataset() == DataConfig::CSV) {
    // A channel is read as SageMaker hands it out: the objects, never the user's CSV files.
    return absl::NotFoundError(absl::StrCat(
        opened_train.status().message(),
        "; for data.csv too the channel holds the objects "
        "distsim cut from the CSV files (`distsim local` lays them out; export-sagemaker's "
        "export.txt names the files to upload), not the CSV files themselves"));
  }
  DS_ASSIGN_OR_RETURN(data::Channel channel, std::move(opened_train));
  const std::string test_dir = TestChannelDir(host_data_dir);
  data::Dataset test;
  std::error_code ec;
  if (needs_test || std::filesystem::exists(test_dir, ec)) {
    absl::StatusOr<data::Dataset> opened =
        data::OpenTestChannel(test_dir, config.data().test_limit(), NumClasses(config));
    if (absl::IsNotFound(opened.status()) && !std::filesystem::exists(test_dir, ec)) {
      return absl::NotFoundError(absl::StrCat(test_dir, ": missing (nor is there a ", host_data_dir,
                                              "/validation); the chief evaluates on it"));
    }
    DS_ASSIGN_OR_RETURN(test, std::move(opened));
  }
  DS_ASSIGN_OR_RETURN(auto model, MakeModel(config.model(), channel.data.rows(),
                                            channel.data.cols(), channel.data.num_classes()));
  DataFacts facts = FactsOf(channel.data, test);
  facts.train_examples = 0;  // its channel, not the whole set
  DS_ASSIGN_OR_RETURN(RunPlan plan, MakeRunPlan(config, *model, facts));
  return RunInputs{std::move(channel.data), std::move(test),        std::move(model),
                   std::move(plan),         std::move(channel.ids), std::move(channel.keys)};
}

absl::Status FillChiefLength(RunInputs* in) {
  DS_ASSIGN_OR_RETURN(std::unique_ptr<data::WorkerSampler> chief, WorkerSamplerOf(*in, 0));
  RunPlan& plan = in->plan;
  plan.examples_per_epoch = std::max<int64_t>(1, chief->examples());
  plan.length = LengthOf(plan.config, chief->steps_per_epoch());
  plan.progress_counts_all = plan.length.global_steps > 0;
  plan.progress_total = plan.progress_counts_all ? plan.length.global_steps : plan.length.max_steps;
  return absl::OkStatus();
}

}  // namespace distsim::node

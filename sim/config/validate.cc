// ValidateRunConfig: every range the schema's comments state, all problems reported at once.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sim/config/config.h"
#include "sim/config/instances.h"

namespace distsim::config {
namespace {

// Ranges not written in the schema are chosen here, generously: they catch typos (an extra
// digit), not unusual experiments.
constexpr size_t kMaxNameLength = 128;
constexpr int kMaxMlpLayers = 8;
constexpr uint64_t kMaxLayerWidth = 65536;
constexpr uint64_t kMaxConvChannels = 1024;
constexpr uint64_t kMaxBatchSize = 65536;
constexpr uint64_t kMaxSteps = 1000000000;
constexpr double kMaxEpochs = 1000;
constexpr double kMaxLearningRate = 10;
constexpr uint64_t kMaxThreads = 64;
constexpr uint64_t kMaxWorkers = 64;
constexpr uint64_t kMaxObjects = 100000;
constexpr uint64_t kMaxStaleness = 1000;
constexpr uint64_t kMaxServers = 64;
constexpr uint64_t kMinChunkBytes = 4 << 10;
constexpr uint64_t kMaxChunkBytes = 64 << 20;
constexpr uint64_t kMinSegmentBytes = 64;
constexpr uint64_t kMaxSegmentBytes = 64 << 20;

// A real interval with open or closed ends, printed the mathematical way: "(0, 10]".
struct Interval {
  double low;
  bool low_open;
  double high;
  bool high_open;

  bool Contains(double v) const {
    // Written so that NaN is outside every interval.
    bool above = low_open ? v > low : v >= low;
    bool below = high_open ? v < high : v <= high;
    return above && below;
  }
  std::string ToString() const {
    return absl::StrCat(low_open ? "(" : "[", low, ", ", high, high_open ? ")" : "]");
  }
};

constexpr Interval kLearningRateRange{0, true, kMaxLearningRate, false};  // (0, 10]
constexpr Interval kProbabilityRange{0, false, 1, true};                  // [0, 1)
constexpr Interval kEpsilonRange{0, true, 1, true};                       // (0, 1)
constexpr Interval kEpochsRange{0, true, kMaxEpochs, false};              // (0, 1000]
constexpr Interval kHeartbeatRange{0.5, false, 600, false};               // [0.5, 600]
constexpr Interval kStallRange{1, false, 86400, false};                   // [1, 86400]
// The schema gives rpc_deadline_s no range: up to an hour catches a deadline typed in ms.
constexpr Interval kRpcDeadlineRange{0, true, 3600, false};  // (0, 3600]
constexpr Interval kBandwidthRange{0, true, 1000, false};    // (0, 1000] Gbit/s
constexpr Interval kMicrosRange{0, false, 1e6, false};       // [0, 1e6] us
constexpr Interval kLossRange{0, false, 0.5, true};          // [0, 0.5)
constexpr Interval kGflopsRange{0, true, 1e6, false};        // (0, 1e6]
constexpr Interval kSlowdownRange{1, false, 1000, false};    // [1, 1000]
constexpr Interval kPauseRange{0, false, 3600, false};       // [0, 3600] s

// The list of problems found so far, one line each.
class Problems {
 public:
  void Add(const std::string& field, const std::string& problem) {
    lines_.push_back(absl::StrCat(field, ": ", problem));
  }

  void CheckInteger(const std::string& field, uint64_t value, uint64_t low, uint64_t high) {
    if (value >= low && value <= high) return;
    Add(field, absl::StrCat(value, " is out of range; must be in [", low, ", ", high, "]"));
  }

  void CheckReal(const std::string& field, double value, const Interval& range) {
    if (range.Contains(value)) return;
    Add(field,
        absl::StrCat(value, " is out of range; must be ",
                     std::isfinite(value) ? "" : "a finite number ", "in ", range.ToString()));
  }

  absl::Status ToStatus() const {
    if (lines_.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrJoin(lines_, "\n"));
  }

 private:
  std::vector<std::string> lines_;
};

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

void CheckName(const std::string& name, Problems* problems) {
  constexpr char kAllowed[] = "letters, digits, '-', '_' and '.'";
  if (name.empty()) {
    problems->Add("name",
                  absl::StrCat("empty; must be 1 to ", kMaxNameLength, " characters: ", kAllowed));
    return;
  }
  if (name.size() > kMaxNameLength) {
    problems->Add("name",
                  absl::StrCat(name.size(), " characters; must be at most ", kMaxNameLength));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i])) {
      unsigned char c = static_cast<unsigned char>(name[i]);
      std::string shown = c >= 0x20 && c < 0x7f ? absl::StrCat("'", std::string(1, name[i]), "'")
                                                : absl::StrCat("byte ", static_cast<int>(c));
      problems->Add("name", absl::StrCat("\"", name, "\" has ", shown, " at position ", i + 1,
                                         "; must contain only ", kAllowed));
      return;
    }
  }
  if (name[0] == '.') {
    problems->Add("name", absl::StrCat("\"", name, "\" starts with '.'; it names a folder ",
                                       "under output_dir and must not be hidden or '..'"));
  }
}

void CheckModel(const ModelConfig& model, Problems* problems) {
  switch (model.kind_case()) {
    case ModelConfig::kSoftmax:
      break;
    case ModelConfig::kMlp: {
      const MlpModel& mlp = model.mlp();
      if (mlp.hidden_size() == 0) {
        problems->Add("model.mlp.hidden",
                      absl::StrCat("empty; must list 1 to ", kMaxMlpLayers, " layer widths"));
      } else if (mlp.hidden_size() > kMaxMlpLayers) {
        problems->Add("model.mlp.hidden",
                      absl::StrCat(mlp.hidden_size(), " layers; must be at most ", kMaxMlpLayers));
      }
      for (int i = 0; i < mlp.hidden_size(); ++i) {
        problems->CheckInteger(absl::StrCat("model.mlp.hidden[", i, "]"), mlp.hidden(i), 1,
                               kMaxLayerWidth);
      }
      break;
    }
    case ModelConfig::kCnn: {
      const CnnModel& cnn = model.cnn();
      problems->CheckInteger("model.cnn.conv1_channels", cnn.conv1_channels(), 1, kMaxConvChannels);
      problems->CheckInteger("model.cnn.conv2_channels", cnn.conv2_channels(), 1, kMaxConvChannels);
      problems->CheckInteger("model.cnn.dense_units", cnn.dense_units(), 1, kMaxLayerWidth);
      if (cnn.has_dropout())
        problems->CheckReal("model.cnn.dropout", cnn.dropout(), kProbabilityRange);
      break;
    }
    case ModelConfig::KIND_NOT_SET:
      problems->Add("model", "not set; must be one of softmax, mlp, cnn (e.g. 'model { mlp {} }')");
      break;
  }
}

void CheckOptimizer(const OptimizerConfig& optimizer, Problems* problems) {
  switch (optimizer.kind_case()) {
    case OptimizerConfig::kSgd:
      problems->CheckReal("optimizer.sgd.learning_rate", optimizer.sgd().learning_rate(),
                          kLearningRateRange);
      break;
    case OptimizerConfig::kMomentum: {
      const MomentumOptimizer& m = optimizer.momentum();
      problems->CheckReal("optimizer.momentum.learning_rate", m.learning_rate(),
                          kLearningRateRange);
      if (m.has_momentum()) {
        problems->CheckReal("optimizer.momentum.momentum", m.momentum(), kProbabilityRange);
      }
      break;
    }
    case OptimizerConfig::kAdam: {
      const AdamOptimizer& a = optimizer.adam();
      problems->CheckReal("optimizer.adam.learning_rate", a.learning_rate(), kLearningRateRange);
      if (a.has_beta1()) problems->CheckReal("optimizer.adam.beta1", a.beta1(), kProbabilityRange);
      if (a.has_beta2()) problems->CheckReal("optimizer.adam.beta2", a.beta2(), kProbabilityRange);
      if (a.has_epsilon())
        problems->CheckReal("optimizer.adam.epsilon", a.epsilon(), kEpsilonRange);
      break;
    }
    case OptimizerConfig::KIND_NOT_SET:
      problems->Add("optimizer",
                    "not set; must be one of sgd, momentum, adam "
                    "(e.g. 'optimizer { sgd { learning_rate: 0.1 } }')");
      break;
  }
  problems->CheckInteger("optimizer.warmup_steps", optimizer.warmup_steps(), 0, kMaxWarmupSteps);
}

// The name of the strategy oneof member, as written in a config file.
const char* StrategyName(const RunConfig& config) {
  switch (config.strategy_case()) {
    case RunConfig::kLocal:
      return "local";
    case RunConfig::kParameterServer:
      return "parameter_server";
    case RunConfig::kAllreduce:
      return "allreduce";
    case RunConfig::STRATEGY_NOT_SET:
      break;
  }
  return "(not set)";
}

void CheckTrain(const RunConfig& config, Problems* problems) {
  const TrainConfig& train = config.train();
  const bool ps = config.has_parameter_server();
  problems->CheckInteger("train.batch_size", train.batch_size(), 1, kMaxBatchSize);
  switch (train.length_case()) {
    case TrainConfig::kSteps:
      problems->CheckInteger("train.steps", train.steps(), 1, kMaxSteps);
      break;
    case TrainConfig::kEpochs:
      problems->CheckReal("train.epochs", train.epochs(), kEpochsRange);
      break;
    case TrainConfig::kGlobalSteps:
      problems->CheckInteger("train.global_steps", train.global_steps(), 1, kMaxSteps);
      if (!ps) {
        problems->Add("train.global_steps",
                      absl::StrCat("set with strategy ", StrategyName(config),
                                   "; it counts the updates applied at the parameter servers, so "
                                   "it needs strategy parameter_server (use train.steps or "
                                   "train.epochs)"));
      }
      break;
    case TrainConfig::LENGTH_NOT_SET:
      if (ps) {
        problems->Add(
            "train.steps/train.epochs/train.global_steps",
            absl::StrCat("none is set; set exactly one: steps in [1, ", kMaxSteps, "], epochs in ",
                         kEpochsRange.ToString(), " or global_steps in [1, ", kMaxSteps, "]"));
      } else {
        problems->Add("train.steps/train.epochs",
                      absl::StrCat("neither is set; set exactly one: steps in [1, ", kMaxSteps,
                                   "] or epochs in ", kEpochsRange.ToString()));
      }
      break;
  }
  problems->CheckInteger("train.threads", train.threads(), 0, kMaxThreads);
}

void CheckData(const DataConfig& data, Problems* problems) {
  if (!DataConfig::Dataset_IsValid(data.dataset()) ||
      data.dataset() == DataConfig::DATASET_UNSPECIFIED) {
    problems->Add("data.dataset", absl::StrCat(data.dataset(),
                                               " is not a dataset; must be one of MNIST, "
                                               "FASHION_MNIST, IDX"));
  }
  if (data.dataset() == DataConfig::IDX && data.dir().empty()) {
    problems->Add("data.dir",
                  "empty; required when data.dataset is IDX (the folder of the four "
                  "IDX files)");
  }
  if (!DataConfig::Distribution_IsValid(data.distribution()) ||
      data.distribution() == DataConfig::DISTRIBUTION_UNSPECIFIED) {
    problems->Add("data.distribution",
                  absl::StrCat(data.distribution(),
                               " is not a distribution; must be one of FULLY_REPLICATED, "
                               "SHARDED_BY_KEY, GLOBAL_BATCH_SLICE"));
  }
  problems->CheckInteger("data.objects", data.objects(), 1, kMaxObjects);
  if (data.train_limit() != 0 && data.objects() > data.train_limit()) {
    problems->Add("data.objects",
                  absl::StrCat(data.objects(), " objects cannot be cut from data.train_limit ",
                               data.train_limit(),
                               " examples; must be at most data.train_limit (every object "
                               "holds at least one example)"));
  }
  if (!DataConfig::Grouping_IsValid(data.grouping()) ||
      data.grouping() == DataConfig::GROUPING_UNSPECIFIED) {
    problems->Add("data.grouping", absl::StrCat(data.grouping(),
                                                " is not a grouping; must be one of SHUFFLED, "
                                                "BY_LABEL"));
  }
}

// Rules between workers, the strategy and the data distribution.
void CheckWorkers(const RunConfig& config, Problems* problems) {
  const uint32_t workers = config.workers();
  problems->CheckInteger("workers", workers, 1, kMaxWorkers);
  if (config.has_local() && workers != 1) {
    problems->Add("workers", absl::StrCat(workers,
                                          " with strategy local; local trains in one process, "
                                          "so workers must be 1 (use parameter_server or "
                                          "allreduce for more)"));
  }
  const DataConfig& data = config.data();
  if (data.distribution() == DataConfig::SHARDED_BY_KEY && data.objects() >= 1 &&
      workers > data.objects()) {
    problems->Add("data.objects",
                  absl::StrCat(data.objects(), " objects cannot feed ", workers,
                               " workers under SHARDED_BY_KEY; objects are never split, so "
                               "data.objects must be >= workers (",
                               workers, ")"));
  }
}

void CheckParameterServer(const RunConfig& config, Problems* problems) {
  const ParameterServerStrategy& ps = config.parameter_server();
  const bool mode_valid = ParameterServerStrategy::Mode_IsValid(ps.mode()) &&
                          ps.mode() != ParameterServerStrategy::MODE_UNSPECIFIED;
  if (!mode_valid) {
    problems->Add("parameter_server.mode",
                  absl::StrCat(ps.mode(), " is not a mode; must be one of SYNC, ASYNC, SSP"));
  }
  problems->CheckInteger("parameter_server.staleness", ps.staleness(), 0, kMaxStaleness);
  if (mode_valid && ps.staleness() != 0 && ps.mode() != ParameterServerStrategy::SSP) {
    problems->Add(
        "parameter_server.staleness",
        absl::StrCat(ps.staleness(), " with mode ", ParameterServerStrategy::Mode_Name(ps.mode()),
                     "; staleness bounds SSP only, so it must be 0 unless mode is SSP"));
  }
  switch (ps.placement()) {
    case ParameterServerStrategy::DEDICATED:
      problems->CheckInteger("parameter_server.servers", ps.servers(), 1, kMaxServers);
      break;
    case ParameterServerStrategy::COLOCATED:
      if (ps.servers() != 0 && ps.servers() != config.workers()) {
        problems->Add(
            "parameter_server.servers",
            absl::StrCat(ps.servers(),
                         " with placement COLOCATED; must be 0 or equal "
                         "to workers (",
                         config.workers(), "): each host runs one server shard and one worker"));
      }
      break;
    default:
      problems->Add(
          "parameter_server.placement",
          absl::StrCat(ps.placement(), " is not a placement; must be one of DEDICATED, COLOCATED"));
      break;
  }
  if (!ParameterServerStrategy::Partitioning_IsValid(ps.partitioning()) ||
      ps.partitioning() == ParameterServerStrategy::PARTITIONING_UNSPECIFIED) {
    problems->Add("parameter_server.partitioning",
                  absl::StrCat(ps.partitioning(),
                               " is not a partitioning; must be one of BALANCED_RANGES, "
                               "ROUND_ROBIN_TENSORS"));
  }
  problems->CheckInteger("parameter_server.chunk_bytes", ps.chunk_bytes(), kMinChunkBytes,
                         kMaxChunkBytes);
}

void CheckAllreduce(const AllreduceStrategy& allreduce, Problems* problems) {
  if (allreduce.algorithm() != AllreduceStrategy::RING) {
    problems->Add("allreduce.algorithm",
                  absl::StrCat(allreduce.algorithm(), " is not an algorithm; must be RING"));
  }
  problems->CheckInteger("allreduce.segment_bytes", allreduce.segment_bytes(), kMinSegmentBytes,
                         kMaxSegmentBytes);
  if (allreduce.transport() != AllreduceStrategy::GRPC &&
      allreduce.transport() != AllreduceStrategy::TCP) {
    problems->Add("allreduce.transport",
                  absl::StrCat(allreduce.transport(), " is not a transport; must be GRPC or TCP"));
  }
}

void CheckStrategy(const RunConfig& config, Problems* problems) {
  switch (config.strategy_case()) {
    case RunConfig::kLocal:
      break;
    case RunConfig::kParameterServer:
      CheckParameterServer(config, problems);
      break;
    case RunConfig::kAllreduce:
      CheckAllreduce(config.allreduce(), problems);
      break;
    case RunConfig::STRATEGY_NOT_SET:
      problems->Add("strategy",
                    "not set; must be one of local, parameter_server, allreduce "
                    "(e.g. 'local {}')");
      break;
  }
}

void CheckSupervision(const RunConfig& config, Problems* problems) {
  const SupervisionConfig& supervision = config.supervision();
  if (supervision.on_worker_failure() == SupervisionConfig::CONTINUE) {
    const bool async_ps = config.has_parameter_server() &&
                          (config.parameter_server().mode() == ParameterServerStrategy::ASYNC ||
                           config.parameter_server().mode() == ParameterServerStrategy::SSP);
    if (!async_ps) {
      problems->Add("supervision.on_worker_failure",
                    "CONTINUE needs parameter_server with mode ASYNC or SSP; synchronous "
                    "strategies (SYNC, allreduce) cannot go on without a member: use ABORT");
    }
  } else if (supervision.on_worker_failure() != SupervisionConfig::ABORT) {
    problems->Add("supervision.on_worker_failure",
                  absl::StrCat(supervision.on_worker_failure(),
                               " is not a failure policy; must be ABORT or CONTINUE"));
  }
  problems->CheckReal("supervision.heartbeat_timeout_s", supervision.heartbeat_timeout_s(),
                      kHeartbeatRange);
  problems->CheckReal("supervision.stall_timeout_s", supervision.stall_timeout_s(), kStallRange);
  problems->CheckReal("supervision.rpc_deadline_s", supervision.rpc_deadline_s(),
                      kRpcDeadlineRange);
}

void CheckCluster(const RunConfig& config, Problems* problems) {
  const ClusterConfig& cluster = config.cluster();
  if (!cluster.instance_type().empty()) {
    absl::StatusOr<InstanceProfile> instance = FindInstance(cluster.instance_type());
    if (!instance.ok()) problems->Add("cluster.instance_type", std::string(instance.status().message()));
  }
  const NetworkConfig& net = cluster.network();
  problems->CheckReal("cluster.network.bandwidth_gbps", net.bandwidth_gbps(), kBandwidthRange);
  problems->CheckReal("cluster.network.latency_us", net.latency_us(), kMicrosRange);
  problems->CheckReal("cluster.network.jitter_us", net.jitter_us(), kMicrosRange);
  problems->CheckReal("cluster.network.loss", net.loss(), kLossRange);
  if (cluster.gemm_gflops() != 0) {
    problems->CheckReal("cluster.gemm_gflops", cluster.gemm_gflops(), kGflopsRange);
  }
  if (cluster.clock() == ClusterConfig::FLOPS && cluster.gemm_gflops() == 0) {
    problems->Add("cluster.clock", "FLOPS needs the instance's speed: set cluster.instance_type "
                                   "or cluster.gemm_gflops");
  }
  if (!ClusterConfig::ClockMode_IsValid(cluster.clock()) ||
      cluster.clock() == ClusterConfig::CLOCK_MODE_UNSPECIFIED) {
    problems->Add("cluster.clock", "must be CPU_TIME or FLOPS");
  }
  const bool distributed = config.has_parameter_server() || config.has_allreduce();
  if (net.shape() && config.has_allreduce() &&
      config.allreduce().transport() == AllreduceStrategy::GRPC) {
    problems->Add("cluster.network.shape",
                  "shaping the ring needs allreduce.transport TCP (the gRPC ring is not shaped)");
  }
  for (int i = 0; i < cluster.faults_size(); ++i) {
    const FaultConfig& f = cluster.faults(i);
    const std::string at = absl::StrCat("cluster.faults[", i, "]");
    if (!distributed) {
      problems->Add(at, "faults apply to distributed runs (parameter_server or allreduce)");
      continue;
    }
    if (f.has_worker() && f.worker() >= std::max<uint32_t>(1, config.workers())) {
      problems->Add(at + ".worker", absl::StrCat(f.worker(), " is out of range; must be in [0, ",
                                                 std::max<uint32_t>(1, config.workers()) - 1, "]"));
    }
    if (f.slowdown() != 0) problems->CheckReal(at + ".slowdown", f.slowdown(), kSlowdownRange);
    problems->CheckReal(at + ".pause_s", f.pause_s(), kPauseRange);
    if (f.pause_s() > 0 && f.pause_at_step() == 0) {
      problems->Add(at + ".pause_at_step", "0 with pause_s set; must name the step (1-based)");
    }
    if (f.slowdown() == 0 && f.pause_s() == 0 && f.kill_at_step() == 0) {
      problems->Add(at, "does nothing; set slowdown, pause_s with pause_at_step, or kill_at_step");
    }
  }
}

}  // namespace

absl::Status ValidateRunConfig(const RunConfig& config) {
  Problems problems;
  CheckName(config.name(), &problems);
  if (config.output_dir().empty()) {
    problems.Add("output_dir", "empty; must name a folder (default \"out\")");
  }
  CheckWorkers(config, &problems);
  CheckModel(config.model(), &problems);
  CheckData(config.data(), &problems);
  CheckOptimizer(config.optimizer(), &problems);
  CheckTrain(config, &problems);
  CheckStrategy(config, &problems);
  CheckSupervision(config, &problems);
  CheckCluster(config, &problems);
  return problems.ToStatus();
}

std::vector<std::string> Advice(const RunConfig& config) {
  std::vector<std::string> lines;
  const bool synchronous =
      config.has_allreduce() || (config.has_parameter_server() &&
                                 config.parameter_server().mode() == ParameterServerStrategy::SYNC);
  const DataConfig::Distribution distribution = config.data().distribution();
  if (synchronous && config.workers() > 1 && distribution != DataConfig::GLOBAL_BATCH_SLICE &&
      DataConfig::Distribution_IsValid(distribution)) {
    lines.push_back(absl::StrCat(
        "data.distribution: ", DataConfig::Distribution_Name(distribution), " with synchronous ",
        config.has_allreduce() ? "allreduce" : "parameter_server (SYNC)", " on ", config.workers(),
        " workers; GLOBAL_BATCH_SLICE is recommended: it makes the run the same computation as one "
        "worker with ",
        config.workers(), " times the batch"));
  }
  return lines;
}

}  // namespace distsim::config

// ValidateRunConfig's checks of the distributed side: workers, the strategy, supervision.
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "sim/config/problems.h"

namespace distsim::config::internal {
namespace {

// Ranges not written in the schema are chosen here, generously (see validate.cc).
constexpr uint64_t kMaxWorkers = 1024;
constexpr uint64_t kMaxStaleness = 1000;
constexpr uint64_t kMaxServers = 256;
constexpr uint64_t kMinChunkBytes = 4 << 10;
constexpr uint64_t kMaxChunkBytes = 64 << 20;
constexpr uint64_t kMinSegmentBytes = 64;
constexpr uint64_t kMaxSegmentBytes = 64 << 20;
constexpr Interval kHeartbeatRange{0.5, false, 600, false};  // [0.5, 600]
constexpr Interval kStallRange{1, false, 86400, false};      // [1, 86400]
// The schema gives rpc_deadline_s no range: up to an hour catches a deadline typed in ms.
constexpr Interval kRpcDeadlineRange{0, true, 3600, false};  // (0, 3600]
constexpr Interval kJoinRange{1, false, 3600, false};        // [1, 3600]

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
  if (ps.on_bad_gradient() != ParameterServerStrategy::STOP &&
      ps.on_bad_gradient() != ParameterServerStrategy::SKIP) {
    problems->Add("parameter_server.on_bad_gradient",
                  absl::StrCat(ps.on_bad_gradient(), " is not a choice; must be STOP or SKIP"));
  }
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

}  // namespace

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
      workers > data.objects() && !data.allow_idle_hosts()) {
    problems->Add(
        "data.objects",
        absl::StrCat(data.objects(), " objects cannot feed ", workers,
                     " workers under SHARDED_BY_KEY; objects are never split, so "
                     "data.objects must be >= workers (",
                     workers, "), or set data.allow_idle_hosts to start (and pay for) ",
                     workers - data.objects(), " host", workers - data.objects() == 1 ? "" : "s",
                     " with nothing to train on, as SageMaker would"));
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

namespace {

// Coordinated checkpoints need a step every process shares: SYNC and allreduce have one.
void CheckCheckpoints(const RunConfig& config, Problems* problems) {
  const SupervisionConfig& supervision = config.supervision();
  problems->CheckInteger("supervision.checkpoints_kept", supervision.checkpoints_kept(), 1, 100);
  problems->CheckInteger("supervision.max_restarts", supervision.max_restarts(), 0, 100);
  if (supervision.checkpoint_every_steps() == 0) return;
  problems->CheckInteger("supervision.checkpoint_every_steps", supervision.checkpoint_every_steps(),
                         1, 1000000000);
  const bool synchronous =
      config.has_allreduce() || (config.has_parameter_server() &&
                                 config.parameter_server().mode() == ParameterServerStrategy::SYNC);
  if (!synchronous) {
    problems->Add("supervision.checkpoint_every_steps",
                  "coordinated checkpoints need a step every process shares: parameter_server "
                  "SYNC or allreduce (ASYNC and SSP workers never agree on one; local runs are "
                  "one process)");
  }
  if (config.train().length_case() == TrainConfig::kGlobalSteps) {
    problems->Add("supervision.checkpoint_every_steps",
                  "train.global_steps counts ASYNC updates; give train.steps or train.epochs");
  }
}

}  // namespace

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
  if (supervision.join_timeout_s() != 0) {  // 0: unset, each command's own wait
    problems->CheckReal("supervision.join_timeout_s", supervision.join_timeout_s(), kJoinRange);
  }
  if (supervision.stop_grace_s() != 0) {  // 0: unset, 60 s
    problems->CheckReal("supervision.stop_grace_s", supervision.stop_grace_s(), kJoinRange);
  }
  CheckCheckpoints(config, problems);
}

}  // namespace distsim::config::internal

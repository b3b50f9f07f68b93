// `distsim server`: one parameter-server shard of a distributed run. It serves pulls and pushes
// until the coordinator says every worker finished (or aborts the run), then reports its figures.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/base/clock.h"
#include "sim/base/status.h"
#include "sim/comm/coordinator_rpc.h"
#include "sim/comm/grpc_ps.h"
#include "sim/comm/rpc_server.h"
#include "sim/node/exchange_factory.h"
#include "sim/node/factory.h"
#include "sim/node/heartbeater.h"
#include "sim/node/launcher.h"
#include "sim/node/role_common.h"
#include "sim/node/role_checkpoint.h"
#include "sim/node/roles.h"
#include "sim/strategy/ps_shard.h"

namespace distsim::node {
namespace {

// The shard's trace spans on the run's clock: `offset_s` is the run clock's reading when the
// shard's trace clock started.
void AddTraceSpans(const strategy::PsShard& shard, double offset_s, ProcessSummary* summary) {
  for (const strategy::ShardSpan& s : shard.trace_spans()) {
    ServerSpan* span = summary->add_trace_spans();
    span->set_kind(s.kind == strategy::ShardSpan::kApply ? ServerSpan::APPLY
                                                         : ServerSpan::PARKED_PULL);
    span->set_worker(static_cast<uint32_t>(s.worker));
    span->set_step(s.step);
    span->set_start_s(offset_s + s.start_s);
    span->set_end_s(offset_s + s.end_s);
    span->set_staleness(s.staleness);
    span->set_version(s.version);
  }
  summary->set_trace_stride(shard.trace_stride());
}

ProcessSummary ShardSummary(const ProcessInfo& self, const strategy::PsShard& shard,
                            double wall_s) {
  const strategy::StalenessStats staleness = shard.staleness();
  ProcessSummary summary;
  *summary.mutable_process() = self;
  summary.set_wall_s(wall_s);
  summary.set_cpu_s(ProcessCpuSeconds());
  const ProcessMemory memory = ReadProcessMemory();
  summary.set_pss_bytes(memory.pss_bytes);
  summary.set_max_rss_bytes(memory.max_rss_bytes);
  summary.set_updates_applied(staleness.count());
  summary.set_staleness_mean(staleness.mean());
  summary.set_staleness_p99(static_cast<double>(staleness.p99()));
  summary.set_staleness_max(staleness.max());
  summary.set_version(shard.version());
  summary.set_pushes_refused(shard.pushes_refused());
  summary.set_pushes_skipped(shard.pushes_skipped());
  return summary;
}

// Serves until the coordinator says every worker finished or aborts the run; drops the workers
// it reports lost (on_worker_failure CONTINUE).
absl::Status ServeUntilShutdown(comm::CoordinatorClient* coordinator, strategy::PsShard* shard,
                                const RunPlan& plan, uint32_t rank) {
  Heartbeater heartbeater(coordinator, ProcessInfo::SERVER, rank, plan.timeouts.heartbeat);
  heartbeater.OnLost([shard, rank](uint32_t worker) {
    absl::Status dropped = shard->DropWorker(static_cast<int>(worker));
    if (!dropped.ok() && !absl::IsCancelled(dropped)) {
      std::fprintf(stderr, "server %u: dropping worker %u: %s\n", rank, worker,
                   std::string(dropped.message()).c_str());
    }
  });
  heartbeater.Start([shard](const std::string&) { shard->Abort(); });
  std::optional<std::string> bad_push;
  while (!heartbeater.WaitForShutdown(absl::Milliseconds(200))) {
    // A non-finite gradient was refused: a worker's maths broke, or someone holding the token
    // pushed garbage. Either way the run cannot be trusted: stop it (exit 65), naming the push.
    // (on_bad_gradient SKIP dropped it instead, and the run goes on.)
    if (shard->pushes_refused() > 0 && (bad_push = shard->first_bad_push())) break;
    if (!shard->checkpoint_error().ok()) break;  // a checkpoint that cannot be written
  }
  heartbeater.Stop();
  if (absl::Status written = shard->checkpoint_error(); !written.ok()) {
    shard->Abort();
    return written;
  }
  if (bad_push) {
    shard->Abort();
    return absl::DataLossError(*bad_push);
  }
  if (heartbeater.abort_reason().empty()) return absl::OkStatus();
  return AbortedBy(heartbeater, absl::AbortedError("aborted"));
}

absl::Status ServerMain(const RoleFlags& flags, ProcessSummary* summary) {
  GuardParent(static_cast<pid_t>(flags.parent_pid));
  Stopwatch clock;
  DS_ASSIGN_OR_RETURN(RunInputs in, OpenRoleRun(flags, ProcessInfo::SERVER));
  const RunPlan& plan = in.plan;
  std::vector<float> params(plan.parameters);
  in.model->Init(plan.config.seed(), params.data());
  strategy::PsShardOptions options = PsShardOptionsOf(plan, static_cast<int>(flags.rank));
  const CheckpointPolicy checkpoints = CheckpointPolicyOf(plan, flags);
  if (!checkpoints.dir.empty()) {
    options.checkpoint_every = checkpoints.every;
    options.on_checkpoint = ShardCheckpointWriter(checkpoints, flags.rank);
  }
  // The run's clock as the shard's trace clock starts (a server started by hand, without
  // --run-start, keeps its own clock).
  const double trace_offset_s =
      flags.run_start_unix > 0 ? std::max(0.0, UnixSeconds() - flags.run_start_unix) : 0.0;
  const OptimizerConfig optimizer_config = plan.config.optimizer();
  strategy::PsShard shard(options, plan.shards.shards[flags.rank], params, [&](int64_t size) {
    return MakeOptimizer(optimizer_config, size).value();
  });
  DS_RETURN_IF_ERROR(RestoreShard(checkpoints, flags.rank, &shard));
  comm::PsService service(&shard, flags.token);
  comm::ServerOptions server_options;
  server_options.bind_host = flags.bind_host;
  server_options.port = flags.bind_port;
  server_options.max_message_bytes = comm::PsMaxMessageBytes(options.chunk_bytes);
  server_options.max_threads = comm::PsServerThreads(plan.shape.workers);
  server_options.tls = flags.tls;
  DS_ASSIGN_OR_RETURN(auto server, comm::ProcessServer::Start(server_options, {service.service()}));

  comm::CoordinatorClient coordinator(flags.coordinator, flags.token,
                                      absl::ToDoubleSeconds(plan.timeouts.rpc), flags.tls);
  DS_RETURN_IF_ERROR(coordinator.WaitUntilReachable(plan.timeouts.peers));
  const ProcessInfo self = SelfInfo(ProcessInfo::SERVER, flags.rank,
                                    plan.shape.server_host[flags.rank], server->address());
  DS_RETURN_IF_ERROR(coordinator.Register(self));
  absl::Status served = ServeUntilShutdown(&coordinator, &shard, plan, flags.rank);
  server->Shutdown(served.ok() ? 0.5 : 0.2);
  DS_RETURN_IF_ERROR(served);
  *summary = ShardSummary(self, shard, clock.Seconds());
  AddTraceSpans(shard, trace_offset_s, summary);
  return coordinator.Finish(*summary);
}

}  // namespace

absl::Status RunServerRole(const RoleFlags& flags) {
  ProcessSummary summary;
  absl::Status status = ReportFailure(flags, ProcessInfo::SERVER, ServerMain(flags, &summary));
  return WriteRoleReport(flags, ProcessInfo::SERVER, std::move(summary), std::move(status));
}

}  // namespace distsim::node

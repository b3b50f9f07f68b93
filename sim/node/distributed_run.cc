#include "sim/node/distributed_run.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "kernels/probe.h"
#include "sim/base/clock.h"
#include "sim/base/status.h"
#include "sim/comm/coordinator_rpc.h"
#include "sim/comm/nic.h"
#include "sim/comm/rpc_server.h"
#include "sim/node/channels.h"
#include "sim/node/checkpoint.h"
#include "sim/node/coordinator.h"
#include "sim/node/exchange_factory.h"
#include "sim/node/launcher.h"
#include "sim/node/modelled.h"
#include "sim/node/role_common.h"
#include "sim/node/role_launch.h"
#include "sim/node/roles.h"
#include "sim/node/run_checkpoints.h"
#include "sim/node/run_lock.h"
#include "sim/node/run_plan.h"
#include "sim/node/run_recorder.h"
#include "sim/node/run_result.h"
#include "sim/node/supervisor.h"
#include "sim/report/result_io.h"

namespace distsim::node {
namespace {

namespace fs = std::filesystem;

// How long the roles started beside the coordinator (`distsim train`) get to exit once the run
// is over: they report, write their files and go.
constexpr absl::Duration kLocalRolesExit = absl::Seconds(10);

// The children read the effective config (defaults filled, overrides applied) from the run's
// folder, so every process trains exactly what result.json will echo. Returns its path.
absl::StatusOr<std::string> WriteEffectiveConfig(const RunConfig& config,
                                                 const std::string& out_dir) {
  DS_RETURN_IF_ERROR(report::EnsureDir(out_dir));
  const std::string path = (fs::path(out_dir) / "run_config.textproto").string();
  std::string text;
  google::protobuf::TextFormat::PrintToString(config, &text);
  DS_RETURN_IF_ERROR(report::WriteFileAtomic(
      path, absl::StrCat("# The effective config of this run, written by distsim run.\n", text)));
  return path;
}

// A run's folder holds one run's files: an earlier run's result and trace go before this one
// starts, so that a run that fails leaves no finished run's result beside its own.
void RemoveEarlierResults(const std::string& out_dir) {
  std::error_code ec;
  for (const char* name : {"result.json", "trace.json"}) fs::remove(fs::path(out_dir) / name, ec);
}

// The coordinator's server: loopback port 0 for spawned runs, options.listen for roles started
// by hand.
absl::StatusOr<std::unique_ptr<comm::ProcessServer>> ServeCoordinator(
    const RunPlan& plan, const DistributedRunOptions& options, comm::CoordinatorService* service) {
  comm::ServerOptions server;
  server.max_message_bytes = 64 << 20;
  server.max_threads = 4 + 2 * (plan.shape.servers + plan.shape.workers);
  server.tls = options.tls;
  if (!options.listen.empty()) {
    const size_t colon = options.listen.rfind(':');
    if (colon == std::string::npos ||
        !absl::SimpleAtoi(options.listen.substr(colon + 1), &server.port)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--listen ", options.listen, ": expected HOST:PORT"));
    }
    server.bind_host = options.listen.substr(0, colon);
  }
  return comm::ProcessServer::Start(server, {service->service()});
}

// A shaped network: one table of NIC buckets per run, in a file every process maps. The file is
// removed when the run ends, however it ends.
class NicFile {
 public:
  ~NicFile() {
    std::error_code ec;
    if (!path_.empty()) fs::remove(path_, ec);
  }
  absl::Status Create(const RunPlan& plan) {
    if (!plan.config.cluster().network().shape()) return absl::OkStatus();
    const int hosts = plan.shape.hosts;
    path_ = (fs::temp_directory_path() /
             absl::StrCat("distsim-nic-", getpid(), "-", RandomHex().substr(0, 8)))
                .string();
    DS_ASSIGN_OR_RETURN(table_, comm::NicTable::CreateShared(
                                    path_, hosts, NicModelOf(plan.config.cluster().network())));
    return absl::OkStatus();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::shared_ptr<comm::NicTable> table_;
};

// TLS is for roles started by hand (the launcher's children stay on loopback, in plaintext), and
// only over transports that can carry it.
absl::Status CheckTls(const RunConfig& config, const DistributedRunOptions& options) {
  if (options.tls.enabled() && options.listen.empty()) {
    return absl::InvalidArgumentError(
        "TLS needs a coordinator that roles started by hand connect to (`distsim coordinator`)");
  }
  return CheckTlsTransport(config, options.tls.enabled());
}

// Whether a dead worker is started again alone instead of every process: under ASYNC and SSP,
// whose shards know each worker's clock (and which have no checkpoints to roll back to), with
// restarts allowed, for roles this launcher spawned.
bool WorkersRejoin(const RunPlan& plan, const DistributedRunOptions& options) {
  const RunConfig& config = plan.config;
  return options.listen.empty() && config.supervision().max_restarts() > 0 &&
         config.has_parameter_server() &&
         config.parameter_server().mode() != ParameterServerStrategy::SYNC;
}

SupervisorOptions WatchOptionsOf(const RunPlan& plan, const DistributedRunOptions& options,
                                 const RoleArgs& args, ChildProcesses* children,
                                 uint32_t restarts) {
  SupervisorOptions watch;
  watch.stop = options.stop;
  if (!args.checkpoint_dir.empty() && plan.config.supervision().checkpoint_every_steps() > 0) {
    watch.stop_at_next_checkpoint = options.stop_at_next_checkpoint;
    watch.newest_checkpoint = [&plan, dir = args.checkpoint_dir] {
      return LastGoodCheckpoint(plan, dir);
    };
  }
  watch.progress = options.progress;
  watch.registration_deadline = absl::Now() + absl::Seconds(options.registration_timeout_s);
  watch.spawned = options.listen.empty();
  if (WorkersRejoin(plan, options)) {
    watch.respawn_worker = [&plan, &args, children](uint32_t rank, uint32_t attempt) {
      return SpawnRejoiningWorker(plan, args, rank, attempt, children);
    };
    watch.restarts_before = restarts;
    watch.rejoin_timeout = absl::Seconds(options.registration_timeout_s);
  }
  return watch;
}

// What the coordinator reads: the whole set, and every worker host's channels laid out here
// (`distsim run`, `distsim coordinator`); or the chief host's own channel as SageMaker laid it
// out (`distsim train`), which fixes worker 0's length, the other hosts' data coming in their
// workers' reports (channel_report.h).
struct CoordinatorData {
  RunInputs in;
  RunChannels channels;
};

absl::StatusOr<CoordinatorData> OpenCoordinatorData(const RunConfig& config,
                                                    const DistributedRunOptions& options) {
  CoordinatorData d;
  if (!options.channel_dir.empty()) {
    DS_ASSIGN_OR_RETURN(d.in, OpenChannelRun(config, options.channel_dir));
    DS_RETURN_IF_ERROR(FillChiefLength(&d.in));
    return d;
  }
  DS_ASSIGN_OR_RETURN(d.in, OpenRun(config, options.data_dir));
  // The whole run's memory, checked once here before anyone allocates: a role that checked
  // again would see its siblings' memory already taken.
  DS_RETURN_IF_ERROR(CheckModelMemory(d.in.plan, AvailableMemoryBytes()));
  DS_ASSIGN_OR_RETURN(d.channels, PrepareChannels(d.in.plan, d.in.train, d.in.test,
                                                  options.objects_dir, options.out_dir));
  return d;
}

// The coordinator's clock and, when the caller named the hosts, where each process runs.
void SetUpCoordinator(const RunPlan& plan, const DistributedRunOptions& options,
                      double run_start_unix, Coordinator* coordinator) {
  coordinator->SetRunStart(run_start_unix);
  if (options.host_names.empty()) return;
  auto names = [&](const std::vector<uint32_t>& hosts) {
    std::vector<std::string> out;
    for (uint32_t h : hosts)
      out.push_back(h < options.host_names.size() ? options.host_names[h] : "");
    return out;
  };
  coordinator->SetHostNames(names(plan.shape.server_host), names(plan.shape.worker_host));
}

// Spawns the roles (`distsim run`), or says how to start them by hand (`distsim coordinator`);
// `distsim train`'s caller started this host's roles itself.
absl::StatusOr<std::map<pid_t, ChildRole>> StartRoles(const RunPlan& plan, const RoleArgs& args,
                                                      const DistributedRunOptions& options,
                                                      ChildProcesses* children) {
  if (options.listen.empty()) return SpawnRoles(plan, args, children);
  if (options.channel_dir.empty()) {
    DS_RETURN_IF_ERROR(
        AnnounceForHands(plan, args, options.out_dir, options.progress, options.announce_json));
  }
  return options.local_roles;
}

// One launch of every process: a coordinator with its own server and port, the roles, the
// watch. A restart makes a new one; the recorder, the run's clock and its folder go on.
struct Attempt {
  std::unique_ptr<Coordinator> coordinator;
  std::unique_ptr<comm::CoordinatorService> service;
  std::unique_ptr<comm::ProcessServer> server;
  std::vector<uint32_t> lost;
  std::vector<Restart> rejoins;  // workers started again alone (ASYNC, SSP)
  absl::Status status;  // how the watch ended
};

absl::StatusOr<std::unique_ptr<Attempt>> Launch(const RunPlan& plan, RoleArgs& args,
                                                const DistributedRunOptions& options, RunInputs& in,
                                                ChildProcesses* children, RunRecorder& recorder,
                                                const Stopwatch& clock, uint32_t restarts) {
  auto a = std::make_unique<Attempt>();
  a->coordinator = std::make_unique<Coordinator>(plan.shape.servers, plan.shape.workers,
                                                 plan.timeouts.heartbeat);
  SetUpCoordinator(plan, options, args.run_start_unix, a->coordinator.get());
  a->service = std::make_unique<comm::CoordinatorService>(a->coordinator.get(), args.token);
  DS_ASSIGN_OR_RETURN(a->server, ServeCoordinator(plan, options, a->service.get()));
  args.coordinator = a->server->address();
  DS_ASSIGN_OR_RETURN(auto roles, StartRoles(plan, args, options, children));
  Coordinator& coordinator = *a->coordinator;
  Supervisor supervisor(
      plan, &coordinator, children, std::move(roles), &recorder,
      [&](uint64_t step, uint64_t samples) {
        return EvaluateForDeadChief(in, coordinator, args.token, args.tls, step, samples,
                                    clock.Seconds());
      },
      WatchOptionsOf(plan, options, args, children, restarts));
  a->status = supervisor.Watch();
  a->lost = supervisor.lost();
  a->rejoins = supervisor.rejoins();
  if (options.local_children != nullptr) children->WaitAll(kLocalRolesExit);
  a->server->Shutdown(0.2);
  return a;
}

// The workers an attempt started again alone go in the result's restarts; returns how many.
uint32_t RecordRejoins(const Attempt& attempt, CheckpointSummary* summary) {
  for (const Restart& r : attempt.rejoins) *summary->add_restarts() = r;
  return static_cast<uint32_t>(attempt.rejoins.size());
}

// The spawned roles are told where the checkpoints are and which set to start from; roles
// started by hand are not, and a config that asks for checkpoints is told so.
void TellRolesOfCheckpoints(const RunPlan& plan, const DistributedRunOptions& options,
                            const RunCheckpoints& checkpoints, RoleArgs* args, std::FILE* notes) {
  if (options.listen.empty()) {
    args->checkpoint_dir = checkpoints.dir;
    args->resume_step = checkpoints.resume_step;
  } else if (plan.config.supervision().checkpoint_every_steps() > 0) {
    std::fprintf(notes,
                 "supervision.checkpoint_every_steps: roles started by hand write no "
                 "checkpoints (only those `distsim run` spawns do)\n");
  }
}

}  // namespace

absl::StatusOr<RunResult> RunDistributed(const RunConfig& config,
                                         const DistributedRunOptions& options) {
  Stopwatch clock;
  DS_RETURN_IF_ERROR(CheckTls(config, options));
  DS_ASSIGN_OR_RETURN(RunFolderLock lock, RunFolderLock::Acquire(options.out_dir));
  RoleArgs args;
  args.tls = options.tls;
  args.run_start_unix = UnixSeconds();
  DS_ASSIGN_OR_RETURN(CoordinatorData data, OpenCoordinatorData(config, options));
  RunInputs& in = data.in;
  const RunPlan& plan = in.plan;
  // This machine's speed, for the modelled clock's CPU_TIME mode, measured before the children
  // start so that they do not disturb it.
  const ModelFacts facts =
      ModelFactsOf(plan, NeedsHostSpeed(plan.config) ? kernels::MeasureGemmGflops() : 0.0);
  DS_ASSIGN_OR_RETURN(args.config_path, WriteEffectiveConfig(plan.config, options.out_dir));
  RemoveEarlierResults(options.out_dir);
  std::FILE* notes = options.progress != nullptr ? options.progress : stderr;
  DS_ASSIGN_OR_RETURN(RunCheckpoints checkpoints,
                      PrepareRunCheckpoints(plan, options.out_dir, options.resume, notes));
  TellRolesOfCheckpoints(plan, options, checkpoints, &args, notes);
  args.host_data_dirs = data.channels.host_data_dirs;
  args.token = options.token.empty() ? RandomHex() : options.token;
  NicFile nic;
  DS_RETURN_IF_ERROR(nic.Create(plan));
  args.nic_path = nic.path();
  args.data_dir = options.data_dir;
  args.executable = options.executable.empty() ? SelfExecutable() : options.executable;
  ChildProcesses spawned;
  ChildProcesses* children = options.local_children ? options.local_children : &spawned;
  DS_ASSIGN_OR_RETURN(
      report::StepsCsvWriter csv,
      report::StepsCsvWriter::Open((fs::path(options.out_dir) / "steps.csv").string()));
  RunRecorder recorder(plan, facts, std::move(csv), options.progress, options.progress_every_steps,
                       &clock);
  std::unique_ptr<Attempt> attempt;
  for (uint32_t restarts = 0;; ++restarts) {
    DS_ASSIGN_OR_RETURN(attempt,
                        Launch(plan, args, options, in, children, recorder, clock, restarts));
    restarts += RecordRejoins(*attempt, &checkpoints.summary);
    const bool stopped = options.stop != nullptr && options.stop->load();
    if (attempt->status.ok() || !options.listen.empty() ||  // only spawned roles restart
        stopped || !Restartable(attempt->status, plan, restarts)) {
      break;
    }
    args.resume_step = PrepareRestart(plan, *attempt->coordinator, attempt->status, restarts + 1,
                                      &checkpoints, &recorder.aggregate(), notes);
    args.attempt = restarts + 1;
    recorder.set_attempt(args.attempt);
  }
  DS_RETURN_IF_ERROR(recorder.Close());
  if (!args.checkpoint_dir.empty()) RemoveTempFiles(args.checkpoint_dir);
  checkpoints.summary.set_last_good_step(LastGoodCheckpoint(plan, args.checkpoint_dir));
  if (!attempt->status.ok()) {
    (void)WritePartialResult(plan, options, attempt->coordinator->furthest_step(),
                             checkpoints.summary, attempt->status);
    return attempt->status;
  }
  return FinishDistributedRun(plan, facts, *attempt->coordinator, attempt->lost, recorder,
                              data.channels.summary, options, clock, checkpoints.summary);
}

}  // namespace distsim::node

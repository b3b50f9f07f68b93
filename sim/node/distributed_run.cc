#include "sim/node/distributed_run.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "google/protobuf/text_format.h"
#include "sim/base/clock.h"
#include "sim/base/status.h"
#include "sim/config/instances.h"
#include "kernels/probe.h"
#include "sim/comm/coordinator_rpc.h"
#include "sim/comm/grpc_ps.h"
#include "sim/comm/nic.h"
#include "sim/comm/rpc_server.h"
#include "sim/data/dataset.h"
#include "sim/data/distribution.h"
#include "sim/node/coordinator.h"
#include "sim/node/factory.h"
#include "sim/node/launcher.h"
#include "sim/node/modelled.h"
#include "sim/node/run_plan.h"
#include "sim/node/provenance.h"
#include "sim/node/roles.h"
#include "sim/node/run_aggregate.h"
#include "sim/node/train_loop.h"
#include "sim/report/progress.h"
#include "sim/report/result_io.h"
#include "sim/report/steps_csv.h"
#include "sim/report/trace.h"

namespace distsim::node {
namespace {

constexpr absl::Duration kPoll = absl::Milliseconds(50);
constexpr absl::Duration kAbortGrace = absl::Seconds(3);

// The Status code whose exit code is `exit_code` (the inverse of ExitCodeFor).
absl::StatusCode CodeForExit(int exit_code) {
  switch (exit_code) {
    case kExitTempFail:
      return absl::StatusCode::kDeadlineExceeded;
    case kExitConfig:
      return absl::StatusCode::kInvalidArgument;
    case kExitDataErr:
      return absl::StatusCode::kDataLoss;
    case kExitNoInput:
      return absl::StatusCode::kNotFound;
    case kExitNoPerm:
      return absl::StatusCode::kPermissionDenied;
    case kExitIoErr:
      return absl::StatusCode::kUnknown;
    case kExitSoftware:
      return absl::StatusCode::kInternal;
    default:
      return absl::StatusCode::kUnavailable;
  }
}

std::string RandomToken() {
  std::random_device device;
  return absl::StrFormat("%08x%08x%08x%08x", device(), device(), device(), device());
}

struct ChildRole {
  ProcessInfo::Role role;
  uint32_t rank;
};

// What the launcher needs to know about the data before spawning anyone: the model's size and
// how many steps worker 0 will take (for the progress bar).
struct RunFacts {
  int64_t parameters = 0;
  std::vector<int64_t> server_params;
  uint64_t total_steps = 0;         // progress denominator
  bool progress_counts_all = false; // ASYNC/SSP global steps: the sum over workers
  int64_t examples_per_epoch = 1;   // worker 0's
  double train_flops_per_example = 0;
};

absl::StatusOr<RunFacts> GatherFacts(const RunConfig& config, const std::string& data_dir) {
  DS_ASSIGN_OR_RETURN(auto sets, data::OpenIdxDir(data_dir, config.data().train_limit(),
                                                  config.data().test_limit()));
  const data::Dataset& train = sets.first;
  DS_ASSIGN_OR_RETURN(auto model,
                      MakeModel(config.model(), train.rows(), train.cols(), train.num_classes()));
  const ClusterShape shape = ShapeOf(config);
  const int batch = static_cast<int>(config.train().batch_size());
  DS_ASSIGN_OR_RETURN(auto sampler,
                      data::MakeWorkerSampler(DistributionOf(config), train, 0, shape.workers,
                                              batch, DataSeed(config.seed()),
                                              !config.train().has_shuffle() ||
                                                  config.train().shuffle()));
  RunFacts facts;
  facts.parameters = model->layout().size();
  facts.train_flops_per_example = model->TrainFlopsPerExample();
  if (config.has_parameter_server()) {
    DS_ASSIGN_OR_RETURN(auto shards, ShardMapOf(config, model->layout()));
    for (int64_t b : strategy::BytesPerShard(shards)) facts.server_params.push_back(b / 4);
  }
  facts.examples_per_epoch = std::max<int64_t>(1, sampler->examples());
  const TrainConfig& t = config.train();
  if (t.length_case() == TrainConfig::kGlobalSteps) {
    facts.total_steps = t.global_steps();
    facts.progress_counts_all =
        config.parameter_server().mode() != ParameterServerStrategy::SYNC;
  } else if (t.length_case() == TrainConfig::kSteps) {
    facts.total_steps = t.steps();
  } else {
    facts.total_steps = StepsForLength(t, sampler->steps_per_epoch());
  }
  return facts;
}

std::vector<std::string> RoleArgv(const DistributedRunOptions& options, const char* role,
                                  uint32_t rank, const std::string& config_path,
                                  const std::string& coordinator, const std::string& token,
                                  double run_start_unix, const std::string& nic_path) {
  std::vector<std::string> argv = {options.executable,
          role,
          "--config",
          config_path,
          "--rank",
          std::to_string(rank),
          "--coordinator",
          coordinator,
          "--token",
          token,
          "--data-dir",
          options.data_dir,
          "--parent-pid",
          std::to_string(getpid()),
          "--run-start",
          absl::StrFormat("%.6f", run_start_unix)};
  if (!nic_path.empty()) {
    argv.push_back("--nic");
    argv.push_back(nic_path);
  }
  return argv;
}

// Removes the NIC table's file when the run ends, however it ends.
struct FileRemover {
  std::string path;
  ~FileRemover() {
    if (!path.empty()) {
      std::error_code ec;
      std::filesystem::remove(path, ec);
    }
  }
};

// The chief died (on_worker_failure CONTINUE): the coordinator evaluates in its place, on the
// newest parameters, pulled from the servers in the dead chief's name (a dropped worker reads the
// newest at once, sim/strategy/ps_shard.h).
absl::StatusOr<EvalRecord> EvaluateForDeadChief(const RunConfig& config,
                                                const std::string& data_dir,
                                                const PeerTable& peers, const std::string& token,
                                                uint64_t step, uint64_t samples, double now_s) {
  DS_ASSIGN_OR_RETURN(auto sets, data::OpenIdxDir(data_dir, config.data().train_limit(),
                                                  config.data().test_limit()));
  DS_ASSIGN_OR_RETURN(auto model, MakeModel(config.model(), sets.first.rows(), sets.first.cols(),
                                            sets.first.num_classes()));
  DS_ASSIGN_OR_RETURN(strategy::ShardMap shards, ShardMapOf(config, model->layout()));
  const double deadline_s = config.supervision().rpc_deadline_s() > 0
                                ? config.supervision().rpc_deadline_s()
                                : 10;
  comm::PsClientOptions options;
  options.worker = 0;
  options.total_elems = model->layout().size();
  options.shards = shards.shards;
  options.chunk_bytes = static_cast<int64_t>(config.parameter_server().chunk_bytes());
  options.stall_timeout = absl::Seconds(deadline_s);
  comm::GrpcPsClientOptions grpc_options;
  for (const ProcessInfo& s : peers.servers()) grpc_options.addresses.push_back(s.address());
  grpc_options.run_token = token;
  grpc_options.connect_timeout = absl::Seconds(deadline_s);
  grpc_options.rpc_timeout = absl::Seconds(deadline_s);
  DS_ASSIGN_OR_RETURN(std::unique_ptr<comm::PsClient> client,
                      comm::MakeGrpcPsClient(options, grpc_options));
  std::vector<float> params(model->layout().size());
  comm::PullResult pulled;
  // The servers drop the chief at their next heartbeat; until then the pull is refused.
  absl::Status status;
  const absl::Time give_up = absl::Now() + absl::Seconds(deadline_s);
  do {
    status = client->Pull(0, params, &pulled);
    if (status.ok() || !absl::IsFailedPrecondition(status)) break;
    absl::SleepFor(absl::Milliseconds(100));
  } while (absl::Now() < give_up);
  if (!status.ok()) {
    return absl::Status(status.code(), absl::StrCat("evaluating for the dead chief: ",
                                                    status.message()));
  }
  Stopwatch watch;
  const EvalResult eval = Evaluate(*model, params, sets.second);
  EvalRecord record;
  record.set_step(step);
  record.set_samples(samples);
  record.set_duration_s(watch.Seconds());
  record.set_end_s(now_s + record.duration_s());
  record.set_test_accuracy(eval.accuracy);
  record.set_test_loss(eval.loss);
  return record;
}

}  // namespace

absl::StatusOr<RunResult> RunDistributed(const RunConfig& config,
                                         const DistributedRunOptions& options) {
  Stopwatch clock;
  const double run_start_unix = UnixSeconds();
  const ClusterShape shape = ShapeOf(config);
  const int batch = static_cast<int>(config.train().batch_size());
  DS_ASSIGN_OR_RETURN(RunFacts facts, GatherFacts(config, options.data_dir));
  // This machine's speed, for the modelled clock's CPU_TIME mode, measured before the children
  // start so that they do not disturb it.
  const double host_gemm_gflops = NeedsHostSpeed(config) ? kernels::MeasureGemmGflops() : 0.0;

  // The children read the effective config (defaults filled, overrides applied) from the run's
  // folder, so every process trains exactly what result.json will echo.
  DS_RETURN_IF_ERROR(report::EnsureDir(options.out_dir));
  const std::string config_path =
      (std::filesystem::path(options.out_dir) / "run_config.textproto").string();
  std::string text;
  google::protobuf::TextFormat::PrintToString(config, &text);
  DS_RETURN_IF_ERROR(report::WriteFileAtomic(
      config_path, absl::StrCat("# The effective config of this run, written by distsim run.\n",
                                text)));

  const bool spawn_children = options.listen.empty();
  const std::string token = options.token.empty() ? RandomToken() : options.token;
  const SupervisionConfig& sup = config.supervision();
  Coordinator coordinator(shape.servers, shape.workers,
                          absl::Seconds(sup.heartbeat_timeout_s() > 0 ? sup.heartbeat_timeout_s()
                                                                      : 5));
  comm::CoordinatorService service(&coordinator, token);
  comm::ServerOptions server_options;
  server_options.max_message_bytes = 64 << 20;
  server_options.max_threads = 4 + 2 * (shape.servers + shape.workers);
  if (!spawn_children) {
    const size_t colon = options.listen.rfind(':');
    if (colon == std::string::npos || !absl::SimpleAtoi(options.listen.substr(colon + 1),
                                                        &server_options.port)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--listen ", options.listen, ": expected HOST:PORT"));
    }
    server_options.bind_host = options.listen.substr(0, colon);
  }
  DS_ASSIGN_OR_RETURN(auto server, comm::ProcessServer::Start(server_options, {service.service()}));
  if (!spawn_children && options.progress != nullptr) {
    std::fprintf(options.progress,
                 "coordinator listening on %s, token %s: start %d server(s) and %d worker(s) with\n"
                 "  distsim server|worker --config %s --rank R --coordinator %s --token %s "
                 "--data-dir DIR\n",
                 server->address().c_str(), token.c_str(), shape.servers, shape.workers,
                 config_path.c_str(), server->address().c_str(), token.c_str());
  }

  // A shaped network: one table of NIC buckets per run, mapped by every process.
  std::shared_ptr<comm::NicTable> nic_table;
  FileRemover nic_file;
  if (config.cluster().network().shape()) {
    int hosts = 0;
    for (uint32_t h : shape.server_host) hosts = std::max(hosts, static_cast<int>(h) + 1);
    for (uint32_t h : shape.worker_host) hosts = std::max(hosts, static_cast<int>(h) + 1);
    nic_file.path = (std::filesystem::temp_directory_path() /
                     absl::StrCat("distsim-nic-", getpid(), "-", token.substr(0, 8)))
                        .string();
    DS_ASSIGN_OR_RETURN(nic_table, comm::NicTable::CreateShared(
                                       nic_file.path, hosts,
                                       NicModelOf(config.cluster().network())));
    if (!spawn_children && options.progress != nullptr) {
      std::fprintf(options.progress, "shaped network: add --nic %s to each role's command\n",
                   nic_file.path.c_str());
    }
  }

  ModelFacts model_facts;
  model_facts.parameters = facts.parameters;
  model_facts.server_params = facts.server_params;
  model_facts.train_flops_per_example = facts.train_flops_per_example;
  model_facts.host_gemm_gflops = host_gemm_gflops;
  const std::vector<FaultConfig> faults = config::FaultsByWorker(config);

  DistributedRunOptions spawn = options;
  if (spawn.executable.empty()) spawn.executable = SelfExecutable();
  ChildProcesses children;
  std::map<pid_t, ChildRole> roles;
  for (int r = 0; spawn_children && r < shape.servers; ++r) {
    DS_ASSIGN_OR_RETURN(pid_t pid, children.Spawn(RoleArgv(spawn, "server", r, config_path,
                                                           server->address(), token,
                                                           run_start_unix, nic_file.path)));
    roles[pid] = {ProcessInfo::SERVER, static_cast<uint32_t>(r)};
  }
  for (int r = 0; spawn_children && r < shape.workers; ++r) {
    DS_ASSIGN_OR_RETURN(pid_t pid, children.Spawn(RoleArgv(spawn, "worker", r, config_path,
                                                           server->address(), token,
                                                           run_start_unix, nic_file.path)));
    roles[pid] = {ProcessInfo::WORKER, static_cast<uint32_t>(r)};
  }

  DS_ASSIGN_OR_RETURN(report::StepsCsvWriter csv,
                      report::StepsCsvWriter::Open(
                          (std::filesystem::path(options.out_dir) / "steps.csv").string()));
  report::Progress progress(options.progress ? options.progress : stderr,
                            options.progress != nullptr, options.progress_every_steps,
                            facts.total_steps);
  const int warmup = config.train().has_warmup_steps() ? config.train().warmup_steps() : 10;
  RunAggregate aggregate(shape.workers, batch, warmup);
  std::vector<report::TraceTrack> tracks(shape.workers);
  std::optional<report::StepRow> chief_row;  // held until its evaluation, if any, arrives
  double window_loss = 0, window_accuracy = 0, window_n = 0;
  uint64_t window_start_samples = 0;
  Stopwatch window_clock;

  auto drain = [&]() {
    Coordinator::NewRecords records = coordinator.TakeNewRecords();
    for (auto& [rank, r] : records.steps) {
      r.set_model_compute_s(ModelComputeSeconds(
          config, model_facts, rank < faults.size() ? faults[rank].slowdown() : 1.0, r));
      aggregate.AddStep(rank, r);
      if (rank < tracks.size()) tracks[rank].steps.push_back(r);
      const uint64_t samples = r.step() * static_cast<uint64_t>(batch);
      report::StepRow row = report::StepRowFromRecord(
          rank, r, samples, static_cast<double>(samples) / facts.examples_per_epoch);
      if (rank == 0) {
        if (chief_row) csv.Append(*chief_row);
        chief_row = row;
        window_loss += r.loss();
        window_accuracy += r.batch_accuracy();
        window_n += 1;
      } else {
        csv.Append(row);
      }
    }
    for (const EvalRecord& e : records.evals) {
      aggregate.AddEval(e);
      tracks[0].evals.push_back({e.end_s(), e.duration_s(), e.step(), e.test_accuracy()});
      if (chief_row && chief_row->step == e.step()) {
        chief_row->test_accuracy = e.test_accuracy();
        chief_row->test_loss = e.test_loss();
      }
      progress.Eval(e.step(), e.test_accuracy(), e.test_loss(), clock.Seconds());
    }
    if (window_n > 0) {
      report::ProgressState state;
      state.step = facts.progress_counts_all ? aggregate.total_steps() : aggregate.steps(0);
      state.total_steps = facts.total_steps;
      state.epoch = static_cast<double>(aggregate.steps(0) * batch) / facts.examples_per_epoch;
      state.loss = window_loss / window_n;
      state.batch_accuracy = window_accuracy / window_n;
      state.samples_per_second = (aggregate.samples() - window_start_samples) /
                                 std::max(window_clock.Seconds(), 1e-9);
      state.elapsed_s = clock.Seconds();
      if (progress.Step(state)) {
        window_loss = window_accuracy = window_n = 0;
        window_start_samples = aggregate.samples();
        window_clock.Restart();
      }
    }
  };

  std::optional<absl::Status> failure;
  bool interrupted = false;
  const bool continue_on_loss = sup.on_worker_failure() == SupervisionConfig::CONTINUE;
  std::vector<uint32_t> lost;  // workers the run went on without
  bool chief_evaluated = false;
  absl::Time abort_deadline = absl::InfiniteFuture();
  const absl::Time registration_deadline =
      absl::Now() + absl::Seconds(options.registration_timeout_s);
  auto abort = [&](absl::Status why) {
    if (failure) return;
    failure = why;
    coordinator.Abort(std::string(why.message()));
    abort_deadline = absl::Now() + kAbortGrace;
  };

  auto running = [&] {
    return spawn_children ? children.running() > 0 : !coordinator.AllFinished();
  };
  while (running()) {
    if (!failure && options.stop != nullptr && options.stop->load()) {
      interrupted = true;
      abort(absl::CancelledError("interrupted (Ctrl-C): every process was stopped"));
    }
    const std::vector<ChildExit> exits = children.Reap();
    if (!exits.empty()) drain();  // the records a dead process sent before it died
    for (const ChildExit& exit : exits) {
      const ChildRole& who = roles[exit.pid];
      if (exit.exit_code == 0 || failure) continue;
      const std::string name = ProcessName(who.role, who.rank);
      const uint64_t step = coordinator.last_step(who.role, who.rank);
      if (continue_on_loss && who.role == ProcessInfo::WORKER &&
          lost.size() + 1 < static_cast<size_t>(shape.workers)) {
        // CONTINUE: the servers drop the worker at their next heartbeat; the others go on.
        lost.push_back(who.rank);
        if (who.rank == 0) coordinator.HoldShutdown(true);  // evaluate before the servers go
        coordinator.MarkLost(who.rank);
        if (options.progress != nullptr) {
          std::fprintf(options.progress,
                       "%s (pid %d) %s (last step reported: %llu); continuing with %d workers\n",
                       name.c_str(), exit.pid, DescribeExit(exit).c_str(),
                       static_cast<unsigned long long>(
                           std::max<uint64_t>(step, aggregate.steps(who.rank))),
                       shape.workers - static_cast<int>(lost.size()));
        }
        continue;
      }
      if (auto report = coordinator.failure_report(who.role, who.rank)) {
        // The process said why before exiting: pass its words and its kind of failure on.
        abort(absl::Status(CodeForExit(report->exit_code()),
                           absl::StrFormat("%s (pid %d) failed at step %d: %s", name, exit.pid,
                                           step, report->error())));
      } else {
        abort(absl::UnavailableError(absl::StrFormat("%s (pid %d) %s at step %d", name,
                                                     exit.pid, DescribeExit(exit), step)));
      }
    }
    if (!failure) {
      absl::Status live = coordinator.CheckLiveness(registration_deadline);
      if (!live.ok()) abort(live);
    }
    drain();
    if (!failure && !chief_evaluated && std::find(lost.begin(), lost.end(), 0u) != lost.end() &&
        coordinator.AllWorkersFinished()) {
      chief_evaluated = true;
      std::optional<PeerTable> peers = coordinator.WaitForPeers(absl::ZeroDuration());
      absl::StatusOr<EvalRecord> eval =
          peers ? EvaluateForDeadChief(config, options.data_dir, *peers, token,
                                       aggregate.total_steps() / std::max<size_t>(
                                           1, shape.workers - lost.size()),
                                       aggregate.samples(), clock.Seconds())
                : absl::InternalError("no peer table");
      coordinator.HoldShutdown(false);
      if (eval.ok()) {
        aggregate.AddEval(*eval);
        tracks[0].evals.push_back({eval->end_s(), eval->duration_s(), eval->step(),
                                   eval->test_accuracy()});
        progress.Eval(eval->step(), eval->test_accuracy(), eval->test_loss(), clock.Seconds());
      } else {
        abort(eval.status());
      }
    }
    if (failure && (absl::Now() > abort_deadline || !spawn_children)) {
      if (!spawn_children) absl::SleepFor(kAbortGrace);  // let the heartbeats carry the abort
      children.KillAll();
      break;
    }
    absl::SleepFor(kPoll);
  }
  drain();
  if (chief_row) csv.Append(*chief_row);
  progress.Finish();
  DS_RETURN_IF_ERROR(csv.Close());
  server->Shutdown(0.2);
  if (failure) return interrupted ? absl::CancelledError(failure->message()) : *failure;

  RunResult result;
  *result.mutable_config() = config;
  *result.mutable_provenance() =
      CollectProvenance(shape.servers + shape.workers, options.command_line);
  result.set_strategy(DescribeStrategy(config));
  result.set_workers(shape.workers);
  result.set_servers(shape.servers);
  result.set_run_length(config.train().length_case() == TrainConfig::kGlobalSteps
                            ? "global steps (updates at the servers)"
                            : "steps per worker");
  result.set_parameter_count(facts.parameters);
  DS_RETURN_IF_ERROR(aggregate.Fill(coordinator.summaries(ProcessInfo::WORKER),
                                    coordinator.summaries(ProcessInfo::SERVER),
                                    facts.server_params, config.has_allreduce(), &result));
  for (uint32_t w : lost) {
    result.add_workers_lost(w);
    result.mutable_worker_stats(static_cast<int>(w))->set_lost(true);
  }
  if (std::find(lost.begin(), lost.end(), 0u) != lost.end()) {
    // The chief's count stopped when it died: report the furthest worker's.
    uint64_t steps = 0;
    for (const WorkerStats& w : result.worker_stats()) steps = std::max(steps, w.steps());
    result.set_steps(steps);
  }
  for (const std::string& line : config::DescribeFaults(faults)) {
    result.add_faults(line);
  }
  model_facts.worker_lost.assign(shape.workers, false);
  for (uint32_t w : lost) model_facts.worker_lost[w] = true;
  model::Timeline timeline;
  DS_ASSIGN_OR_RETURN(*result.mutable_modelled(),
                      ModelRun(config, shape, model_facts, &aggregate.records(), &timeline));
  for (size_t w = 0; w < timeline.worker_end_s.size() && w < static_cast<size_t>(result.worker_stats_size()); ++w) {
    result.mutable_worker_stats(static_cast<int>(w))->set_modelled_seconds(timeline.worker_end_s[w]);
  }
  const double wall = clock.Seconds();
  result.set_wall_seconds(wall);
  result.set_samples_per_second(static_cast<double>(result.samples()) / wall);
  result.set_epochs(static_cast<double>(result.steps() * batch) / facts.examples_per_epoch);
  DS_RETURN_IF_ERROR(report::WriteResultJson(
      result, (std::filesystem::path(options.out_dir) / "result.json").string()));
  for (int r = 0; r < shape.workers; ++r) {
    tracks[r].name = absl::StrCat(ProcessName(ProcessInfo::WORKER, r), r == 0 ? " (chief)" : "");
    tracks[r].pid = coordinator.pid(ProcessInfo::WORKER, r);
    if (tracks[r].pid == 0) tracks[r].pid = 1000000 + r;  // started by hand elsewhere
  }
  // The same steps on the modelled clock, one track per worker after the measured ones.
  const model::TimelineSpec spec = TimelineSpecOf(config, shape, model_facts);
  int64_t next_pid = 2000000;
  for (int r = 0; r < shape.workers; ++r) {
    report::TraceTrack modelled;
    modelled.name = absl::StrCat(ProcessName(ProcessInfo::WORKER, r), " (modelled)");
    modelled.pid = next_pid++;
    modelled.steps = ModelledTrackSteps(spec, aggregate.records(), timeline, r);
    if (!modelled.steps.empty()) tracks.push_back(std::move(modelled));
  }
  DS_RETURN_IF_ERROR(report::WriteChromeTrace(
      tracks, (std::filesystem::path(options.out_dir) / "trace.json").string()));
  return result;
}

}  // namespace distsim::node

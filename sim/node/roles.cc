#include "sim/node/roles.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cmath>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "sim/base/clock.h"
#include "sim/base/status.h"
#include "kernels/random.h"
#include "sim/comm/coordinator_rpc.h"
#include "sim/comm/grpc_peer_link.h"
#include "sim/comm/frame_mailbox.h"
#include "sim/comm/grpc_ps.h"
#include "sim/comm/nic.h"
#include "sim/comm/rpc_server.h"
#include "sim/comm/tcp_peer_link.h"
#include "sim/config/config.h"
#include "sim/config/instances.h"
#include "sim/data/dataset.h"
#include "sim/data/distribution.h"
#include "sim/node/coordinator.h"
#include "sim/node/factory.h"
#include "sim/node/launcher.h"
#include "sim/node/local_trainer.h"
#include "sim/node/run_plan.h"
#include "sim/node/train_loop.h"
#include "sim/strategy/ps_exchange.h"
#include "sim/strategy/ps_shard.h"
#include "sim/strategy/ring_exchange.h"

namespace distsim::node {
namespace {

constexpr absl::Duration kHeartbeatEvery = absl::Milliseconds(250);

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

absl::StatusOr<RunConfig> LoadRoleConfig(const std::string& path) {
  DS_ASSIGN_OR_RETURN(RunConfig config, config::LoadRunConfig(path));
  config = config::WithDefaults(std::move(config));
  absl::Status valid = config::ValidateRunConfig(config);
  if (!valid.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", valid.message()));
  if (!IsDistributed(config)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": strategy: a worker or server process needs parameter_server or "
                           "allreduce; `distsim run` trains local configs in one process"));
  }
  return config;
}

// Sends heartbeats (with the records gathered since the last one) from its own thread, and acts
// on the coordinator's answer. Records are handed over by the training thread.
class Heartbeater {
 public:
  Heartbeater(comm::CoordinatorClient* client, ProcessInfo::Role role, uint32_t rank,
              absl::Duration give_up_after)
      : client_(client), give_up_after_(give_up_after) {
    data_.role = role;
    data_.rank = rank;
  }
  ~Heartbeater() { Stop(); }

  // `on_abort` runs once, on the heartbeat thread, when the run must stop (coordinator said so,
  // or it has been unreachable for give_up_after).
  void Start(std::function<void(const std::string&)> on_abort) {
    on_abort_ = std::move(on_abort);
    thread_ = std::thread([this] { Loop(); });
  }

  void Add(const StepRecord& r) {
    absl::MutexLock lock(&mu_);
    data_.steps.push_back(r);
    data_.step = r.step();
  }
  void Add(const EvalRecord& e) {
    absl::MutexLock lock(&mu_);
    data_.evals.push_back(e);
  }

  // `on_lost` runs on the heartbeat thread once for each worker the coordinator reports lost
  // (on_worker_failure CONTINUE). Set before Start.
  void OnLost(std::function<void(uint32_t)> on_lost) { on_lost_ = std::move(on_lost); }

  bool shutdown_requested() const { return shutdown_.HasBeenNotified(); }
  bool WaitForShutdown(absl::Duration timeout) {
    return shutdown_.WaitForNotificationWithTimeout(timeout);
  }
  std::string abort_reason() const {
    absl::MutexLock lock(&mu_);
    return abort_reason_;
  }

  // Sends what is pending, once, from the calling thread.
  void Flush() { Beat(); }

  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Beat() {
    comm::HeartbeatData batch;
    {
      absl::MutexLock lock(&mu_);
      batch = data_;
      data_.steps.clear();
      data_.evals.clear();
    }
    absl::StatusOr<comm::HeartbeatAnswer> answer = client_->Heartbeat(batch);
    if (!answer.ok()) {
      {
        absl::MutexLock lock(&mu_);  // keep the records for the next try
        data_.steps.insert(data_.steps.begin(), batch.steps.begin(), batch.steps.end());
        data_.evals.insert(data_.evals.begin(), batch.evals.begin(), batch.evals.end());
      }
      if (absl::Now() - last_ok_ > give_up_after_) {
        Abort(absl::StrCat("lost the coordinator: ", answer.status().message()));
      }
      return;
    }
    last_ok_ = absl::Now();
    for (uint32_t w : answer->lost_workers) {
      if (lost_seen_.insert(w).second && on_lost_) on_lost_(w);
    }
    if (answer->command == comm::Command::kAbort) Abort(answer->reason);
    if (answer->command == comm::Command::kShutdown && !shutdown_.HasBeenNotified()) {
      shutdown_.Notify();
    }
  }

  void Abort(const std::string& reason) {
    {
      absl::MutexLock lock(&mu_);
      if (!abort_reason_.empty()) return;
      abort_reason_ = reason.empty() ? "aborted by the coordinator" : reason;
    }
    if (on_abort_) on_abort_(reason);
    if (!shutdown_.HasBeenNotified()) shutdown_.Notify();
  }

  void Loop() {
    while (!stop_.load()) {
      Beat();
      absl::SleepFor(kHeartbeatEvery);
    }
  }

  comm::CoordinatorClient* client_;
  const absl::Duration give_up_after_;
  std::function<void(const std::string&)> on_abort_;
  std::function<void(uint32_t)> on_lost_;
  std::set<uint32_t> lost_seen_;  // heartbeat thread only
  mutable absl::Mutex mu_;
  comm::HeartbeatData data_ ABSL_GUARDED_BY(mu_);
  std::string abort_reason_ ABSL_GUARDED_BY(mu_);
  absl::Time last_ok_ = absl::Now();
  absl::Notification shutdown_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class HeartbeatObserver final : public LoopObserver {
 public:
  explicit HeartbeatObserver(Heartbeater* heartbeater) : heartbeater_(heartbeater) {}
  void OnStep(const StepRecord& r) override { heartbeater_->Add(r); }
  void OnEval(const EvalRecord& e) override { heartbeater_->Add(e); }

 private:
  Heartbeater* heartbeater_;
};

// The Status a role returns when the coordinator aborted the run.
absl::Status AbortedBy(const Heartbeater& heartbeater, const absl::Status& fallback) {
  std::string reason = heartbeater.abort_reason();
  if (reason.empty()) return fallback;
  return absl::AbortedError(absl::StrCat("run aborted: ", reason));
}

double Seconds(double s, double fallback) { return s > 0 ? s : fallback; }

}  // namespace

double UnixSeconds() { return absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()); }

namespace {

// Tells the coordinator why this process is about to fail, so the launcher can say it (a stall
// names the rank waited on; a config error its field) instead of only an exit code. Best effort.
absl::Status ReportFailure(const RoleFlags& flags, ProcessInfo::Role role, absl::Status status) {
  if (status.ok() || absl::IsAborted(status) || flags.coordinator.empty()) return status;
  comm::CoordinatorClient client(flags.coordinator, flags.token, 2.0);
  ProcessSummary summary;
  summary.mutable_process()->set_role(role);
  summary.mutable_process()->set_rank(flags.rank);
  summary.mutable_process()->set_pid(getpid());
  summary.set_error(std::string(status.message()));
  summary.set_exit_code(ExitCodeFor(status));
  (void)client.Finish(summary);
  return status;
}

absl::Status WorkerMain(const RoleFlags& flags) {
  GuardParent(static_cast<pid_t>(flags.parent_pid));
  Stopwatch clock;
  const double clock_offset =
      flags.run_start_unix > 0 ? std::max(0.0, UnixSeconds() - flags.run_start_unix) : 0.0;
  DS_ASSIGN_OR_RETURN(RunConfig config, LoadRoleConfig(flags.config_path));
  const ClusterShape shape = ShapeOf(config);
  if (flags.rank >= static_cast<uint32_t>(shape.workers)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--rank ", flags.rank, ": the run has ", shape.workers, " workers"));
  }
  const SupervisionConfig& sup = config.supervision();
  // A shaped network: this worker's simulated NIC, sharing its buckets with every process of
  // the run through the launcher's table.
  std::shared_ptr<comm::NicPort> nic;
  if (config.cluster().network().shape()) {
    if (flags.nic_path.empty()) {
      return absl::InvalidArgumentError(
          "cluster.network.shape: this worker was started without the run's NIC table (--nic); "
          "the launcher (distsim run) passes it, `distsim coordinator` prints it");
    }
    DS_ASSIGN_OR_RETURN(std::shared_ptr<comm::NicTable> table,
                        comm::NicTable::OpenShared(flags.nic_path));
    const int host = static_cast<int>(shape.worker_host[flags.rank]);
    if (host >= table->hosts()) {
      return absl::InvalidArgumentError(absl::StrCat("--nic ", flags.nic_path, ": has ",
                                                     table->hosts(), " hosts; worker ", flags.rank,
                                                     " is on host ", host));
    }
    nic = std::make_shared<comm::NicPort>(
        table, host, kernels::Mix64(config.seed() ^ (0x6e1cULL + flags.rank)));
  }
  DS_RETURN_IF_ERROR(SetComputeThreads(config.train().threads()));
  DS_ASSIGN_OR_RETURN(auto datasets, data::OpenIdxDir(flags.data_dir, config.data().train_limit(),
                                                      config.data().test_limit()));
  const data::Dataset& train = datasets.first;
  const data::Dataset& test = datasets.second;
  DS_ASSIGN_OR_RETURN(auto model,
                      MakeModel(config.model(), train.rows(), train.cols(), train.num_classes()));
  const int64_t n_params = model->layout().size();
  std::vector<float> params(n_params);
  model->Init(config.seed(), params.data());
  const int batch = static_cast<int>(config.train().batch_size());
  const bool shuffle = !config.train().has_shuffle() || config.train().shuffle();
  DS_ASSIGN_OR_RETURN(std::unique_ptr<data::WorkerSampler> sampler,
                      data::MakeWorkerSampler(DistributionOf(config), train,
                                              static_cast<int>(flags.rank), shape.workers, batch,
                                              DataSeed(config.seed()), shuffle));

  const double rpc_deadline = Seconds(sup.rpc_deadline_s(), 10);
  comm::CoordinatorClient coordinator(flags.coordinator, flags.token, rpc_deadline);
  DS_RETURN_IF_ERROR(coordinator.WaitUntilReachable(absl::Seconds(rpc_deadline)));

  // Allreduce workers serve their ring link (gRPC: on a server; TCP: on the link's own
  // listener); PS workers serve nothing.
  std::unique_ptr<comm::GrpcPeerLink> link;
  std::unique_ptr<comm::TcpPeerLink> tcp_link;
  std::unique_ptr<comm::ProcessServer> server;
  ProcessInfo self;
  self.set_role(ProcessInfo::WORKER);
  self.set_rank(flags.rank);
  self.set_pid(getpid());
  self.set_host(shape.worker_host[flags.rank]);
  const int64_t segment_bytes = static_cast<int64_t>(config.allreduce().segment_bytes());
  const bool tcp = config.has_allreduce() &&
                   config.allreduce().transport() == AllreduceStrategy::TCP;
  // TCP: spin briefly before sleeping in Recv when every worker of this machine has a core.
  const int spin_micros = comm::SpinMicrosFor(shape.workers);
  if (tcp) {
    comm::TcpPeerLinkOptions options;
    options.rank = static_cast<int>(flags.rank);
    options.size = shape.workers;
    options.run_token = flags.token;
    options.max_frame_bytes = segment_bytes;
    options.bind_host = flags.bind_host;
    options.spin_micros = spin_micros;
    if (nic) {
      options.nic = nic;
      options.rank_host.assign(shape.worker_host.begin(), shape.worker_host.end());
    }
    tcp_link = std::make_unique<comm::TcpPeerLink>(options);
    DS_ASSIGN_OR_RETURN(int port, tcp_link->Listen());
    self.set_address(absl::StrCat(flags.bind_host, ":", port));
  } else if (config.has_allreduce()) {
    comm::GrpcPeerLinkOptions options;
    options.rank = static_cast<int>(flags.rank);
    options.size = shape.workers;
    options.run_token = flags.token;
    options.max_frame_bytes = segment_bytes;
    // No spinning here: gRPC's own threads deliver the frames and need the cores (spinning
    // made a 2-rank gRPC ring slower, 129 -> 199 us at 31 KiB).
    link = std::make_unique<comm::GrpcPeerLink>(options);
    comm::ServerOptions server_options;
    server_options.bind_host = flags.bind_host;
    server_options.port = flags.bind_port;
    server_options.max_message_bytes = comm::RingMaxMessageBytes(segment_bytes);
    server_options.max_threads = 4 + 2 * shape.workers;
    DS_ASSIGN_OR_RETURN(server, comm::ProcessServer::Start(server_options, {link->service()}));
    self.set_address(server->address());
  }
  DS_RETURN_IF_ERROR(coordinator.Register(self));
  // Everything the heartbeat thread's abort callback touches is declared before the heartbeater,
  // so on every return the heartbeater (and its thread) goes first.
  std::atomic<bool> stop{false};
  std::function<void()> abort_exchange;
  absl::Mutex abort_mu;
  std::unique_ptr<strategy::GradientExchange> exchange;
  Heartbeater heartbeater(&coordinator, ProcessInfo::WORKER, flags.rank,
                          absl::Seconds(Seconds(sup.heartbeat_timeout_s(), 5)));
  heartbeater.Start([&](const std::string&) {
    stop.store(true);
    absl::MutexLock lock(&abort_mu);
    if (abort_exchange) abort_exchange();
  });
  absl::StatusOr<PeerTable> peers = coordinator.WaitForPeers(self, absl::Seconds(120));
  if (!peers.ok()) return AbortedBy(heartbeater, peers.status());

  DS_ASSIGN_OR_RETURN(auto optimizer, MakeOptimizer(config.optimizer(), n_params));
  if (config.has_allreduce()) {
    std::vector<std::string> addresses;
    for (const ProcessInfo& w : peers->workers()) addresses.push_back(w.address());
    const absl::Time deadline = absl::Now() + absl::Seconds(rpc_deadline);
    absl::Status connected =
        tcp ? tcp_link->Connect(addresses, deadline) : link->Connect(addresses, deadline);
    if (!connected.ok()) return AbortedBy(heartbeater, connected);
    strategy::RingAllreduceOptions ring;
    ring.segment_bytes = segment_bytes;
    ring.stall_timeout = absl::Seconds(Seconds(sup.stall_timeout_s(), 120));
    comm::PeerLink* peer_link = tcp ? static_cast<comm::PeerLink*>(tcp_link.get()) : link.get();
    exchange = std::make_unique<strategy::RingExchange>(peer_link, std::move(optimizer), ring,
                                                        LearningRateScheduleOf(config.optimizer()));
    absl::MutexLock lock(&abort_mu);
    abort_exchange = [peer_link] { peer_link->Abort(); };
  } else {
    DS_ASSIGN_OR_RETURN(strategy::ShardMap shards, ShardMapOf(config, model->layout()));
    comm::PsClientOptions options;
    options.worker = static_cast<int>(flags.rank);
    options.total_elems = n_params;
    options.shards = shards.shards;
    options.chunk_bytes = static_cast<int64_t>(config.parameter_server().chunk_bytes());
    options.stall_timeout = absl::Seconds(Seconds(sup.stall_timeout_s(), 120));
    comm::GrpcPsClientOptions grpc_options;
    for (const ProcessInfo& s : peers->servers()) grpc_options.addresses.push_back(s.address());
    grpc_options.run_token = flags.token;
    grpc_options.connect_timeout = absl::Seconds(rpc_deadline);
    grpc_options.rpc_timeout = absl::Seconds(rpc_deadline);
    if (nic) {
      grpc_options.nic = nic;
      grpc_options.my_host = nic->host();
      grpc_options.shard_host.assign(shape.server_host.begin(), shape.server_host.end());
    }
    absl::StatusOr<std::unique_ptr<comm::PsClient>> client =
        comm::MakeGrpcPsClient(options, grpc_options);
    if (!client.ok()) return AbortedBy(heartbeater, client.status());
    comm::PsClient* raw = client->get();
    exchange = std::make_unique<strategy::PsExchange>(std::move(*client));
    absl::MutexLock lock(&abort_mu);
    abort_exchange = [raw] { raw->Abort(); };
  }

  LoopConfig loop;
  loop.batch = batch;
  const TrainConfig& t = config.train();
  const bool sync_ps = config.has_parameter_server() &&
                       config.parameter_server().mode() == ParameterServerStrategy::SYNC;
  if (t.length_case() == TrainConfig::kGlobalSteps && sync_ps) {
    loop.max_steps = t.global_steps();  // one averaged update per step of every worker
  } else if (t.length_case() == TrainConfig::kGlobalSteps) {
    loop.global_steps = t.global_steps();
  } else if (t.length_case() == TrainConfig::kSteps) {
    loop.max_steps = t.steps();
  } else {
    loop.max_steps = StepsForLength(t, sampler->steps_per_epoch());
  }
  loop.eval_every = t.eval_every_steps();
  loop.seed = data::WorkerSeed(config.seed(), static_cast<int>(flags.rank));
  loop.examples_per_epoch = sampler->examples();
  loop.samples_per_step = static_cast<uint64_t>(batch) * shape.workers;
  loop.stop = &stop;
  const FaultConfig fault = config::FaultsByWorker(config)[flags.rank];
  loop.slowdown = std::max(1.0, fault.slowdown());
  loop.pause_at_step = fault.pause_at_step();
  loop.pause_s = fault.pause_s();
  loop.kill_at_step = fault.kill_at_step();
  HeartbeatObserver observer(&heartbeater);
  absl::StatusOr<LoopResult> result = RunTrainLoop(
      *model, params, train, flags.rank == 0 ? &test : nullptr,
      [&](std::span<int64_t> out) { sampler->Next(out); }, *exchange, loop, observer,
      clock_offset + clock.Seconds());
  if (!result.ok()) {
    heartbeater.Flush();
    return AbortedBy(heartbeater, result.status());
  }
  // `params` now holds the final parameters for allreduce replicas, and for the PS chief, which
  // fetched them to evaluate at its last step.
  ProcessSummary summary;
  *summary.mutable_process() = self;
  summary.set_steps(result->steps);
  summary.set_samples(result->steps * static_cast<uint64_t>(batch));
  summary.set_parameter_hash(HashFloats(params));
  summary.set_wall_s(clock.Seconds());
  summary.set_cpu_s(ProcessCpuSeconds());
  summary.set_eval_s(result->eval_s);
  heartbeater.Stop();
  heartbeater.Flush();
  DS_RETURN_IF_ERROR(coordinator.Finish(summary));
  // Allreduce peers may still read our last frames: leave the server up until the coordinator
  // says the run is over (or the launcher goes away).
  if (server != nullptr || tcp_link != nullptr) {
    Heartbeater waiter(&coordinator, ProcessInfo::WORKER, flags.rank,
                       absl::Seconds(Seconds(sup.heartbeat_timeout_s(), 5)));
    waiter.Start([](const std::string&) {});
    waiter.WaitForShutdown(absl::Seconds(Seconds(sup.stall_timeout_s(), 120)));
    waiter.Stop();
    if (tcp_link != nullptr) {
      tcp_link->Close(absl::Now() + absl::Seconds(1));
    } else {
      link->Close(absl::Now() + absl::Seconds(1));
      server->Shutdown(0.5);
    }
  }
  return absl::OkStatus();
}

absl::Status ServerMain(const RoleFlags& flags) {
  GuardParent(static_cast<pid_t>(flags.parent_pid));
  Stopwatch clock;
  DS_ASSIGN_OR_RETURN(RunConfig config, LoadRoleConfig(flags.config_path));
  if (!config.has_parameter_server()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flags.config_path, ": strategy: servers exist only under parameter_server"));
  }
  const ClusterShape shape = ShapeOf(config);
  if (flags.rank >= static_cast<uint32_t>(shape.servers)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--rank ", flags.rank, ": the run has ", shape.servers, " servers"));
  }
  const SupervisionConfig& sup = config.supervision();
  const auto& ps = config.parameter_server();
  DS_ASSIGN_OR_RETURN(auto datasets, data::OpenIdxDir(flags.data_dir, config.data().train_limit(),
                                                      config.data().test_limit()));
  const data::Dataset& train = datasets.first;
  DS_ASSIGN_OR_RETURN(auto model,
                      MakeModel(config.model(), train.rows(), train.cols(), train.num_classes()));
  std::vector<float> params(model->layout().size());
  model->Init(config.seed(), params.data());
  DS_ASSIGN_OR_RETURN(strategy::ShardMap shards, ShardMapOf(config, model->layout()));

  strategy::PsShardOptions options;
  options.shard_id = static_cast<int>(flags.rank);
  options.num_workers = shape.workers;
  options.mode = ps.mode() == ParameterServerStrategy::SYNC  ? strategy::PsMode::kSync
                 : ps.mode() == ParameterServerStrategy::SSP ? strategy::PsMode::kSsp
                                                              : strategy::PsMode::kAsync;
  options.staleness = ps.staleness();
  options.chunk_bytes = static_cast<int64_t>(ps.chunk_bytes());
  options.learning_rate = LearningRateScheduleOf(config.optimizer());
  const OptimizerConfig optimizer_config = config.optimizer();
  strategy::PsShard shard(options, shards.shards[flags.rank], params,
                          [&](int64_t size) { return MakeOptimizer(optimizer_config, size).value(); });
  comm::PsService service(&shard, flags.token);
  comm::ServerOptions server_options;
  server_options.bind_host = flags.bind_host;
  server_options.port = flags.bind_port;
  server_options.max_message_bytes = comm::PsMaxMessageBytes(options.chunk_bytes);
  server_options.max_threads = comm::PsServerThreads(shape.workers);
  DS_ASSIGN_OR_RETURN(auto server, comm::ProcessServer::Start(server_options, {service.service()}));

  const double rpc_deadline = Seconds(sup.rpc_deadline_s(), 10);
  comm::CoordinatorClient coordinator(flags.coordinator, flags.token, rpc_deadline);
  DS_RETURN_IF_ERROR(coordinator.WaitUntilReachable(absl::Seconds(rpc_deadline)));
  ProcessInfo self;
  self.set_role(ProcessInfo::SERVER);
  self.set_rank(flags.rank);
  self.set_pid(getpid());
  self.set_address(server->address());
  self.set_host(shape.server_host[flags.rank]);
  DS_RETURN_IF_ERROR(coordinator.Register(self));
  Heartbeater heartbeater(&coordinator, ProcessInfo::SERVER, flags.rank,
                          absl::Seconds(Seconds(sup.heartbeat_timeout_s(), 5)));
  heartbeater.OnLost([&shard, &flags](uint32_t worker) {
    absl::Status dropped = shard.DropWorker(static_cast<int>(worker));
    if (!dropped.ok() && !absl::IsCancelled(dropped)) {
      std::fprintf(stderr, "server %u: dropping worker %u: %s\n", flags.rank, worker,
                   std::string(dropped.message()).c_str());
    }
  });
  heartbeater.Start([&shard](const std::string&) { shard.Abort(); });
  // Serve until the coordinator says every worker finished (or aborts the run).
  while (!heartbeater.WaitForShutdown(absl::Seconds(1))) {
  }
  heartbeater.Stop();
  if (!heartbeater.abort_reason().empty()) {
    server->Shutdown(0.2);
    return AbortedBy(heartbeater, absl::AbortedError("aborted"));
  }
  server->Shutdown(0.5);

  const strategy::StalenessStats staleness = shard.staleness();
  ProcessSummary summary;
  *summary.mutable_process() = self;
  summary.set_wall_s(clock.Seconds());
  summary.set_cpu_s(ProcessCpuSeconds());
  summary.set_updates_applied(staleness.count());
  summary.set_staleness_mean(staleness.mean());
  summary.set_staleness_p99(static_cast<double>(staleness.p99()));
  summary.set_staleness_max(staleness.max());
  summary.set_version(shard.version());
  return coordinator.Finish(summary);
}

}  // namespace

absl::Status RunWorkerRole(const RoleFlags& flags) {
  return ReportFailure(flags, ProcessInfo::WORKER, WorkerMain(flags));
}

absl::Status RunServerRole(const RoleFlags& flags) {
  return ReportFailure(flags, ProcessInfo::SERVER, ServerMain(flags));
}

}  // namespace distsim::node

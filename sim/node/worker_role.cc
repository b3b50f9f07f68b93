// `distsim worker`: one worker process of a distributed run, from registration to its summary.
#include <algorithm>
#include <atomic>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "kernels/random.h"
#include "sim/base/clock.h"
#include "sim/base/status.h"
#include "sim/comm/coordinator_rpc.h"
#include "sim/comm/nic.h"
#include "sim/node/channel_report.h"
#include "sim/node/exchange_factory.h"
#include "sim/node/factory.h"
#include "sim/node/heartbeater.h"
#include "sim/node/launcher.h"
#include "sim/node/local_trainer.h"
#include "sim/node/model_export.h"
#include "sim/node/checkpoint.h"
#include "sim/node/role_checkpoint.h"
#include "sim/node/role_common.h"
#include "sim/node/roles.h"
#include "sim/node/train_loop.h"

namespace distsim::node {
namespace {

// A shaped network: this worker's simulated NIC, sharing its buckets with every process of the
// run through the launcher's table. Null when the network is not shaped.
absl::StatusOr<std::shared_ptr<comm::NicPort>> OpenNic(const RunPlan& plan,
                                                       const RoleFlags& flags) {
  if (!plan.config.cluster().network().shape()) return nullptr;
  if (flags.nic_path.empty()) {
    return absl::InvalidArgumentError(
        "cluster.network.shape: this worker was started without the run's NIC table (--nic); "
        "the launcher (distsim run) passes it, `distsim coordinator` prints it");
  }
  DS_ASSIGN_OR_RETURN(std::shared_ptr<comm::NicTable> table,
                      comm::NicTable::OpenShared(flags.nic_path));
  const int host = static_cast<int>(plan.shape.worker_host[flags.rank]);
  if (host >= table->hosts()) {
    return absl::InvalidArgumentError(absl::StrCat("--nic ", flags.nic_path, ": has ",
                                                   table->hosts(), " hosts; worker ", flags.rank,
                                                   " is on host ", host));
  }
  return std::make_shared<comm::NicPort>(
      table, host, kernels::Mix64(plan.config.seed() ^ (0x6e1cULL + flags.rank)));
}

// The loop's settings for this worker: its length, evaluation, seeds and faults.
LoopConfig LoopConfigOf(const RunPlan& plan, const data::WorkerSampler& sampler, uint32_t rank,
                        uint32_t attempt, const std::atomic<bool>* stop) {
  const RunLength length = LengthOf(plan.config, sampler.steps_per_epoch());
  LoopConfig loop;
  loop.batch = plan.batch;
  loop.max_steps = length.max_steps;
  loop.global_steps = length.global_steps;
  loop.eval_every = plan.config.train().eval_every_steps();
  loop.seed = data::WorkerSeed(plan.config.seed(), static_cast<int>(rank));
  loop.examples_per_epoch = sampler.examples();
  loop.samples_per_step = static_cast<uint64_t>(plan.batch) * plan.shape.workers;
  loop.stop = stop;
  const FaultConfig& fault = plan.faults[rank];
  loop.slowdown = std::max(1.0, fault.slowdown());
  loop.pause_at_step = fault.pause_at_step();
  loop.pause_s = fault.pause_s();
  loop.kill_at_step = attempt == 0 ? fault.kill_at_step() : 0;  // a restart comes back healthy
  loop.corrupt_at_step = fault.corrupt_at_step();
  return loop;
}

// One worker process. The members the heartbeat thread's abort callback touches (stop_,
// transport_) are declared before the heartbeater, so on every return the heartbeater (and its
// thread) goes first.
class WorkerRole {
 public:
  // `summary` receives what the worker reports when it finishes.
  WorkerRole(const RoleFlags& flags, RunInputs inputs, ProcessSummary* summary)
      : flags_(flags),
        summary_(summary),
        in_(std::move(inputs)),
        coordinator_(flags.coordinator, flags.token, absl::ToDoubleSeconds(in_.plan.timeouts.rpc),
                     flags.tls),
        checkpoints_(CheckpointPolicyOf(in_.plan, flags)) {
    // clock_ started before the members above were made (the coordinator's channel takes
    // milliseconds): the offset is the run's clock now less what clock_ already counted.
    clock_offset_ = flags.run_start_unix > 0
                        ? std::max(0.0, UnixSeconds() - flags.run_start_unix) - clock_.Seconds()
                        : 0.0;
  }

  absl::Status Run() {
    DS_RETURN_IF_ERROR(Prepare());
    DS_RETURN_IF_ERROR(Join());
    absl::Status resumed = flags_.rejoin ? Rejoin() : Resume();
    if (!resumed.ok()) return AbortedBy(*heartbeater_, resumed);
    absl::StatusOr<LoopResult> result = Train();
    if (!result.ok()) {
      heartbeater_->Flush();
      return AbortedBy(*heartbeater_, result.status());
    }
    return Finish(*result);
  }

 private:
  // The NIC, the compute threads, the initial parameters, the sampler and the transport.
  absl::Status Prepare() {
    TransportFlags transport;
    transport.rank = flags_.rank;
    transport.token = flags_.token;
    transport.bind_host = flags_.bind_host;
    transport.bind_port = flags_.bind_port;
    transport.tls = flags_.tls;
    DS_ASSIGN_OR_RETURN(transport.nic, OpenNic(in_.plan, flags_));
    DS_RETURN_IF_ERROR(SetComputeThreads(in_.plan.config.train().threads()));
    params_.resize(in_.plan.parameters);
    in_.model->Init(in_.plan.config.seed(), params_.data());
    DS_ASSIGN_OR_RETURN(sampler_, WorkerSamplerOf(in_, static_cast<int>(flags_.rank)));
    seen_.assign(in_.train.id_limit(), false);
    DS_RETURN_IF_ERROR(coordinator_.WaitUntilReachable(in_.plan.timeouts.peers));
    DS_ASSIGN_OR_RETURN(transport_, StartWorkerTransport(in_.plan, transport));
    return absl::OkStatus();
  }

  // Registers, starts the heartbeats, waits for the peer table and connects the exchange.
  absl::Status Join() {
    self_ = SelfInfo(ProcessInfo::WORKER, flags_.rank, in_.plan.shape.worker_host[flags_.rank],
                     transport_->address());
    DS_RETURN_IF_ERROR(coordinator_.Register(self_));
    heartbeater_ = std::make_unique<Heartbeater>(&coordinator_, ProcessInfo::WORKER, flags_.rank,
                                                 in_.plan.timeouts.heartbeat);
    heartbeater_->Start([this](const std::string&) {
      stop_.store(true);
      transport_->Abort();
    });
    absl::StatusOr<PeerTable> peers = coordinator_.WaitForPeers(self_, in_.plan.timeouts.peers);
    if (!peers.ok()) return AbortedBy(*heartbeater_, peers.status());
    if (flags_.run_start_unix == 0 && peers->run_start_unix() > 0) {
      // Started without the launcher's clock (by hand, or on another host): count from the
      // coordinator's, so that every host's records share one clock.
      clock_offset_ = UnixSeconds() - peers->run_start_unix() - clock_.Seconds();
    }
    DS_ASSIGN_OR_RETURN(auto optimizer, MakeOptimizer(in_.plan.config.optimizer(), params_.size()));
    absl::StatusOr<std::unique_ptr<strategy::GradientExchange>> exchange =
        transport_->Connect(*peers, std::move(optimizer));
    if (!exchange.ok()) return AbortedBy(*heartbeater_, exchange.status());
    exchange_ = std::move(*exchange);
    return absl::OkStatus();
  }

  // A resumed run: this worker's part of the checkpoint, its sampler replayed to the same place
  // (the data order is a function of the seed, the rank and the step), a replica's parameters
  // and optimizer state.
  absl::Status Resume() {
    if (checkpoints_.resume_step == 0) return absl::OkStatus();
    DS_ASSIGN_OR_RETURN(CheckpointState state,
                        ReadCheckpoint(checkpoints_.dir, checkpoints_.resume_step,
                                       ProcessInfo::WORKER, flags_.rank, checkpoints_.fingerprint));
    std::vector<int64_t> batch(in_.plan.batch);
    for (uint64_t s = 0; s < state.step(); ++s) NextBatch(batch);
    if (examples_drawn_ != state.examples_consumed()) {
      return absl::DataLossError(absl::StrCat(
          "worker ", flags_.rank, "'s checkpoint of step ", state.step(), " says ",
          state.examples_consumed(), " examples were read; replaying gives ", examples_drawn_));
    }
    kernels::Optimizer<float>* optimizer = exchange_->replica_optimizer();
    return optimizer == nullptr ? absl::OkStatus() : RestoreReplica(state, params_, optimizer);
  }

  // A worker process started again alone (ASYNC, SSP) after its predecessor died: the shards
  // say the last step they applied from this rank; the sampler is replayed to there (the data
  // order is a function of the seed, the rank and the step) and training goes on from the step
  // after, which the coordinator hears with every heartbeat.
  absl::Status Rejoin() {
    uint64_t redone = 0;
    DS_ASSIGN_OR_RETURN(first_step_, exchange_->Rejoin(&redone));
    std::vector<int64_t> batch(in_.plan.batch);
    for (uint64_t s = 0; s < first_step_; ++s) NextBatch(batch);
    heartbeater_->SetRejoined(first_step_, redone);
    return absl::OkStatus();
  }

  void NextBatch(std::span<int64_t> out) {
    sampler_->Next(out);
    examples_drawn_ += out.size();
    for (int64_t id : out) {
      if (!seen_[id]) ++distinct_;
      seen_[id] = true;
    }
  }

  absl::Status Checkpoint(uint64_t step) {
    return SaveCheckpoint(checkpoints_,
                          WorkerCheckpoint(checkpoints_, flags_.rank, step, examples_drawn_,
                                           params_, exchange_->replica_optimizer()));
  }

  absl::StatusOr<LoopResult> Train() {
    LoopConfig loop = LoopConfigOf(in_.plan, *sampler_, flags_.rank, flags_.attempt, &stop_);
    loop.first_step = std::max(checkpoints_.resume_step, first_step_);
    if (!checkpoints_.dir.empty()) {
      loop.checkpoint_every = checkpoints_.every;
      loop.checkpoint_after_exchange = exchange_->replica_optimizer() != nullptr;
      loop.checkpoint = [this](uint64_t step) { return Checkpoint(step); };
    }
    HeartbeatObserver observer(heartbeater_.get());
    return RunTrainLoop(
        *in_.model, params_, in_.train, flags_.rank == 0 ? &in_.test : nullptr,
        [this](std::span<int64_t> out) { NextBatch(out); }, *exchange_, loop, observer,
        clock_offset_ + clock_.Seconds());
  }

  // Reports the summary; a ring rank then stays until the coordinator's shutdown, since its
  // peers may still read its last frames.
  absl::Status Finish(const LoopResult& result) {
    // `params_` now holds the final parameters for allreduce replicas, and for the PS chief,
    // which fetched them to evaluate at its last step.
    ProcessSummary summary;
    *summary.mutable_process() = self_;
    summary.set_steps(result.steps);
    summary.set_samples(result.steps * static_cast<uint64_t>(in_.plan.batch));
    summary.set_parameter_hash(HashFloats(params_));
    summary.set_wall_s(clock_.Seconds());
    summary.set_cpu_s(ProcessCpuSeconds());
    const ProcessMemory memory = ReadProcessMemory();
    summary.set_pss_bytes(memory.pss_bytes);
    summary.set_max_rss_bytes(memory.max_rss_bytes);
    summary.set_eval_s(result.eval_s);
    summary.set_distinct_examples(distinct_);
    summary.set_channel_examples(in_.train.size());
    if (!flags_.channel_dir.empty()) *summary.mutable_channel() = ChannelReport(in_, flags_.channel_dir);
    if (flags_.rank == 0 && !flags_.model_dir.empty()) {
      const double accuracy = result.evals.empty() ? 0 : result.evals.back().test_accuracy();
      DS_RETURN_IF_ERROR(WriteModel(
          flags_.model_dir,
          DescribeModel(in_.plan, in_.model->layout(), in_.train.rows(), in_.train.cols(), params_,
                        "the chief's parameters at its final evaluation", accuracy),
          params_));
    }
    *summary_ = summary;
    heartbeater_->Stop();
    heartbeater_->Flush();
    DS_RETURN_IF_ERROR(coordinator_.Finish(summary));
    if (!transport_->serves_peers()) return absl::OkStatus();
    Heartbeater waiter(&coordinator_, ProcessInfo::WORKER, flags_.rank,
                       in_.plan.timeouts.heartbeat);
    waiter.Start([](const std::string&) {});
    waiter.WaitForShutdown(in_.plan.timeouts.stall);
    waiter.Stop();
    transport_->Close();
    return absl::OkStatus();
  }

  const RoleFlags& flags_;
  ProcessSummary* summary_;
  Stopwatch clock_;
  double clock_offset_ = 0;
  RunInputs in_;
  comm::CoordinatorClient coordinator_;
  std::vector<float> params_;
  std::unique_ptr<data::WorkerSampler> sampler_;
  CheckpointPolicy checkpoints_;
  uint64_t first_step_ = 0;      // a rejoined worker: the last step the shards applied from it
  uint64_t examples_drawn_ = 0;  // indices the sampler handed out
  std::vector<bool> seen_;  // by example id: read at least once (a bitmap, N bits)
  uint64_t distinct_ = 0;   // how many ids seen_ holds
  ProcessInfo self_;
  std::atomic<bool> stop_{false};
  std::unique_ptr<WorkerTransport> transport_;
  std::unique_ptr<strategy::GradientExchange> exchange_;
  std::unique_ptr<Heartbeater> heartbeater_;
};

absl::Status WorkerMain(const RoleFlags& flags, ProcessSummary* summary) {
  GuardParent(static_cast<pid_t>(flags.parent_pid));
  DS_ASSIGN_OR_RETURN(RunInputs inputs, OpenRoleRun(flags, ProcessInfo::WORKER));
  WorkerRole role(flags, std::move(inputs), summary);
  return role.Run();
}

}  // namespace

absl::Status RunWorkerRole(const RoleFlags& flags) {
  ProcessSummary summary;
  absl::Status status = ReportFailure(flags, ProcessInfo::WORKER, WorkerMain(flags, &summary));
  return WriteRoleReport(flags, ProcessInfo::WORKER, std::move(summary), std::move(status));
}

}  // namespace distsim::node

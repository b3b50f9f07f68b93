#include "sim/node/run_aggregate.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "sim/report/stats.h"

namespace distsim::node {

EvalPoint ToEvalPoint(const EvalRecord& e) {
  EvalPoint point;
  point.set_step(e.step());
  point.set_samples(e.samples());
  point.set_wall_seconds(e.end_s());
  point.set_test_accuracy(e.test_accuracy());
  point.set_test_loss(e.test_loss());
  return point;
}

RunAggregate::RunAggregate(int workers, int batch, int warmup_steps)
    : batch_(batch), warmup_(warmup_steps), workers_(workers), records_(workers) {}

void RunAggregate::AddStep(uint32_t worker, const StepRecord& r) {
  if (worker >= workers_.size()) return;
  PerWorker& w = workers_[worker];
  w.steps = std::max(w.steps, r.step());
  w.max_staleness = std::max(w.max_staleness, r.staleness());
  w.step += r.step_s();
  w.data += r.data_s();
  w.compute += r.compute_s();
  w.compute_cpu += r.compute_cpu_s();
  w.pull += r.pull_s();
  w.push += r.push_s();
  w.wait += r.wait_s();
  w.reduce += r.reduce_s();
  w.update += r.update_s();
  w.bytes_sent += r.bytes_sent();
  w.bytes_received += r.bytes_received();
  w.nic_bytes_sent += r.nic_bytes_sent();
  w.nic_bytes_received += r.nic_bytes_received();
  w.step_seconds.push_back(r.step_s());
  records_[worker].push_back(r);
  if (worker == 0) {
    interval_loss_ += r.loss();
    interval_accuracy_ += r.batch_accuracy();
    ++interval_steps_;
  }
}

void RunAggregate::AddEval(const EvalRecord& record) {
  evals_.push_back(record);
  if (interval_steps_ > 0) {
    closed_loss_ = interval_loss_ / interval_steps_;
    closed_accuracy_ = interval_accuracy_ / interval_steps_;
    closed_at_step_ = record.step();
  }
  interval_loss_ = interval_accuracy_ = 0;
  interval_steps_ = 0;
}

bool RunAggregate::RollBack(uint64_t step, uint64_t first) {
  for (size_t w = 0; w < workers_.size(); ++w) {
    workers_[w].steps = std::min(workers_[w].steps, step);
    std::vector<StepRecord>& records = records_[w];
    records.erase(std::remove_if(records.begin(), records.end(),
                                 [step](const StepRecord& r) { return r.step() > step; }),
                  records.end());
  }
  evals_.erase(std::remove_if(evals_.begin(), evals_.end(),
                              [step](const EvalRecord& e) { return e.step() > step; }),
               evals_.end());
  // The chief's interval since its last evaluation kept, recounted from the records kept.
  const uint64_t last_eval = evals_.empty() ? 0 : evals_.back().step();
  interval_loss_ = interval_accuracy_ = 0;
  interval_steps_ = 0;
  for (const StepRecord& r : records_.empty() ? std::vector<StepRecord>() : records_[0]) {
    if (r.step() <= last_eval) continue;
    interval_loss_ += r.loss();
    interval_accuracy_ += r.batch_accuracy();
    ++interval_steps_;
  }
  bool whole = true;
  for (const std::vector<StepRecord>& records : records_) {
    whole = whole && records.size() == step - std::min(step, first);
  }
  if (!whole) {
    for (std::vector<StepRecord>& records : records_) records.clear();
  }
  return whole;
}

uint64_t RunAggregate::min_steps() const {
  uint64_t m = UINT64_MAX;
  for (const PerWorker& w : workers_) m = std::min(m, w.steps);
  return workers_.empty() ? 0 : m;
}

uint64_t RunAggregate::total_steps() const {
  uint64_t total = 0;
  for (const PerWorker& w : workers_) total += w.steps;
  return total;
}

namespace {

// Sums of the workers' phase times, for the time split.
struct PhaseSums {
  double step = 0, data = 0, compute = 0, comm = 0, wait = 0, update = 0;
};

// Step time splits into data, compute, communication, waiting and update; what is left (loop
// overhead, under a percent) goes to compute's side of the ledger through the normalisation.
void FillTimeSplit(const PhaseSums& sums, RunResult* result) {
  const double parts = sums.data + sums.compute + sums.comm + sums.wait + sums.update;
  if (parts <= 0) return;
  TimeSplit* split = result->mutable_time_split();
  split->set_data(sums.data / parts);
  split->set_compute(sums.compute / parts);
  split->set_communication(sums.comm / parts);
  split->set_waiting(sums.wait / parts);
  split->set_update(sums.update / parts);
}

// Per-server figures, and the staleness of every applied update over all shards.
void FillServers(const std::vector<ProcessSummary>& server_summaries,
                 const std::vector<int64_t>& server_params, RunResult* result) {
  Staleness* all = result->mutable_staleness();
  double weighted = 0;
  for (size_t i = 0; i < server_summaries.size(); ++i) {
    const ProcessSummary& p = server_summaries[i];
    ServerStats* s = result->add_server_stats();
    s->set_rank(i);
    s->set_pid(p.process().pid());
    if (i < server_params.size()) s->set_parameters(server_params[i]);
    s->set_updates_applied(p.updates_applied());
    s->mutable_staleness()->set_updates(p.updates_applied());
    s->mutable_staleness()->set_mean(p.staleness_mean());
    s->mutable_staleness()->set_p99(p.staleness_p99());
    s->mutable_staleness()->set_max(p.staleness_max());
    s->set_bytes_sent(p.bytes_sent());
    s->set_bytes_received(p.bytes_received());
    s->set_pushes_refused(p.pushes_refused());
    s->set_pushes_skipped(p.pushes_skipped());
    s->set_pss_bytes(p.pss_bytes());
    s->set_max_rss_bytes(p.max_rss_bytes());
    all->set_updates(all->updates() + p.updates_applied());
    weighted += p.staleness_mean() * p.updates_applied();
    all->set_p99(std::max(all->p99(), p.staleness_p99()));  // the worst shard's
    all->set_max(std::max(all->max(), p.staleness_max()));
  }
  if (all->updates() > 0) all->set_mean(weighted / all->updates());
}

// For allreduce: every replica must end with worker 0's parameters.
absl::Status CheckReplicasAgree(const std::vector<ProcessSummary>& workers) {
  for (size_t i = 1; i < workers.size(); ++i) {
    if (workers[i].parameter_hash() != workers[0].parameter_hash()) {
      return absl::InternalError(absl::StrCat(
          "the replicas diverged: worker 0 ends with parameter hash ",
          workers[0].parameter_hash(), ", worker ", i, " with ", workers[i].parameter_hash(),
          " (an allreduce must leave them identical)"));
    }
  }
  return absl::OkStatus();
}

// Each process's memory as it finished, and their sum: the run's cost to the machine.
void FillMemory(const std::vector<ProcessSummary>& workers,
                const std::vector<ProcessSummary>& servers, RunResult* result) {
  MemoryStats* memory = result->mutable_memory();
  auto add = [memory](const ProcessSummary& p) {
    if (p.pss_bytes() == 0 && p.max_rss_bytes() == 0) return;  // did not report (lost)
    memory->set_processes(memory->processes() + 1);
    memory->set_pss_total_bytes(memory->pss_total_bytes() + p.pss_bytes());
    memory->set_pss_max_bytes(std::max(memory->pss_max_bytes(), p.pss_bytes()));
    memory->set_max_rss_bytes(std::max(memory->max_rss_bytes(), p.max_rss_bytes()));
  };
  for (const ProcessSummary& p : workers) add(p);
  for (const ProcessSummary& p : servers) add(p);
  for (int i = 0; i < result->worker_stats_size() && i < static_cast<int>(workers.size()); ++i) {
    result->mutable_worker_stats(i)->set_pss_bytes(workers[i].pss_bytes());
    result->mutable_worker_stats(i)->set_max_rss_bytes(workers[i].max_rss_bytes());
    result->mutable_worker_stats(i)->set_distinct_examples(workers[i].distinct_examples());
    result->mutable_worker_stats(i)->set_channel_examples(workers[i].channel_examples());
  }
}

}  // namespace

void RunAggregate::FillWorker(size_t i, const ProcessSummary* summary, RunResult* result) const {
  const PerWorker& w = workers_[i];
  WorkerStats* s = result->add_worker_stats();
  s->set_rank(i);
  if (summary != nullptr) {
    s->set_pid(summary->process().pid());
    s->set_wall_seconds(summary->wall_s());
    s->set_parameter_hash(summary->parameter_hash());
  }
  s->set_steps(w.steps);
  s->set_samples(w.steps * batch_);
  s->set_compute_seconds(w.compute);
  s->set_compute_cpu_seconds(w.compute_cpu);
  result->set_compute_cpu_seconds(result->compute_cpu_seconds() + w.compute_cpu);
  s->set_pull_seconds(w.pull);
  s->set_push_seconds(w.push);
  s->set_wait_seconds(w.wait);
  s->set_reduce_seconds(w.reduce);
  s->set_update_seconds(w.update);
  s->set_bytes_sent(w.bytes_sent);
  s->set_bytes_received(w.bytes_received);
  s->set_nic_bytes_sent(w.nic_bytes_sent);
  s->set_nic_bytes_received(w.nic_bytes_received);
  result->set_nic_bytes(result->nic_bytes() + w.nic_bytes_sent);
  if (w.steps > 0) {
    s->set_bytes_per_step(static_cast<double>(w.bytes_sent + w.bytes_received) / w.steps);
  }
  s->set_max_staleness(w.max_staleness);
}

void RunAggregate::FillChief(const std::vector<ProcessSummary>& worker_summaries,
                             RunResult* result) const {
  for (const EvalRecord& e : evals_) *result->add_evals() = ToEvalPoint(e);
  if (!evals_.empty()) {
    result->set_final_test_accuracy(evals_.back().test_accuracy());
    result->set_final_test_loss(evals_.back().test_loss());
  }
  if (!worker_summaries.empty()) {
    result->set_parameter_hash(worker_summaries[0].parameter_hash());
    result->set_eval_seconds(worker_summaries[0].eval_s());
  }
  // The last interval: the steps after the last evaluation, or those before it when it was at
  // the chief's last step.
  if (interval_steps_ > 0) {
    result->set_final_train_loss(interval_loss_ / interval_steps_);
    result->set_final_train_accuracy(interval_accuracy_ / interval_steps_);
  } else if (closed_at_step_ > 0) {
    result->set_final_train_loss(closed_loss_);
    result->set_final_train_accuracy(closed_accuracy_);
  }
}

absl::Status RunAggregate::Fill(const std::vector<ProcessSummary>& worker_summaries,
                                const std::vector<ProcessSummary>& server_summaries,
                                const std::vector<int64_t>& server_params,
                                bool replicas_must_agree, RunResult* result) const {
  std::vector<double> measured;
  PhaseSums sums;
  for (size_t i = 0; i < workers_.size(); ++i) {
    const PerWorker& w = workers_[i];
    size_t skip = w.step_seconds.size() > static_cast<size_t>(warmup_) ? warmup_ : 0;
    measured.insert(measured.end(), w.step_seconds.begin() + skip, w.step_seconds.end());
    sums.step += w.step;
    sums.data += w.data;
    sums.compute += w.compute;
    sums.wait += w.wait;
    sums.comm += w.pull + w.push + w.reduce;  // pull_s already leaves out the wait (StepComm)
    sums.update += w.update;
    FillWorker(i, i < worker_summaries.size() ? &worker_summaries[i] : nullptr, result);
  }
  FillTimeSplit(sums, result);
  StepTimes times = report::SummarizeStepTimes(measured, 0);
  times.set_warmup_steps(warmup_);
  *result->mutable_step_times() = times;
  result->set_steps(workers_.empty() ? 0 : workers_[0].steps);
  result->set_samples(samples());
  result->set_train_seconds(sums.step / std::max<size_t>(1, workers_.size()));
  FillServers(server_summaries, server_params, result);
  FillMemory(worker_summaries, server_summaries, result);
  FillChief(worker_summaries, result);
  if (replicas_must_agree) return CheckReplicasAgree(worker_summaries);
  return absl::OkStatus();
}

}  // namespace distsim::node

#include "sim/app/staleness.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sim/app/stale_server.h"
#include "sim/base/clock.h"
#include "sim/base/status.h"
#include "sim/config/staleness.h"
#include "sim/data/distribution.h"
#include "sim/model/cost_model.h"
#include "sim/node/factory.h"
#include "sim/node/modelled.h"
#include "sim/node/provenance.h"
#include "sim/node/run_plan.h"
#include "sim/node/train_loop.h"

namespace distsim::app {
namespace {

// Accuracy of `params` on `test`.
double Accuracy(kernels::Model<float>& model, std::span<const float> params,
                const GatheredSet& test) {
  const int64_t count = test.size;
  constexpr int64_t kBatch = 500;
  double loss_sum = 0;
  int64_t correct = 0;
  for (int64_t start = 0; start < count; start += kBatch) {
    const int64_t n = std::min(kBatch, count - start);
    model.Evaluate(params.data(), test.x.data() + start * test.dim, test.labels.data() + start,
                   static_cast<int>(n), &loss_sum, &correct);
  }
  return count > 0 ? static_cast<double>(correct) / static_cast<double>(count) : 0;
}

// Worker r's batches: the sampler rank r of n has in a distributed run of `cell`.
absl::StatusOr<std::vector<std::unique_ptr<data::WorkerSampler>>> Samplers(
    const RunConfig& cell, const data::Dataset& train) {
  const int n = static_cast<int>(cell.workers());
  std::vector<std::unique_ptr<data::WorkerSampler>> samplers;
  for (int r = 0; r < n; ++r) {
    DS_ASSIGN_OR_RETURN(
        std::unique_ptr<data::WorkerSampler> sampler,
        data::MakeWorkerSampler(node::DistributionOf(cell), train, r, n, cell.train().batch_size(),
                                node::DataSeed(cell.seed()), cell.train().shuffle()));
    samplers.push_back(std::move(sampler));
  }
  return samplers;
}

// What the update loop leaves behind.
struct Trained {
  uint64_t updates = 0;
  uint64_t updates_to_target = 0;  // 0: not reached
  double delay_sum = 0;
  double compute_cpu_s = 0;
  double best_accuracy = 0;
};

// The updates of one cell, round-robin over the workers, until the target or the cap.
Trained Train(const StalenessStudyConfig& study, const RunConfig& cell, const data::Dataset& train,
              const GatheredSet& eval, std::vector<std::unique_ptr<data::WorkerSampler>>& samplers,
              kernels::Model<float>& model, StaleServer& server) {
  const int batch = static_cast<int>(cell.train().batch_size());
  std::vector<int64_t> ids(batch);
  std::vector<float> x(static_cast<size_t>(train.example_dim()) * batch);
  std::vector<int32_t> labels(batch);
  Trained out;
  while (out.updates < study.max_updates() && out.updates_to_target == 0) {
    samplers[out.updates % samplers.size()]->Next(ids);
    train.Gather<float>(ids, x.data(), labels.data());
    const double cpu = ThreadCpuSeconds();
    out.delay_sum +=
        server.Apply(x.data(), labels.data(), batch, node::DropoutSeed(cell.seed(), out.updates))
            .delay;
    out.compute_cpu_s += ThreadCpuSeconds() - cpu;
    ++out.updates;
    if (out.updates % study.eval_every_updates() != 0 && out.updates != study.max_updates()) {
      continue;
    }
    const double accuracy = Accuracy(model, server.params(), eval);
    out.best_accuracy = std::max(out.best_accuracy, accuracy);
    if (accuracy >= study.target_accuracy()) out.updates_to_target = out.updates;
  }
  return out;
}

}  // namespace

GatheredSet Gather(const data::Dataset& set, int64_t count) {
  GatheredSet out;
  out.size = count <= 0 || count >= set.size() ? set.size() : count;
  out.dim = set.example_dim();
  out.x.resize(static_cast<size_t>(out.dim) * out.size);
  out.labels.resize(out.size);
  std::vector<int64_t> ids(out.size);
  for (int64_t i = 0; i < out.size; ++i) ids[i] = i * set.size() / out.size;
  set.Gather<float>(ids, out.x.data(), out.labels.data());
  return out;
}

double ModelledUpdateSeconds(const RunConfig& cell, double train_flops_per_example,
                             int64_t parameters, double measured_compute_s) {
  const int n = static_cast<int>(std::max<uint32_t>(1, cell.workers()));
  model::PredictInput in;
  in.batch = static_cast<int>(cell.train().batch_size());
  in.compute_s = cell.cluster().gemm_gflops() > 0
                     ? in.batch * train_flops_per_example / (cell.cluster().gemm_gflops() * 1e9)
                     : measured_compute_s;
  in.compute_s = std::max(in.compute_s, 1e-9);
  in.model_bytes = 4.0 * static_cast<double>(parameters);
  in.net = node::NetworkOf(cell);
  const PredictRow row = model::Predict(model::PredictStrategy::kPsAsync, n, 1, false, in);
  return row.step_s() / n;
}

absl::StatusOr<StalenessCell> RunStalenessCell(const StalenessStudyConfig& study,
                                               const RunConfig& cell_in, uint32_t staleness,
                                               uint64_t seed, const data::Dataset& train,
                                               const GatheredSet& eval, const GatheredSet& test) {
  Stopwatch clock;
  RunConfig cell = cell_in;
  cell.set_seed(seed);
  DS_ASSIGN_OR_RETURN(
      std::unique_ptr<kernels::Model<float>> model,
      node::MakeModel(cell.model(), train.rows(), train.cols(), node::NumClasses(cell)));
  const int64_t size = model->layout().size();
  DS_ASSIGN_OR_RETURN(std::unique_ptr<kernels::Optimizer<float>> optimizer,
                      node::MakeOptimizer(cell.optimizer(), size));
  DS_ASSIGN_OR_RETURN(auto samplers, Samplers(cell, train));
  std::vector<float> initial(size);
  model->Init(seed, initial.data());
  StalenessCell out;
  out.set_optimizer(optimizer->name());
  StaleServer server(model.get(), std::move(optimizer), initial, staleness, seed);
  const Trained t = Train(study, cell, train, eval, samplers, *model, server);
  out.set_staleness(staleness);
  out.set_workers(cell.workers());
  out.set_seed(seed);
  out.set_reached(t.updates_to_target > 0);
  out.set_updates_to_target(t.updates_to_target);
  out.set_modelled_update_s(
      ModelledUpdateSeconds(cell, model->TrainFlopsPerExample(), size,
                            t.compute_cpu_s / std::max<uint64_t>(1, t.updates)));
  out.set_modelled_seconds_to_target(t.updates_to_target * out.modelled_update_s());
  out.set_updates(t.updates);
  out.set_mean_delay(t.delay_sum / std::max<uint64_t>(1, t.updates));
  out.set_best_accuracy(t.best_accuracy);
  out.set_final_accuracy(Accuracy(*model, server.params(), test));
  out.set_wall_seconds(clock.Seconds());
  return out;
}

namespace {

// A cell to train: which optimizer, s, n and seed.
struct CellJob {
  int optimizer = 0;
  uint32_t staleness = 0;
  uint32_t workers = 0;
  uint64_t seed = 0;
};

std::vector<CellJob> Jobs(const StalenessStudyConfig& study) {
  std::vector<CellJob> jobs;
  for (int o = 0; o < study.optimizers_size(); ++o) {
    for (uint32_t n : study.workers()) {
      for (uint32_t s : study.staleness()) {
        for (uint64_t seed : study.seeds()) jobs.push_back({o, s, n, seed});
      }
    }
  }
  return jobs;
}

// Trains `jobs` on `threads` threads, each taking the next job not yet taken; results by job.
std::vector<absl::StatusOr<StalenessCell>> RunJobs(const StalenessStudyConfig& study,
                                                   const std::vector<CellJob>& jobs,
                                                   const data::Dataset& train,
                                                   const GatheredSet& eval, const GatheredSet& test,
                                                   const StalenessOptions& options) {
  std::vector<absl::StatusOr<StalenessCell>> cells(jobs.size(),
                                                   absl::CancelledError("not started"));
  std::atomic<size_t> next{0};
  std::mutex progress_mutex;
  size_t done = 0;
  Stopwatch clock;
  const auto work = [&]() {
    for (size_t i = next++; i < jobs.size(); i = next++) {
      if (options.stop != nullptr && options.stop->load()) return;
      const CellJob& job = jobs[i];
      cells[i] =
          RunStalenessCell(study, config::StalenessCellConfig(study, job.optimizer, job.workers),
                           job.staleness, job.seed, train, eval, test);
      if (options.progress == nullptr) continue;
      std::lock_guard<std::mutex> lock(progress_mutex);
      ++done;
      const std::string what =
          !cells[i].ok() ? std::string(cells[i].status().message())
          : cells[i]->reached()
              ? absl::StrFormat("%.0f%% after %d updates", 100 * study.target_accuracy(),
                                cells[i]->updates_to_target())
              : absl::StrFormat("not reached in %d updates (best %.4f)", cells[i]->updates(),
                                cells[i]->best_accuracy());
      std::fprintf(options.progress,
                   "staleness: %zu/%zu %s s=%u n=%u seed=%d: %s (%.1f s; %.0f s in)\n", done,
                   jobs.size(), cells[i].ok() ? cells[i]->optimizer().c_str() : "?", job.staleness,
                   job.workers, static_cast<int>(job.seed), what.c_str(),
                   cells[i].ok() ? cells[i]->wall_seconds() : 0.0, clock.Seconds());
      std::fflush(options.progress);
    }
  };
  std::vector<std::thread> threads;
  for (uint32_t t = 1; t < study.threads(); ++t) threads.emplace_back(work);
  work();
  for (std::thread& thread : threads) thread.join();
  return cells;
}

}  // namespace

absl::StatusOr<StalenessResult> RunStalenessStudy(const StalenessStudyConfig& study,
                                                  const StalenessOptions& options) {
  Stopwatch clock;
  // One opening of the data for every cell: the cells differ in n, optimizer and seed only.
  DS_ASSIGN_OR_RETURN(
      node::RunInputs in,
      node::OpenRun(config::StalenessCellConfig(study, 0, study.workers(0)), options.data_dir));
  const GatheredSet test = Gather(in.test);
  const GatheredSet eval = Gather(in.test, study.eval_examples());
  const std::vector<CellJob> jobs = Jobs(study);
  std::vector<absl::StatusOr<StalenessCell>> cells =
      RunJobs(study, jobs, in.train, eval, test, options);
  if (options.stop != nullptr && options.stop->load()) {
    return absl::CancelledError("the staleness study was interrupted");
  }
  StalenessResult result;
  *result.mutable_config() = study;
  for (absl::StatusOr<StalenessCell>& cell : cells) {
    DS_RETURN_IF_ERROR(cell.status());
    *result.add_cells() = *std::move(cell);
  }
  SummarizeStaleness(&result);
  result.set_wall_seconds(clock.Seconds());
  *result.mutable_provenance() =
      node::CollectProvenance(static_cast<int>(study.threads()), options.command_line);
  if (!options.out_dir.empty()) DS_RETURN_IF_ERROR(WriteStalenessFiles(result, options.out_dir));
  return result;
}

}  // namespace distsim::app

#include "sim/app/compare.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "kernels/model.h"
#include "sim/base/clock.h"
#include "sim/base/status.h"
#include "sim/config/config_kind.h"
#include "sim/data/dataset.h"
#include "sim/node/data_source.h"
#include "sim/node/factory.h"
#include "sim/node/provenance.h"
#include "sim/node/run.h"
#include "sim/node/run_plan.h"
#include "sim/report/claims.h"
#include "sim/report/compare_findings.h"
#include "sim/report/compare_table.h"
#include "sim/report/html_report.h"
#include "sim/report/progress.h"
#include "sim/report/result_io.h"
#include "sim/report/row_facts.h"
#include "sim/report/stats.h"

namespace distsim::app {
namespace {

Stat StatOf(std::vector<double> values) {
  Stat s;
  if (values.empty()) return s;
  s.set_median(report::Quantile(values, 0.5));
  s.set_min(*std::min_element(values.begin(), values.end()));
  s.set_max(*std::max_element(values.begin(), values.end()));
  return s;
}

// The values of one row's repeats that the row gives the median and spread of.
struct RepeatValues {
  std::vector<double> accuracy, best_accuracy, throughput, wall, to_target, samples, modelled_s,
      modelled_sps, job_s, download_s, cost, idle_cost;
};

// The best test accuracy of any evaluation of `run` (the final one included).
double BestAccuracy(const RunResult& run) {
  double best = run.final_test_accuracy();
  for (const EvalPoint& e : run.evals()) best = std::max(best, e.test_accuracy());
  return best;
}

// Adds the names of a row's repeats (runs first_run ... first_run + repeats - 1) to `row` and
// their values to `values`; returns the first repeat, nullptr when result.runs has none of them.
const RunResult* CollectRepeats(const CompareResult& result, size_t first_run, int repeats,
                                CompareRow* row, RepeatValues* values) {
  const RunResult* first = nullptr;
  for (int r = 0; r < repeats; ++r) {
    const size_t index = first_run + r;
    if (index >= static_cast<size_t>(result.runs_size())) break;
    const RunResult& run = result.runs(index);
    if (first == nullptr) first = &run;
    row->add_run_names(run.config().name());
    values->accuracy.push_back(run.final_test_accuracy());
    values->best_accuracy.push_back(BestAccuracy(run));
    values->throughput.push_back(run.samples_per_second());
    values->wall.push_back(run.wall_seconds());
    values->samples.push_back(static_cast<double>(run.samples()));
    if (run.reached_target()) values->to_target.push_back(run.time_to_target_s());
    // Runs without a modelled clock (none was built) are left out, not counted as 0.
    if (run.modelled().seconds() > 0) {
      values->modelled_s.push_back(run.modelled().seconds());
      values->modelled_sps.push_back(run.modelled().samples_per_second());
      values->job_s.push_back(run.modelled().job_seconds());
      values->download_s.push_back(run.modelled().download_seconds());
      values->cost.push_back(run.modelled().cost_usd());
      values->idle_cost.push_back(run.modelled().idle_cost_usd());
    }
  }
  return first;
}

// The row's medians and spreads over its repeats, and what it takes from its first repeat.
void SetFromRuns(const RunResult& first, const RepeatValues& v, CompareRow* row) {
  row->set_strategy(first.strategy().empty() ? "local" : first.strategy());
  row->set_samples(static_cast<uint64_t>(report::Quantile(v.samples, 0.5)));
  *row->mutable_final_test_accuracy() = StatOf(v.accuracy);
  *row->mutable_samples_per_second() = StatOf(v.throughput);
  *row->mutable_wall_seconds() = StatOf(v.wall);
  *row->mutable_time_to_target_s() = StatOf(v.to_target);
  row->set_reached_target(static_cast<uint32_t>(v.to_target.size()));
  if (first.has_time_split()) {
    *row->mutable_time_split() = first.time_split();
  } else if (first.train_seconds() > 0) {
    // A local run: its step is compute plus the optimizer update.
    row->mutable_time_split()->set_compute(1.0);
  }
  double bytes = 0;
  for (const WorkerStats& w : first.worker_stats()) bytes += w.bytes_per_step();
  if (first.worker_stats_size() > 0) bytes /= first.worker_stats_size();
  row->set_bytes_per_worker_step(bytes);
  *row->mutable_staleness() = first.staleness();
  *row->mutable_modelled_seconds() = StatOf(v.modelled_s);
  *row->mutable_modelled_samples_per_second() = StatOf(v.modelled_sps);
  *row->mutable_modelled_job_seconds() = StatOf(v.job_s);
  *row->mutable_modelled_download_seconds() = StatOf(v.download_s);
  *row->mutable_modelled_cost_usd() = StatOf(v.cost);
  *row->mutable_modelled_idle_cost_usd() = StatOf(v.idle_cost);
  *row->mutable_best_test_accuracy() = StatOf(v.best_accuracy);
  row->set_run_length(first.run_length());
  row->set_modelled_step_ms(first.modelled().step_ms_mean());
  row->set_network(report::DescribeNetwork(first));
  for (const std::string& fault : first.faults()) row->add_faults(fault);
  row->set_workers_lost(static_cast<uint32_t>(first.workers_lost_size()));
}

// Scaling efficiency of a row of `n` workers against a baseline of `base_n`: STRONG from the
// seconds (T(base) x n(base) / (n x T)), WEAK from samples/s per worker. 0 when undefined.
double Efficiency(bool strong, double base_n, double base_seconds, double base_sps, double n,
                  double seconds, double sps, bool need_base_seconds) {
  if (strong) {
    if (seconds > 0 && (!need_base_seconds || base_seconds > 0)) {
      return (base_seconds * base_n) / (n * seconds);
    }
    return 0;
  }
  return base_sps > 0 ? (sps / n) / (base_sps / base_n) : 0;
}

// Scaling efficiency against each row's baseline row (the entry's own, else the config's, else
// the first row), on the wall clock and on the modelled one.
void SetEfficiencies(const std::vector<config::CompareEntry>& entries, CompareResult* result) {
  // Copied first: the rows are rewritten below.
  const std::vector<CompareRow> rows(result->rows().begin(), result->rows().end());
  auto find = [&rows](const std::string& name) -> const CompareRow* {
    for (const CompareRow& row : rows) {
      if (row.name() == name) return &row;
    }
    return nullptr;
  };
  const bool strong = result->config().scaling() == CompareConfig::STRONG;
  for (size_t i = 0; i < rows.size(); ++i) {
    CompareRow& row = *result->mutable_rows(static_cast<int>(i));
    const CompareRow* base = find(entries[i].baseline);
    if (base == nullptr) base = find(result->config().baseline());
    if (base == nullptr) base = &rows[0];
    row.set_baseline(base->name());
    const double base_n = base->workers();
    const double n = row.workers();
    row.set_scaling_efficiency(Efficiency(
        strong, base_n, base->wall_seconds().median(), base->samples_per_second().median(), n,
        row.wall_seconds().median(), row.samples_per_second().median(), false));
    // The same on the modelled clock; undefined (0) when either row has none.
    row.set_modelled_scaling_efficiency(
        Efficiency(strong, base_n, base->modelled_seconds().median(),
                   base->modelled_samples_per_second().median(), n, row.modelled_seconds().median(),
                   row.modelled_samples_per_second().median(), true));
  }
}

}  // namespace

void FillRows(const std::vector<config::CompareEntry>& entries, CompareResult* result) {
  result->clear_rows();
  size_t first_run = 0;  // entries run one after the other, each its own number of repeats
  for (size_t i = 0; i < entries.size(); ++i) {
    const config::CompareEntry& entry = entries[i];
    CompareRow* row = result->add_rows();
    row->set_name(entry.name);
    row->set_group(entry.group);
    row->set_description(entry.description);
    row->set_workers(std::max<uint32_t>(1, entry.config.workers()));
    row->set_distribution(DataConfig::Distribution_Name(entry.config.data().distribution()));
    RepeatValues values;
    const int repeats = std::max(1, entry.repeats);
    const RunResult* first = CollectRepeats(*result, first_run, repeats, row, &values);
    if (first != nullptr) SetFromRuns(*first, values, row);
    first_run += repeats;
  }
  SetEfficiencies(entries, result);
}

namespace {

// Rows, columns and training examples of a run's data, as EstimateSeconds assumes them.
struct DataShape {
  int rows = 28;
  int cols = 28;
  double examples = 60000;
};

std::optional<DataShape> ShapeOfData(const RunConfig& config,
                                     const std::function<std::string(const RunConfig&)>& data_dir) {
  const DataConfig::Dataset dataset = config.data().dataset();
  const bool mnist = dataset == DataConfig::MNIST || dataset == DataConfig::FASHION_MNIST ||
                     (dataset == DataConfig::DATASET_UNSPECIFIED && !config.data().has_csv());
  if (mnist || data_dir == nullptr) return DataShape();
  absl::StatusOr<std::string> idx_dir = node::IdxDirOf(config, data_dir(config));
  if (!idx_dir.ok()) return std::nullopt;
  auto sets = data::OpenIdxDir(*idx_dir, config.data().train_limit(), 1, node::NumClasses(config));
  if (!sets.ok()) return std::nullopt;
  return DataShape{sets->first.rows(), sets->first.cols(),
                   static_cast<double>(sets->first.size())};
}

}  // namespace

double EstimateSeconds(const std::vector<config::CompareEntry>& entries,
                       const std::function<std::string(const RunConfig&)>& data_dir) {
  double total = 0;
  for (const config::CompareEntry& e : entries) {
    const node::ClusterShape shape = node::ShapeOf(e.config);
    const double startup = (1.0 + 0.5 * shape.workers) * std::max(1, e.repeats);
    const std::optional<DataShape> data = ShapeOfData(e.config, data_dir);
    absl::StatusOr<std::unique_ptr<kernels::Model<float>>> model =
        data ? node::MakeModel(e.config.model(), data->rows, data->cols, node::NumClasses(e.config))
             : absl::NotFoundError("no data");
    if (!model.ok()) {
      total += startup;
      continue;
    }
    const TrainConfig& t = e.config.train();
    double samples_per_worker;
    if (t.length_case() == TrainConfig::kSteps) {
      samples_per_worker = static_cast<double>(t.steps()) * t.batch_size();
    } else if (t.length_case() == TrainConfig::kGlobalSteps) {
      samples_per_worker = static_cast<double>(t.global_steps()) * t.batch_size() / shape.workers;
    } else {
      samples_per_worker = t.epochs() * data->examples / shape.workers;
    }
    const double flops = (*model)->TrainFlopsPerExample() * samples_per_worker * shape.workers;
    // About 50 GFLOP/s of useful work per core here, two cores shared by every process, plus
    // a second of start-up and evaluation per run.
    total += flops / (50e9 * 2) * std::max(1, e.repeats) + startup;
  }
  return total;
}

namespace {

// "[2/6 12 s, about 30 s left] name: strategy" before run `done` + 1 of `total`.
void SayRunStarts(const CompareOptions& options, const Stopwatch& clock, int done, int total,
                  const RunConfig& run_config) {
  if (options.progress == nullptr) return;
  const double elapsed = clock.Seconds();
  std::string eta =
      done > 0
          ? absl::StrCat(", about ",
                         report::Progress::FormatDuration(elapsed / done * (total - done)), " left")
          : "";
  std::fprintf(options.progress, "\n[%d/%d %s%s] %s: %s\n", done + 1, total,
               report::Progress::FormatDuration(elapsed).c_str(), eta.c_str(),
               run_config.name().c_str(), node::DescribeStrategy(run_config).c_str());
}

// Runs repeat `r` of `entry` (its own seed and name when there are repeats), sets its time to
// the target accuracy and writes its result.json.
absl::StatusOr<RunResult> RunRepeat(const CompareConfig& config, const config::CompareEntry& entry,
                                    int r, int repeats, const CompareOptions& options,
                                    const Stopwatch& clock, int done, int total) {
  RunConfig run_config = entry.config;
  if (repeats > 1) {
    run_config.set_seed(run_config.seed() + r);
    run_config.set_name(absl::StrCat(entry.name, "_r", r + 1));
  }
  const std::string run_dir = (std::filesystem::path(options.out_dir) / run_config.name()).string();
  SayRunStarts(options, clock, done, total, run_config);
  node::RunOptions common;
  common.progress = options.progress;
  common.command_line = options.command_line;
  common.stop = options.stop;
  common.executable = options.executable;
  common.objects_dir = options.objects_dir;
  absl::StatusOr<RunResult> run =
      node::RunInto(run_config, options.out_dir, options.data_dir(run_config), common);
  if (!run.ok()) return run.status();
  run->set_target_accuracy(config.target_accuracy());
  if (std::optional<double> t = report::TimeToTarget(*run, config.target_accuracy())) {
    run->set_reached_target(true);
    run->set_time_to_target_s(*t);
  }
  DS_RETURN_IF_ERROR(
      report::WriteResultJson(*run, (std::filesystem::path(run_dir) / "result.json").string()));
  return run;
}

// compare.json, compare.csv and report.html of `result` in `out_dir`.
absl::Status WriteCompareFiles(const CompareResult& result, const std::string& out_dir) {
  const std::filesystem::path dir(out_dir);
  DS_RETURN_IF_ERROR(
      report::WriteFileAtomic((dir / "compare.json").string(), report::MessageToJson(result)));
  DS_RETURN_IF_ERROR(
      report::WriteFileAtomic((dir / "compare.csv").string(), report::FormatCompareCsv(result)));
  return report::WriteFileAtomic((dir / "report.html").string(),
                                 report::RenderCompareReport(result));
}

}  // namespace

namespace {

// Rows, claims and findings of `result`, whose runs are all there.
void Conclude(const std::vector<config::CompareEntry>& entries, CompareResult* result) {
  FillRows(entries, result);
  result->clear_claims();
  for (ClaimCheck& check : report::CheckClaims(*result)) *result->add_claims() = std::move(check);
  result->clear_findings();
  for (std::string& finding : report::Findings(*result)) result->add_findings(std::move(finding));
}

// Why `path` is no compare.json: a config (InvalidArgument naming the subcommand that runs it),
// else DataLoss.
absl::Status NotACompareResult(const std::string& path) {
  absl::StatusOr<config::ConfigKind> kind = config::ConfigKindOf(path, config::ConfigKind::kRun);
  if (!kind.ok()) {
    return absl::DataLossError(absl::StrCat(path, ": not a compare.json (CompareResult)"));
  }
  const char* command = *kind == config::ConfigKind::kCompare   ? "compare"
                        : *kind == config::ConfigKind::kPredict ? "predict"
                                                                : "run";
  return absl::InvalidArgumentError(absl::StrCat(
      path, " is a ", config::ConfigKindName(*kind),
      ", not the compare.json a comparison wrote: run it with `distsim ", command, " ", path,
      "`; `distsim report` re-renders the compare.json (or its folder) that `distsim compare` "
      "writes"));
}

}  // namespace

absl::StatusOr<CompareResult> ReportCompare(const std::string& path, std::string* out_dir) {
  std::filesystem::path file(path);
  if (std::filesystem::is_directory(file)) file /= "compare.json";
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(file.string(), ": no compare.json there"));
  }
  std::stringstream text;
  text << in.rdbuf();
  CompareResult result;
  if (!google::protobuf::util::JsonStringToMessage(text.str(), &result).ok()) {
    return NotACompareResult(file.string());
  }
  DS_ASSIGN_OR_RETURN(std::vector<config::CompareEntry> entries,
                      config::ExpandCompare(result.config(), file.string()));
  Conclude(entries, &result);
  *out_dir = file.parent_path().string();
  DS_RETURN_IF_ERROR(WriteCompareFiles(result, *out_dir));
  return result;
}

absl::StatusOr<CompareResult> RunCompare(const CompareConfig& config,
                                         const std::vector<config::CompareEntry>& entries,
                                         const CompareOptions& options) {
  Stopwatch clock;
  CompareResult result;
  *result.mutable_config() = config;
  int total = 0;
  for (const config::CompareEntry& e : entries) total += std::max(1, e.repeats);
  int max_processes = 1;
  for (const auto& e : entries) {
    const node::ClusterShape s = node::ShapeOf(e.config);
    max_processes = std::max(max_processes, s.servers + s.workers);
  }
  *result.mutable_provenance() = node::CollectProvenance(max_processes, options.command_line);
  DS_RETURN_IF_ERROR(report::EnsureDir(options.out_dir));

  int done = 0;
  for (const config::CompareEntry& entry : entries) {
    const int repeats = std::max(1, entry.repeats);
    for (int r = 0; r < repeats; ++r) {
      DS_ASSIGN_OR_RETURN(RunResult run,
                          RunRepeat(config, entry, r, repeats, options, clock, done, total));
      *result.add_runs() = std::move(run);
      ++done;
    }
  }
  Conclude(entries, &result);
  result.set_wall_seconds(clock.Seconds());
  DS_RETURN_IF_ERROR(WriteCompareFiles(result, options.out_dir));
  return result;
}

}  // namespace distsim::app

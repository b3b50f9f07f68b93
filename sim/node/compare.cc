#include "sim/node/compare.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/base/clock.h"
#include "sim/base/status.h"
#include "sim/node/factory.h"
#include "sim/node/plan.h"
#include "sim/node/provenance.h"
#include "sim/node/run.h"
#include "sim/report/html_report.h"
#include "sim/report/progress.h"
#include "sim/report/result_io.h"
#include "sim/report/stats.h"

namespace distsim::node {
namespace {

Stat StatOf(std::vector<double> values) {
  Stat s;
  if (values.empty()) return s;
  s.set_median(report::Quantile(values, 0.5));
  s.set_min(*std::min_element(values.begin(), values.end()));
  s.set_max(*std::max_element(values.begin(), values.end()));
  return s;
}

std::string HumanBytes(double b) {
  if (b >= 1e6) return absl::StrFormat("%.2f MB", b / 1e6);
  if (b >= 1e3) return absl::StrFormat("%.1f kB", b / 1e3);
  return absl::StrFormat("%.0f B", b);
}

std::string Percent(double x) { return absl::StrFormat("%.0f", 100 * x); }

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// "%g" without an exponent for the usual figures: 0.1, 25, 1000.
std::string Short(double v) { return absl::StrFormat("%g", v); }

}  // namespace

std::string DescribeNetwork(const RunResult& run) {
  const RunConfig& config = run.config();
  if (config.strategy_case() == RunConfig::kLocal ||
      config.strategy_case() == RunConfig::STRATEGY_NOT_SET) {
    return "";  // one process: no network
  }
  const NetworkConfig& net = config.cluster().network();
  const double gbps = net.bandwidth_gbps() > 0 ? net.bandwidth_gbps() : run.modelled().bandwidth_gbps();
  const double latency = net.has_latency_us() ? net.latency_us() : run.modelled().latency_us();
  if (gbps <= 0) return "";
  std::string out = absl::StrCat(Short(gbps), " Gbit/s, ", Short(latency), " us");
  if (net.jitter_us() > 0) absl::StrAppend(&out, ", jitter ", Short(net.jitter_us()), " us");
  if (net.loss() > 0) absl::StrAppend(&out, ", loss ", Short(100 * net.loss()), "%");
  absl::StrAppend(&out, net.shape() ? ", shaped" : ", modelled");
  return out;
}

std::optional<double> TimeToTarget(const RunResult& run, double target) {
  for (const EvalPoint& e : run.evals()) {
    if (e.test_accuracy() >= target) return e.wall_seconds();
  }
  return std::nullopt;
}

void FillRows(const std::vector<config::CompareEntry>& entries, CompareResult* result) {
  const int repeats = static_cast<int>(std::max<uint32_t>(1, result->config().repeats()));
  result->clear_rows();
  for (size_t i = 0; i < entries.size(); ++i) {
    const config::CompareEntry& entry = entries[i];
    CompareRow* row = result->add_rows();
    row->set_name(entry.name);
    row->set_group(entry.group);
    row->set_description(entry.description);
    row->set_workers(std::max<uint32_t>(1, entry.config.workers()));
    row->set_distribution(DataConfig::Distribution_Name(entry.config.data().distribution()));
    std::vector<double> accuracy, throughput, wall, to_target, samples, modelled_s, modelled_sps;
    const RunResult* first = nullptr;
    for (int r = 0; r < repeats; ++r) {
      const size_t index = i * repeats + r;
      if (index >= static_cast<size_t>(result->runs_size())) break;
      const RunResult& run = result->runs(index);
      if (first == nullptr) first = &run;
      row->add_run_names(run.config().name());
      accuracy.push_back(run.final_test_accuracy());
      throughput.push_back(run.samples_per_second());
      wall.push_back(run.wall_seconds());
      samples.push_back(static_cast<double>(run.samples()));
      if (run.reached_target()) to_target.push_back(run.time_to_target_s());
      // Runs without a modelled clock (none was built) are left out, not counted as 0.
      if (run.modelled().seconds() > 0) {
        modelled_s.push_back(run.modelled().seconds());
        modelled_sps.push_back(run.modelled().samples_per_second());
      }
    }
    if (first == nullptr) continue;
    row->set_strategy(first->strategy().empty() ? "local" : first->strategy());
    row->set_samples(static_cast<uint64_t>(report::Quantile(samples, 0.5)));
    *row->mutable_final_test_accuracy() = StatOf(accuracy);
    *row->mutable_samples_per_second() = StatOf(throughput);
    *row->mutable_wall_seconds() = StatOf(wall);
    *row->mutable_time_to_target_s() = StatOf(to_target);
    row->set_reached_target(static_cast<uint32_t>(to_target.size()));
    if (first->has_time_split()) {
      *row->mutable_time_split() = first->time_split();
    } else if (first->train_seconds() > 0) {
      // A local run: its step is compute plus the optimizer update.
      row->mutable_time_split()->set_compute(1.0);
    }
    double bytes = 0;
    for (const WorkerStats& w : first->worker_stats()) bytes += w.bytes_per_step();
    if (first->worker_stats_size() > 0) bytes /= first->worker_stats_size();
    row->set_bytes_per_worker_step(bytes);
    *row->mutable_staleness() = first->staleness();
    *row->mutable_modelled_seconds() = StatOf(modelled_s);
    *row->mutable_modelled_samples_per_second() = StatOf(modelled_sps);
    row->set_modelled_step_ms(first->modelled().step_ms_mean());
    row->set_network(DescribeNetwork(*first));
    for (const std::string& fault : first->faults()) row->add_faults(fault);
    row->set_workers_lost(static_cast<uint32_t>(first->workers_lost_size()));
  }
  // Scaling efficiency against each row's baseline row (the entry's own, else the config's,
  // else the first row). Copied first: the rows are rewritten below.
  const std::vector<CompareRow> rows(result->rows().begin(), result->rows().end());
  auto find = [&rows](const std::string& name) -> const CompareRow* {
    for (const CompareRow& row : rows) {
      if (row.name() == name) return &row;
    }
    return nullptr;
  };
  for (size_t i = 0; i < rows.size(); ++i) {
    CompareRow& row = *result->mutable_rows(static_cast<int>(i));
    const CompareRow* base = find(entries[i].baseline);
    if (base == nullptr) base = find(result->config().baseline());
    if (base == nullptr) base = &rows[0];
    const double base_n = base->workers(), base_sps = base->samples_per_second().median();
    const double base_t = base->wall_seconds().median();
    row.set_baseline(base->name());
    const double n = row.workers();
    double e = 0;
    if (result->config().scaling() == CompareConfig::STRONG) {
      const double t = row.wall_seconds().median();
      if (t > 0) e = (base_t * base_n) / (n * t);
    } else if (base_sps > 0) {
      e = (row.samples_per_second().median() / n) / (base_sps / base_n);
    }
    row.set_scaling_efficiency(e);
    // The same on the modelled clock; undefined (0) when either row has none.
    const double base_msps = base->modelled_samples_per_second().median();
    const double base_mt = base->modelled_seconds().median();
    double me = 0;
    if (result->config().scaling() == CompareConfig::STRONG) {
      const double t = row.modelled_seconds().median();
      if (t > 0 && base_mt > 0) me = (base_mt * base_n) / (n * t);
    } else if (base_msps > 0) {
      me = (row.modelled_samples_per_second().median() / n) / (base_msps / base_n);
    }
    row.set_modelled_scaling_efficiency(me);
  }
}

namespace {

// Test accuracy of `run` at `seconds`: its last evaluation at or before then.
std::optional<double> AccuracyAt(const RunResult& run, double seconds) {
  std::optional<double> out;
  for (const EvalPoint& e : run.evals()) {
    if (e.wall_seconds() <= seconds + 1e-9) out = e.test_accuracy();
  }
  return out;
}

const RunResult* FirstRun(const CompareResult& result, const CompareRow& row) {
  for (const RunResult& run : result.runs()) {
    if (row.run_names_size() > 0 && run.config().name() == row.run_names(0)) return &run;
  }
  return nullptr;
}

std::string Pct(double x) { return absl::StrFormat("%.1f%%", 100 * x); }

}  // namespace

std::vector<std::string> Findings(const CompareResult& result) {
  std::vector<std::string> out;
  const bool single = result.config().repeats() <= 1;
  std::vector<std::vector<const CompareRow*>> groups;
  for (const CompareRow& row : result.rows()) {
    if (groups.empty() || groups.back().front()->group() != row.group()) groups.emplace_back();
    groups.back().push_back(&row);
  }
  for (const auto& rows : groups) {
    if (rows.size() < 2) continue;
    // The group's short name: its title up to the first colon ("1. SageMaker TF job").
    const std::string& group = rows.front()->group();
    const std::string prefix =
        group.empty() ? std::string() : absl::StrCat(group.substr(0, group.find(':')), ": ");
    auto by_accuracy = rows;
    std::sort(by_accuracy.begin(), by_accuracy.end(), [](const CompareRow* a, const CompareRow* b) {
      return a->final_test_accuracy().median() > b->final_test_accuracy().median();
    });
    const double gap = by_accuracy.front()->final_test_accuracy().median() -
                       by_accuracy.back()->final_test_accuracy().median();
    out.push_back(absl::StrCat(
        prefix, "highest final test accuracy ", by_accuracy.front()->name(), " (",
        Pct(by_accuracy.front()->final_test_accuracy().median()), "), lowest ",
        by_accuracy.back()->name(), " (", Pct(by_accuracy.back()->final_test_accuracy().median()),
        "), ", absl::StrFormat("%.1f", 100 * gap), " points apart",
        single && gap < 0.01 ? "; one run each, so a gap this small may be noise (use repeats)"
                             : "",
        "."));
    auto by_speed = rows;
    std::sort(by_speed.begin(), by_speed.end(), [](const CompareRow* a, const CompareRow* b) {
      return a->samples_per_second().median() > b->samples_per_second().median();
    });
    const double slowest = by_speed.back()->samples_per_second().median();
    out.push_back(absl::StrCat(
        prefix, "fastest ", by_speed.front()->name(), " at ",
        absl::StrFormat("%.0f", by_speed.front()->samples_per_second().median()), " samples/s",
        slowest > 0 ? absl::StrFormat(", %.1fx the slowest (%s)",
                                      by_speed.front()->samples_per_second().median() / slowest,
                                      by_speed.back()->name())
                    : std::string(),
        "."));
    std::vector<std::string> reached, missed;
    const CompareRow* first = nullptr;
    for (const CompareRow* r : rows) {
      if (r->reached_target() == 0) {
        missed.push_back(r->name());
      } else if (first == nullptr ||
                 r->time_to_target_s().median() < first->time_to_target_s().median()) {
        first = r;
      }
    }
    if (first != nullptr) {
      out.push_back(absl::StrCat(
          prefix, "first to ", Pct(result.config().target_accuracy()), ": ", first->name(),
          absl::StrFormat(" after %.1f s", first->time_to_target_s().median()),
          missed.empty() ? std::string()
                         : absl::StrCat("; never reached by ", absl::StrJoin(missed, ", ")),
          "."));
    }
    // Pairs that differ only in their data distribution: the data-distribution lesson.
    for (size_t i = 0; i < rows.size(); ++i) {
      for (size_t j = i + 1; j < rows.size(); ++j) {
        const CompareRow& a = *rows[i];
        const CompareRow& b = *rows[j];
        if (a.strategy() != b.strategy() || a.workers() != b.workers() ||
            a.distribution() == b.distribution()) {
          continue;
        }
        const double acc_a = a.final_test_accuracy().median();
        const double acc_b = b.final_test_accuracy().median();
        const CompareRow& better = acc_a >= acc_b ? a : b;
        const CompareRow& worse = acc_a >= acc_b ? b : a;
        const std::string when =
            a.samples() == b.samples()
                ? absl::StrCat("at equal samples (", a.samples(), ")")
                : absl::StrCat("at the end (", a.samples(), " and ", b.samples(), " samples)");
        std::string sentence = absl::StrCat(
            prefix, when, ", ", better.distribution(), " (",
            better.name(), ") learned better than ", worse.distribution(), " (", worse.name(),
            "): ", Pct(better.final_test_accuracy().median()), " against ",
            Pct(worse.final_test_accuracy().median()), ".");
        if (std::abs(acc_a - acc_b) < 0.005) {
          sentence = absl::StrCat(prefix, when, ", ", a.distribution(), " and ", b.distribution(),
                                  " learned about equally well here: ",
                                  Pct(acc_a), " against ", Pct(acc_b), ".");
        }
        out.push_back(sentence);
        const RunResult* run_a = FirstRun(result, a);
        const RunResult* run_b = FirstRun(result, b);
        if (run_a != nullptr && run_b != nullptr) {
          const double t = std::min(run_a->wall_seconds(), run_b->wall_seconds());
          std::optional<double> at_a = AccuracyAt(*run_a, t), at_b = AccuracyAt(*run_b, t);
          if (at_a && at_b) {
            out.push_back(absl::StrCat(prefix, "at equal wall time (",
                                       absl::StrFormat("%.1f s", t), "), ", a.name(), " had ",
                                       Pct(*at_a), " and ", b.name(), " ", Pct(*at_b), "."));
          }
        }
      }
    }
  }
  return out;
}

std::string FormatCompareTable(const CompareResult& result) {
  std::vector<std::vector<std::string>> cells = {
      {"run", "strategy", "workers", "data", "samples", "test acc %", "to " +
       absl::StrFormat("%.0f%%", 100 * result.config().target_accuracy()), "samples/s",
       "scaling", "comp/comm/wait %", "bytes/worker/step", "staleness"}};
  const bool spread = result.config().repeats() > 1;
  for (const CompareRow& r : result.rows()) {
    std::string acc = absl::StrFormat("%.2f", 100 * r.final_test_accuracy().median());
    if (spread) {
      absl::StrAppendFormat(&acc, " [%.2f-%.2f]", 100 * r.final_test_accuracy().min(),
                            100 * r.final_test_accuracy().max());
    }
    std::string to_target = r.reached_target() == 0
                                ? "not reached"
                                : absl::StrFormat("%.1f s", r.time_to_target_s().median());
    if (spread && r.reached_target() > 0 && r.reached_target() < r.run_names_size()) {
      absl::StrAppendFormat(&to_target, " (%d of %d)", r.reached_target(), r.run_names_size());
    }
    std::string sps = absl::StrFormat("%.0f", r.samples_per_second().median());
    if (spread) {
      absl::StrAppendFormat(&sps, " [%.0f-%.0f]", r.samples_per_second().min(),
                            r.samples_per_second().max());
    }
    const TimeSplit& t = r.time_split();
    std::string staleness = r.staleness().updates() > 0 && r.staleness().max() > 0
                                ? absl::StrFormat("%.1f / %d", r.staleness().mean(),
                                                  r.staleness().max())
                                : "-";
    std::string data = r.distribution();
    if (data == "FULLY_REPLICATED") data = "replicated";
    if (data == "SHARDED_BY_KEY") data = "sharded";
    if (data == "GLOBAL_BATCH_SLICE") data = "batch slice";
    cells.push_back({r.name(), r.strategy(), absl::StrCat(r.workers()), data,
                     absl::StrCat(r.samples()), acc, to_target, sps,
                     absl::StrFormat("%.2f", r.scaling_efficiency()),
                     absl::StrCat(Percent(t.compute() + t.data() + t.update()), "/",
                                  Percent(t.communication()), "/", Percent(t.waiting())),
                     r.bytes_per_worker_step() > 0 ? HumanBytes(r.bytes_per_worker_step()) : "-",
                     staleness});
  }
  std::vector<size_t> width(cells[0].size(), 0);
  for (const auto& row : cells) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  std::string group;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0 && result.rows(i - 1).group() != group) {
      group = result.rows(i - 1).group();
      if (!group.empty()) absl::StrAppend(&out, "-- ", group, "\n");
    }
    for (size_t c = 0; c < cells[i].size(); ++c) {
      const bool left = c < 4;
      absl::StrAppend(&out, c ? "  " : "",
                      left ? absl::StrFormat("%-*s", width[c], cells[i][c])
                           : absl::StrFormat("%*s", width[c], cells[i][c]));
    }
    absl::StrAppend(&out, "\n");
  }
  std::vector<std::string> baselines;
  for (const CompareRow& r : result.rows()) {
    if (std::find(baselines.begin(), baselines.end(), r.baseline()) == baselines.end()) {
      baselines.push_back(r.baseline());
    }
  }
  absl::StrAppendFormat(&out,
                        "scaling: %s efficiency against %s%s; test acc: median%s; comp includes "
                        "data and update\n",
                        CompareConfig::Scaling_Name(result.config().scaling()),
                        baselines.size() > 1 ? "each run's baseline: " : "",
                        absl::StrJoin(baselines, ", "), spread ? " [min-max] over repeats" : "");
  return out;
}

std::string FormatCompareCsv(const CompareResult& result) {
  std::string out =
      "run,group,strategy,workers,distribution,repeats,samples,test_accuracy_median,"
      "test_accuracy_min,test_accuracy_max,time_to_target_s_median,reached_target,"
      "samples_per_second_median,wall_seconds_median,scaling_efficiency,data_share,"
      "compute_share,communication_share,waiting_share,update_share,bytes_per_worker_step,"
      "staleness_mean,staleness_max\n";
  for (const CompareRow& r : result.rows()) {
    const TimeSplit& t = r.time_split();
    absl::StrAppend(
        &out,
        absl::StrJoin({CsvField(r.name()), CsvField(r.group()), CsvField(r.strategy()),
                       absl::StrCat(r.workers()), r.distribution(),
                       absl::StrCat(r.run_names_size()), absl::StrCat(r.samples()),
                       absl::StrFormat("%.6f", r.final_test_accuracy().median()),
                       absl::StrFormat("%.6f", r.final_test_accuracy().min()),
                       absl::StrFormat("%.6f", r.final_test_accuracy().max()),
                       r.reached_target() ? absl::StrFormat("%.3f", r.time_to_target_s().median())
                                          : std::string(),
                       absl::StrCat(r.reached_target()),
                       absl::StrFormat("%.1f", r.samples_per_second().median()),
                       absl::StrFormat("%.3f", r.wall_seconds().median()),
                       absl::StrFormat("%.4f", r.scaling_efficiency()),
                       absl::StrFormat("%.4f", t.data()), absl::StrFormat("%.4f", t.compute()),
                       absl::StrFormat("%.4f", t.communication()),
                       absl::StrFormat("%.4f", t.waiting()), absl::StrFormat("%.4f", t.update()),
                       absl::StrFormat("%.0f", r.bytes_per_worker_step()),
                       absl::StrFormat("%.3f", r.staleness().mean()),
                       absl::StrCat(r.staleness().max())},
                      ","),
        "\n");
  }
  return out;
}

double EstimateSeconds(const std::vector<config::CompareEntry>& entries, int repeats) {
  double total = 0;
  for (const config::CompareEntry& e : entries) {
    absl::StatusOr<std::unique_ptr<kernels::Model<float>>> model =
        MakeModel(e.config.model(), 28, 28, 10);
    if (!model.ok()) continue;
    const ClusterShape shape = ShapeOf(e.config);
    const TrainConfig& t = e.config.train();
    double samples_per_worker;
    if (t.length_case() == TrainConfig::kSteps) {
      samples_per_worker = static_cast<double>(t.steps()) * t.batch_size();
    } else if (t.length_case() == TrainConfig::kGlobalSteps) {
      samples_per_worker = static_cast<double>(t.global_steps()) * t.batch_size() / shape.workers;
    } else {
      samples_per_worker = t.epochs() * 60000.0 / shape.workers;
    }
    const double flops = (*model)->TrainFlopsPerExample() * samples_per_worker * shape.workers;
    // About 50 GFLOP/s of useful work per core here, two cores shared by every process, plus
    // a second of start-up and evaluation per run.
    total += flops / (50e9 * 2) + 1.0 + 0.5 * shape.workers;
  }
  return total * repeats;
}

absl::StatusOr<CompareResult> RunCompare(const CompareConfig& config,
                                         const std::vector<config::CompareEntry>& entries,
                                         const CompareOptions& options) {
  Stopwatch clock;
  CompareResult result;
  *result.mutable_config() = config;
  const int repeats = static_cast<int>(std::max<uint32_t>(1, config.repeats()));
  const int total = static_cast<int>(entries.size()) * repeats;
  int max_processes = 1;
  for (const auto& e : entries) {
    const ClusterShape s = ShapeOf(e.config);
    max_processes = std::max(max_processes, s.servers + s.workers);
  }
  *result.mutable_provenance() = CollectProvenance(max_processes, options.command_line);
  DS_RETURN_IF_ERROR(report::EnsureDir(options.out_dir));

  int done = 0;
  for (const config::CompareEntry& entry : entries) {
    for (int r = 0; r < repeats; ++r) {
      RunConfig run_config = entry.config;
      if (repeats > 1) {
        run_config.set_seed(run_config.seed() + r);
        run_config.set_name(absl::StrCat(entry.name, "_r", r + 1));
      }
      run_config.set_output_dir(options.out_dir);
      const std::string run_dir =
          (std::filesystem::path(options.out_dir) / run_config.name()).string();
      if (options.progress != nullptr) {
        const double elapsed = clock.Seconds();
        std::string eta = done > 0 ? absl::StrCat(", about ",
                                                  report::Progress::FormatDuration(
                                                      elapsed / done * (total - done)),
                                                  " left")
                                   : "";
        std::fprintf(options.progress, "\n[%d/%d %s%s] %s: %s\n", done + 1, total,
                     report::Progress::FormatDuration(elapsed).c_str(), eta.c_str(),
                     run_config.name().c_str(), DescribeStrategy(run_config).c_str());
      }
      RunOptions run_options;
      run_options.data_dir = options.data_dir(run_config);
      run_options.out_dir = run_dir;
      run_options.progress = options.progress;
      run_options.command_line = options.command_line;
      run_options.stop = options.stop;
      run_options.executable = options.executable;
      absl::StatusOr<RunResult> run = Run(run_config, run_options);
      if (!run.ok()) {
        return absl::Status(run.status().code(),
                            absl::StrCat("run ", run_config.name(), ": ", run.status().message()));
      }
      run->set_target_accuracy(config.target_accuracy());
      if (std::optional<double> t = TimeToTarget(*run, config.target_accuracy())) {
        run->set_reached_target(true);
        run->set_time_to_target_s(*t);
      }
      DS_RETURN_IF_ERROR(
          report::WriteResultJson(*run, (std::filesystem::path(run_dir) / "result.json").string()));
      *result.add_runs() = std::move(*run);
      ++done;
    }
  }
  FillRows(entries, &result);
  for (std::string& finding : Findings(result)) result.add_findings(std::move(finding));
  result.set_wall_seconds(clock.Seconds());

  const std::filesystem::path dir(options.out_dir);
  DS_RETURN_IF_ERROR(report::WriteFileAtomic((dir / "compare.json").string(),
                                             report::MessageToJson(result)));
  DS_RETURN_IF_ERROR(
      report::WriteFileAtomic((dir / "compare.csv").string(), FormatCompareCsv(result)));
  DS_RETURN_IF_ERROR(report::WriteFileAtomic((dir / "report.html").string(),
                                             report::RenderCompareReport(result)));
  return result;
}

}  // namespace distsim::node

#include "sim/node/compare.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/message_differencer.h"
#include "sim/base/clock.h"
#include "sim/base/status.h"
#include "sim/node/factory.h"
#include "sim/node/run_plan.h"
#include "sim/node/provenance.h"
#include "sim/node/run.h"
#include "sim/report/compare_charts.h"
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
  if (b >= 1e5) return absl::StrFormat("%.0f kB", b / 1e3);
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
  const double gbps =
      net.bandwidth_gbps() > 0 ? net.bandwidth_gbps() : run.modelled().bandwidth_gbps();
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

// The config of `row`'s first run with what `clear` clears cleared (and its name and output
// folder): two rows whose keys are equal differ only in what was cleared.
std::optional<RunConfig> KeyOf(const CompareResult& result, const CompareRow& row,
                               const std::function<void(RunConfig*)>& clear) {
  const RunResult* run = FirstRun(result, row);
  if (run == nullptr) return std::nullopt;
  RunConfig key = run->config();
  key.clear_name();
  key.clear_output_dir();
  clear(&key);
  return key;
}

bool SameKey(const std::optional<RunConfig>& a, const std::optional<RunConfig>& b) {
  return a && b && google::protobuf::util::MessageDifferencer::Equals(*a, *b);
}

double BandwidthOf(const CompareResult& result, const CompareRow& row) {
  const RunResult* run = FirstRun(result, row);
  if (run == nullptr) return 0;
  const double configured = run->config().cluster().network().bandwidth_gbps();
  return configured > 0 ? configured : run->modelled().bandwidth_gbps();
}

std::string Ms(double ms) {
  return ms >= 100 ? absl::StrFormat("%.0f ms", ms)
                   : ms >= 10 ? absl::StrFormat("%.1f ms", ms) : absl::StrFormat("%.2f ms", ms);
}

std::string Rate(double per_second) {
  return per_second >= 100 ? absl::StrFormat("%.0f", per_second)
                           : absl::StrFormat("%.1f", per_second);
}

// The modelled clock of one group: the fastest run on the simulated cluster and, for runs that
// differ only in their network bandwidth, how each strategy's modelled step time grows as the
// bandwidth falls.
void ModelledFindings(const CompareResult& result, const std::vector<const CompareRow*>& rows,
                      const std::string& prefix, std::vector<std::string>* out) {
  std::vector<const CompareRow*> modelled;
  for (const CompareRow* r : rows) {
    if (r->modelled_samples_per_second().median() > 0) modelled.push_back(r);
  }
  if (modelled.size() >= 2) {
    auto by_speed = modelled;
    std::stable_sort(by_speed.begin(), by_speed.end(),
                     [](const CompareRow* a, const CompareRow* b) {
                       return a->modelled_samples_per_second().median() >
                              b->modelled_samples_per_second().median();
                     });
    const CompareRow& fast = *by_speed.front();
    const CompareRow& slow = *by_speed.back();
    const CompareRow* measured = nullptr;
    for (const CompareRow* r : modelled) {
      if (measured == nullptr ||
          r->samples_per_second().median() > measured->samples_per_second().median()) {
        measured = r;
      }
    }
    const double top = fast.modelled_samples_per_second().median();
    const double bottom = slow.modelled_samples_per_second().median();
    if (top < 1.05 * bottom) {
      out->push_back(absl::StrCat(prefix, "on the modelled cluster, the runs are within 5% of "
                                          "each other (",
                                  Rate(bottom), " to ", Rate(top), " samples/s)."));
    } else {
      // The wall clock here ranks another run first: worth saying when both clocks are clear
      // about it (10% on the modelled one, 5% on the wall clock), not for noise.
      const bool disagree =
          measured != &fast && measured->modelled_samples_per_second().median() < 0.9 * top &&
          measured->samples_per_second().median() > 1.05 * fast.samples_per_second().median();
      out->push_back(absl::StrCat(
          prefix, "on the modelled cluster, fastest ", fast.name(), " at ", Rate(top),
          " samples/s (", Ms(fast.modelled_step_ms()), " per step), ",
          absl::StrFormat("%.1fx", top / bottom), " the slowest (", slow.name(), ", ",
          Ms(slow.modelled_step_ms()), " per step)",
          disagree ? absl::StrCat("; on the wall clock here ", measured->name(), " was fastest")
                   : std::string(),
          "."));
    }
  }
  // Series of rows equal but for the bandwidth, in the order they first appear.
  std::vector<std::vector<const CompareRow*>> series;
  std::vector<std::optional<RunConfig>> keys;
  auto clear_bandwidth = [](RunConfig* c) {
    c->mutable_cluster()->mutable_network()->clear_bandwidth_gbps();
    c->mutable_cluster()->mutable_network()->clear_shape();
  };
  for (const CompareRow* r : modelled) {
    if (r->modelled_step_ms() <= 0 || BandwidthOf(result, *r) <= 0) continue;
    std::optional<RunConfig> key = KeyOf(result, *r, clear_bandwidth);
    if (!key) continue;
    size_t s = 0;
    while (s < keys.size() && !SameKey(keys[s], key)) ++s;
    if (s == keys.size()) {
      keys.push_back(key);
      series.emplace_back();
    }
    series[s].push_back(r);
  }
  // Only series over more than one bandwidth say anything.
  for (auto& s : series) {
    std::stable_sort(s.begin(), s.end(), [&](const CompareRow* a, const CompareRow* b) {
      return BandwidthOf(result, *a) > BandwidthOf(result, *b);
    });
  }
  series.erase(std::remove_if(series.begin(), series.end(),
                              [&](const std::vector<const CompareRow*>& s) {
                                return BandwidthOf(result, *s.front()) ==
                                       BandwidthOf(result, *s.back());
                              }),
               series.end());
  std::vector<std::string> parts;
  for (const auto& s : series) {
    std::vector<std::string> steps;
    for (const CompareRow* r : s) {
      steps.push_back(absl::StrCat(Ms(r->modelled_step_ms()), " at ",
                                   Short(BandwidthOf(result, *r)), " Gbit/s"));
    }
    std::string label = report::ShortStrategy(s.front()->strategy());
    int same_label = 0;
    for (const auto& t : series) {
      same_label += report::ShortStrategy(t.front()->strategy()) == label;
    }
    if (same_label > 1) absl::StrAppend(&label, " (", s.front()->name(), ")");
    const double growth = s.front()->modelled_step_ms() > 0
                              ? s.back()->modelled_step_ms() / s.front()->modelled_step_ms()
                              : 0;
    parts.push_back(absl::StrCat(label, ": ", absl::StrJoin(steps, " -> "),
                                 growth > 0 ? absl::StrFormat(" (%.1fx)", growth) : ""));
  }
  if (!parts.empty()) {
    out->push_back(absl::StrCat(prefix, "modelled step time as the bandwidth falls: ",
                                absl::StrJoin(parts, "; "), "."));
  }
}

// Rows with injected faults against the same run without them (anywhere in the comparison): how
// much of its modelled throughput each strategy keeps.
void FaultFindings(const CompareResult& result, std::vector<std::string>* out) {
  auto clear_faults = [](RunConfig* c) { c->mutable_cluster()->clear_faults(); };
  // Sentences by the faults' description, in order of first appearance.
  std::vector<std::pair<std::string, std::vector<std::string>>> by_fault;
  std::vector<std::string> groups;
  for (const CompareRow& faulty : result.rows()) {
    if (faulty.faults_size() == 0 || faulty.modelled_samples_per_second().median() <= 0) continue;
    const std::optional<RunConfig> key = KeyOf(result, faulty, clear_faults);
    const CompareRow* clean = nullptr;
    for (const CompareRow& r : result.rows()) {
      if (r.faults_size() == 0 && r.modelled_samples_per_second().median() > 0 &&
          SameKey(key, KeyOf(result, r, clear_faults))) {
        clean = &r;
        break;
      }
    }
    if (clean == nullptr) continue;
    const std::string fault = absl::StrJoin(faulty.faults(), "; ");
    auto it = std::find_if(by_fault.begin(), by_fault.end(),
                           [&](const auto& f) { return f.first == fault; });
    if (it == by_fault.end()) {
      by_fault.push_back({fault, {}});
      it = by_fault.end() - 1;
    }
    if (std::find(groups.begin(), groups.end(), faulty.group()) == groups.end()) {
      groups.push_back(faulty.group());
    }
    const double before = clean->modelled_samples_per_second().median();
    const double after = faulty.modelled_samples_per_second().median();
    std::string part = absl::StrCat(report::ShortStrategy(faulty.strategy()), " ",
                                    absl::StrFormat("%.0f%%", 100 * after / before), " (",
                                    faulty.name(), ": ", Rate(before), " -> ", Rate(after),
                                    " samples/s, ", Ms(clean->modelled_step_ms()), " -> ",
                                    Ms(faulty.modelled_step_ms()), " per step");
    if (faulty.staleness().mean() > 0 || clean->staleness().mean() > 0) {
      absl::StrAppendFormat(&part, ", staleness mean %.1f -> %.1f, max %d -> %d",
                            clean->staleness().mean(), faulty.staleness().mean(),
                            clean->staleness().max(), faulty.staleness().max());
    }
    it->second.push_back(absl::StrCat(part, ")"));
  }
  const std::string prefix =
      groups.size() == 1 && !groups[0].empty()
          ? absl::StrCat(groups[0].substr(0, groups[0].find(':')), ": ")
          : std::string();
  for (const auto& [fault, parts] : by_fault) {
    out->push_back(absl::StrCat(prefix, "with ", fault,
                                ", each strategy keeps this share of its modelled throughput "
                                "without it: ",
                                absl::StrJoin(parts, "; "), "."));
  }
}

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
    ModelledFindings(result, rows, prefix, &out);
  }
  FaultFindings(result, &out);
  return out;
}

std::string FormatCompareTable(const CompareResult& result) {
  const bool spread = result.config().repeats() > 1;
  // Columns some comparisons do not need are left out when no row would fill them.
  bool reached = false, stale = false, modelled = false, faults = false, lost = false;
  std::vector<std::string> distributions, networks, fault_texts;
  auto add_unique = [](std::vector<std::string>* v, const std::string& s) {
    if (std::find(v->begin(), v->end(), s) == v->end()) v->push_back(s);
  };
  for (const CompareRow& r : result.rows()) {
    reached |= r.reached_target() > 0;
    stale |= r.staleness().updates() > 0 && r.staleness().max() > 0;
    modelled |= r.modelled_seconds().median() > 0;
    lost |= r.workers_lost() > 0;
    add_unique(&distributions, r.distribution());
    if (!r.network().empty()) add_unique(&networks, r.network());
    if (r.faults_size() > 0) {
      faults = true;
      add_unique(&fault_texts, absl::StrJoin(r.faults(), "; "));
    }
  }
  // Bandwidths per row when the rows' networks differ.
  const bool network_column = networks.size() > 1;

  struct Column {
    std::string top, bottom;
    bool left = false;
    std::function<std::string(const CompareRow&)> cell;
  };
  std::vector<Column> columns;
  columns.push_back({"", "run", true, [](const CompareRow& r) { return r.name(); }});
  columns.push_back({"", "strategy", true,
                     [](const CompareRow& r) { return report::ShortStrategy(r.strategy()); }});
  columns.push_back(
      {"", "n", false, [](const CompareRow& r) { return absl::StrCat(r.workers()); }});
  if (distributions.size() > 1) {
    columns.push_back({"", "data", true, [](const CompareRow& r) -> std::string {
                         if (r.distribution() == "FULLY_REPLICATED") return "replicated";
                         if (r.distribution() == "SHARDED_BY_KEY") return "sharded";
                         if (r.distribution() == "GLOBAL_BATCH_SLICE") return "slice";
                         return r.distribution();
                       }});
  }
  columns.push_back({"test", "acc %", false, [spread](const CompareRow& r) {
                       std::string acc =
                           absl::StrFormat("%.2f", 100 * r.final_test_accuracy().median());
                       if (spread) {
                         absl::StrAppendFormat(&acc, " [%.2f-%.2f]",
                                               100 * r.final_test_accuracy().min(),
                                               100 * r.final_test_accuracy().max());
                       }
                       return acc;
                     }});
  if (reached) {
    columns.push_back(
        {"to", absl::StrFormat("%.0f%%", 100 * result.config().target_accuracy()), false,
         [spread](const CompareRow& r) {
           if (r.reached_target() == 0) return std::string("-");
           std::string out = absl::StrFormat("%.1f s", r.time_to_target_s().median());
           if (spread && r.reached_target() < static_cast<uint32_t>(r.run_names_size())) {
             absl::StrAppendFormat(&out, " (%d of %d)", r.reached_target(), r.run_names_size());
           }
           return out;
         }});
  }
  columns.push_back({"", "samples/s", false, [spread](const CompareRow& r) {
                       std::string sps = absl::StrFormat("%.0f", r.samples_per_second().median());
                       if (spread) {
                         absl::StrAppendFormat(&sps, " [%.0f-%.0f]", r.samples_per_second().min(),
                                               r.samples_per_second().max());
                       }
                       return sps;
                     }});
  // Scaling efficiency on the wall clock here mostly measures how the processes share this
  // machine's cores; with a modelled clock, the table shows the modelled one instead (the
  // measured one stays in compare.csv and report.html).
  if (!modelled) {
    columns.push_back({"", "eff", false, [](const CompareRow& r) {
                         return absl::StrFormat("%.2f", r.scaling_efficiency());
                       }});
  }
  columns.push_back({"comp/comm", "/wait %", false, [](const CompareRow& r) {
                       const TimeSplit& t = r.time_split();
                       return absl::StrCat(Percent(t.compute() + t.data() + t.update()), "/",
                                           Percent(t.communication()), "/", Percent(t.waiting()));
                     }});
  columns.push_back({"bytes/", "step", false, [](const CompareRow& r) {
                       return r.bytes_per_worker_step() > 0 ? HumanBytes(r.bytes_per_worker_step())
                                                            : std::string("-");
                     }});
  if (stale) {
    columns.push_back({"stale", "avg/max", false, [](const CompareRow& r) {
                         return r.staleness().updates() > 0 && r.staleness().max() > 0
                                    ? absl::StrFormat("%.1f/%d", r.staleness().mean(),
                                                      r.staleness().max())
                                    : std::string("-");
                       }});
  }
  if (modelled) {
    auto has = [](const CompareRow& r) { return r.modelled_seconds().median() > 0; };
    columns.push_back({"model", "s", false, [has, spread](const CompareRow& r) {
                         if (!has(r)) return std::string("-");
                         const Stat& s = r.modelled_seconds();
                         std::string out = absl::StrFormat(s.median() >= 100 ? "%.0f" : "%.2f",
                                                           s.median());
                         if (spread && s.min() != s.max()) {
                           absl::StrAppendFormat(&out, " [%.2f-%.2f]", s.min(), s.max());
                         }
                         return out;
                       }});
    columns.push_back({"model", "samples/s", false, [has, spread](const CompareRow& r) {
                         if (!has(r)) return std::string("-");
                         const Stat& s = r.modelled_samples_per_second();
                         std::string out = absl::StrFormat("%.0f", s.median());
                         if (spread && s.min() != s.max()) {
                           absl::StrAppendFormat(&out, " [%.0f-%.0f]", s.min(), s.max());
                         }
                         return out;
                       }});
    columns.push_back({"model", "ms/step", false, [has](const CompareRow& r) {
                         if (!has(r) || r.modelled_step_ms() <= 0) return std::string("-");
                         const double ms = r.modelled_step_ms();
                         return absl::StrFormat(ms >= 100 ? "%.0f" : ms >= 10 ? "%.1f" : "%.2f",
                                                ms);
                       }});
    columns.push_back({"model", "eff", false, [](const CompareRow& r) {
                         return r.modelled_scaling_efficiency() > 0
                                    ? absl::StrFormat("%.2f", r.modelled_scaling_efficiency())
                                    : std::string("-");
                       }});
  }
  if (network_column) {
    columns.push_back({"net", "Gbit/s", false, [](const CompareRow& r) {
                         return r.network().empty() ? std::string("-")
                                                    : r.network().substr(0, r.network().find(' '));
                       }});
  }
  if (faults || lost) {
    columns.push_back({"", "fault", true, [fault_texts](const CompareRow& r) {
                         std::string out = "-";
                         if (r.faults_size() > 0) {
                           const auto it = std::find(fault_texts.begin(), fault_texts.end(),
                                                     absl::StrJoin(r.faults(), "; "));
                           out =
                               std::string(1, static_cast<char>('a' + (it - fault_texts.begin())));
                         }
                         if (r.workers_lost() > 0) {
                           absl::StrAppend(&out, " lost ", r.workers_lost());
                         }
                         return out;
                       }});
  }

  std::vector<std::vector<std::string>> cells(2);
  for (const Column& c : columns) {
    cells[0].push_back(c.top);
    cells[1].push_back(c.bottom);
  }
  for (const CompareRow& r : result.rows()) {
    cells.emplace_back();
    for (const Column& c : columns) cells.back().push_back(c.cell(r));
  }
  std::vector<size_t> width(columns.size(), 0);
  for (const auto& row : cells) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  const bool two_line_header =
      std::any_of(columns.begin(), columns.end(), [](const Column& c) { return !c.top.empty(); });
  std::string out;
  std::string group;
  for (size_t i = two_line_header ? 0 : 1; i < cells.size(); ++i) {
    if (i > 1 && result.rows(static_cast<int>(i - 2)).group() != group) {
      group = result.rows(static_cast<int>(i - 2)).group();
      if (!group.empty()) absl::StrAppend(&out, "-- ", group, "\n");
    }
    std::string line;
    for (size_t c = 0; c < cells[i].size(); ++c) {
      absl::StrAppend(&line, c ? "  " : "",
                      columns[c].left ? absl::StrFormat("%-*s", width[c], cells[i][c])
                                      : absl::StrFormat("%*s", width[c], cells[i][c]));
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    absl::StrAppend(&out, line, "\n");
  }
  std::vector<std::string> baselines;
  for (const CompareRow& r : result.rows()) add_unique(&baselines, r.baseline());
  absl::StrAppendFormat(&out,
                        "%s: %s scaling efficiency against %s%s; test acc: median%s\n"
                        "comp/comm/wait: shares of the step time here, comp with data and update; "
                        "bytes: sent + received per worker\n",
                        modelled ? "model eff" : "eff",
                        CompareConfig::Scaling_Name(result.config().scaling()),
                        baselines.size() > 1 ? "each run's baseline: " : "",
                        absl::StrJoin(baselines, ", "), spread ? " [min-max] over repeats" : "");
  if (!reached && !result.rows().empty()) {
    absl::StrAppendFormat(&out, "no run reached the target test accuracy (%.0f%%)\n",
                          100 * result.config().target_accuracy());
  } else if (reached) {
    absl::StrAppendFormat(&out, "to %.0f%%: wall seconds to the target test accuracy, - not "
                                "reached\n",
                          100 * result.config().target_accuracy());
  }
  if (modelled) {
    // What the modelled cluster was: the instance and clock of the first modelled run.
    std::string cluster;
    for (const RunResult& run : result.runs()) {
      if (run.modelled().seconds() <= 0) continue;
      const ModelledClock& m = run.modelled();
      cluster = absl::StrCat(m.instance_type().empty() ? "this machine's CPU" : m.instance_type(),
                             ", ", m.clock_mode(), " clock");
      break;
    }
    absl::StrAppend(&out, "model: on the simulated cluster (", cluster,
                    "); measured eff: compare.csv, report.html\n");
  }
  if (networks.size() == 1) {
    absl::StrAppend(&out, "network: ", networks[0], "\n");
  } else if (networks.size() > 1) {
    absl::StrAppend(&out, "networks: ", absl::StrJoin(networks, "; "), "\n");
  }
  for (size_t i = 0; i < fault_texts.size(); ++i) {
    absl::StrAppend(&out, "faults ", std::string(1, static_cast<char>('a' + i)), ": ",
                    fault_texts[i], "\n");
  }
  return out;
}

std::string FormatCompareCsv(const CompareResult& result) {
  std::string out =
      "run,group,strategy,workers,distribution,repeats,samples,test_accuracy_median,"
      "test_accuracy_min,test_accuracy_max,time_to_target_s_median,reached_target,"
      "samples_per_second_median,wall_seconds_median,scaling_efficiency,data_share,"
      "compute_share,communication_share,waiting_share,update_share,bytes_per_worker_step,"
      "staleness_mean,staleness_max,modelled_seconds_median,modelled_seconds_min,"
      "modelled_seconds_max,modelled_samples_per_second_median,modelled_samples_per_second_min,"
      "modelled_samples_per_second_max,modelled_step_ms,modelled_scaling_efficiency,network,"
      "faults,workers_lost\n";
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
                       absl::StrCat(r.staleness().max()),
                       absl::StrFormat("%.4f", r.modelled_seconds().median()),
                       absl::StrFormat("%.4f", r.modelled_seconds().min()),
                       absl::StrFormat("%.4f", r.modelled_seconds().max()),
                       absl::StrFormat("%.1f", r.modelled_samples_per_second().median()),
                       absl::StrFormat("%.1f", r.modelled_samples_per_second().min()),
                       absl::StrFormat("%.1f", r.modelled_samples_per_second().max()),
                       absl::StrFormat("%.4f", r.modelled_step_ms()),
                       absl::StrFormat("%.4f", r.modelled_scaling_efficiency()),
                       CsvField(r.network()), CsvField(absl::StrJoin(r.faults(), "; ")),
                       absl::StrCat(r.workers_lost())},
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
      RunOptions common;
      common.progress = options.progress;
      common.command_line = options.command_line;
      common.stop = options.stop;
      common.executable = options.executable;
      absl::StatusOr<RunResult> run =
          RunInto(run_config, options.out_dir, options.data_dir(run_config), common);
      if (!run.ok()) return run.status();
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

#include "sim/report/compare_table.h"

#include <algorithm>
#include <functional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/report/strategy_names.h"

namespace distsim::report {
namespace {

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

void AddUnique(std::vector<std::string>* v, const std::string& s) {
  if (std::find(v->begin(), v->end(), s) == v->end()) v->push_back(s);
}

// What the rows hold, which decides the columns and the footnotes.
struct TableFacts {
  bool spread = false;  // repeats: medians get [min-max]
  bool reached = false, stale = false, modelled = false, faults = false, lost = false;
  std::vector<std::string> distributions, networks, fault_texts, baselines;
};

TableFacts TableFactsOf(const CompareResult& result) {
  TableFacts f;
  f.spread = result.config().repeats() > 1;
  for (const CompareRow& r : result.rows()) {
    f.reached |= r.reached_target() > 0;
    f.stale |= r.staleness().updates() > 0 && r.staleness().max() > 0;
    f.modelled |= r.modelled_seconds().median() > 0;
    f.lost |= r.workers_lost() > 0;
    AddUnique(&f.distributions, r.distribution());
    if (!r.network().empty()) AddUnique(&f.networks, r.network());
    if (r.faults_size() > 0) {
      f.faults = true;
      AddUnique(&f.fault_texts, absl::StrJoin(r.faults(), "; "));
    }
  }
  for (const CompareRow& r : result.rows()) AddUnique(&f.baselines, r.baseline());
  return f;
}

struct Column {
  std::string top, bottom;
  bool left = false;
  std::function<std::string(const CompareRow&)> cell;
};
using Columns = std::vector<Column>;

// What ran: the run's name, strategy, worker count and (when the rows differ in it) data.
void AddRunColumns(const TableFacts& f, Columns* columns) {
  columns->push_back({"", "run", true, [](const CompareRow& r) { return r.name(); }});
  columns->push_back(
      {"", "strategy", true, [](const CompareRow& r) { return ShortStrategy(r.strategy()); }});
  columns->push_back(
      {"", "n", false, [](const CompareRow& r) { return absl::StrCat(r.workers()); }});
  if (f.distributions.size() > 1) {
    columns->push_back({"", "data", true, [](const CompareRow& r) -> std::string {
                          if (r.distribution() == "FULLY_REPLICATED") return "replicated";
                          if (r.distribution() == "SHARDED_BY_KEY") return "sharded";
                          if (r.distribution() == "GLOBAL_BATCH_SLICE") return "slice";
                          return r.distribution();
                        }});
  }
}

// How well it learned: the test accuracy and (when a row reached it) the time to the target.
void AddAccuracyColumns(const CompareResult& result, const TableFacts& f, Columns* columns) {
  const bool spread = f.spread;
  columns->push_back(
      {"test", "acc %", false, [spread](const CompareRow& r) {
         std::string acc = absl::StrFormat("%.2f", 100 * r.final_test_accuracy().median());
         if (spread) {
           absl::StrAppendFormat(&acc, " [%.2f-%.2f]", 100 * r.final_test_accuracy().min(),
                                 100 * r.final_test_accuracy().max());
         }
         return acc;
       }});
  if (!f.reached) return;
  columns->push_back(
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

// How fast it ran here: samples/s, the measured efficiency (only without a modelled clock), the
// shares of the step, the bytes per step and the staleness.
void AddMeasuredColumns(const TableFacts& f, Columns* columns) {
  const bool spread = f.spread;
  columns->push_back({"", "samples/s", false, [spread](const CompareRow& r) {
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
  if (!f.modelled) {
    columns->push_back({"", "eff", false, [](const CompareRow& r) {
                          return absl::StrFormat("%.2f", r.scaling_efficiency());
                        }});
  }
  columns->push_back({"comp/comm", "/wait %", false, [](const CompareRow& r) {
                        const TimeSplit& t = r.time_split();
                        return absl::StrCat(Percent(t.compute() + t.data() + t.update()), "/",
                                            Percent(t.communication()), "/", Percent(t.waiting()));
                      }});
  columns->push_back({"bytes/", "step", false, [](const CompareRow& r) {
                        return r.bytes_per_worker_step() > 0 ? HumanBytes(r.bytes_per_worker_step())
                                                             : std::string("-");
                      }});
  if (!f.stale) return;
  columns->push_back({"stale", "avg/max", false, [](const CompareRow& r) {
                        return r.staleness().updates() > 0 && r.staleness().max() > 0
                                   ? absl::StrFormat("%.1f/%d", r.staleness().mean(),
                                                     r.staleness().max())
                                   : std::string("-");
                      }});
}

// The modelled clock on the simulated cluster: seconds, samples/s, ms per step, efficiency.
void AddModelledColumns(const TableFacts& f, Columns* columns) {
  if (!f.modelled) return;
  const bool spread = f.spread;
  auto has = [](const CompareRow& r) { return r.modelled_seconds().median() > 0; };
  columns->push_back({"model", "s", false, [has, spread](const CompareRow& r) {
                        if (!has(r)) return std::string("-");
                        const Stat& s = r.modelled_seconds();
                        std::string out =
                            absl::StrFormat(s.median() >= 100 ? "%.0f" : "%.2f", s.median());
                        if (spread && s.min() != s.max()) {
                          absl::StrAppendFormat(&out, " [%.2f-%.2f]", s.min(), s.max());
                        }
                        return out;
                      }});
  columns->push_back({"model", "samples/s", false, [has, spread](const CompareRow& r) {
                        if (!has(r)) return std::string("-");
                        const Stat& s = r.modelled_samples_per_second();
                        std::string out = absl::StrFormat("%.0f", s.median());
                        if (spread && s.min() != s.max()) {
                          absl::StrAppendFormat(&out, " [%.0f-%.0f]", s.min(), s.max());
                        }
                        return out;
                      }});
  columns->push_back({"model", "ms/step", false, [has](const CompareRow& r) {
                        if (!has(r) || r.modelled_step_ms() <= 0) return std::string("-");
                        const double ms = r.modelled_step_ms();
                        return absl::StrFormat(ms >= 100 ? "%.0f" : ms >= 10 ? "%.1f" : "%.2f", ms);
                      }});
  columns->push_back({"model", "eff", false, [](const CompareRow& r) {
                        return r.modelled_scaling_efficiency() > 0
                                   ? absl::StrFormat("%.2f", r.modelled_scaling_efficiency())
                                   : std::string("-");
                      }});
}

// The conditions: the bandwidth when the rows' networks differ, the fault letter and lost
// workers when any row has them.
void AddConditionColumns(const TableFacts& f, Columns* columns) {
  if (f.networks.size() > 1) {
    columns->push_back({"net", "Gbit/s", false, [](const CompareRow& r) {
                          return r.network().empty() ? std::string("-")
                                                     : r.network().substr(0, r.network().find(' '));
                        }});
  }
  if (!f.faults && !f.lost) return;
  const std::vector<std::string> fault_texts = f.fault_texts;
  columns->push_back({"", "fault", true, [fault_texts](const CompareRow& r) {
                        std::string out = "-";
                        if (r.faults_size() > 0) {
                          const auto it = std::find(fault_texts.begin(), fault_texts.end(),
                                                    absl::StrJoin(r.faults(), "; "));
                          out = std::string(1, static_cast<char>('a' + (it - fault_texts.begin())));
                        }
                        if (r.workers_lost() > 0) {
                          absl::StrAppend(&out, " lost ", r.workers_lost());
                        }
                        return out;
                      }});
}

// The header lines and one line per row, each column padded to its widest cell (left- or
// right-aligned), with a "-- group" line where the group changes.
std::string LayOut(const CompareResult& result, const Columns& columns) {
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
  return out;
}

// What the efficiency is against, what the step shares and bytes mean, and the target.
std::string MeasureFootnotes(const CompareResult& result, const TableFacts& f) {
  std::string out;
  absl::StrAppendFormat(
      &out,
      "%s: %s scaling efficiency against %s%s; test acc: median%s\n"
      "comp/comm/wait: shares of the step time here, comp with data and update; "
      "bytes: sent + received per worker\n",
      f.modelled ? "model eff" : "eff", CompareConfig::Scaling_Name(result.config().scaling()),
      f.baselines.size() > 1 ? "each run's baseline: " : "", absl::StrJoin(f.baselines, ", "),
      f.spread ? " [min-max] over repeats" : "");
  if (!f.reached && !result.rows().empty()) {
    absl::StrAppendFormat(&out, "no run reached the target test accuracy (%.0f%%)\n",
                          100 * result.config().target_accuracy());
  } else if (f.reached) {
    absl::StrAppendFormat(&out,
                          "to %.0f%%: wall seconds to the target test accuracy, - not "
                          "reached\n",
                          100 * result.config().target_accuracy());
  }
  return out;
}

// The modelled cluster (instance and clock of the first modelled run), the networks, the faults.
std::string ClusterFootnotes(const CompareResult& result, const TableFacts& f) {
  std::string out;
  if (f.modelled) {
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
  if (f.networks.size() == 1) {
    absl::StrAppend(&out, "network: ", f.networks[0], "\n");
  } else if (f.networks.size() > 1) {
    absl::StrAppend(&out, "networks: ", absl::StrJoin(f.networks, "; "), "\n");
  }
  for (size_t i = 0; i < f.fault_texts.size(); ++i) {
    absl::StrAppend(&out, "faults ", std::string(1, static_cast<char>('a' + i)), ": ",
                    f.fault_texts[i], "\n");
  }
  return out;
}

// One line of compare.csv, in the header's order.
std::string CsvLine(const CompareRow& r) {
  const TimeSplit& t = r.time_split();
  return absl::StrJoin(
      {CsvField(r.name()),
       CsvField(r.group()),
       CsvField(r.strategy()),
       absl::StrCat(r.workers()),
       r.distribution(),
       absl::StrCat(r.run_names_size()),
       absl::StrCat(r.samples()),
       absl::StrFormat("%.6f", r.final_test_accuracy().median()),
       absl::StrFormat("%.6f", r.final_test_accuracy().min()),
       absl::StrFormat("%.6f", r.final_test_accuracy().max()),
       r.reached_target() ? absl::StrFormat("%.3f", r.time_to_target_s().median()) : std::string(),
       absl::StrCat(r.reached_target()),
       absl::StrFormat("%.1f", r.samples_per_second().median()),
       absl::StrFormat("%.3f", r.wall_seconds().median()),
       absl::StrFormat("%.4f", r.scaling_efficiency()),
       absl::StrFormat("%.4f", t.data()),
       absl::StrFormat("%.4f", t.compute()),
       absl::StrFormat("%.4f", t.communication()),
       absl::StrFormat("%.4f", t.waiting()),
       absl::StrFormat("%.4f", t.update()),
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
       CsvField(r.network()),
       CsvField(absl::StrJoin(r.faults(), "; ")),
       absl::StrCat(r.workers_lost())},
      ",");
}

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

std::string FormatCompareTable(const CompareResult& result) {
  const TableFacts facts = TableFactsOf(result);
  Columns columns;
  AddRunColumns(facts, &columns);
  AddAccuracyColumns(result, facts, &columns);
  AddMeasuredColumns(facts, &columns);
  AddModelledColumns(facts, &columns);
  AddConditionColumns(facts, &columns);
  return absl::StrCat(LayOut(result, columns), MeasureFootnotes(result, facts),
                      ClusterFootnotes(result, facts));
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
  for (const CompareRow& r : result.rows()) absl::StrAppend(&out, CsvLine(r), "\n");
  return out;
}

}  // namespace distsim::report

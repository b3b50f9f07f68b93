#include "sim/report/compare_table.h"

#include <algorithm>
#include <functional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sim/report/claims.h"
#include "sim/report/row_facts.h"
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

// "%g" without an exponent for the usual figures: 0.1, 25, 1000.

void AddUnique(std::vector<std::string>* v, const std::string& s) {
  if (std::find(v->begin(), v->end(), s) == v->end()) v->push_back(s);
}

// The widest the terminal table tries to be.
constexpr size_t kTableColumns = 160;

// What the rows hold, which decides the columns and the footnotes.
struct TableFacts {
  bool spread = false;  // repeats: medians get [min-max]
  bool reached = false, stale = false, modelled = false, faults = false, lost = false;
  bool best = false, job = false, cost = false;
  // How much is left out to fit kTableColumns: 0 nothing; 1 the [min-max] of every column but
  // the accuracy; 2 also the modelled samples/s (the modelled job and step stay).
  int compact = 0;
  std::vector<std::string> lengths;
  std::vector<std::string> distributions, networks, fault_texts, baselines;
};

TableFacts TableFactsOf(const CompareResult& result) {
  TableFacts f;
  f.spread = result.config().repeats() > 1;
  for (const CompareRow& r : result.rows()) {
    f.spread |= r.run_names_size() > 1;
    f.reached |= r.reached_target() > 0;
    f.stale |= r.staleness().updates() > 0 && r.staleness().max() > 0;
    f.modelled |= r.modelled_seconds().median() > 0;
    f.lost |= r.workers_lost() > 0;
    f.best |= BestAboveFinal(r);
    f.job |= r.modelled_job_seconds().median() > 0;
    f.cost |= r.modelled_cost_usd().median() > 0;
    AddUnique(&f.lengths, RunLengthText(result, r));
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
void AddRunColumns(const CompareResult& result, const TableFacts& f, Columns* columns) {
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
  if (f.lengths.size() > 1 || (f.lengths.size() == 1 && !f.lengths[0].empty())) {
    columns->push_back(
        {"", "length", true, [&result](const CompareRow& r) { return RunLengthText(result, r); }});
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
  if (f.best) {
    columns->push_back(
        {"best", "acc %", false, [](const CompareRow& r) {
           return BestAboveFinal(r) ? absl::StrFormat("%.2f", 100 * r.best_test_accuracy().median())
                                    : std::string();
         }});
  }
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
  const bool spread = f.spread && f.compact == 0;
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
  const bool spread = f.spread && f.compact == 0;
  auto has = [](const CompareRow& r) { return r.modelled_seconds().median() > 0; };
  columns->push_back({"model", "train s", false, [has, spread](const CompareRow& r) {
                        if (!has(r)) return std::string("-");
                        const Stat& s = r.modelled_seconds();
                        std::string out =
                            absl::StrFormat(s.median() >= 100 ? "%.0f" : "%.2f", s.median());
                        if (spread && s.min() != s.max()) {
                          absl::StrAppendFormat(&out, " [%.2f-%.2f]", s.min(), s.max());
                        }
                        return out;
                      }});
  if (f.compact < 2 || !f.job) {
    columns->push_back({"model", "samples/s", false, [has, spread](const CompareRow& r) {
                          if (!has(r)) return std::string("-");
                          const Stat& s = r.modelled_samples_per_second();
                          std::string out = absl::StrFormat("%.0f", s.median());
                          if (spread && s.min() != s.max()) {
                            absl::StrAppendFormat(&out, " [%.0f-%.0f]", s.min(), s.max());
                          }
                          return out;
                        }});
  }
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

// The modelled job: download + training + upload seconds, and its bill in USD (the idle hosts'
// share is a footnote).
void AddJobColumns(const TableFacts& f, Columns* columns) {
  if (!f.job) return;
  const bool spread = f.spread && f.compact == 0;
  columns->push_back(
      {"model", "job s", false, [spread](const CompareRow& r) {
         const Stat& s = r.modelled_job_seconds();
         if (s.median() <= 0) return std::string("-");
         std::string out = absl::StrFormat(s.median() >= 100 ? "%.0f" : "%.1f", s.median());
         if (spread && s.min() != s.max()) {
           absl::StrAppendFormat(&out, s.max() >= 100 ? " [%.0f-%.0f]" : " [%.1f-%.1f]", s.min(),
                                 s.max());
         }
         return out;
       }});
  if (!f.cost) return;
  columns->push_back({"model", "cost $", false, [](const CompareRow& r) {
                        const double usd = r.modelled_cost_usd().median();
                        if (usd <= 0) return std::string("-");
                        const char* format = usd >= 1 ? "%.2f" : usd >= 0.01 ? "%.3f" : "%.4f";
                        return absl::StrFormat(format, usd);
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
  if (f.best) {
    absl::StrAppend(&out,
                    "best acc: the best evaluation's, where it is 0.5 points or more above "
                    "the final one\n");
  }
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
    if (f.job) {
      absl::StrAppend(&out, "train s: first step to last; job s: download + training + upload",
                      f.cost ? "; cost: every host for the whole job, on-demand price" : "", "\n");
    }
    absl::StrAppend(&out, IdleHostsText(result));
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

}  // namespace

std::string FormatCompareTable(const CompareResult& result) {
  TableFacts facts = TableFactsOf(result);
  std::string table;
  // The fullest table that fits kTableColumns, else the most compact.
  for (facts.compact = 0;; ++facts.compact) {
    Columns columns;
    AddRunColumns(result, facts, &columns);
    AddAccuracyColumns(result, facts, &columns);
    AddMeasuredColumns(facts, &columns);
    AddModelledColumns(facts, &columns);
    AddJobColumns(facts, &columns);
    AddConditionColumns(facts, &columns);
    table = LayOut(result, columns);
    size_t widest = 0;
    for (absl::string_view line : absl::StrSplit(table, '\n'))
      widest = std::max(widest, line.size());
    if (widest <= kTableColumns || facts.compact == 2) break;
  }
  return absl::StrCat(table, MeasureFootnotes(result, facts), ClusterFootnotes(result, facts),
                      FormatClaims(result));
}

}  // namespace distsim::report

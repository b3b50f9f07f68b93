#include "sim/report/report_table.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "sim/report/row_facts.h"
#include "sim/report/strategy_names.h"
#include "sim/report/svg_chart.h"

namespace distsim::report {
namespace {

std::string Number(double v, int decimals) { return absl::StrFormat("%.*f", decimals, v); }

// The median, and below it the range over the repeats when there are several: "93.15%" and
// "92.86–93.44%". `f` prints a number, `unit` follows it.
std::string Stat3(const Stat& stat, int repeats, const std::function<std::string(double)>& f,
                  const std::string& unit, const std::string& extra_class = "") {
  std::string out =
      absl::StrCat("<span class=\"value", extra_class, "\">", f(stat.median()), unit, "</span>");
  if (repeats > 1 && stat.min() != stat.max()) {
    absl::StrAppend(&out, "<span class=\"spread\">", f(stat.min()), "–", f(stat.max()), unit,
                    "</span>");
  }
  return out;
}

std::string Percent2(double v) { return Number(100 * v, 2); }

std::string Seconds(double v) { return Number(v, v >= 100 ? 0 : 1); }

constexpr const char* kColumns[] = {"run",
                                    "strategy, network",
                                    "workers",
                                    "data",
                                    "samples, length",
                                    "final test accuracy",
                                    "best test accuracy",
                                    "time to target",
                                    "samples/s",
                                    "scaling efficiency here / modelled",
                                    "compute / comm. / wait %",
                                    "bytes / worker / step",
                                    "staleness mean / max",
                                    "modelled training, step",
                                    "modelled job, download",
                                    "modelled cost"};

// Below the strategy: the network, the faults and the workers lost.
std::string Conditions(const CompareRow& row) {
  std::string out;
  if (!row.network().empty()) {
    absl::StrAppend(&out, "<div class=\"desc network\">", EscapeHtml(row.network()), "</div>");
  }
  for (const std::string& fault : row.faults()) {
    absl::StrAppend(&out, "<div class=\"desc fault\">", EscapeHtml(fault), "</div>");
  }
  if (row.workers_lost() > 0) {
    absl::StrAppendFormat(&out, "<div class=\"missed\">%d worker%s lost</div>", row.workers_lost(),
                          row.workers_lost() == 1 ? "" : "s");
  }
  return out;
}

// The cells of what ran: name (and description), strategy, workers, data, samples and length.
std::string RunCells(const CompareFacts& ctx, const CompareRow& row) {
  std::string out = absl::StrFormat("<td class=\"name\">%s", EscapeHtml(row.name()));
  if (!row.description().empty()) {
    absl::StrAppend(&out, "<div class=\"desc\">", EscapeHtml(row.description()), "</div>");
  }
  absl::StrAppendFormat(&out, "</td><td class=\"text\" title=\"%s\">%s%s</td>",
                        EscapeHtml(row.strategy()), EscapeHtml(ShortStrategy(row.strategy())),
                        Conditions(row));
  std::string data = absl::StrReplaceAll(row.distribution(), {{"_", " "}});
  for (char& c : data) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (row.distribution() == "GLOBAL_BATCH_SLICE") data = "batch slice";
  if (row.distribution() == "FULLY_REPLICATED") data = "replicated";
  if (row.distribution() == "SHARDED_BY_KEY") data = "sharded";
  const std::string length = RunLengthText(*ctx.result, row);
  absl::StrAppend(&out, "<td>", row.workers(), "</td><td class=\"text\" title=\"",
                  EscapeHtml(row.distribution()), "\">", EscapeHtml(data), "</td><td>",
                  FormatGrouped(static_cast<double>(row.samples())),
                  length.empty() ? "" : "<span class=\"spread length\">", EscapeHtml(length),
                  length.empty() ? "" : "</span>", "</td>");
  return out;
}

// Final and best test accuracy, and the time to the target.
std::string AccuracyCells(const CompareRow& row, int repeats) {
  std::string out = absl::StrCat("<td class=\"accuracy\">",
                                 Stat3(row.final_test_accuracy(), repeats, Percent2, "%"), "</td>");
  absl::StrAppend(&out, "<td class=\"best\">",
                  row.best_test_accuracy().median() > 0
                      ? Stat3(row.best_test_accuracy(), repeats, Percent2, "%",
                              BestAboveFinal(row) ? " best-gap" : "")
                      : std::string("–"),
                  "</td>");
  std::string tta = "<span class=\"missed\">not reached</span>";
  if (row.reached_target() > 0) {
    const int decimals = row.time_to_target_s().max() >= 100 ? 0 : 1;
    tta = Stat3(
        row.time_to_target_s(), row.reached_target(),
        [decimals](double v) { return Number(v, decimals); }, " s");
    if (static_cast<int>(row.reached_target()) < repeats) {
      absl::StrAppendFormat(&tta, " <span class=\"spread\">%d of %d reached</span>",
                            row.reached_target(), repeats);
    }
  }
  absl::StrAppend(&out, "<td>", tta, "</td>");
  return out;
}

// The cells of the wall clock here: samples/s, efficiency here and modelled, the step's shares,
// bytes, staleness.
std::string MeasuredCells(const CompareRow& row, int repeats) {
  auto percent = [](double v) { return v > 0 ? FormatPercent(v, 0) : std::string("–"); };
  std::string out = absl::StrCat("<td>", Stat3(row.samples_per_second(), repeats, FormatRate, ""),
                                 "</td><td>", percent(row.scaling_efficiency()), " / ",
                                 percent(row.modelled_scaling_efficiency()), "</td>");
  const TimeSplit& split = row.time_split();
  absl::StrAppendFormat(&out, "<td class=\"split\">%.0f / %.0f / %.0f</td>", 100 * split.compute(),
                        100 * split.communication(), 100 * split.waiting());
  absl::StrAppend(&out, "<td>", FormatBytes(row.bytes_per_worker_step()), "</td><td>");
  if (row.staleness().updates() > 0) {
    absl::StrAppendFormat(&out, "%.2f / %d", row.staleness().mean(), row.staleness().max());
  } else {
    absl::StrAppend(&out, "–");
  }
  absl::StrAppend(&out, "</td>");
  return out;
}

// The modelled training time, its step time below.
std::string ModelledCell(const CompareRow& row, int repeats) {
  if (row.modelled_seconds().median() <= 0) return "<td class=\"modelled\">–</td>";
  const double ms = row.modelled_step_ms();
  return absl::StrCat("<td class=\"modelled\">",
                      Stat3(
                          row.modelled_seconds(), repeats,
                          [](double v) { return Number(v, v >= 100 ? 0 : 2); }, " s"),
                      ms > 0 ? absl::StrCat("<span class=\"spread\">",
                                            Number(ms, ms >= 100  ? 0
                                                       : ms >= 10 ? 1
                                                                  : 2),
                                            " ms/step</span>")
                             : "",
                      "</td>");
}

// The modelled job (its download below) and, in `cost_column`, its cost (the idle hosts' share
// below).
std::string JobCells(const CompareRow& row, int repeats, bool cost_column) {
  if (row.modelled_job_seconds().median() <= 0) {
    return cost_column ? "<td class=\"job\">–</td><td>–</td>" : "<td class=\"job\">–</td>";
  }
  std::string out =
      absl::StrCat("<td class=\"job\">", Stat3(row.modelled_job_seconds(), repeats, Seconds, " s"));
  if (row.modelled_download_seconds().median() > 0) {
    absl::StrAppend(&out, "<span class=\"spread\">",
                    Seconds(row.modelled_download_seconds().median()), " s download</span>");
  }
  absl::StrAppend(&out, "</td>");
  if (!cost_column) return out;
  absl::StrAppend(&out, "<td class=\"cost\">");
  const double usd = row.modelled_cost_usd().median();
  if (usd <= 0) return absl::StrCat(out, "–</td>");
  const int decimals = usd >= 1 ? 2 : usd >= 0.01 ? 3 : 4;
  absl::StrAppend(&out, "$", Number(usd, decimals));
  if (IdleWorthSaying(row)) {
    absl::StrAppend(&out, "<span class=\"spread missed\">$",
                    Number(row.modelled_idle_cost_usd().median(), decimals), " idle</span>");
  }
  return absl::StrCat(out, "</td>");
}

}  // namespace

std::string RenderRowsTable(const CompareFacts& ctx, const GroupView& view) {
  std::string out = absl::StrFormat(
      "<div class=\"table-wrap\"><table class=\"results\" data-group=\"%s\">\n<thead><tr>",
      EscapeHtml(view.group));
  // The cost only where a row has one (an instance with a price).
  const bool cost = std::any_of(view.rows.begin(), view.rows.end(), [](const CompareRow* row) {
    return row->modelled_cost_usd().median() > 0;
  });
  for (const char* column : kColumns) {
    std::string title = column;
    if (title == "modelled cost" && !cost) continue;
    if (title == "time to target") title = absl::StrCat("time to ", FormatPercent(ctx.target, 1));
    absl::StrAppend(&out, "<th>", EscapeHtml(title), "</th>");
  }
  absl::StrAppend(&out, "</tr></thead>\n<tbody>");
  for (const CompareRow* row : view.rows) {
    const int repeats = std::max(1, row->run_names_size());
    absl::StrAppend(&out, "<tr class=\"row\" data-row=\"", EscapeHtml(row->name()), "\">",
                    RunCells(ctx, *row), AccuracyCells(*row, repeats), MeasuredCells(*row, repeats),
                    ModelledCell(*row, repeats), JobCells(*row, repeats, cost), "</tr>\n");
  }
  absl::StrAppend(&out, "</tbody></table></div>\n");
  return out;
}

std::string TableNoteHtml() {
  return "<p class=\"note\">"
         "How to read the tables: medians over a row's repeats, the range below in small type. "
         "Length: how long each run trains (per worker, or the servers' global steps). Best test "
         "accuracy: the best evaluation of each repeat; marked where it is 0.5 points or more "
         "above the final one. Samples/s counts every sample of every worker over the run's wall "
         "time here, loading and evaluation included. Scaling efficiency is computed on the wall "
         "clock here and on the modelled one. Compute, comm. and wait are shares of the workers' "
         "step time here (reading data and the optimizer update make up the rest). Bytes are sent "
         "+ received as the transport counted them, per worker per step, decimal units. Staleness "
         "is over every update the servers applied (asynchronous runs). The modelled columns are "
         "the simulated cluster: training time (first step to last, evaluation not modelled) and "
         "time per step (for asynchronous runs, the busiest worker's), the whole job (download + "
         "training + upload) and its bill (every host for the whole job; idle: what hosts cost "
         "while they had nothing to do). Below the strategy, the network: each NIC's bandwidth and"
         " latency; shaped means the real traffic here was held to it too, modelled that only the "
         "modelled clock uses it."
         "</p>\n";
}

}  // namespace distsim::report

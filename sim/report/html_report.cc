#include "sim/report/html_report.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/util/json_util.h"
#include "sim/report/compare_charts.h"
#include "sim/report/strategy_names.h"
#include "sim/report/svg_chart.h"

namespace distsim::report {

// The pages' only style sheet: system fonts, no url() references.
const char kReportCss[] = R"css(
:root{--fg:#1d2329;--muted:#59636e;--line:#dde2e7;--tint:#f3f6f9}
*{box-sizing:border-box}
body{margin:0;color:var(--fg);background:#fff;
 font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1400px;margin:0 auto;padding:24px 28px 36px}
h1{font-size:26px;margin:0 0 6px}
.meta{color:var(--muted);margin:0 0 18px;max-width:980px}
.meta b{color:var(--fg);font-weight:600}
table.results{border-collapse:collapse;width:100%;font-size:12px;font-variant-numeric:tabular-nums}
.table-wrap{overflow-x:auto}
.results th,.results td{padding:5px 4px;border-bottom:1px solid var(--line);text-align:right;
 vertical-align:top}
.results thead th{font-weight:600;vertical-align:bottom;border-bottom:2px solid #b9c1c9}
.results th:first-child,.results td.name,.results td.text{text-align:left}
.results td.name{font-weight:600;min-width:100px;max-width:200px;overflow-wrap:anywhere}
.results td.text{min-width:70px;max-width:170px;overflow-wrap:break-word}
.results td:not(.name):not(.text),.value{white-space:nowrap}
.results tr.group th{text-align:left;background:var(--tint);font-size:13.5px;padding-top:9px}
.results tbody tr.row:hover{background:#fafbfc}
.desc{font-weight:400;color:var(--muted);font-size:12px}
.spread{display:block;color:var(--muted);font-size:11px;white-space:nowrap}
.missed{color:#b34700}
.note{color:var(--muted);font-size:12px;margin:8px 0 24px}
.charts{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:20px}
figure.chart{margin:0;border:1px solid var(--line);border-radius:8px;padding:12px 14px 14px}
figure.chart h3{margin:0 0 6px;font-size:15px}
figcaption{color:var(--muted);font-size:12.5px;margin-top:8px}
svg.plot{display:block;width:100%;height:auto}
svg.plot text{font-size:12px;fill:#333}
svg.plot .axis-label{font-size:12.5px;fill:#1d2329}
svg.plot .tick{fill:#555}
.grid line{stroke:#e3e7eb}.grid line.minor{stroke:#f0f2f5}
.axis{fill:none;stroke:#59636e}
polyline.line{fill:none;stroke-width:2;stroke-linejoin:round;stroke-linecap:round}
circle.point{stroke:#fff;stroke-width:1}
g.series:hover polyline.line{stroke-width:3.5}
.reference line{stroke:#59636e;stroke-dasharray:5 4}
svg.plot .reference text{fill:#59636e;font-size:11px}
svg.plot .in-bar{font-size:11px;fill:#111}svg.plot .in-bar.on-dark{fill:#fff}
svg.plot .empty{fill:#59636e;font-size:14px}
ul.legend{list-style:none;margin:6px 0 0;padding:0;display:flex;flex-wrap:wrap;gap:3px 16px;
 font-size:12.5px}
ul.legend li{display:flex;align-items:center;gap:6px;overflow-wrap:anywhere;min-width:0}
ul.legend svg{flex:none}
footer{margin-top:28px;padding-top:10px;border-top:1px solid var(--line);color:var(--muted);
 font-size:11.5px;overflow-wrap:anywhere}
footer span{margin-right:10px}
@media (max-width:900px){.charts{grid-template-columns:1fr}}
)css";

namespace {

// "SHARDED_BY_KEY" -> "sharded by key", which wraps in a narrow column.
std::string Words(const std::string& enum_name) {
  std::string out = absl::StrReplaceAll(enum_name, {{"_", " "}});
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return EscapeHtml(out);
}

std::string Number(double v, int decimals) { return absl::StrFormat("%.*f", decimals, v); }

// The median, and below it the range over the repeats when there are several: "93.15%" and
// "92.86–93.44%". `f` prints a number, `unit` follows it.
std::string Stat3(const Stat& stat, int repeats, const std::function<std::string(double)>& f,
                  const std::string& unit) {
  std::string out = absl::StrCat("<span class=\"value\">", f(stat.median()), unit, "</span>");
  if (repeats > 1 && stat.min() != stat.max()) {
    absl::StrAppend(&out, "<span class=\"spread\">", f(stat.min()), "–", f(stat.max()), unit,
                    "</span>");
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Header and table.

std::string Header(const CompareFacts& ctx) {
  const CompareResult& result = *ctx.result;
  const std::string name = result.config().name().empty() ? "comparison" : result.config().name();
  const int repeats = std::max<int>(1, result.config().repeats());
  std::string out = absl::StrFormat("<header><h1>%s</h1>\n<p class=\"meta\">", EscapeHtml(name));
  absl::StrAppendFormat(&out, "%d run%s in %d row%s", result.runs_size(),
                        result.runs_size() == 1 ? "" : "s", result.rows_size(),
                        result.rows_size() == 1 ? "" : "s");
  if (repeats > 1) {
    absl::StrAppendFormat(&out,
                          ", each repeated %d times with different seeds (the table shows "
                          "the median and, smaller, the range)",
                          repeats);
  }
  if (result.wall_seconds() > 0)
    absl::StrAppend(&out, "; ", FormatSeconds(result.wall_seconds()), " in all");
  absl::StrAppendFormat(&out,
                        ".<br><b>Target test accuracy %s</b>: time to target runs from the "
                        "run's start (before data is first read) to the first evaluation at or "
                        "above it, never paused.<br><b>Scaling: %s</b>, ",
                        FormatPercent(ctx.target, 1), ctx.strong ? "strong" : "weak");
  absl::StrAppend(&out, ctx.strong
                            ? "fixed global batch, E(n) = T(baseline) / (n × T(n)) with T the "
                              "wall time"
                            : "fixed batch per worker, E(n) = throughput(n) / (n × "
                              "throughput(baseline))");
  absl::StrAppend(&out, "; baseline <b>", EscapeHtml(ctx.baseline), "</b>.");
  // The modelled clock: the cluster of the first run that has one.
  for (const RunResult& run : result.runs()) {
    const ModelledClock& m = run.modelled();
    if (m.seconds() <= 0) continue;
    const std::string instance = m.instance_type().empty()
                                     ? std::string("this machine's CPU, one thread per process")
                                     : absl::StrCat("one ", m.instance_type(), " per host");
    absl::StrAppendFormat(
        &out,
        "<br><b>Modelled clock</b> (%s, %s clock): what the simulated cluster would take for "
        "the training steps. Compute is %s; each message costs the link's latency plus its "
        "bytes over the NIC's bandwidth; a synchronous step ends when its slowest worker ends. "
        "It is printed beside the wall clock measured here, where all processes share %s.",
        EscapeHtml(instance), EscapeHtml(m.clock_mode()),
        m.clock_mode() == "FLOPS" ? "the model's FLOPs over the instance's speed (deterministic)"
                                  : "the measured CPU time, scaled to the instance's speed",
        result.provenance().cpu_cores() > 0
            ? absl::StrFormat("%d cores", result.provenance().cpu_cores())
            : std::string("one machine"));
    break;
  }
  absl::StrAppend(&out, "</p>\n");
  if (result.findings_size() > 0) {
    absl::StrAppend(&out, "<section class=\"findings\"><h2>What the numbers show</h2><ul>\n");
    for (const std::string& finding : result.findings()) {
      absl::StrAppend(&out, "<li>", EscapeHtml(finding), "</li>\n");
    }
    absl::StrAppend(&out, "</ul></section>\n");
  }
  absl::StrAppend(&out, "</header>\n");
  return out;
}

constexpr const char* kColumns[] = {"run",
                                    "strategy",
                                    "workers",
                                    "data",
                                    "samples",
                                    "final test accuracy",
                                    "time to target",
                                    "samples/s",
                                    "scaling efficiency",
                                    "compute / comm. / wait %",
                                    "bytes / worker / step",
                                    "staleness mean / max",
                                    "modelled time",
                                    "modelled samples/s",
                                    "modelled step",
                                    "modelled efficiency",
                                    "network, faults"};

// The cells of what ran: name (and description), strategy, workers, data, samples.
std::string RunCells(const CompareRow& row) {
  std::string out = absl::StrFormat("<td class=\"name\">%s", EscapeHtml(row.name()));
  if (!row.description().empty()) {
    absl::StrAppend(&out, "<div class=\"desc\">", EscapeHtml(row.description()), "</div>");
  }
  absl::StrAppendFormat(&out, "</td><td class=\"text\" title=\"%s\">%s</td>",
                        EscapeHtml(row.strategy()), EscapeHtml(ShortStrategy(row.strategy())));
  std::string data = Words(row.distribution());
  if (row.distribution() == "GLOBAL_BATCH_SLICE") data = "batch slice";
  if (row.distribution() == "FULLY_REPLICATED") data = "replicated";
  if (row.distribution() == "SHARDED_BY_KEY") data = "sharded";
  absl::StrAppend(&out, "<td>", row.workers(), "</td><td class=\"text\" title=\"",
                  EscapeHtml(row.distribution()), "\">", data, "</td><td>",
                  FormatGrouped(static_cast<double>(row.samples())), "</td>");
  return out;
}

// The cells of the wall clock here: accuracy, time to target, samples/s, efficiency, the step's
// shares, bytes and staleness.
std::string MeasuredCells(const CompareRow& row, int repeats) {
  std::string out;
  absl::StrAppend(
      &out, "<td class=\"accuracy\">",
      Stat3(
          row.final_test_accuracy(), repeats, [](double v) { return Number(100 * v, 2); }, "%"),
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
  absl::StrAppend(&out, "<td>", tta, "</td><td>",
                  Stat3(row.samples_per_second(), repeats, FormatRate, ""), "</td>");
  absl::StrAppend(&out, "<td>",
                  row.scaling_efficiency() > 0 ? FormatPercent(row.scaling_efficiency(), 0) : "–",
                  "</td>");
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

// The cells of the modelled clock: time, samples/s, step and efficiency.
std::string ModelledCells(const CompareRow& row, int repeats) {
  std::string out;
  if (row.modelled_seconds().median() > 0) {
    absl::StrAppend(
        &out, "<td class=\"modelled\">",
        Stat3(
            row.modelled_seconds(), repeats, [](double v) { return Number(v, v >= 100 ? 0 : 2); },
            " s"),
        "</td><td>", Stat3(row.modelled_samples_per_second(), repeats, FormatRate, ""), "</td><td>",
        row.modelled_step_ms() > 0
            ? absl::StrCat(Number(row.modelled_step_ms(), row.modelled_step_ms() >= 100  ? 0
                                                          : row.modelled_step_ms() >= 10 ? 1
                                                                                         : 2),
                           " ms")
            : "–",
        "</td>");
  } else {
    absl::StrAppend(&out, "<td class=\"modelled\">–</td><td>–</td><td>–</td>");
  }
  absl::StrAppend(&out, "<td>",
                  row.modelled_scaling_efficiency() > 0
                      ? FormatPercent(row.modelled_scaling_efficiency(), 0)
                      : "–",
                  "</td>");
  return out;
}

// The last cell: the network, the faults and the workers lost.
std::string ConditionCell(const CompareRow& row) {
  std::string out =
      absl::StrCat("<td class=\"text\">", row.network().empty() ? "–" : EscapeHtml(row.network()));
  for (const std::string& fault : row.faults()) {
    absl::StrAppend(&out, "<div class=\"desc fault\">", EscapeHtml(fault), "</div>");
  }
  if (row.workers_lost() > 0) {
    absl::StrAppendFormat(&out, "<div class=\"missed\">%d worker%s lost</div>", row.workers_lost(),
                          row.workers_lost() == 1 ? "" : "s");
  }
  absl::StrAppend(&out, "</td>");
  return out;
}

std::string TableRow(const CompareFacts& ctx, const CompareRow& row) {
  const int repeats = std::max(1, row.run_names_size());
  std::string out = absl::StrFormat("<tr class=\"row\" data-row=\"%s\">", EscapeHtml(row.name()));
  absl::StrAppend(&out, RunCells(row), MeasuredCells(row, repeats), ModelledCells(row, repeats),
                  ConditionCell(row), "</tr>\n");
  return out;
}

std::string Table(const CompareFacts& ctx) {
  std::string out = "<section><div class=\"table-wrap\"><table class=\"results\">\n<thead><tr>";
  for (const char* column : kColumns) {
    std::string title = column;
    if (title == "time to target") title = absl::StrCat("time to ", FormatPercent(ctx.target, 1));
    absl::StrAppend(&out, "<th>", EscapeHtml(title), "</th>");
  }
  absl::StrAppend(&out, "</tr></thead>\n");
  // Groups in order of first appearance; rows keep config order within a group.
  std::vector<std::string> groups;
  for (const CompareRow& row : ctx.result->rows()) {
    if (std::find(groups.begin(), groups.end(), row.group()) == groups.end()) {
      groups.push_back(row.group());
    }
  }
  const bool headings = groups.size() > 1 || (groups.size() == 1 && !groups[0].empty());
  for (const std::string& group : groups) {
    absl::StrAppendFormat(&out, "<tbody data-group=\"%s\">", EscapeHtml(group));
    if (headings) {
      absl::StrAppendFormat(&out, "<tr class=\"group\"><th colspan=\"%d\">%s</th></tr>\n",
                            static_cast<int>(std::size(kColumns)),
                            group.empty() ? "(no group)" : EscapeHtml(group));
    }
    for (const CompareRow& row : ctx.result->rows()) {
      if (row.group() == group) absl::StrAppend(&out, TableRow(ctx, row));
    }
    absl::StrAppend(&out, "</tbody>\n");
  }
  absl::StrAppend(&out,
                  "</table></div>\n<p class=\"note\">Samples/s counts every sample of every worker "
                  "over the run's wall time, loading and evaluation included. Compute, comm. and "
                  "wait are shares of the workers' step time (reading data and the optimizer "
                  "update make up the rest). Bytes are sent + received as the transport counted "
                  "them, per worker per step, decimal units. Staleness is over every update the "
                  "servers applied (asynchronous runs). The modelled columns are the simulated "
                  "cluster: training time (first step to last, evaluation not modelled), its "
                  "samples/s and time per step (for asynchronous runs, the busiest worker's), "
                  "and the same scaling efficiency computed on the modelled figures. Network: "
                  "each NIC's bandwidth and latency; shaped means the real traffic here was "
                  "held to it too, modelled that only the modelled clock uses it.</p>"
                  "</section>\n");
  return out;
}
}  // namespace
std::string ProvenanceFooterHtml(const Provenance& p, const std::string& embedded) {
  std::string out = "<footer><b>Provenance</b> ";
  auto item = [&out](const char* name, const std::string& value) {
    if (!value.empty()) {
      absl::StrAppend(&out, "<span><i>", name, "</i> ", EscapeHtml(value), "</span> ");
    }
  };
  item("distsim", p.distsim_version());
  item("git", p.git_revision());
  item("CPU", p.cpu_model());
  item("cores", p.cpu_cores() > 0 ? absl::StrCat(p.cpu_cores()) : "");
  item("compiler", p.compiler());
  item("flags", p.compiler_flags());
  item("Eigen", absl::StrCat(p.eigen_version(), p.eigen_simd().empty() ? "" : " (", p.eigen_simd(),
                             p.eigen_simd().empty() ? "" : ")"));
  item("host", p.hostname());
  item("started", p.started_at());
  item("command", p.command_line());
  absl::StrAppend(&out, "<br>", EscapeHtml(embedded), "</footer>\n");
  return out;
}

std::string CompareResultToJson(const CompareResult& result) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = false;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  // Serialising a valid message cannot fail.
  (void)google::protobuf::util::MessageToJsonString(result, &json, options);
  return json;
}

std::string RenderCompareReport(const CompareResult& result) {
  const CompareFacts ctx = MakeCompareFacts(result);
  const std::string title =
      result.config().name().empty() ? "distsim comparison" : result.config().name();
  std::string out = absl::StrFormat(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>%s: distsim compare</title>\n<style>%s</style></head>\n<body><main>\n",
      EscapeHtml(title), kReportCss);
  absl::StrAppend(&out, Header(ctx), Table(ctx), "<section class=\"charts\">\n");
  absl::StrAppend(&out, RenderCompareCharts(ctx), "</section>\n");
  absl::StrAppend(&out,
                  ProvenanceFooterHtml(result.provenance(),
                                       "The data behind this page is embedded in it as "
                                       "compare.json (script#compare-data)."),
                  "</main>\n");
  absl::StrAppend(&out, "<script type=\"application/json\" id=\"compare-data\">",
                  absl::StrReplaceAll(CompareResultToJson(result), {{"</", "<\\/"}}),
                  "</script>\n</body></html>\n");
  return out;
}

}  // namespace distsim::report

#include "sim/report/html_report.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/util/json_util.h"
#include "sim/report/compare_charts.h"
#include "sim/report/report_sections.h"
#include "sim/report/report_table.h"
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
.results th,.results td{padding:5px 3px;border-bottom:1px solid var(--line);text-align:right;
 vertical-align:top}
.results thead th{font-weight:600;vertical-align:bottom;border-bottom:2px solid #b9c1c9}
.results th:first-child,.results td.name,.results td.text{text-align:left}
.results td.name{font-weight:600;min-width:125px;max-width:190px;overflow-wrap:anywhere}
.results td.text{min-width:70px;max-width:170px;overflow-wrap:break-word}
.results td:not(.name):not(.text),.value{white-space:nowrap}
.results tbody tr.row:hover{background:#fafbfc}
.desc{font-weight:400;color:var(--muted);font-size:12px}
.spread{display:block;color:var(--muted);font-size:11px;white-space:nowrap}
.missed{color:#b34700}
.note{color:var(--muted);font-size:12px;margin:8px 0 24px}
.charts{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:20px;margin-top:16px;
 align-items:start}
section.group{margin:36px 0 0;padding-top:14px;border-top:3px solid #b9c1c9}
section.group>h2{font-size:21px;margin:0 0 10px}
ul.claims{list-style:none;padding:0;margin:0 0 12px}
li.claim{padding:8px 12px;border-left:5px solid #D55E00;background:var(--tint);margin-bottom:6px}
li.claim.holds{border-color:#009E73}
.verdict{font-weight:700;font-size:12px;text-transform:uppercase;margin-right:6px;color:#b34700}
li.claim.holds .verdict{color:#00785a}
.findings h3,.data-summary h3{font-size:15px;margin:10px 0 4px}
.findings ul{margin:0 0 14px;padding-left:20px;max-width:1150px}
ul.best-notes{font-size:12.5px;color:var(--muted);margin:6px 0 0;padding-left:20px}
.best-gap{color:#b34700;font-weight:600}
.data-cards{display:flex;flex-wrap:wrap;gap:14px}
.data-run{flex:0 1 600px;border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.data-run h4{margin:0;font-size:14px}.data-run p{margin:0 0 6px}
table.hosts{border-collapse:collapse;font-size:12px;font-variant-numeric:tabular-nums}
table.hosts th,table.hosts td{padding:2px 10px 2px 0;text-align:right;vertical-align:middle}
table.hosts th:first-child,table.hosts td.name{text-align:left}
svg.hist{display:block}svg.hist text.digit{font-size:8px;fill:#59636e}
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

// The modelled clock and job in words: the instances of the runs that have one, the clock of
// the first.
std::string ModelledClockHtml(const CompareResult& result) {
  std::string out;
  std::vector<std::string> instances;
  for (const RunResult& run : result.runs()) {
    const std::string& type = run.modelled().instance_type();
    if (run.modelled().seconds() > 0 && !type.empty() &&
        std::find(instances.begin(), instances.end(), type) == instances.end()) {
      instances.push_back(type);
    }
  }
  for (const RunResult& run : result.runs()) {
    const ModelledClock& m = run.modelled();
    if (m.seconds() <= 0) continue;
    const std::string instance =
        instances.empty() ? std::string("this machine's CPU, one thread per process")
                          : absl::StrCat("one ", absl::StrJoin(instances, " or "), " per host");
    absl::StrAppendFormat(
        &out,
        "<br><b>Modelled clock</b> (%s, %s clock): what the simulated cluster would take for "
        "the training steps. Compute is %s; each message costs the link's latency plus its "
        "bytes over the NIC's bandwidth; a synchronous step ends when its slowest worker ends. "
        "It is printed beside the wall clock measured here, where all processes share %s. "
        "The modelled <b>job</b> adds the File-mode download of each host's data before the "
        "training and the model's upload after it, and bills every host for all of it.",
        EscapeHtml(instance), EscapeHtml(m.clock_mode()),
        m.clock_mode() == "FLOPS" ? "the model's FLOPs over the instance's speed (deterministic)"
                                  : "the measured CPU time, scaled to the instance's speed",
        result.provenance().cpu_cores() > 0
            ? absl::StrFormat("%d cores", result.provenance().cpu_cores())
            : std::string("one machine"));
    break;
  }
  return out;
}

// The page's header: the comparison, its target, its scaling and its modelled clock.
std::string Header(const CompareFacts& ctx) {
  const CompareResult& result = *ctx.result;
  const std::string name = result.config().name().empty() ? "comparison" : result.config().name();
  int repeats = std::max<int>(1, result.config().repeats());
  for (const CompareRow& row : result.rows()) repeats = std::max(repeats, row.run_names_size());
  std::string out = absl::StrFormat("<header><h1>%s</h1>\n<p class=\"meta\">", EscapeHtml(name));
  absl::StrAppendFormat(&out, "%d run%s in %d row%s", result.runs_size(),
                        result.runs_size() == 1 ? "" : "s", result.rows_size(),
                        result.rows_size() == 1 ? "" : "s");
  if (repeats > 1) {
    absl::StrAppendFormat(&out,
                          ", rows repeated up to %d times with different seeds (the tables show "
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
  absl::StrAppend(&out, ModelledClockHtml(result));
  absl::StrAppend(&out, "</p>\n</header>\n");
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

std::string PageStartHtml(const std::string& name, const std::string& command) {
  return absl::StrFormat(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>%s: distsim %s</title>\n<style>%s</style></head>\n<body><main>\n",
      EscapeHtml(name), command, kReportCss);
}

std::string PageEndHtml(const Provenance& p, const std::string& name, const std::string& json) {
  return absl::StrCat(
      ProvenanceFooterHtml(p, absl::StrCat("The data behind this page is embedded in it as ", name,
                                           ".json (script#", name, "-data).")),
      "</main>\n<script type=\"application/json\" id=\"", name, "-data\">",
      absl::StrReplaceAll(json, {{"</", "<\\/"}}), "</script>\n</body></html>\n");
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
  std::string out = PageStartHtml(title, "compare");
  absl::StrAppend(&out, Header(ctx), RenderSections(ctx), TableNoteHtml());
  absl::StrAppend(&out, PageEndHtml(result.provenance(), "compare", CompareResultToJson(result)));
  return out;
}

}  // namespace distsim::report

#include "sim/report/predict_report.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "sim/report/html_report.h"
#include "sim/report/result_io.h"
#include "sim/report/svg_chart.h"

namespace distsim::report {
namespace {

// The worker axis is log2(workers), labelled with the worker counts.
AxisSpec WorkersAxis() {
  AxisSpec axis;
  axis.label = "workers";
  axis.integer = true;
  axis.format = [](double value, double) { return FormatSi(std::exp2(value), 0); };
  return axis;
}

std::string Chart(const PredictResult& result, const std::string& id, const std::string& title,
                  const std::string& y_label, bool efficiency, const std::string& caption) {
  std::map<std::string, Series> by_strategy;
  std::vector<std::string> order;
  for (const PredictRow& row : result.rows()) {
    if (row.workers() == 0) continue;
    auto [it, fresh] = by_strategy.try_emplace(row.strategy());
    Series& series = it->second;
    if (fresh) {
      order.push_back(row.strategy());
      const int index = static_cast<int>(order.size()) - 1;
      series.label = row.strategy();
      series.colour = PaletteColour(index);
      series.dash = DashPattern(index);
      series.attrs = {{"data-strategy", row.strategy()}};
    }
    ChartPoint point;
    point.x = std::log2(static_cast<double>(row.workers()));
    point.y = efficiency ? row.efficiency() : row.samples_per_second();
    point.tip = absl::StrFormat("%s, %u workers: %s", row.strategy(), row.workers(),
                                efficiency ? FormatPercent(row.efficiency(), 0)
                                           : FormatRate(row.samples_per_second()) + " samples/s");
    point.attrs = {{"data-workers", FormatNumber(row.workers())},
                   {"data-value", FormatNumber(point.y)}};
    series.points.push_back(std::move(point));
  }
  LineChart chart;
  chart.id = id;
  chart.x = WorkersAxis();
  chart.y.label = y_label;
  chart.y.include_zero = true;
  if (efficiency) {
    chart.y.format = [](double value, double) { return FormatPercent(value, 0); };
    chart.y.clamp_max = 1;
  }
  std::vector<LegendEntry> legend;
  for (const std::string& name : order) {
    Series& series = by_strategy[name];
    legend.push_back({series.label, series.colour, series.dash, 1, false});
    chart.series.push_back(std::move(series));
  }
  chart.empty_text = "no predictions";
  return RenderFigureHtml(id, title, RenderLineChartSvg(chart), RenderLegendHtml(legend), caption);
}

std::string RowsTable(const PredictResult& result) {
  std::string out =
      "<div class=\"table-wrap\"><table class=\"results\" id=\"rows\"><thead><tr><th>strategy</th>"
      "<th>workers</th><th>servers</th><th>step</th><th>step if in step</th>"
      "<th>communication</th><th>samples/s</th>"
      "<th>efficiency</th><th>epoch</th><th>$ per epoch</th><th>bottleneck</th></tr></thead>"
      "<tbody>\n";
  for (const PredictRow& r : result.rows()) {
    absl::StrAppendFormat(
        &out,
        "<tr class=\"row\"><td class=\"name\">%s</td><td>%u</td><td>%u</td><td>%.3f ms</td>"
        "<td>%s</td><td>%s ms</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td "
        "class=\"text\">%s</td>"
        "</tr>\n",
        EscapeHtml(r.strategy()), r.workers(), r.servers(), 1e3 * r.step_s(),
        r.step_s_in_step() > 0 ? absl::StrFormat("%.3f ms", 1e3 * r.step_s_in_step()) : "",
        absl::StrFormat("%.3f", 1e3 * r.communication_s()), FormatRate(r.samples_per_second()),
        FormatPercent(r.efficiency(), 0), FormatSeconds(r.epoch_s()),
        absl::StrFormat("%.4f", r.cost_per_epoch_usd()), EscapeHtml(r.bottleneck()));
  }
  return out + "</tbody></table></div>\n";
}

// How busy the machine was when the calibration ran, and how each check was repeated.
std::string ChecksNote(const PredictResult& result) {
  const MachineLoad& load = result.calibration().load();
  return absl::StrFormat(
      "<p class=\"note\">Each check changes the calibration run in one way; its step time was "
      "predicted before it ran. Each ran %u time%s: measured and error are medians, spread is "
      "p90 - p10 of the measured step times over their median, and a check the machine was too "
      "busy to measure steadily is marked <b>too busy</b> with the reason. Load when the "
      "calibration ran: %.2f %.2f %.2f (1, 5, 15 minutes), %u of %u tasks runnable, %u "
      "cores.</p>\n",
      std::max(1u, result.repeat()), result.repeat() == 1 ? "" : "s", load.load1(), load.load5(),
      load.load15(), load.runnable(), load.tasks(), load.cores());
}

std::string ChecksTable(const PredictResult& result) {
  if (result.checks_size() == 0) return "";
  std::string out = absl::StrCat(
      "<h2>Held-out checks on this machine</h2>\n", ChecksNote(result),
      "<div class=\"table-wrap\"><table class=\"results\" id=\"checks\"><thead><tr>"
      "<th>check</th><th>differs from the calibration</th><th>predicted</th><th>measured</th>"
      "<th>error</th><th>spread</th><th>too busy</th></tr></thead><tbody>\n");
  for (const PredictCheck& c : result.checks()) {
    const bool ran = c.measured_step_ms() > 0;
    absl::StrAppendFormat(
        &out,
        "<tr class=\"row\" data-check=\"%s\" data-predicted-ms=\"%s\" data-measured-ms=\"%s\" "
        "data-too-busy=\"%s\"><td class=\"name\">%s</td><td class=\"text\">%s</td>"
        "<td>%.2f ms</td><td>%s</td><td%s>%s</td><td>%s</td><td class=\"text\">%s</td></tr>\n",
        EscapeHtml(c.name()), FormatNumber(c.predicted_step_ms()),
        FormatNumber(c.measured_step_ms()), c.too_busy().empty() ? "false" : "true",
        EscapeHtml(c.name()), EscapeHtml(c.setup()), c.predicted_step_ms(),
        ran ? absl::StrFormat("%.2f ms", c.measured_step_ms()) : "not run",
        ran && std::abs(c.error()) > 0.15 ? " class=\"missed\"" : "",
        ran ? absl::StrFormat("%+.1f%%", 100 * c.error()) : "-",
        ran && c.repeats_size() > 1 ? FormatPercent(c.spread(), 1) : "-", EscapeHtml(c.too_busy()));
  }
  return out + "</tbody></table></div>\n";
}

}  // namespace

std::string RenderPredictReport(const PredictResult& result) {
  const std::string name = result.name().empty() ? "predict" : result.name();
  const Calibration& c = result.calibration();
  const RunConfig& scaled = result.has_at_scale() ? result.at_scale() : result.config();
  std::string out = absl::StrCat(PageStartHtml(name, "predict"), "<h1>", EscapeHtml(name),
                                 ": distsim predict</h1>\n");
  absl::StrAppendFormat(
      &out,
      "<p class=\"meta\"><b>Calibration</b> %s: %.3g ms of compute per sample here (%.1f GFLOP/s "
      "per worker thread); link alpha %.1f us, %.3g Gbit/s (fit error %.1f%%).<br><b>Predicted</b> "
      "%s on %s, %g Gbit/s, %g us, batch %u per worker, %s clock. Efficiency: samples/s over n "
      "times one worker's without communication.</p>\n",
      EscapeHtml(c.source()), 1e3 * c.compute_s_per_sample(), c.effective_gflops(),
      1e6 * c.alpha_s(), c.beta_s_per_byte() > 0 ? 8e-9 / c.beta_s_per_byte() : 0.0,
      100 * c.fit_error(), EscapeHtml(scaled.model().ShortDebugString()),
      EscapeHtml(scaled.cluster().instance_type().empty() ? "one core of this machine per worker"
                                                          : scaled.cluster().instance_type()),
      scaled.cluster().network().bandwidth_gbps(), scaled.cluster().network().latency_us(),
      scaled.train().batch_size(), ClusterConfig::ClockMode_Name(scaled.cluster().clock()));
  absl::StrAppend(&out, ChecksTable(result));
  if (result.findings_size() > 0) {
    absl::StrAppend(&out, "<h2>What the model shows</h2>\n<ul>\n");
    for (const std::string& f : result.findings()) {
      absl::StrAppend(&out, "<li>", EscapeHtml(f), "</li>\n");
    }
    absl::StrAppend(&out, "</ul>\n");
  }
  absl::StrAppend(&out, "<section class=\"charts\">\n",
                  Chart(result, "efficiency-vs-workers", "Scaling efficiency", "efficiency", true,
                        "Where a line falls, communication took over: the bottleneck column of "
                        "the table says which part."),
                  Chart(result, "throughput-vs-workers", "Throughput", "samples/s", false,
                        "Samples per second of all workers together."),
                  "</section>\n<h2>Predictions</h2>\n<p class=\"note\">ps ASYNC's step assumes "
                  "its workers spread out so that both directions of the server NICs stay busy; "
                  "\"step if in step\" is the step if they move together (all pull, then all "
                  "push). A real run lies between.</p>\n",
                  RowsTable(result));
  absl::StrAppend(&out, PageEndHtml(result.provenance(), "predict", MessageToJson(result)));
  return out;
}

}  // namespace distsim::report

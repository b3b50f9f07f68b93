#include "sim/report/staleness_report.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "sim/report/html_report.h"
#include "sim/report/result_io.h"
#include "sim/report/svg_chart.h"

namespace distsim::report {
namespace {

// The study's values of s, evenly spaced in the config's order (0, 1, 2, 4, 8, 16 doubles from
// one tick to the next), each tick labelled with its s.
AxisSpec StalenessAxis(const StalenessStudyConfig& config) {
  AxisSpec axis;
  axis.label = "staleness bound s (updates)";
  axis.include_zero = true;
  axis.integer = true;
  std::vector<uint32_t> s(config.staleness().begin(), config.staleness().end());
  axis.format = [s](double value, double) {
    const long i = std::lround(value);
    return i >= 0 && i < static_cast<long>(s.size()) ? absl::StrCat(s[i]) : std::string();
  };
  return axis;
}

// Where s sits on that axis: its index among the study's values.
double StalenessX(const StalenessStudyConfig& config, uint32_t s) {
  const auto& all = config.staleness();
  return static_cast<double>(std::find(all.begin(), all.end(), s) - all.begin());
}

// The optimizers in the order the study lists them (the rows' first appearance).
std::vector<std::string> Optimizers(const StalenessResult& r) {
  std::vector<std::string> names;
  for (const StalenessRow& row : r.rows()) {
    if (std::find(names.begin(), names.end(), row.optimizer()) == names.end()) {
      names.push_back(row.optimizer());
    }
  }
  return names;
}

// A chart with a series per (optimizer, n) that `keep` accepts, y = `value` of the row (rows with
// y <= 0 are left out: the target was not reached).
std::string Chart(const StalenessResult& r, const std::string& id, const std::string& title,
                  const std::string& y_label, const std::function<bool(const StalenessRow&)>& keep,
                  const std::function<double(const StalenessRow&)>& value, bool label_n,
                  const std::string& caption) {
  const std::vector<std::string> names = Optimizers(r);
  std::map<std::pair<std::string, uint32_t>, Series> series;
  std::vector<std::pair<std::string, uint32_t>> order;
  for (const StalenessRow& row : r.rows()) {
    if (!keep(row) || value(row) <= 0) continue;
    const std::pair<std::string, uint32_t> key{row.optimizer(), row.workers()};
    auto [it, fresh] = series.try_emplace(key);
    if (fresh) {
      order.push_back(key);
      const int o =
          static_cast<int>(std::find(names.begin(), names.end(), row.optimizer()) - names.begin());
      int n_index = 0;
      for (int i = 0; i < r.config().workers_size(); ++i) {
        if (r.config().workers(i) == row.workers()) n_index = i;
      }
      it->second.label =
          label_n ? absl::StrCat(row.optimizer(), ", n = ", row.workers()) : row.optimizer();
      it->second.colour = PaletteColour(o);
      it->second.dash = DashPattern(label_n ? n_index : 0);
      it->second.attrs = {{"data-optimizer", row.optimizer()},
                          {"data-workers", FormatNumber(row.workers())}};
    }
    ChartPoint p;
    p.x = StalenessX(r.config(), row.staleness());
    p.y = value(row);
    p.tip = absl::StrFormat("%s, n = %u, s = %u: %s", row.optimizer(), row.workers(),
                            row.staleness(), FormatNumber(p.y));
    p.attrs = {{"data-staleness", FormatNumber(row.staleness())}};
    it->second.points.push_back(std::move(p));
  }
  LineChart chart;
  chart.id = id;
  chart.x = StalenessAxis(r.config());
  chart.y.label = y_label;
  chart.y.include_zero = true;
  chart.empty_text = "no cell reached the target";
  std::vector<LegendEntry> legend;
  for (const auto& key : order) {
    legend.push_back({series[key].label, series[key].colour, series[key].dash, 1, false});
    chart.series.push_back(std::move(series[key]));
  }
  return RenderFigureHtml(id, title, RenderLineChartSvg(chart), RenderLegendHtml(legend), caption);
}

std::string RowsTable(const StalenessResult& r) {
  std::string out =
      "<div class=\"table-wrap\"><table class=\"results\" id=\"rows\"><thead><tr>"
      "<th>optimizer</th><th>n</th><th>s</th><th>reached</th><th>updates to target</th>"
      "<th>modelled time</th><th>slowdown</th></tr></thead><tbody>\n";
  for (const StalenessRow& row : r.rows()) {
    const bool known = row.median_updates() > 0;
    absl::StrAppendFormat(
        &out,
        "<tr><td>%s</td><td>%u</td><td>%u</td><td>%u/%u</td><td>%s</td><td>%s</td>"
        "<td>%s</td></tr>\n",
        EscapeHtml(row.optimizer()), row.workers(), row.staleness(), row.reached(), row.seeds(),
        known ? absl::StrFormat("%.0f", row.median_updates()) : "not reached",
        known ? absl::StrFormat("%.2f s", row.median_modelled_seconds()) : "-",
        row.slowdown() > 0 ? absl::StrFormat("%.2fx", row.slowdown()) : "-");
  }
  return out + "</tbody></table></div>\n";
}

std::string Header(const StalenessResult& r) {
  const StalenessStudyConfig& c = r.config();
  std::vector<std::string> opts;
  for (const OptimizerConfig& o : c.optimizers()) opts.push_back(o.ShortDebugString());
  return absl::StrFormat(
      "<p class=\"meta\">A simulated asynchronous parameter server in virtual time: each update's "
      "gradient is computed on the parameters of d ~ Uniform{0..s} updates ago (Dai et al., ICLR "
      "2019). Model %s, batch %u per worker, optimizers %s. Target %.3g test accuracy (evaluated "
      "every %u updates on %s), at most %u updates; the median over %d seeds. "
      "%d cells in %.0f s on %u threads.</p>\n",
      EscapeHtml(c.base().model().ShortDebugString()), c.base().train().batch_size(),
      EscapeHtml(absl::StrJoin(opts, "; ")), c.target_accuracy(),
      static_cast<unsigned>(c.eval_every_updates()),
      c.eval_examples() == 0
          ? std::string("the whole test set")
          : absl::StrCat(c.eval_examples(), " test examples spread over the test set"),
      static_cast<unsigned>(c.max_updates()), c.seeds_size(), r.cells_size(), r.wall_seconds(),
      c.threads());
}

}  // namespace

std::string RenderStalenessReport(const StalenessResult& r) {
  const std::string name = r.config().name().empty() ? "staleness" : r.config().name();
  std::string out = absl::StrCat(PageStartHtml(name, "staleness"), "<h1>", EscapeHtml(name),
                                 ": distsim staleness</h1>\n");
  absl::StrAppend(&out, Header(r), "<h2>What it shows</h2>\n<ul>\n");
  for (const std::string& f : r.findings()) absl::StrAppend(&out, "<li>", EscapeHtml(f), "</li>\n");
  absl::StrAppend(&out, "</ul>\n<section class=\"charts\">\n");
  const std::string target = absl::StrFormat("%.3g", r.config().target_accuracy());
  for (uint32_t n : r.config().workers()) {
    absl::StrAppend(&out,
                    Chart(
                        r, absl::StrCat("updates-vs-staleness-n", n),
                        absl::StrFormat("Updates to %s accuracy, n = %u workers", target, n),
                        "updates (median over seeds)",
                        [n](const StalenessRow& row) { return row.workers() == n; },
                        [](const StalenessRow& row) { return row.median_updates(); }, false,
                        "A point is missing where fewer than half the seeds reached the target."));
  }
  absl::StrAppend(
      &out,
      Chart(
          r, "slowdown-vs-staleness", "Slowdown against s = 0", "updates over those at s = 0",
          [](const StalenessRow&) { return true; },
          [](const StalenessRow& row) { return row.slowdown(); }, true,
          "Colour: the optimizer; dash: the worker count."),
      "</section>\n<h2>Rows</h2>\n",
      absl::StrFormat(
          "<p class=\"note\">Modelled time: the updates to the target x the seconds between two "
          "updates at the server of an ASYNC parameter server of n workers and one server on %s "
          "(the cost model's step of one worker, over n).</p>\n",
          EscapeHtml(r.config().base().cluster().instance_type().empty()
                         ? std::string("this machine's cores")
                         : r.config().base().cluster().instance_type())),
      RowsTable(r));
  absl::StrAppend(&out, PageEndHtml(r.provenance(), "staleness", MessageToJson(r)));
  return out;
}

}  // namespace distsim::report

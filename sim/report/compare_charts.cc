#include "sim/report/compare_charts.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/report/strategy_names.h"
#include "sim/report/svg_chart.h"

namespace distsim::report {

std::string PercentTick(double value, double step) {
  return FormatPercent(value, std::max(0, TickDecimals(step) - 2));
}

RunStyle StyleOfRun(const GroupView& view, const RunResult& run) {
  int row = static_cast<int>(view.rows.size()), repeat = 0;
  if (auto it = view.run_row.find(run.config().name()); it != view.run_row.end()) {
    row = it->second.first, repeat = it->second.second;
  }
  return {PaletteColour(row), DashPattern(row / 8), repeat == 0 ? 1.0 : 0.55};
}

bool EvalsModelled(const GroupView& view) {
  bool any = false;
  for (const RunResult* run : view.runs) {
    for (const EvalPoint& e : run->evals()) {
      if (e.modelled_seconds() <= 0) return false;
      any = true;
    }
  }
  return any;
}

namespace {

// The chart's id, x axis, title and caption for `x` (`modelled`: the evaluations have a
// modelled time).
void SetAccuracyAxis(AccuracyX x, bool modelled, LineChart* chart, std::string* title,
                     std::string* caption) {
  switch (x) {
    case AccuracyX::kSamples:
      chart->id = "accuracy-vs-samples";
      chart->x.label = "samples processed, all workers together";
      *title = "Test accuracy against samples processed";
      *caption =
          "Each line is one run (repeats paler): its test accuracy against the training samples "
          "all its workers had processed. It shows how much each set-up learns per sample, "
          "whatever its speed; higher is better.";
      return;
    case AccuracyX::kWallTime:
      chart->id = "accuracy-vs-time";
      chart->x.label = "wall time here (s)";
      *title = "Test accuracy against wall time here";
      *caption =
          "Each line is one run (repeats paler): its test accuracy at every evaluation against "
          "the wall time since it started on this machine, where all processes share its cores. "
          "Higher and further left is better. The dashed line is the target.";
      return;
    case AccuracyX::kModelledJobTime:
      chart->id = "accuracy-vs-job-time";
      *title = "Test accuracy against modelled job time";
      chart->x.label = modelled ? "modelled job time, download included (s)"
                                : "wall time here (s): these runs have no modelled clock";
      *caption =
          modelled
              ? "Each line is one run (repeats paler): its test accuracy at every evaluation "
                "against the time on the simulated cluster since the job started, the File-mode "
                "download of its data included (training starts when the slowest host has its "
                "data). Higher and further left is better."
              : "<b>No modelled clock:</b> these runs' evaluations carry no modelled time "
                "(EvalPoint.modelled_seconds), so this chart falls back to the wall time here. "
                "Each line is one run (repeats paler).";
      return;
  }
}

double XOf(AccuracyX x, bool modelled, const EvalPoint& e) {
  if (x == AccuracyX::kSamples) return static_cast<double>(e.samples());
  if (x == AccuracyX::kModelledJobTime && modelled) return e.modelled_seconds();
  return e.wall_seconds();
}

}  // namespace

std::string AccuracyChart(const CompareFacts& ctx, const GroupView& view, AccuracyX x) {
  const bool modelled = x == AccuracyX::kModelledJobTime && EvalsModelled(view);
  LineChart chart;
  std::string title, caption;
  SetAccuracyAxis(x, modelled, &chart, &title, &caption);
  chart.x.include_zero = true;
  chart.y.label = "test accuracy (%)";
  chart.y.format = PercentTick;
  chart.y.clamp_max = 1;
  chart.y_lines.push_back({ctx.target, absl::StrCat("target ", FormatPercent(ctx.target, 1))});
  chart.empty_text = "no run was evaluated";
  const std::string clock = x == AccuracyX::kSamples ? "samples" : modelled ? "modelled" : "wall";
  for (const RunResult* run : view.runs) {
    const RunStyle style = StyleOfRun(view, *run);
    Series series;
    series.label = run->config().name();
    series.colour = style.colour, series.dash = style.dash, series.opacity = style.opacity;
    series.attrs = {{"data-run", run->config().name()}, {"data-clock", clock}};
    for (const EvalPoint& e : run->evals()) {
      ChartPoint p;
      p.x = XOf(x, modelled, e);
      p.y = e.test_accuracy();
      p.tip = absl::StrFormat(
          "%s: %s at step %d, %s samples, %s here%s", run->config().name(),
          FormatPercent(e.test_accuracy(), 2), e.step(),
          FormatGrouped(static_cast<double>(e.samples())), FormatSeconds(e.wall_seconds()),
          e.modelled_seconds() > 0
              ? absl::StrCat(", ", FormatSeconds(e.modelled_seconds()), " modelled")
              : "");
      series.points.push_back(std::move(p));
    }
    chart.series.push_back(std::move(series));
  }
  // The legend names rows: a row's repeats share its colour.
  std::vector<LegendEntry> legend;
  for (size_t i = 0; i < view.rows.size(); ++i) {
    const CompareRow& row = *view.rows[i];
    std::string label = row.name();
    if (row.run_names_size() > 1) absl::StrAppend(&label, " (", row.run_names_size(), " repeats)");
    const bool evaluated = std::any_of(view.runs.begin(), view.runs.end(), [&](const RunResult* r) {
      const auto it = view.run_row.find(r->config().name());
      return it != view.run_row.end() && it->second.first == static_cast<int>(i) &&
             r->evals_size() > 0;
    });
    if (!evaluated) absl::StrAppend(&label, " (no evaluations)");
    legend.push_back(
        {label, PaletteColour(static_cast<int>(i)), DashPattern(static_cast<int>(i) / 8), 1});
  }
  return RenderFigureHtml(chart.id, title, RenderLineChartSvg(chart), RenderLegendHtml(legend),
                          caption);
}

namespace {
// The rows of one strategy at several worker counts.
struct WorkerSeries {
  std::string group, family, distribution, label;
  std::vector<const CompareRow*> rows;
};

std::vector<WorkerSeries> GroupByStrategy(const GroupView& view) {
  std::vector<WorkerSeries> out;
  for (const CompareRow* row : view.rows) {
    const std::string family = StrategyFamily(row->strategy());
    auto it = std::find_if(out.begin(), out.end(), [&](const WorkerSeries& s) {
      return s.family == family && s.distribution == row->distribution();
    });
    if (it == out.end()) {
      out.push_back({row->group(), family, row->distribution(), family, {}});
      it = out.end() - 1;
    }
    it->rows.push_back(row);
  }
  // Name a series by more than its strategy only where the strategy alone is ambiguous.
  for (WorkerSeries& s : out) {
    bool other_distribution = false;
    for (const WorkerSeries& t : out) {
      if (&s != &t && s.family == t.family) other_distribution |= s.distribution != t.distribution;
    }
    if (other_distribution) absl::StrAppend(&s.label, " · ", s.distribution);
    std::stable_sort(s.rows.begin(), s.rows.end(), [](const CompareRow* a, const CompareRow* b) {
      return a->workers() < b->workers();
    });
  }
  return out;
}

// The line of one strategy in the workers charts (colour `index`); rows without a defined
// efficiency are left out of the efficiency chart and counted in `undefined`.
Series WorkersSeriesOf(const WorkerSeries& ws, size_t index, bool efficiency, int* undefined) {
  Series series;
  series.label = ws.label;
  series.colour = PaletteColour(index), series.dash = DashPattern(index / 8);
  series.attrs = {{"data-strategy", ws.family},
                  {"data-series", ws.label},
                  {"data-group", ws.group},
                  {"data-distribution", ws.distribution}};
  for (const CompareRow* row : ws.rows) {
    ChartPoint p;
    p.x = row->workers();
    if (efficiency) {
      if (row->scaling_efficiency() <= 0) {
        ++*undefined;
        continue;
      }
      p.y = row->scaling_efficiency();
      p.tip = absl::StrFormat("%s: efficiency %s at %d workers", row->name(), FormatPercent(p.y, 1),
                              row->workers());
    } else {
      p.y = row->samples_per_second().median();
      p.tip = absl::StrFormat("%s: %s samples/s at %d workers", row->name(), FormatRate(p.y),
                              row->workers());
    }
    p.attrs = {{"data-row", row->name()}};
    series.points.push_back(std::move(p));
  }
  return series;
}

// The baseline of the group's rows, or the list of them when they differ.
std::string BaselineOf(const CompareFacts& ctx, const GroupView& view) {
  std::vector<std::string> baselines;
  for (const CompareRow* row : view.rows) {
    if (!row->baseline().empty() &&
        std::find(baselines.begin(), baselines.end(), row->baseline()) == baselines.end()) {
      baselines.push_back(row->baseline());
    }
  }
  if (baselines.empty()) return ctx.baseline;
  if (baselines.size() == 1) return baselines[0];
  return absl::StrCat("each run's own (", absl::StrJoin(baselines, ", "), ")");
}

// What the workers chart shows, and that all processes share this machine.
std::string WorkersCaption(const CompareFacts& ctx, const GroupView& view, bool efficiency,
                           int undefined) {
  const int cores = ctx.result->provenance().cpu_cores();
  const std::string machine =
      cores > 0 ? absl::StrFormat("all processes share this machine's %d cores", cores)
                : "all processes share one machine";
  if (!efficiency) {
    return absl::StrFormat(
        "Each line is one strategy: samples processed per second by all workers together "
        "(median over repeats, loading and evaluation included) against the number of workers. "
        "Higher is better; %s.",
        machine);
  }
  std::string caption = absl::StrFormat(
      "Each line is one strategy: its %s scaling efficiency against the number of workers, "
      "measured against <b>%s</b>; the dashed line at 100%% is perfect scaling. Here %s, so "
      "the curve shows overhead more than what a cluster would gain.",
      ctx.strong ? "strong" : "weak", EscapeHtml(BaselineOf(ctx, view)), machine);
  if (undefined > 0) {
    absl::StrAppendFormat(&caption, " %d row%s without a defined efficiency %s left out.",
                          undefined, undefined == 1 ? "" : "s", undefined == 1 ? "is" : "are");
  }
  return caption;
}

}  // namespace

std::string WorkersChart(const CompareFacts& ctx, const GroupView& view, bool efficiency) {
  LineChart chart;
  chart.id = efficiency ? "efficiency-vs-workers" : "throughput-vs-workers";
  chart.x.label = "workers";
  chart.x.integer = true;
  chart.x.include_zero = true;
  chart.x.format = [](double v, double) { return absl::StrFormat("%.0f", v); };
  chart.y.include_zero = true;
  if (efficiency) {
    chart.y.label = absl::StrCat(ctx.strong ? "strong" : "weak", " scaling efficiency (%)");
    chart.y.format = PercentTick;
    chart.y_lines.push_back({1.0, "ideal 100%"});
  } else {
    chart.y.label = "throughput (samples/s)";
  }
  chart.empty_text = "no row has a defined scaling efficiency";
  std::vector<LegendEntry> legend;
  int undefined = 0;
  const std::vector<WorkerSeries> groups = GroupByStrategy(view);
  for (size_t i = 0; i < groups.size(); ++i) {
    Series series = WorkersSeriesOf(groups[i], i, efficiency, &undefined);
    legend.push_back({series.label, series.colour, series.dash, 1});
    chart.series.push_back(std::move(series));
  }
  return RenderFigureHtml(
      chart.id, efficiency ? "Scaling efficiency against workers" : "Throughput against workers",
      RenderLineChartSvg(chart), RenderLegendHtml(legend),
      WorkersCaption(ctx, view, efficiency, undefined));
}

CompareFacts MakeCompareFacts(const CompareResult& result) {
  CompareFacts ctx;
  ctx.result = &result;
  const CompareConfig& config = result.config();
  if (config.target_accuracy() > 0) {
    ctx.target = config.target_accuracy();
  } else if (result.runs_size() > 0 && result.runs(0).target_accuracy() > 0) {
    ctx.target = result.runs(0).target_accuracy();
  }
  ctx.strong = config.scaling() == CompareConfig::STRONG;
  // The rows' own baselines (CompareRow.baseline), listed when they differ.
  std::vector<std::string> baselines;
  for (const CompareRow& row : result.rows()) {
    if (!row.baseline().empty() &&
        std::find(baselines.begin(), baselines.end(), row.baseline()) == baselines.end()) {
      baselines.push_back(row.baseline());
    }
  }
  if (baselines.size() > 1) {
    ctx.baseline = absl::StrCat("each run's own (", absl::StrJoin(baselines, ", "), ")");
  } else if (baselines.size() == 1) {
    ctx.baseline = baselines[0];
  } else {
    ctx.baseline = !config.baseline().empty() ? config.baseline()
                   : result.rows_size() > 0   ? result.rows(0).name()
                                              : std::string("the first run");
  }
  for (int r = 0; r < result.rows_size(); ++r) {
    const CompareRow& row = result.rows(r);
    for (int k = 0; k < row.run_names_size(); ++k)
      ctx.run_row.emplace(row.run_names(k), std::make_pair(r, k));
  }
  return ctx;
}

bool SeveralWorkerCounts(const GroupView& view) {
  for (const CompareRow* row : view.rows) {
    if (row->workers() != view.rows.front()->workers()) return true;
  }
  return false;
}

std::vector<GroupView> GroupViews(const CompareFacts& facts) {
  const CompareResult& result = *facts.result;
  std::vector<GroupView> views;
  for (const CompareRow& row : result.rows()) {
    auto it = std::find_if(views.begin(), views.end(),
                           [&row](const GroupView& v) { return v.group == row.group(); });
    if (it == views.end()) {
      views.push_back(GroupView{row.group(), {}, {}, {}});
      it = views.end() - 1;
    }
    const int index = static_cast<int>(it->rows.size());
    it->rows.push_back(&row);
    for (int k = 0; k < row.run_names_size(); ++k) {
      for (const RunResult& run : result.runs()) {
        if (run.config().name() != row.run_names(k)) continue;
        it->runs.push_back(&run);
        it->run_row.emplace(run.config().name(), std::make_pair(index, k));
        break;
      }
    }
  }
  return views;
}

}  // namespace distsim::report

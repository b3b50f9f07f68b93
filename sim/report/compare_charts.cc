#include "sim/report/compare_charts.h"

#include <algorithm>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/report/modelled_charts.h"
#include "sim/report/strategy_names.h"
#include "sim/report/svg_chart.h"

namespace distsim::report {
namespace {

std::string PercentTick(double value, double step) {
  return FormatPercent(value, std::max(0, TickDecimals(step) - 2));
}

struct RunStyle {
  std::string colour, dash;
  double opacity = 1;
};

RunStyle StyleOfRun(const CompareFacts& ctx, int run_index) {
  const std::string& name = ctx.result->runs(run_index).config().name();
  int row = ctx.result->rows_size() + run_index, repeat = 0;
  if (auto it = ctx.run_row.find(name); it != ctx.run_row.end()) {
    std::tie(row, repeat) = it->second;
  }
  return {PaletteColour(row), DashPattern(row / 8), repeat == 0 ? 1.0 : 0.55};
}

std::string AccuracyChart(const CompareFacts& ctx, bool by_samples) {
  LineChart chart;
  chart.id = by_samples ? "accuracy-vs-samples" : "accuracy-vs-time";
  chart.x.label = by_samples ? "samples processed, all workers together" : "wall time (s)";
  chart.x.include_zero = true;
  chart.y.label = "test accuracy (%)";
  chart.y.format = PercentTick;
  chart.y.clamp_max = 1;
  chart.y_lines.push_back({ctx.target, absl::StrCat("target ", FormatPercent(ctx.target, 1))});
  chart.empty_text = "no run was evaluated";
  std::vector<LegendEntry> legend;
  for (int i = 0; i < ctx.result->runs_size(); ++i) {
    const RunResult& run = ctx.result->runs(i);
    const RunStyle style = StyleOfRun(ctx, i);
    Series series;
    series.label = run.config().name();
    series.colour = style.colour, series.dash = style.dash, series.opacity = style.opacity;
    series.attrs = {{"data-run", run.config().name()}};
    for (const EvalPoint& e : run.evals()) {
      ChartPoint p;
      p.x = by_samples ? static_cast<double>(e.samples()) : e.wall_seconds();
      p.y = e.test_accuracy();
      p.tip = absl::StrFormat("%s: %s at %s, step %d, %s samples", run.config().name(),
                              FormatPercent(e.test_accuracy(), 2), FormatSeconds(e.wall_seconds()),
                              e.step(), FormatGrouped(static_cast<double>(e.samples())));
      series.points.push_back(std::move(p));
    }
    legend.push_back(
        {run.evals_size() == 0 ? absl::StrCat(series.label, " (no evaluations)") : series.label,
         style.colour, style.dash, style.opacity});
    chart.series.push_back(std::move(series));
  }
  const std::string caption =
      by_samples
          ? "Each line is one run: its test accuracy against the training samples all its "
            "workers had processed. It shows how much each set-up learns per sample, whatever "
            "its speed; higher is better. Stale asynchronous updates or unlike data shards show "
            "up here as lines below the others."
          : "Each line is one run (repeats paler): its test accuracy at every evaluation against "
            "the wall time since it started. Higher and further left is better: it reached that "
            "accuracy sooner. The dashed line is the target.";
  return RenderFigureHtml(
      chart.id,
      by_samples ? "Test accuracy against samples processed" : "Test accuracy against wall time",
      RenderLineChartSvg(chart), RenderLegendHtml(legend), caption);
}

// The rows of one strategy at several worker counts.
struct WorkerSeries {
  std::string group, family, distribution, label;
  std::vector<const CompareRow*> rows;
};

std::vector<WorkerSeries> GroupByStrategy(const CompareResult& result) {
  std::vector<WorkerSeries> out;
  for (const CompareRow& row : result.rows()) {
    const std::string family = StrategyFamily(row.strategy());
    auto it = std::find_if(out.begin(), out.end(), [&](const WorkerSeries& s) {
      return s.group == row.group() && s.family == family && s.distribution == row.distribution();
    });
    if (it == out.end()) {
      out.push_back({row.group(), family, row.distribution(), family, {}});
      it = out.end() - 1;
    }
    it->rows.push_back(&row);
  }
  // Name a series by more than its strategy only where the strategy alone is ambiguous.
  for (WorkerSeries& s : out) {
    bool other_distribution = false, other_group = false;
    for (const WorkerSeries& t : out) {
      if (&s == &t || s.family != t.family) continue;
      other_distribution |= s.distribution != t.distribution;
      other_group |= s.group != t.group;
    }
    if (other_distribution) absl::StrAppend(&s.label, " · ", s.distribution);
    if (other_group) absl::StrAppend(&s.label, " [", s.group, "]");
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

// What the workers chart shows, and that all processes share this machine.
std::string WorkersCaption(const CompareFacts& ctx, bool efficiency, int undefined) {
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
      ctx.strong ? "strong" : "weak", EscapeHtml(ctx.baseline), machine);
  if (undefined > 0) {
    absl::StrAppendFormat(&caption, " %d row%s without a defined efficiency %s left out.",
                          undefined, undefined == 1 ? "" : "s", undefined == 1 ? "is" : "are");
  }
  return caption;
}

std::string WorkersChart(const CompareFacts& ctx, bool efficiency) {
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
  const std::vector<WorkerSeries> groups = GroupByStrategy(*ctx.result);
  for (size_t i = 0; i < groups.size(); ++i) {
    Series series = WorkersSeriesOf(groups[i], i, efficiency, &undefined);
    legend.push_back({series.label, series.colour, series.dash, 1});
    chart.series.push_back(std::move(series));
  }
  return RenderFigureHtml(
      chart.id, efficiency ? "Scaling efficiency against workers" : "Throughput against workers",
      RenderLineChartSvg(chart), RenderLegendHtml(legend),
      WorkersCaption(ctx, efficiency, undefined));
}

std::string TimeSplitChart(const CompareFacts& ctx) {
  struct Part {
    const char* name;
    double (TimeSplit::*get)() const;
    const char* colour;
  };
  static constexpr Part kParts[] = {{"compute", &TimeSplit::compute, "#0072B2"},
                                    {"communication", &TimeSplit::communication, "#E69F00"},
                                    {"waiting", &TimeSplit::waiting, "#D55E00"},
                                    {"data", &TimeSplit::data, "#56B4E9"},
                                    {"update", &TimeSplit::update, "#009E73"}};
  BarChart chart;
  chart.id = "time-split";
  chart.x.label = "share of the workers' step time (%)";
  chart.x.format = PercentTick;
  chart.x.clamp_max = 1;
  std::vector<bool> present(std::size(kParts), false);
  for (const CompareRow& row : ctx.result->rows()) {
    Bar bar;
    bar.label = row.name();
    bar.attrs = {{"data-row", row.name()}};
    double total = 0;
    for (size_t i = 0; i < std::size(kParts); ++i) {
      const double v = (row.time_split().*kParts[i].get)();
      total += v;
      present[i] = present[i] || v > 0;
      bar.segments.push_back(
          {kParts[i].name, v, kParts[i].colour, FormatPercent(v, 0),
           absl::StrFormat("%s: %s %s", row.name(), kParts[i].name, FormatPercent(v, 1))});
    }
    if (total <= 0) bar.end_text = "no step times";
    chart.bars.push_back(std::move(bar));
  }
  std::vector<LegendEntry> legend;
  const bool none = std::none_of(present.begin(), present.end(), [](bool b) { return b; });
  for (size_t i = 0; i < std::size(kParts); ++i) {
    if (present[i] || none) legend.push_back({kParts[i].name, kParts[i].colour, "", 1, true});
  }
  return RenderFigureHtml(
      chart.id, "Where the step time goes", RenderBarChartSvg(chart), RenderLegendHtml(legend),
      "Each bar is one row (its first repeat): the shares of the workers' step time "
      "spent computing (forward and backward), communicating, waiting for other "
      "workers, reading data and updating the parameters locally. Local runs have "
      "compute and update only; a long orange or red part is time a cluster's "
      "network or a slow peer would cost.");
}

std::string BytesChart(const CompareFacts& ctx) {
  double hi = 0;
  for (const CompareRow& row : ctx.result->rows()) hi = std::max(hi, row.bytes_per_worker_step());
  static constexpr struct {
    double scale;
    const char* unit;
  } kUnits[] = {{1e9, "GB"}, {1e6, "MB"}, {1e3, "kB"}, {1, "B"}};
  double scale = 1;
  const char* unit = "B";
  for (const auto& u : kUnits) {
    if (hi >= u.scale) {
      scale = u.scale, unit = u.unit;
      break;
    }
  }
  BarChart chart;
  chart.id = "bytes-per-step";
  chart.x.label = absl::StrFormat("bytes on the wire per worker per step (%s)", unit);
  chart.x.format = [scale](double v, double step) {
    return absl::StrFormat("%.*f", TickDecimals(step / scale), v / scale);
  };
  for (const CompareRow& row : ctx.result->rows()) {
    Bar bar;
    bar.label = row.name();
    bar.attrs = {{"data-row", row.name()}};
    const double v = row.bytes_per_worker_step();
    bar.segments.push_back(
        {"bytes", v, PaletteColour(0), "",
         absl::StrFormat("%s: %s per worker per step", row.name(), FormatBytes(v))});
    bar.end_text = FormatBytes(v);
    chart.bars.push_back(std::move(bar));
  }
  return RenderFigureHtml(
      chart.id, "Bytes on the wire per worker per step", RenderBarChartSvg(chart),
      RenderLegendHtml({{"sent + received, mean over workers", PaletteColour(0), "", 1, true}}),
      "Each bar is one row: the bytes a worker sent plus received per training step, "
      "as the transport counted them (mean over workers; 1 kB = 1000 B). A ring "
      "allreduce moves 2(n-1)/n of the gradient each way, a parameter server two model "
      "sizes per worker; local runs move nothing.");
}

}  // namespace

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

std::string RenderCompareCharts(const CompareFacts& facts) {
  return absl::StrCat(AccuracyChart(facts, false), AccuracyChart(facts, true),
                      WorkersChart(facts, false), WorkersChart(facts, true), TimeSplitChart(facts),
                      ModelledStepChart(facts), BytesChart(facts), ModelledThroughputChart(facts));
}

}  // namespace distsim::report

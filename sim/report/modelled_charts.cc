#include "sim/report/modelled_charts.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sim/report/svg_chart.h"

namespace distsim::report {
namespace {

// The first repeat of `row`, or nullptr.
const RunResult* FirstRunOf(const CompareFacts& ctx, const CompareRow& row) {
  if (row.run_names_size() == 0) return nullptr;
  for (const RunResult& run : ctx.result->runs()) {
    if (run.config().name() == row.run_names(0)) return &run;
  }
  return nullptr;
}

std::string Millis(double ms) {
  return absl::StrFormat(ms >= 100 ? "%.0f ms" : ms >= 10 ? "%.1f ms" : "%.2f ms", ms);
}

}  // namespace

// The modelled step time of each row, split as the modelled clock splits the workers' time.
std::string ModelledStepChart(const CompareFacts& ctx) {
  struct Part {
    const char* name;
    double (ModelledClock::*share)() const;
    const char* colour;
  };
  static constexpr Part kParts[] = {
      {"compute", &ModelledClock::compute_share, "#0072B2"},
      {"communication", &ModelledClock::communication_share, "#E69F00"},
      {"waiting", &ModelledClock::waiting_share, "#D55E00"}};
  BarChart chart;
  chart.id = "modelled-step-time";
  chart.x.label = "modelled time per step (ms)";
  chart.x.format = [](double v, double step) {
    return absl::StrFormat("%.*f", TickDecimals(step), v);
  };
  int unmodelled = 0;
  for (const CompareRow& row : ctx.result->rows()) {
    Bar bar;
    bar.label = row.name();
    bar.attrs = {{"data-row", row.name()}};
    const RunResult* run = FirstRunOf(ctx, row);
    const double step = row.modelled_step_ms();
    if (run == nullptr || step <= 0) {
      ++unmodelled;
      for (const Part& part : kParts) bar.segments.push_back({part.name, 0, part.colour, "", ""});
      bar.end_text = "not modelled";
      chart.bars.push_back(std::move(bar));
      continue;
    }
    for (const Part& part : kParts) {
      const double share = (run->modelled().*part.share)();
      bar.segments.push_back(
          {part.name, step * share, part.colour, FormatPercent(share, 0),
           absl::StrFormat("%s: %s %s (%s of the workers' modelled time)", row.name(), part.name,
                           Millis(step * share), FormatPercent(share, 1))});
    }
    bar.end_text = Millis(step);
    chart.bars.push_back(std::move(bar));
  }
  std::vector<LegendEntry> legend;
  for (const Part& part : kParts) legend.push_back({part.name, part.colour, "", 1, true});
  std::string caption =
      "Each bar is one row (its first repeat): the time a step would take on the simulated "
      "cluster, split into computing, communicating (every message costs the latency plus its "
      "bytes over the NIC's bandwidth, with contention at each host's NIC) and waiting for "
      "slower workers, as shares of the workers' modelled time. For asynchronous runs a step is "
      "the busiest worker's. Compare it with the measured split beside it: this one does not "
      "depend on how many cores this machine has.";
  if (unmodelled > 0) {
    absl::StrAppendFormat(&caption, " %d row%s without a modelled clock %s marked.", unmodelled,
                          unmodelled == 1 ? "" : "s", unmodelled == 1 ? "is" : "are");
  }
  return RenderFigureHtml(chart.id, "Modelled time per step", RenderBarChartSvg(chart),
                          RenderLegendHtml(legend), caption);
}

// Two bars per row: samples/s measured here, and on the modelled cluster.
std::string ModelledThroughputChart(const CompareFacts& ctx) {
  BarChart chart;
  chart.id = "modelled-throughput";
  chart.x.label = "throughput (samples/s, median over repeats)";
  const char* measured_colour = PaletteColour(0);
  const char* modelled_colour = PaletteColour(1);
  for (const CompareRow& row : ctx.result->rows()) {
    Bar measured;
    measured.label = row.name();
    measured.attrs = {{"data-row", row.name()}, {"data-clock", "measured"}};
    const double here = row.samples_per_second().median();
    measured.segments.push_back(
        {"measured", here, measured_colour, "",
         absl::StrFormat("%s: %s samples/s measured here", row.name(), FormatRate(here))});
    measured.end_text = FormatRate(here);
    chart.bars.push_back(std::move(measured));
    Bar modelled;
    modelled.label = "modelled";
    modelled.attrs = {{"data-row", row.name()}, {"data-clock", "modelled"}};
    const double model = row.modelled_samples_per_second().median();
    modelled.segments.push_back(
        {"modelled", model, modelled_colour, "",
         absl::StrFormat("%s: %s samples/s on the modelled cluster%s", row.name(),
                         FormatRate(model),
                         row.network().empty() ? "" : absl::StrCat(" (", row.network(), ")"))});
    modelled.end_text = model > 0 ? FormatRate(model) : "not modelled";
    chart.bars.push_back(std::move(modelled));
  }
  return RenderFigureHtml(
      chart.id, "Throughput: measured here and modelled", RenderBarChartSvg(chart),
      RenderLegendHtml({{"measured here (wall clock)", measured_colour, "", 1, true},
                        {"modelled cluster", modelled_colour, "", 1, true}}),
      "For each row, two bars: the samples per second all its workers processed here (wall "
      "time, loading and evaluation included, every process sharing this machine's cores), "
      "and what the simulated cluster would process (training steps only, each worker on its "
      "own instance, the configured network). Here they can be far apart; the modelled one is "
      "what a cluster would show.");
}

}  // namespace distsim::report

// Inline SVG charts for report.html: "nice number" ticks, linear scales, a line chart (one <g> per
// series, one <circle> per point) and a horizontal (stacked) bar chart; the text helpers they
// share are in chart_text.h. Pure functions of their arguments; no I/O, no state,
// thread-compatible.
//
// Machine-checkable output: every series is `<g class="series" data-chart="ID" ...attrs>` holding
// only its own marks; a line-chart point is `<circle class="point" ... data-x=".." data-y="..">`
// and a bar segment `<rect class="bar" data-part=".." data-value="..">`, with the raw, unscaled
// values printed so that they parse back to the same double (FormatNumber).
#ifndef DISTSIM_SIM_REPORT_SVG_CHART_H_
#define DISTSIM_SIM_REPORT_SVG_CHART_H_

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/report/chart_text.h"

namespace distsim::report {

// Axis ticks covering [lo, hi] at a 1-2-5 step (Heckbert's "nice numbers"). lo > hi is swapped;
// lo == hi is widened so that the axis never has zero length. `integer` forces a step >= 1.
struct Ticks {
  double lo = 0;  // first tick, <= the data's lo
  double hi = 1;  // last tick, >= the data's hi
  double step = 1;
  std::vector<double> values;
};
Ticks NiceTicks(double lo, double hi, int target_count, bool integer);

// Decimals needed to print ticks `step` apart without repeating a label.
int TickDecimals(double step);

// Maps [d0, d1] linearly onto [r0, r1]; d0 == d1 maps everything to the middle of the range.
struct LinearScale {
  double d0 = 0, d1 = 1, r0 = 0, r1 = 1;
  double operator()(double v) const;
};

// Okabe-Ito (colour-blind safe), reordered so that the first colours contrast most on white;
// index wraps. DashPattern(i) is "" for solid, then dashed and dotted variants (wraps).
const char* PaletteColour(int index);
const char* DashPattern(int index);

using Attrs = std::vector<std::pair<std::string, std::string>>;  // name, unescaped value

struct AxisSpec {
  std::string label;  // with the unit, e.g. "wall time (s)"
  // Tick label of `value` on ticks `step` apart; default FormatSi with the decimals of the step.
  std::function<std::string(double value, double step)> format;
  bool include_zero = false;  // the range always contains 0
  bool integer = false;       // ticks at whole numbers only
  double clamp_max = 0;       // if > 0, ticks stop at it when the data allow
};

struct ChartPoint {
  double x = 0;
  double y = 0;
  std::string tip;  // hover text (<title>), plain text
  Attrs attrs;      // extra data-* attributes of the circle
};

struct Series {
  std::string label;  // legend text, plain
  std::string colour;
  std::string dash;  // stroke-dasharray, "" for solid
  double opacity = 1;
  Attrs attrs;                     // data-* attributes of the <g> (after class and data-chart)
  std::vector<ChartPoint> points;  // drawn joined in this order
};

struct ReferenceLine {
  double y = 0;
  std::string label;
};

struct LineChart {
  std::string id;  // data-chart
  AxisSpec x;
  AxisSpec y;
  std::vector<Series> series;
  std::vector<ReferenceLine> y_lines;  // dashed horizontal guides, e.g. the target accuracy
  std::string empty_text;              // shown in the plot when no series has a point
};
std::string RenderLineChartSvg(const LineChart& chart);

struct BarSegment {
  std::string part;  // data-part, also the legend key
  double value = 0;  // raw, in axis units
  std::string colour;
  std::string text;  // printed inside the segment when it is wide enough
  std::string tip;
};

struct Bar {
  std::string label;  // row label at the left, shortened to fit (the tip keeps it whole)
  Attrs attrs;        // data-* attributes of the <g>
  std::vector<BarSegment> segments;  // stacked left to right
  std::string end_text;              // printed after the bar, e.g. "1.2 MB"
};

struct BarChart {
  std::string id;
  AxisSpec x;  // the value axis (horizontal)
  std::vector<Bar> bars;
  double end_room = 70;  // room right of the longest bar for its end text, in SVG units (of 560)
};
std::string RenderBarChartSvg(const BarChart& chart);

struct LegendEntry {
  std::string label;
  std::string colour;
  std::string dash;
  double opacity = 1;
  bool box = false;  // a filled square (bars) instead of a line with a dot
};
std::string RenderLegendHtml(const std::vector<LegendEntry>& entries);

// A chart as the report pages show it: <figure class="chart[ extra_class]" data-chart="ID"> with
// a title, the SVG, the legend and a caption (HTML, inserted as given).
std::string RenderFigureHtml(const std::string& id, const std::string& title,
                             const std::string& svg, const std::string& legend,
                             const std::string& caption, const std::string& extra_class = "");

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_SVG_CHART_H_

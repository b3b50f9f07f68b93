#include "sim/report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace distsim::report {
namespace {

// Geometry of a line chart, in SVG user units (the viewBox; the page scales it to its column).
constexpr double kLineWidth = 560;
constexpr double kLineHeight = 340;
constexpr double kLeft = 62, kRight = 18, kTop = 14, kBottom = 48;
constexpr double kInset = 8;

// Geometry of a bar chart.
constexpr double kBarWidth = 560;
constexpr double kBarLabelWidth = 150;
constexpr double kBarPitch = 28, kBarThickness = 18;
constexpr double kCharWidth = 6.6;  // mean advance of a 12px sans-serif character

std::string Px(double v) { return absl::StrFormat("%.1f", v); }

std::string AttrText(const Attrs& attrs) {
  std::string out;
  for (const auto& [name, value] : attrs) {
    absl::StrAppend(&out, " ", name, "=\"", EscapeHtml(value), "\"");
  }
  return out;
}

std::string DefaultFormat(double value, double step) { return FormatSi(value, TickDecimals(step)); }

std::string Tick(const AxisSpec& axis, double value, double step) {
  return axis.format ? axis.format(value, step) : DefaultFormat(value, step);
}

// Ticks for data in [lo, hi] under the axis's rules.
Ticks AxisTicks(const AxisSpec& axis, double lo, double hi, int count) {
  if (axis.include_zero) {
    lo = std::min(lo, 0.0);
    hi = std::max(hi, 0.0);
  }
  Ticks ticks = NiceTicks(lo, hi, count, axis.integer);
  if (axis.clamp_max > 0 && hi <= axis.clamp_max && ticks.hi > axis.clamp_max) {
    while (!ticks.values.empty() && ticks.values.back() > axis.clamp_max + 1e-12) {
      ticks.values.pop_back();
    }
    ticks.hi = axis.clamp_max;
  }
  if (lo >= 0 && ticks.lo < 0) {  // never show negative room for non-negative data
    ticks.values.erase(std::remove_if(ticks.values.begin(), ticks.values.end(),
                                      [](double v) { return v < -1e-12; }),
                       ticks.values.end());
    ticks.lo = 0;
  }
  return ticks;
}

// Relative luminance of "#rrggbb", to pick black or white text on a fill.
bool IsLight(const std::string& colour) {
  if (colour.size() != 7 || colour[0] != '#') return true;
  const long rgb = std::strtol(colour.c_str() + 1, nullptr, 16);
  const double r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
  return 0.299 * r + 0.587 * g + 0.114 * b > 150;
}

std::string AxisLabelX(const std::string& label, double x, double y) {
  return absl::StrFormat(
      "<text class=\"axis-label\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>", Px(x), Px(y),
      EscapeHtml(label));
}

}  // namespace

Ticks NiceTicks(double lo, double hi, int target_count, bool integer) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (lo > hi) std::swap(lo, hi);
  if (hi - lo <= 1e-12 * std::max(1.0, std::fabs(hi))) {
    double pad = lo == 0 ? 1 : std::fabs(lo) * 0.5;
    if (integer) pad = std::max(1.0, std::ceil(pad));
    const bool non_negative = lo >= 0;
    lo -= pad;
    hi += pad;
    if (non_negative && lo < 0) lo = 0;
  }
  // Heckbert, "Nice numbers for graph labels" (Graphics Gems, 1990).
  auto nice = [](double x, bool round) {
    const double exponent = std::floor(std::log10(x));
    const double fraction = x / std::pow(10, exponent);
    double f;
    if (round) {
      f = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
    } else {
      f = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
    }
    return f * std::pow(10, exponent);
  };
  const int count = std::max(2, target_count);
  double step = nice(nice(hi - lo, false) / (count - 1), true);
  if (integer) step = std::max(1.0, std::round(step));
  Ticks ticks;
  ticks.step = step;
  const double first = std::floor(lo / step + 1e-9);
  const double last = std::ceil(hi / step - 1e-9);
  ticks.lo = first * step;
  ticks.hi = last * step;
  for (double i = first; i <= last + 1e-9; ++i) {
    double v = i * step;
    if (std::fabs(v) < step * 1e-9) v = 0;
    ticks.values.push_back(v);
  }
  return ticks;
}

int TickDecimals(double step) {
  if (!(step > 0)) return 0;
  return std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
}

double LinearScale::operator()(double v) const {
  if (d1 == d0) return (r0 + r1) / 2;
  return r0 + (v - d0) / (d1 - d0) * (r1 - r0);
}

const char* PaletteColour(int index) {
  // Okabe & Ito (2008): blue, orange, bluish green, vermillion, reddish purple, sky blue, black,
  // yellow.
  static constexpr const char* kColours[] = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                             "#CC79A7", "#56B4E9", "#000000", "#F0E442"};
  constexpr int n = sizeof(kColours) / sizeof(kColours[0]);
  return kColours[((index % n) + n) % n];
}

const char* DashPattern(int index) {
  static constexpr const char* kDashes[] = {"", "7 4", "2 3", "9 3 2 3"};
  constexpr int n = sizeof(kDashes) / sizeof(kDashes[0]);
  return kDashes[((index % n) + n) % n];
}

namespace {

// The data's range of a line chart (its finite points and reference lines); [0, 1] on both axes
// when no point is finite.
struct DataRange {
  double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
  bool any_point = false;
};

DataRange RangeOf(const LineChart& chart) {
  DataRange r;
  for (const Series& series : chart.series) {
    for (const ChartPoint& p : series.points) {
      if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
      r.any_point = true;
      r.x_lo = std::min(r.x_lo, p.x), r.x_hi = std::max(r.x_hi, p.x);
      r.y_lo = std::min(r.y_lo, p.y), r.y_hi = std::max(r.y_hi, p.y);
    }
  }
  if (!r.any_point) r.x_lo = 0, r.x_hi = 1, r.y_lo = 0, r.y_hi = 1;
  for (const ReferenceLine& line : chart.y_lines) {
    r.y_lo = std::min(r.y_lo, line.y), r.y_hi = std::max(r.y_hi, line.y);
  }
  return r;
}

// The plot area of a line chart and its scales.
struct LineFrame {
  double left = kLeft, right = kLineWidth - kRight, top = kTop, bottom = kLineHeight - kBottom;
  Ticks xt, yt;
  LinearScale sx, sy;
};

// The grid with the tick labels of both axes, then the axis lines.
std::string LineGridSvg(const LineChart& chart, const LineFrame& f) {
  std::string out = "<g class=\"grid\">";
  for (double v : f.yt.values) {
    const double y = f.sy(v);
    absl::StrAppendFormat(&out,
                          "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>"
                          "<text class=\"tick\" x=\"%s\" y=\"%s\" text-anchor=\"end\">%s</text>",
                          Px(f.left), Px(y), Px(f.right), Px(y), Px(f.left - 6), Px(y + 4),
                          EscapeHtml(Tick(chart.y, v, f.yt.step)));
  }
  for (double v : f.xt.values) {
    const double x = f.sx(v);
    absl::StrAppendFormat(&out,
                          "<line class=\"minor\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>"
                          "<text class=\"tick\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>",
                          Px(x), Px(f.top), Px(x), Px(f.bottom), Px(x), Px(f.bottom + 16),
                          EscapeHtml(Tick(chart.x, v, f.xt.step)));
  }
  absl::StrAppendFormat(&out, "</g>\n<path class=\"axis\" d=\"M%s %sV%sH%s\"/>\n", Px(f.left),
                        Px(f.top), Px(f.bottom), Px(f.right));
  for (const ReferenceLine& line : chart.y_lines) {
    const double y = f.sy(line.y);
    absl::StrAppendFormat(&out,
                          "<g class=\"reference\"><line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>"
                          "<text x=\"%s\" y=\"%s\">%s</text></g>\n",
                          Px(f.left), Px(y), Px(f.right), Px(y), Px(f.left + 5), Px(y - 5),
                          EscapeHtml(line.label));
  }
  return out;
}

// One series: its <g>, the line joining its drawable points, and a circle per point.
std::string SeriesSvg(const std::string& chart_id, const Series& series, const LineFrame& f) {
  std::string out = absl::StrFormat("<g class=\"series\" data-chart=\"%s\"%s>",
                                    EscapeHtml(chart_id), AttrText(series.attrs));
  absl::StrAppend(&out, "<title>", EscapeHtml(series.label), "</title>");
  const std::string dash =
      series.dash.empty() ? "" : absl::StrCat(" stroke-dasharray=\"", series.dash, "\"");
  const std::string opacity =
      series.opacity < 1 ? absl::StrFormat(" opacity=\"%.2f\"", series.opacity) : "";
  // A point that is not a finite number is not drawn (and not joined), nor is its circle.
  auto drawable = [](const ChartPoint& p) { return std::isfinite(p.x) && std::isfinite(p.y); };
  if (std::count_if(series.points.begin(), series.points.end(), drawable) > 1) {
    std::string points;
    for (const ChartPoint& p : series.points) {
      if (!drawable(p)) continue;
      absl::StrAppend(&points, points.empty() ? "" : " ", Px(f.sx(p.x)), ",", Px(f.sy(p.y)));
    }
    absl::StrAppendFormat(&out, "<polyline class=\"line\" points=\"%s\" stroke=\"%s\"%s%s/>",
                          points, series.colour, dash, opacity);
  }
  const double radius = series.points.size() > 40 ? 2.2 : 3.4;
  for (const ChartPoint& p : series.points) {
    if (!drawable(p)) continue;
    absl::StrAppendFormat(
        &out,
        "\n<circle class=\"point\" cx=\"%s\" cy=\"%s\" r=\"%.1f\" fill=\"%s\"%s data-x=\"%s\" "
        "data-y=\"%s\"%s><title>%s</title></circle>",
        Px(f.sx(p.x)), Px(f.sy(p.y)), radius, series.colour, opacity, FormatNumber(p.x),
        FormatNumber(p.y), AttrText(p.attrs), EscapeHtml(p.tip));
  }
  absl::StrAppend(&out, "</g>\n");
  return out;
}

}  // namespace

std::string RenderLineChartSvg(const LineChart& chart) {
  const DataRange range = RangeOf(chart);
  LineFrame f;
  f.xt = AxisTicks(chart.x, range.x_lo, range.x_hi, 7);
  f.yt = AxisTicks(chart.y, range.y_lo, range.y_hi, 6);
  // Points at the ends of the x range stay clear of the frame.
  f.sx = LinearScale{f.xt.lo, f.xt.hi, f.left + kInset, f.right - kInset};
  f.sy = LinearScale{f.yt.lo, f.yt.hi, f.bottom, f.top};

  std::string out = absl::StrFormat(
      "<svg class=\"plot\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"%s against %s\">\n",
      kLineWidth, kLineHeight, EscapeHtml(chart.y.label), EscapeHtml(chart.x.label));
  absl::StrAppend(&out, LineGridSvg(chart, f));
  for (const Series& series : chart.series) absl::StrAppend(&out, SeriesSvg(chart.id, series, f));
  if (!range.any_point && !chart.empty_text.empty()) {
    absl::StrAppendFormat(&out,
                          "<text class=\"empty\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s"
                          "</text>\n",
                          Px((f.left + f.right) / 2), Px((f.top + f.bottom) / 2),
                          EscapeHtml(chart.empty_text));
  }
  absl::StrAppend(&out, AxisLabelX(chart.x.label, (f.left + f.right) / 2, kLineHeight - 8));
  absl::StrAppendFormat(&out,
                        "<text class=\"axis-label\" transform=\"translate(14 %s) rotate(-90)\" "
                        "text-anchor=\"middle\">%s</text>\n</svg>",
                        Px((f.top + f.bottom) / 2), EscapeHtml(chart.y.label));
  return out;
}

namespace {

// One bar at `y`: its <g>, the label at the left, a rect per segment (with its text when it
// fits) and the end text.
std::string BarSvg(const std::string& chart_id, const Bar& bar, double y, double left,
                   const LinearScale& sx) {
  const int label_chars = static_cast<int>(kBarLabelWidth / kCharWidth);
  std::string out =
      absl::StrFormat("<g class=\"series\" data-chart=\"%s\"%s><title>%s</title>",
                      EscapeHtml(chart_id), AttrText(bar.attrs), EscapeHtml(bar.label));
  absl::StrAppendFormat(&out,
                        "<text class=\"bar-label\" x=\"%s\" y=\"%s\" text-anchor=\"end\">%s"
                        "</text>",
                        Px(left - 8), Px(y + kBarThickness / 2 + 4),
                        EscapeHtml(Ellipsize(bar.label, label_chars)));
  double x = left;
  for (const BarSegment& s : bar.segments) {
    const double w = std::max(0.0, sx(std::max(0.0, s.value)) - sx(0));
    absl::StrAppendFormat(&out,
                          "\n<rect class=\"bar\" x=\"%s\" y=\"%s\" width=\"%s\" height=\"%.0f\" "
                          "fill=\"%s\" data-part=\"%s\" data-value=\"%s\"><title>%s</title>"
                          "</rect>",
                          Px(x), Px(y), Px(w), kBarThickness, s.colour, EscapeHtml(s.part),
                          FormatNumber(s.value), EscapeHtml(s.tip));
    if (!s.text.empty() && w >= s.text.size() * kCharWidth * 0.9 + 6) {
      absl::StrAppendFormat(&out,
                            "<text class=\"in-bar%s\" x=\"%s\" y=\"%s\" "
                            "text-anchor=\"middle\">%s</text>",
                            IsLight(s.colour) ? "" : " on-dark", Px(x + w / 2),
                            Px(y + kBarThickness / 2 + 4), EscapeHtml(s.text));
    }
    x += w;
  }
  if (!bar.end_text.empty()) {
    absl::StrAppendFormat(&out, "<text class=\"bar-end\" x=\"%s\" y=\"%s\">%s</text>", Px(x + 5),
                          Px(y + kBarThickness / 2 + 4), EscapeHtml(bar.end_text));
  }
  absl::StrAppend(&out, "</g>\n");
  return out;
}

}  // namespace

std::string RenderBarChartSvg(const BarChart& chart) {
  double hi = 0;
  for (const Bar& bar : chart.bars) {
    double sum = 0;
    for (const BarSegment& s : bar.segments) sum += std::max(0.0, s.value);
    hi = std::max(hi, sum);
  }
  const Ticks xt = AxisTicks(chart.x, 0, hi, 6);
  const double rows = std::max<double>(1, chart.bars.size());
  const double height = kTop + rows * kBarPitch + kBottom;
  const double left = kBarLabelWidth + 10, right = kBarWidth - chart.end_room, top = kTop,
               bottom = height - kBottom;
  const LinearScale sx{xt.lo, xt.hi, left, right};

  std::string out = absl::StrFormat(
      "<svg class=\"plot\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"%s per row\">\n"
      "<g class=\"grid\">",
      kBarWidth, height, EscapeHtml(chart.x.label));
  for (double v : xt.values) {
    const double x = sx(v);
    absl::StrAppendFormat(&out,
                          "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>"
                          "<text class=\"tick\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>",
                          Px(x), Px(top), Px(x), Px(bottom), Px(x), Px(bottom + 16),
                          EscapeHtml(Tick(chart.x, v, xt.step)));
  }
  absl::StrAppendFormat(&out, "</g>\n<path class=\"axis\" d=\"M%s %sV%s\"/>\n", Px(left), Px(top),
                        Px(bottom));
  for (size_t i = 0; i < chart.bars.size(); ++i) {
    const double y = top + i * kBarPitch + (kBarPitch - kBarThickness) / 2;
    absl::StrAppend(&out, BarSvg(chart.id, chart.bars[i], y, left, sx));
  }
  absl::StrAppend(&out, AxisLabelX(chart.x.label, (left + right) / 2, height - 8), "\n</svg>");
  return out;
}

std::string RenderLegendHtml(const std::vector<LegendEntry>& entries) {
  std::string out = "<ul class=\"legend\">";
  for (const LegendEntry& e : entries) {
    const std::string opacity =
        e.opacity < 1 ? absl::StrFormat(" opacity=\"%.2f\"", e.opacity) : "";
    std::string swatch;
    if (e.box) {
      swatch = absl::StrFormat("<rect x=\"6\" y=\"0\" width=\"14\" height=\"12\" fill=\"%s\"%s/>",
                               e.colour, opacity);
    } else {
      const std::string dash =
          e.dash.empty() ? "" : absl::StrCat(" stroke-dasharray=\"", e.dash, "\"");
      swatch = absl::StrFormat(
          "<line x1=\"1\" y1=\"6\" x2=\"25\" y2=\"6\" stroke=\"%s\" stroke-width=\"2.5\"%s%s/>"
          "<circle cx=\"13\" cy=\"6\" r=\"3.4\" fill=\"%s\"%s/>",
          e.colour, dash, opacity, e.colour, opacity);
    }
    absl::StrAppendFormat(
        &out, "<li><svg width=\"26\" height=\"12\" aria-hidden=\"true\">%s</svg>%s</li>", swatch,
        EscapeHtml(e.label));
  }
  absl::StrAppend(&out, "</ul>");
  return out;
}

std::string RenderFigureHtml(const std::string& id, const std::string& title,
                             const std::string& svg, const std::string& legend,
                             const std::string& caption, const std::string& extra_class) {
  return absl::StrFormat(
      "<figure class=\"chart%s\" data-chart=\"%s\"><h3>%s</h3>\n%s\n%s\n<figcaption>%s"
      "</figcaption></figure>\n",
      extra_class, id, EscapeHtml(title), svg, legend, caption);
}

}  // namespace distsim::report

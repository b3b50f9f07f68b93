#include "sim/report/svg_chart.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
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
constexpr double kBarEndRoom = 70;
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

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const char* entity = c == '&'    ? "&amp;"
                         : c == '<'  ? "&lt;"
                         : c == '>'  ? "&gt;"
                         : c == '"'  ? "&quot;"
                         : c == '\'' ? "&#39;"
                                     : nullptr;
    if (entity != nullptr) {
      out += entity;
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Inf" : "-Inf";
  if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    return absl::StrFormat("%.0f", value == 0 ? 0.0 : value);
  }
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, end);
}

std::string FormatSi(double value, int decimals) {
  static constexpr struct {
    double scale;
    const char* suffix;
  } kUnits[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
  double scaled = value;
  const char* suffix = "";
  for (const auto& unit : kUnits) {
    if (std::fabs(value) >= unit.scale) {
      scaled = value / unit.scale;
      suffix = unit.suffix;
      // Ticks 500 apart print as 1.5k: keep the decimals the step needs in the new unit.
      decimals = std::max(0, decimals - static_cast<int>(std::lround(std::log10(unit.scale))));
      decimals = std::max(decimals, 1);
      break;
    }
  }
  std::string text = absl::StrFormat("%.*f", std::clamp(decimals, 0, 9), scaled);
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  if (text == "-0") text = "0";
  return absl::StrCat(text, suffix);
}

std::string FormatBytes(double bytes) {
  static constexpr struct {
    double scale;
    const char* suffix;
  } kUnits[] = {{1e12, "TB"}, {1e9, "GB"}, {1e6, "MB"}, {1e3, "kB"}};
  for (const auto& unit : kUnits) {
    if (std::fabs(bytes) >= unit.scale) {
      const double scaled = bytes / unit.scale;
      const int decimals = scaled >= 100 ? 0 : scaled >= 10 ? 1 : 2;
      return absl::StrFormat("%.*f %s", decimals, scaled, unit.suffix);
    }
  }
  return absl::StrFormat("%.0f B", bytes);
}

std::string FormatPercent(double fraction, int decimals) {
  return absl::StrFormat("%.*f%%", decimals, 100 * fraction);
}

std::string FormatGrouped(double value) {
  const std::string digits = absl::StrFormat("%.0f", std::fabs(value));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value <= -0.5 ? absl::StrCat("-", out) : out;
}

std::string FormatRate(double per_second) {
  return per_second >= 100 ? FormatGrouped(per_second) : absl::StrFormat("%.1f", per_second);
}

std::string FormatSeconds(double s) {
  if (s >= 600) {
    const double minutes = std::floor(s / 60);
    return absl::StrFormat("%.0f min %02.0f s", minutes, std::floor(s - 60 * minutes));
  }
  return absl::StrFormat(s >= 100 ? "%.0f s" : "%.1f s", s);
}

std::string Ellipsize(std::string_view text, int max_chars) {
  if (max_chars < 1) max_chars = 1;
  int chars = 0;
  size_t cut = text.size();
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (chars == max_chars - 1 && cut == text.size()) cut = i;
    if (++chars > max_chars) return absl::StrCat(std::string(text.substr(0, cut)), "…");
  }
  return std::string(text);
}

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

std::string RenderLineChartSvg(const LineChart& chart) {
  double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
  bool any_point = false;
  for (const Series& series : chart.series) {
    for (const ChartPoint& p : series.points) {
      if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
      any_point = true;
      x_lo = std::min(x_lo, p.x), x_hi = std::max(x_hi, p.x);
      y_lo = std::min(y_lo, p.y), y_hi = std::max(y_hi, p.y);
    }
  }
  if (!any_point) x_lo = 0, x_hi = 1, y_lo = 0, y_hi = 1;
  for (const ReferenceLine& line : chart.y_lines) {
    y_lo = std::min(y_lo, line.y), y_hi = std::max(y_hi, line.y);
  }
  const Ticks xt = AxisTicks(chart.x, x_lo, x_hi, 7);
  const Ticks yt = AxisTicks(chart.y, y_lo, y_hi, 6);
  const double left = kLeft, right = kLineWidth - kRight, top = kTop,
               bottom = kLineHeight - kBottom;
  // Points at the ends of the x range stay clear of the frame.
  const LinearScale sx{xt.lo, xt.hi, left + kInset, right - kInset};
  const LinearScale sy{yt.lo, yt.hi, bottom, top};

  std::string out = absl::StrFormat(
      "<svg class=\"plot\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"%s against %s\">\n",
      kLineWidth, kLineHeight, EscapeHtml(chart.y.label), EscapeHtml(chart.x.label));
  absl::StrAppend(&out, "<g class=\"grid\">");
  for (double v : yt.values) {
    const double y = sy(v);
    absl::StrAppendFormat(&out,
                          "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>"
                          "<text class=\"tick\" x=\"%s\" y=\"%s\" text-anchor=\"end\">%s</text>",
                          Px(left), Px(y), Px(right), Px(y), Px(left - 6), Px(y + 4),
                          EscapeHtml(Tick(chart.y, v, yt.step)));
  }
  for (double v : xt.values) {
    const double x = sx(v);
    absl::StrAppendFormat(&out,
                          "<line class=\"minor\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>"
                          "<text class=\"tick\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>",
                          Px(x), Px(top), Px(x), Px(bottom), Px(x), Px(bottom + 16),
                          EscapeHtml(Tick(chart.x, v, xt.step)));
  }
  absl::StrAppendFormat(&out, "</g>\n<path class=\"axis\" d=\"M%s %sV%sH%s\"/>\n", Px(left),
                        Px(top), Px(bottom), Px(right));
  for (const ReferenceLine& line : chart.y_lines) {
    const double y = sy(line.y);
    absl::StrAppendFormat(&out,
                          "<g class=\"reference\"><line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>"
                          "<text x=\"%s\" y=\"%s\">%s</text></g>\n",
                          Px(left), Px(y), Px(right), Px(y), Px(left + 5), Px(y - 5),
                          EscapeHtml(line.label));
  }
  for (const Series& series : chart.series) {
    absl::StrAppendFormat(&out, "<g class=\"series\" data-chart=\"%s\"%s>", EscapeHtml(chart.id),
                          AttrText(series.attrs));
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
        absl::StrAppend(&points, points.empty() ? "" : " ", Px(sx(p.x)), ",", Px(sy(p.y)));
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
          Px(sx(p.x)), Px(sy(p.y)), radius, series.colour, opacity, FormatNumber(p.x),
          FormatNumber(p.y), AttrText(p.attrs), EscapeHtml(p.tip));
    }
    absl::StrAppend(&out, "</g>\n");
  }
  if (!any_point && !chart.empty_text.empty()) {
    absl::StrAppendFormat(&out,
                          "<text class=\"empty\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s"
                          "</text>\n",
                          Px((left + right) / 2), Px((top + bottom) / 2),
                          EscapeHtml(chart.empty_text));
  }
  absl::StrAppend(&out, AxisLabelX(chart.x.label, (left + right) / 2, kLineHeight - 8));
  absl::StrAppendFormat(&out,
                        "<text class=\"axis-label\" transform=\"translate(14 %s) rotate(-90)\" "
                        "text-anchor=\"middle\">%s</text>\n</svg>",
                        Px((top + bottom) / 2), EscapeHtml(chart.y.label));
  return out;
}

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
  const double left = kBarLabelWidth + 10, right = kBarWidth - kBarEndRoom, top = kTop,
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
  const int label_chars = static_cast<int>(kBarLabelWidth / kCharWidth);
  for (size_t i = 0; i < chart.bars.size(); ++i) {
    const Bar& bar = chart.bars[i];
    const double y = top + i * kBarPitch + (kBarPitch - kBarThickness) / 2;
    absl::StrAppendFormat(&out, "<g class=\"series\" data-chart=\"%s\"%s><title>%s</title>",
                          EscapeHtml(chart.id), AttrText(bar.attrs), EscapeHtml(bar.label));
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

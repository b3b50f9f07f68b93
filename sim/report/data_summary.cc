#include "sim/report/data_summary.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/report/row_facts.h"
#include "sim/report/svg_chart.h"

namespace distsim::report {
namespace {

// Geometry of a host's label histogram: one bar per class, its digit below.
constexpr double kHistBar = 11, kHistGap = 2, kHistHeight = 26, kHistDigits = 10;

// A tiny bar chart of one host's label counts, scaled to `top` (the largest count of any host
// of the run, so that hosts compare).
std::string HistogramSvg(const std::string& run, const HostData& host, double top) {
  const int classes = host.label_counts_size();
  const double width = classes * (kHistBar + kHistGap);
  std::string out = absl::StrFormat(
      "<svg class=\"hist\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
      "aria-label=\"label histogram of %s\">",
      width, kHistHeight + kHistDigits, width, kHistHeight + kHistDigits, EscapeHtml(host.name()));
  absl::StrAppendFormat(&out,
                        "<g class=\"series\" data-chart=\"label-histogram\" data-run=\"%s\" "
                        "data-host=\"%s\">",
                        EscapeHtml(run), EscapeHtml(host.name()));
  for (int k = 0; k < classes; ++k) {
    const double count = static_cast<double>(host.label_counts(k));
    const double h = top > 0 ? kHistHeight * count / top : 0;
    const double x = k * (kHistBar + kHistGap);
    absl::StrAppendFormat(&out,
                          "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" "
                          "height=\"%.1f\" fill=\"%s\" data-part=\"%d\" data-value=\"%s\">"
                          "<title>label %d: %s examples</title></rect>"
                          "<text class=\"digit\" x=\"%.1f\" y=\"%.0f\" "
                          "text-anchor=\"middle\">%d</text>",
                          x, kHistHeight - h, kHistBar, h, PaletteColour(0), k, FormatNumber(count),
                          k, FormatGrouped(count), x + kHistBar / 2, kHistHeight + kHistDigits - 1,
                          k);
  }
  absl::StrAppend(&out, "</g></svg>");
  return out;
}

// One host's line of the table (`objects`: how many the data set has).
std::string HostRow(const std::string& run, const HostData& host, int objects, double top) {
  std::vector<std::string> keys;
  for (uint32_t key : host.objects()) keys.push_back(absl::StrCat(key));
  if (objects > 1 && host.objects_size() == objects) keys = {"all"};
  std::string out = absl::StrFormat(
      "<tr data-host=\"%s\" data-objects=\"%d\" data-examples=\"%d\" data-idle=\"%s\">"
      "<td class=\"name\">%s</td><td>%d <span class=\"desc\">%s</span></td><td>%s</td>",
      EscapeHtml(host.name()), host.objects_size(), host.examples(), host.idle() ? "true" : "false",
      EscapeHtml(host.name()), host.objects_size(),
      keys.empty() ? "" : absl::StrCat("(", absl::StrJoin(keys, ", "), ")"),
      FormatGrouped(static_cast<double>(host.examples())));
  if (host.idle()) {
    absl::StrAppend(&out,
                    "<td class=\"missed\">idle: started and billed, nothing to train on</td>");
  } else {
    absl::StrAppend(&out, "<td>", HistogramSvg(run, host, top), "</td>");
  }
  absl::StrAppend(&out, "</tr>\n");
  return out;
}

// "SHARDED_BY_KEY, 10 objects grouped by label; mean label entropy per object 0.47 bits (of
// 3.32 for all 10 classes alike)".
std::string DataLine(const DataSummary& data, int classes) {
  std::string grouping = absl::AsciiStrToLower(data.grouping());
  if (data.grouping() == "BY_LABEL") grouping = "grouped by label";
  if (data.grouping() == "SHUFFLED") grouping = "shuffled";
  if (data.grouping() == "DIRICHLET") {
    grouping = absl::StrFormat("with Dirichlet label skew (alpha %g)", data.dirichlet_alpha());
  }
  std::string out = absl::StrFormat("%s, %d objects %s", EscapeHtml(data.distribution()),
                                    data.object_sizes_size(), EscapeHtml(grouping));
  absl::StrAppendFormat(&out, "; mean label entropy per object <b>%.2f bits</b>",
                        data.mean_object_label_entropy());
  if (classes > 1) {
    absl::StrAppendFormat(&out, " (%.2f for %d classes in equal shares)", std::log2(classes),
                          classes);
  }
  return out;
}

std::string DataCard(const CompareRow& row, const RunResult& run) {
  const DataSummary& data = run.data();
  double top = 0;
  int classes = 0;
  for (const HostData& host : data.hosts()) {
    classes = std::max(classes, host.label_counts_size());
    for (uint64_t count : host.label_counts()) top = std::max(top, static_cast<double>(count));
  }
  std::string out = absl::StrFormat(
      "<div class=\"data-run\" data-row=\"%s\" data-run=\"%s\" data-entropy=\"%s\">"
      "<h4>%s</h4><p class=\"desc\">%s%s</p>\n<table class=\"hosts\"><thead><tr><th>host</th>"
      "<th>objects (keys)</th><th>examples</th><th>labels 0–%d</th></tr></thead><tbody>\n",
      EscapeHtml(row.name()), EscapeHtml(run.config().name()),
      FormatNumber(data.mean_object_label_entropy()), EscapeHtml(row.name()),
      DataLine(data, classes), row.run_names_size() > 1 ? " (its first repeat)" : "",
      std::max(0, classes - 1));
  for (const HostData& host : data.hosts()) {
    absl::StrAppend(&out, HostRow(run.config().name(), host, data.object_sizes_size(), top));
  }
  absl::StrAppend(&out, "</tbody></table></div>\n");
  return out;
}

}  // namespace

std::string RenderDataSummary(const CompareFacts& facts, const GroupView& view) {
  std::string cards;
  for (const CompareRow* row : view.rows) {
    const RunResult* run = FirstRunOf(*facts.result, *row);
    if (run != nullptr && run->data().hosts_size() > 0)
      absl::StrAppend(&cards, DataCard(*row, *run));
  }
  if (cards.empty()) return "";
  return absl::StrCat(
      "<div class=\"data-summary\"><h3>What each host read</h3>\n<p class=\"note\">Each "
      "simulated host (algo-1, algo-2, ... as SageMaker names them) downloads its channel: the "
      "objects (S3 keys) it was given. The bars are its examples by label, on one scale per "
      "run; an object's label entropy is 0 bits when it holds one digit.</p>\n<div "
      "class=\"data-cards\">",
      cards, "</div></div>\n");
}

}  // namespace distsim::report

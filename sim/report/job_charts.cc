#include "sim/report/job_charts.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sim/report/row_facts.h"
#include "sim/report/svg_chart.h"

namespace distsim::report {
namespace {

struct Part {
  const char* name;
  const char* colour;
};
constexpr Part kParts[] = {{"download", "#56B4E9"},
                           {"compute", "#0072B2"},
                           {"communication", "#E69F00"},
                           {"waiting", "#D55E00"},
                           {"upload", "#009E73"}};

// The five parts of a row's modelled job, in kParts' order: the download (median over repeats),
// the first repeat's training split by its modelled shares, and its upload.
std::vector<double> JobParts(const CompareRow& row, const ModelledClock& m) {
  return {row.modelled_download_seconds().median(), m.seconds() * m.compute_share(),
          m.seconds() * m.communication_share(), m.seconds() * m.waiting_share(),
          m.upload_seconds()};
}

Bar JobBar(const CompareResult& result, const CompareRow& row, int* unmodelled) {
  Bar bar;
  bar.label = row.name();
  const double cost = row.modelled_cost_usd().median();
  const double idle = row.modelled_idle_cost_usd().median();
  bar.attrs = {{"data-row", row.name()},
               {"data-cost-usd", FormatNumber(cost)},
               {"data-idle-cost-usd", FormatNumber(idle)}};
  const RunResult* run = FirstRunOf(result, row);
  if (run == nullptr || row.modelled_job_seconds().median() <= 0) {
    ++*unmodelled;
    for (const Part& part : kParts) bar.segments.push_back({part.name, 0, part.colour, "", ""});
    bar.end_text = "not modelled";
    return bar;
  }
  const std::vector<double> parts = JobParts(row, run->modelled());
  double total = 0;
  for (double v : parts) total += v;
  for (size_t i = 0; i < parts.size(); ++i) {
    bar.segments.push_back({kParts[i].name, parts[i], kParts[i].colour, FormatSeconds(parts[i]),
                            absl::StrFormat("%s: %s %s (%s of the job)", row.name(), kParts[i].name,
                                            FormatSeconds(parts[i]),
                                            FormatPercent(total > 0 ? parts[i] / total : 0, 1))});
  }
  bar.end_text = cost > 0 ? Usd(cost) : FormatSeconds(total);
  if (IdleWorthSaying(row)) absl::StrAppend(&bar.end_text, " (idle ", Usd(idle), ")");
  return bar;
}

}  // namespace

std::string JobTimeChart(const CompareFacts& ctx, const GroupView& view) {
  BarChart chart;
  chart.id = "job-time";
  chart.x.label = "modelled job time (s)";
  chart.end_room = 140;
  int unmodelled = 0;
  double idle = 0;
  for (const CompareRow* row : view.rows) {
    chart.bars.push_back(JobBar(*ctx.result, *row, &unmodelled));
    idle = std::max(idle, row->modelled_idle_cost_usd().median());
  }
  std::vector<LegendEntry> legend;
  for (const Part& part : kParts) legend.push_back({part.name, part.colour, "", 1, true});
  std::string caption =
      "Each bar is one row: its job on the simulated cluster, from the start of the File-mode "
      "download to the end of the model's upload. The slowest host's download (median over "
      "repeats) comes first: training starts when every host has its data. Then the training, "
      "split into computing, communicating and waiting by the first repeat's modelled clock, "
      "and the upload. At the end, the bill: every host for the whole job at the instance's "
      "on-demand price (median over repeats).";
  if (idle > 0) {
    absl::StrAppend(&caption,
                    " <b>Idle hosts:</b> the part in parentheses is what hosts cost while they "
                    "had nothing to do (no data to train on, or waiting for the others).");
  }
  if (unmodelled > 0) {
    absl::StrAppendFormat(&caption, " %d row%s without a modelled job %s marked.", unmodelled,
                          unmodelled == 1 ? "" : "s", unmodelled == 1 ? "is" : "are");
  }
  return RenderFigureHtml(chart.id, "Modelled job time and its cost", RenderBarChartSvg(chart),
                          RenderLegendHtml(legend), caption);
}

}  // namespace distsim::report

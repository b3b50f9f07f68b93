// The eight charts of report.html (see html_report.h for what the first six draw and how their
// data can be read back; the two of the modelled clock are described below), and the facts about
// a comparison that the page's header, table and charts share.
#ifndef DISTSIM_SIM_REPORT_COMPARE_CHARTS_H_
#define DISTSIM_SIM_REPORT_COMPARE_CHARTS_H_

#include <map>
#include <string>
#include <utility>

#include "distsim/result.pb.h"

namespace distsim::report {

struct CompareFacts {
  const CompareResult* result = nullptr;  // not owned; outlives the facts
  double target = 0.95;                   // target test accuracy
  bool strong = false;                    // strong scaling (else weak)
  std::string baseline;                   // the run scaling efficiency is measured against
  std::map<std::string, std::pair<int, int>> run_row;  // run name -> (row index, repeat index)
};

// Defaults filled in as `distsim compare` fills them: target from the config, else from the
// runs, else 0.95; baseline from the config, else the first row.
CompareFacts MakeCompareFacts(const CompareResult& result);

// Eight <figure> elements, in order (two per line of the page): accuracy-vs-time,
// accuracy-vs-samples, throughput-vs-workers, efficiency-vs-workers, time-split,
// modelled-step-time, bytes-per-step, modelled-throughput.
//   modelled-step-time   one series per CompareRow, data-row; <rect data-part data-value> for
//       compute, communication, waiting in ms: modelled_step_ms x the first repeat's
//       ModelledClock shares (all 0 for a row without a modelled clock)
//   modelled-throughput   two series per CompareRow, both data-row, data-clock "measured" then
//       "modelled"; one <rect data-part="measured"|"modelled" data-value> each =
//       samples_per_second.median | modelled_samples_per_second.median
std::string RenderCompareCharts(const CompareFacts& facts);

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_COMPARE_CHARTS_H_

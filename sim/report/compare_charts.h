// The six charts of report.html (see html_report.h for what each draws and how its data can be
// read back), and the facts about a comparison that the page's header, table and charts share.
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

// Six <figure> elements, in order: accuracy-vs-time, accuracy-vs-samples,
// throughput-vs-workers, efficiency-vs-workers, time-split, bytes-per-step.
std::string RenderCompareCharts(const CompareFacts& facts);

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_COMPARE_CHARTS_H_

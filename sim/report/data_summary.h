// The data summary of a group of report.html (html_report.h says how its data can be read
// back): for each row whose first repeat carries RunResult.data, the objects and each simulated
// host's channel: its objects, examples and label histogram. A pure function of the facts.
#ifndef DISTSIM_SIM_REPORT_DATA_SUMMARY_H_
#define DISTSIM_SIM_REPORT_DATA_SUMMARY_H_

#include <string>

#include "sim/report/compare_charts.h"

namespace distsim::report {

// <div class="data-summary">: a card per row with data (its first repeat's), or "" when no row
// of the group has any.
std::string RenderDataSummary(const CompareFacts& facts, const GroupView& view);

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_DATA_SUMMARY_H_

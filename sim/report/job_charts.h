// The chart of report.html on the modelled job (html_report.h says what it draws and how its
// data can be read back): per row, the job on the simulated cluster from the start of the
// download to the end of the upload, and its bill. A pure function of the comparison's facts.
#ifndef DISTSIM_SIM_REPORT_JOB_CHARTS_H_
#define DISTSIM_SIM_REPORT_JOB_CHARTS_H_

#include <string>

#include "sim/report/compare_charts.h"

namespace distsim::report {

// The <figure> "job-time" of the group: a stacked bar per row (download, compute,
// communication, waiting, upload, in seconds) with its cost at the end.
std::string JobTimeChart(const CompareFacts& facts, const GroupView& view);

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_JOB_CHARTS_H_

// The table of one group of report.html: a <tr class="row" data-row="NAME"> per CompareRow with
// what ran, how well it learned (final and best test accuracy), how fast it ran here, and the
// modelled clock and job with its cost. A pure function of the comparison's facts.
#ifndef DISTSIM_SIM_REPORT_REPORT_TABLE_H_
#define DISTSIM_SIM_REPORT_REPORT_TABLE_H_

#include <string>

#include "sim/report/compare_charts.h"

namespace distsim::report {

// <div class="table-wrap"><table class="results" data-group="GROUP">: a header line and the
// group's rows in order. A row's best accuracy cell holds <span class="value best-gap"> when
// the best is 0.5 points or more above the final (BestAboveFinal). The cost column is there only
// when a row of the group has a cost.
std::string RenderRowsTable(const CompareFacts& facts, const GroupView& view);

// What the columns mean, once per page.
std::string TableNoteHtml();

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_REPORT_TABLE_H_

// The body of report.html: one <section class="group" data-group="GROUP"> per group of the
// comparison, in config order, each with its heading, its claims, its findings, its table, why
// a row ended below its best, its own charts and what each host read; and, before them, what
// belongs to no group. A pure function of the comparison's facts.
#ifndef DISTSIM_SIM_REPORT_REPORT_SECTIONS_H_
#define DISTSIM_SIM_REPORT_REPORT_SECTIONS_H_

#include <string>
#include <vector>

#include "sim/report/compare_charts.h"

namespace distsim::report {

// The index in `views` of the group a finding is about: the group whose FindingPrefix
// (row_facts.h) it starts with, else the group of the run whose name it starts with; -1 when
// none (then the page shows it above the groups).
int FindingGroup(const std::vector<GroupView>& views, const std::string& finding);

// The claims and findings that belong to no group (a <section class="across">, or "" when there
// are none), then the groups' sections.
std::string RenderSections(const CompareFacts& facts);

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_REPORT_SECTIONS_H_

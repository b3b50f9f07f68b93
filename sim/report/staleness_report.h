// report.html of `distsim staleness`: one self-contained page showing a StalenessResult: the
// study's settings and findings, one chart per worker count n ("updates-vs-staleness-n<N>": one
// series per optimizer, data-optimizer = StalenessRow.optimizer, points (s, median updates to the
// target) for the rows whose median reached it, the study's values of s evenly spaced), one
// chart of the slowdown against s ("slowdown-vs-staleness": a series per optimizer and n), the
// table of rows, and staleness.json embedded in <script type="application/json"
// id="staleness-data">.
#ifndef DISTSIM_SIM_REPORT_STALENESS_REPORT_H_
#define DISTSIM_SIM_REPORT_STALENESS_REPORT_H_

#include <string>

#include "distsim/staleness.pb.h"

namespace distsim::report {

std::string RenderStalenessReport(const StalenessResult& result);

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_STALENESS_REPORT_H_

// The two charts of report.html on the modelled clock (compare_charts.h describes what they
// draw): each row's modelled step time split into its parts, and each row's measured throughput
// beside its modelled one. Pure functions of the comparison's facts.
#ifndef DISTSIM_SIM_REPORT_MODELLED_CHARTS_H_
#define DISTSIM_SIM_REPORT_MODELLED_CHARTS_H_

#include <string>

#include "sim/report/compare_charts.h"

namespace distsim::report {

// The <figure> "modelled-step-time".
std::string ModelledStepChart(const CompareFacts& ctx);

// The <figure> "modelled-throughput".
std::string ModelledThroughputChart(const CompareFacts& ctx);

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_MODELLED_CHARTS_H_

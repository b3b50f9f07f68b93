// Short names of a strategy description (RunResult.strategy, as node::DescribeStrategy writes
// it) for the table, the findings and the charts' series. Pure functions.
#ifndef DISTSIM_SIM_REPORT_STRATEGY_NAMES_H_
#define DISTSIM_SIM_REPORT_STRATEGY_NAMES_H_

#include <string>

namespace distsim::report {

// A strategy description (RunResult.strategy) short enough for a table column: "ps SYNC",
// "ps SSP s=2", "ps ASYNC k=2" (2 dedicated server shards), "ps ASYNC coloc", "ring", "local".
std::string ShortStrategy(const std::string& strategy);

// A strategy description (RunResult.strategy, e.g. "parameter_server ASYNC, 1 server
// (DEDICATED), 4 workers") without its worker count, so that the runs of one strategy at several
// worker counts form one series: "parameter_server ASYNC, 1 server (DEDICATED)". Colocated
// servers, one per worker host, lose their count too: "parameter_server SYNC, servers
// (COLOCATED)".
std::string StrategyFamily(const std::string& strategy);

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_STRATEGY_NAMES_H_

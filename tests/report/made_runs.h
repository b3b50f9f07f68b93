// Hand-made runs for the tests of the comparison's rows, table and findings (tests/report and
// tests/app): a RunResult as a run of the simulated cluster would leave it, without running it.
#ifndef DISTSIM_TESTS_REPORT_MADE_RUNS_H_
#define DISTSIM_TESTS_REPORT_MADE_RUNS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "distsim/result.pb.h"

namespace distsim::testing {

// A run of `workers` workers: ps SYNC (1 server) or ring, or local when workers == 1, on
// ml.c5.xlarge with the FLOPS clock, the given network (50 us) and modelled figures.
RunResult MadeRun(const std::string& name, uint32_t workers, bool ring, double bandwidth_gbps,
                  bool shape, double modelled_s, double modelled_sps, double step_ms);

// Whether any of `findings` contains `needle`.
bool Has(const std::vector<std::string>& findings, const std::string& needle);

// The findings one per line, for a failure message.
std::string Joined(const std::vector<std::string>& findings);

}  // namespace distsim::testing

#endif  // DISTSIM_TESTS_REPORT_MADE_RUNS_H_

// The claims of a comparison (CompareConfig.claims) checked against its rows: the published
// figure beside what distsim's runs show, on the modelled clock and on the wall clock here. Pure
// functions of the protos; no I/O, thread-compatible.
#ifndef DISTSIM_SIM_REPORT_CLAIMS_H_
#define DISTSIM_SIM_REPORT_CLAIMS_H_

#include <string>
#include <vector>

#include "distsim/result.pb.h"

namespace distsim::report {

// `claim` checked on the rows of its two runs (`run` is claim.run's, `other` claim.other's):
//   SPEEDUP       modelled = other's modelled_job_seconds median / run's (0 when either has no
//                 modelled job); measured = other's wall_seconds median / run's (0 likewise)
//   ACCURACY_GAP  modelled = measured = (other's final_test_accuracy median - run's) x 100
// holds: the claimed direction on the modelled figure (SPEEDUP > 1, ACCURACY_GAP > 0).
// summary: e.g. `workshop: "trained almost 4 times as fast" (4x); here: 4.6x modelled, 4.1x
// measured (medians of 3)`.
ClaimCheck CheckClaim(const Claim& claim, const CompareRow& run, const CompareRow& other);

// CheckClaim of every claim of result.config(), in order, on result.rows(). A claim whose run or
// other has no row (a config that was not validated) gets a check with holds false and a summary
// that says which row is missing.
std::vector<ClaimCheck> CheckClaims(const CompareResult& result);

// The group a check belongs to: its claim's group, else the group of its run's row ("" if none).
std::string ClaimGroup(const CompareResult& result, const ClaimCheck& check);

// The checks as the terminal prints them after the table: a title line, then one line each,
// "  holds     <summary>" or "  not here  <summary>"; "" when there are none.
std::string FormatClaims(const CompareResult& result);

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_CLAIMS_H_

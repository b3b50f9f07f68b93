// A small tabular data set with a known linear rule, for the tests and the shipped CSV example
// (configs/data/): `features` = 4 real features of very different scales and offsets, a label
// in {0, 1, 2} given by the rule below, and a header line "f1,f2,f3,f4,label".
//
// Each example draws u uniformly in [-1, 1]^4 (a counter-based generator: the same bytes on every
// machine) and writes x_f = kScale[f] * u_f + kOffset[f]. Its class is the argmax of three linear
// scores of u (so of x): s0 = u1 + u2, s1 = -u1 + u3, s2 = -u2 - u3 + 0.3 u4; examples whose best
// score beats the second by less than 0.15 are skipped, so the classes are linearly separable
// with a margin and a linear model (softmax) can reach 100% on both files.
#ifndef DISTSIM_SIM_DATA_SYNTHETIC_CSV_H_
#define DISTSIM_SIM_DATA_SYNTHETIC_CSV_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace distsim::data {

// The class of u by the rule above, or -1 when the margin is under 0.15.
int SeparableClass(const std::array<double, 4>& u);

// Writes `dir`/train.csv and `dir`/test.csv (the folder must exist) with `train` and `test`
// examples drawn from `seed` (the test file from other draws than the training file). Unknown
// naming the path for an OS failure.
absl::Status WriteSeparableCsv(const std::string& dir, int64_t train, int64_t test,
                               uint64_t seed);

}  // namespace distsim::data

#endif  // DISTSIM_SIM_DATA_SYNTHETIC_CSV_H_

// Label skew drawn from a Dirichlet distribution: the partition of the federated-learning
// literature (Hsu, Qi and Brown 2019, "Measuring the effects of non-identical data distribution
// for federated visual classification"), used for data.grouping DIRICHLET.
#ifndef DISTSIM_SIM_DATA_DIRICHLET_H_
#define DISTSIM_SIM_DATA_DIRICHLET_H_

#include <cstdint>
#include <span>
#include <vector>

#include "sim/data/random.h"

namespace distsim::data {

// One draw of Gamma(shape, 1), shape > 0 (Marsaglia and Tsang 2000; shape < 1 through
// Gamma(shape + 1) x U^(1 / shape)). Deterministic for a given stream on one libm.
double SampleGamma(double shape, SplitMix64& rng);

// One draw of Dirichlet(concentration): independent Gamma(concentration[c]) draws, normalised.
// Every concentration must be > 0. If every draw underflows to 0 (tiny concentrations), the
// result is one-hot at a class drawn with probability proportional to the concentrations.
std::vector<double> SampleDirichlet(std::span<const double> concentration, SplitMix64& rng);

// Cuts the examples of `labels` into objects of the given sizes (which must sum to
// labels.size()), each object's label mix drawn from Dirichlet(alpha x p), p the class shares of
// the whole set. Every example lands in exactly one object. See the .cc for the filling order.
std::vector<std::vector<int64_t>> DirichletObjects(std::span<const int32_t> labels,
                                                   std::span<const int64_t> sizes, double alpha,
                                                   uint64_t seed);

}  // namespace distsim::data

#endif  // DISTSIM_SIM_DATA_DIRICHLET_H_

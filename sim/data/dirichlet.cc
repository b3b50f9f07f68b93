#include "sim/data/dirichlet.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "sim/base/check.h"
#include "sim/data/sampler.h"

namespace distsim::data {
namespace {

// A standard normal draw (Box-Muller, the cosine half).
double SampleNormal(SplitMix64& rng) {
  const double u1 = 1.0 - rng.Uniform();  // (0, 1]: the log is finite
  const double u2 = rng.Uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

// Index of a draw from the weights (all >= 0, sum > 0).
int DrawIndex(std::span<const double> weights, double total, SplitMix64& rng) {
  double target = rng.Uniform() * total;
  int last = -1;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] <= 0) continue;
    last = static_cast<int>(i);
    if (target < weights[i]) return last;
    target -= weights[i];
  }
  DS_CHECK(last >= 0);
  return last;  // rounding left the target past the end
}

}  // namespace

double SampleGamma(double shape, SplitMix64& rng) {
  DS_CHECK(shape > 0);
  if (shape < 1) {
    const double u = 1.0 - rng.Uniform();
    return SampleGamma(shape + 1, rng) * std::pow(u, 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    const double x = SampleNormal(rng);
    const double t = 1.0 + c * x;
    if (t <= 0) continue;
    const double v = t * t * t;
    const double u = 1.0 - rng.Uniform();
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
  }
}

std::vector<double> SampleDirichlet(std::span<const double> concentration, SplitMix64& rng) {
  std::vector<double> draw(concentration.size());
  double total = 0;
  for (size_t c = 0; c < concentration.size(); ++c) {
    draw[c] = SampleGamma(concentration[c], rng);
    total += draw[c];
  }
  if (total > 0) {
    for (double& x : draw) x /= total;
    return draw;
  }
  double sum = 0;
  for (double a : concentration) sum += a;
  const int hot = DrawIndex(concentration, sum, rng);
  std::fill(draw.begin(), draw.end(), 0.0);
  draw[hot] = 1.0;
  return draw;
}

// The fill. Each class's examples wait in a pool, in a seeded order. Object k draws its label mix
// q_k from Dirichlet(alpha x p). Then the objects take turns, one slot each per round, until every
// object is full: the object draws a class from q_k among the classes whose pool is not empty
// (renormalised), or, when q_k puts no weight on any of them, from the pools' remaining sizes, and
// takes that pool's next example. Taking turns spreads the running-out of a popular class over
// all objects instead of leaving the leftovers to the last ones. The sizes sum to N and the
// pools hold N, so every example lands in exactly one object.
std::vector<std::vector<int64_t>> DirichletObjects(std::span<const int32_t> labels,
                                                   std::span<const int64_t> sizes, double alpha,
                                                   uint64_t seed) {
  DS_CHECK(alpha > 0);
  const int64_t n = static_cast<int64_t>(labels.size());
  int classes = 0;
  for (int32_t l : labels) classes = std::max(classes, l + 1);
  std::vector<int64_t> order(n);
  EpochPermutation(n, seed, 0, /*shuffle=*/true, order);
  std::vector<std::vector<int64_t>> pools(classes);
  for (int64_t i : order) pools[labels[i]].push_back(i);
  std::vector<size_t> taken(classes, 0);

  SplitMix64 rng(seed);
  std::vector<double> concentration(classes);
  for (int c = 0; c < classes; ++c) {
    // Classes absent from the set get a tiny weight; their pools are empty, so never drawn.
    concentration[c] = std::max(1e-12, alpha * static_cast<double>(pools[c].size()) / n);
  }
  std::vector<std::vector<double>> mix(sizes.size());
  for (std::vector<double>& q : mix) q = SampleDirichlet(concentration, rng);

  std::vector<std::vector<int64_t>> objects(sizes.size());
  int64_t placed = 0;
  std::vector<double> weights(classes);
  while (placed < n) {
    for (size_t k = 0; k < sizes.size(); ++k) {
      if (static_cast<int64_t>(objects[k].size()) >= sizes[k]) continue;
      double total = 0;
      for (int c = 0; c < classes; ++c) {
        weights[c] = taken[c] < pools[c].size() ? mix[k][c] : 0.0;
        total += weights[c];
      }
      if (total <= 0) {
        for (int c = 0; c < classes; ++c) {
          weights[c] = static_cast<double>(pools[c].size() - taken[c]);
          total += weights[c];
        }
      }
      const int c = DrawIndex(weights, total, rng);
      objects[k].push_back(pools[c][taken[c]++]);
      ++placed;
    }
  }
  return objects;
}

}  // namespace distsim::data

// Helpers for the kernels tests: seeded random vectors and a finite-difference gradient checker.
#ifndef DISTSIM_TESTS_KERNELS_TEST_UTIL_H_
#define DISTSIM_TESTS_KERNELS_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kernels/random.h"

namespace distsim::kernels::testing {

inline std::vector<double> NormalVector(int64_t n, uint64_t seed, double stddev = 1.0) {
  std::vector<double> v(n);
  const uint64_t key = StreamKey(seed, 77);
  for (int64_t i = 0; i < n; ++i) v[i] = stddev * RandomNormal(key, i);
  return v;
}

inline std::vector<double> UniformVector(int64_t n, uint64_t seed, double lo, double hi) {
  std::vector<double> v(n);
  const uint64_t key = StreamKey(seed, 78);
  for (int64_t i = 0; i < n; ++i) v[i] = lo + (hi - lo) * RandomUniform(key, i);
  return v;
}

template <typename To, typename From>
std::vector<To> Cast(const std::vector<From>& v) {
  return std::vector<To>(v.begin(), v.end());
}

// Up to `samples` distinct coordinates of [0, n): all of them when n <= samples, else a seeded
// sample that always includes the first and the last.
inline std::vector<int64_t> SampleCoordinates(int64_t n, int samples, uint64_t seed) {
  std::vector<int64_t> out;
  if (n <= samples) {
    for (int64_t i = 0; i < n; ++i) out.push_back(i);
    return out;
  }
  out = {0, n - 1};
  const uint64_t key = StreamKey(seed, 79);
  for (uint64_t i = 0; static_cast<int>(out.size()) < samples; ++i) {
    const int64_t c = static_cast<int64_t>(RandomBits(key, i) % static_cast<uint64_t>(n));
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  }
  return out;
}

struct GradCheckOptions {
  double eps = 1e-6;      // central-difference step
  double rel_tol = 1e-6;  // |analytic - numeric| <= rel_tol * max(|a|, |n|) + abs_tol
  double abs_tol = 1e-8;  // covers the rounding error of f (about 1e-16 * |f| / eps)
  int samples = 24;       // coordinates per tensor
};

// Compares analytic[i] with (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) for a sample of i in
// [0, n), where f reads x (which this function perturbs and restores). Every sampled coordinate
// is checked; at least one must have a gradient clearly away from zero, so that an all-zero
// gradient (a disconnected tensor) cannot pass. Returns the largest relative error.
inline double ExpectGradientMatches(const std::function<double()>& f, double* x,
                                    const double* analytic, int64_t n, const std::string& what,
                                    const GradCheckOptions& opt = {}, uint64_t seed = 1) {
  double worst = 0, largest = 0;
  for (int64_t i : SampleCoordinates(n, opt.samples, seed)) {
    const double saved = x[i];
    x[i] = saved + opt.eps;
    const double up = f();
    x[i] = saved - opt.eps;
    const double down = f();
    x[i] = saved;
    const double numeric = (up - down) / (2 * opt.eps);
    const double a = analytic[i];
    const double scale = std::max(std::abs(a), std::abs(numeric));
    largest = std::max(largest, std::abs(a));
    EXPECT_LE(std::abs(a - numeric), opt.rel_tol * scale + opt.abs_tol)
        << what << "[" << i << "]: analytic " << a << " numeric " << numeric;
    if (scale > 0) worst = std::max(worst, std::abs(a - numeric) / scale);
  }
  EXPECT_GT(largest, 1e-5) << what << ": every sampled gradient is (nearly) zero";
  return worst;
}

}  // namespace distsim::kernels::testing

#endif  // DISTSIM_TESTS_KERNELS_TEST_UTIL_H_

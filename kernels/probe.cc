#include "kernels/probe.h"

#include <time.h>

#include <algorithm>

#include <Eigen/Core>

namespace distsim::kernels {
namespace {

double ThreadCpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace

double MeasureGemmGflops(double seconds) {
  constexpr int kN = 256;
  using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>;
  Matrix a = Matrix::Random(kN, kN), b = Matrix::Random(kN, kN), c(kN, kN);
  c.noalias() = a * b;  // warm caches and the allocator
  const double flops = 2.0 * kN * kN * kN;
  double best = 0;
  const double start = ThreadCpu();
  do {
    const double t0 = ThreadCpu();
    c.noalias() = a * b;
    const double took = ThreadCpu() - t0;
    if (took > 0) best = std::max(best, flops / took);
    a(0, 0) = c(1, 1) * 1e-9f;  // a data dependence, so no repetition can be skipped
  } while (ThreadCpu() - start < seconds);
  return best * 1e-9;
}

}  // namespace distsim::kernels

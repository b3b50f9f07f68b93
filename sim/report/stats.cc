#include "sim/report/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace distsim::report {


double Quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  double position = q * static_cast<double>(values.size() - 1);
  size_t below = static_cast<size_t>(std::floor(position));
  size_t above = std::min(below + 1, values.size() - 1);
  double fraction = position - static_cast<double>(below);
  return values[below] + fraction * (values[above] - values[below]);
}

StepTimes SummarizeStepTimes(const std::vector<double>& step_seconds, int warmup) {
  StepTimes out;
  size_t skip = static_cast<size_t>(std::max(warmup, 0));
  if (step_seconds.size() <= skip) skip = 0;
  std::vector<double> ms;
  ms.reserve(step_seconds.size() - skip);
  for (size_t i = skip; i < step_seconds.size(); ++i) ms.push_back(1e3 * step_seconds[i]);
  out.set_warmup_steps(static_cast<uint32_t>(skip));
  out.set_measured_steps(ms.size());
  if (ms.empty()) return out;
  out.set_mean_ms(std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(ms.size()));
  out.set_p50_ms(Quantile(ms, 0.50));
  out.set_p90_ms(Quantile(ms, 0.90));
  out.set_p99_ms(Quantile(ms, 0.99));
  return out;
}

std::optional<double> TimeToTarget(const RunResult& run, double target) {
  for (const EvalPoint& e : run.evals()) {
    if (e.test_accuracy() >= target) return e.wall_seconds();
  }
  return std::nullopt;
}

}  // namespace distsim::report

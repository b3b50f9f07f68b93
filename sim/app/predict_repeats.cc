#include "sim/app/predict_repeats.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/report/stats.h"

namespace distsim::app {

double RelativeSpread(const std::vector<double>& values) {
  if (values.size() < 2) return 0;
  const double median = report::Quantile(values, 0.5);
  if (median == 0) return 0;
  return (report::Quantile(values, 0.9) - report::Quantile(values, 0.1)) / median;
}

std::string TooBusyReason(double check_spread, double probe_spread) {
  std::vector<std::string> reasons;
  if (check_spread > kMaxCheckSpread) {
    reasons.push_back(absl::StrFormat(
        "its repeats' step times spread %.1f%% (p90 - p10 over the median; the bound is %.0f%%)",
        100 * check_spread, 100 * kMaxCheckSpread));
  }
  if (probe_spread > kMaxProbeSpread) {
    reasons.push_back(
        absl::StrFormat("the calibration's link probe spread %.1f%% (the bound is %.0f%%)",
                        100 * probe_spread, 100 * kMaxProbeSpread));
  }
  return absl::StrJoin(reasons, "; ");
}

void SummarizeRepeats(double probe_spread, PredictCheck* c) {
  std::vector<double> predicted, measured, errors;
  for (const PredictRepeat& r : c->repeats()) {
    predicted.push_back(r.predicted_step_ms());
    if (r.measured_step_ms() <= 0) continue;
    measured.push_back(r.measured_step_ms());
    errors.push_back(r.error());
  }
  if (!predicted.empty()) c->set_predicted_step_ms(report::Quantile(predicted, 0.5));
  if (measured.empty()) return;
  c->set_measured_step_ms(report::Quantile(measured, 0.5));
  c->set_error(report::Quantile(errors, 0.5));
  c->set_spread(RelativeSpread(measured));
  c->set_too_busy(TooBusyReason(c->spread(), probe_spread));
}

std::string ChecksText(const PredictResult& result) {
  if (result.checks_size() == 0) return "";
  std::string out = absl::StrFormat(
      "\nheld-out checks on this machine (step time, mean after warm-up; median of %u run%s "
      "each):\n",
      std::max(1u, result.repeat()), result.repeat() == 1 ? "" : "s");
  absl::StrAppendFormat(&out, "%-20s %-40s %10s %10s %8s %7s  %s\n", "check",
                        "differs from calibration", "predicted", "measured", "error", "spread",
                        "too busy");
  std::string reasons;
  for (const PredictCheck& k : result.checks()) {
    const bool ran = k.measured_step_ms() > 0;
    absl::StrAppendFormat(
        &out, "%-20s %-40s %10.2f %10s %8s %7s  %s\n", k.name(), k.setup(), k.predicted_step_ms(),
        ran ? absl::StrFormat("%.2f", k.measured_step_ms()) : "not run",
        ran ? absl::StrFormat("%+.1f%%", 100 * k.error()) : "-",
        ran && k.repeats_size() > 1 ? absl::StrFormat("%.1f%%", 100 * k.spread()) : "-",
        k.too_busy().empty() ? "" : "TOO BUSY");
    if (!k.too_busy().empty())
      absl::StrAppendFormat(&reasons, "  %s: %s\n", k.name(), k.too_busy());
  }
  if (!reasons.empty()) {
    absl::StrAppend(&out, "too busy (the median error of these says nothing of the model):\n",
                    reasons);
  }
  return out;
}

}  // namespace distsim::app

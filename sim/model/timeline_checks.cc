#include "sim/model/timeline_checks.h"

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "sim/base/status.h"

namespace distsim::model {
namespace {

bool IsPs(TimelineSpec::Kind kind) {
  return kind == TimelineSpec::kPsSync || kind == TimelineSpec::kPsAsync ||
         kind == TimelineSpec::kPsSsp;
}

bool IsReplayed(TimelineSpec::Kind kind) {
  return kind == TimelineSpec::kPsAsync || kind == TimelineSpec::kPsSsp;
}

bool NonNegative(double x) { return std::isfinite(x) && x >= 0; }

absl::Status ValidateSpec(const TimelineSpec& spec, size_t workers) {
  if (spec.worker_host.size() != workers) {
    return absl::InvalidArgumentError(absl::StrCat("timeline: step records of ", workers,
                                                   " workers but worker_host names ",
                                                   spec.worker_host.size()));
  }
  for (size_t w = 0; w < spec.worker_host.size(); ++w) {
    if (spec.worker_host[w] < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "timeline: worker_host[", w, "] = ", spec.worker_host[w], "; hosts are >= 0"));
    }
  }
  if (!NonNegative(spec.net.alpha_s) || !NonNegative(spec.net.bytes_per_s)) {
    return absl::InvalidArgumentError(
        absl::StrCat("timeline: network alpha_s = ", spec.net.alpha_s, " and bytes_per_s = ",
                     spec.net.bytes_per_s, " must be finite and >= 0 (bytes_per_s 0 = infinite)"));
  }
  if (!spec.worker_start_s.empty() && spec.worker_start_s.size() != workers) {
    return absl::InvalidArgumentError(absl::StrCat("timeline: worker_start_s names ",
                                                   spec.worker_start_s.size(), " workers of ",
                                                   workers));
  }
  for (double start : spec.worker_start_s) {
    if (!NonNegative(start)) {
      return absl::InvalidArgumentError(
          absl::StrCat("timeline: a worker start of ", start, " s; must be finite and >= 0"));
    }
  }
  if (spec.kind == TimelineSpec::kRing && !NonNegative(spec.model_bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("timeline: model_bytes = ", spec.model_bytes, " must be finite and >= 0"));
  }
  if (!IsPs(spec.kind)) return absl::OkStatus();
  if (spec.server_host.empty() || spec.server_host.size() != spec.shard_bytes.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "timeline: a parameter-server run needs one host and one shard size per server; got ",
        spec.server_host.size(), " server hosts and ", spec.shard_bytes.size(), " shard sizes"));
  }
  for (size_t j = 0; j < spec.server_host.size(); ++j) {
    if (spec.server_host[j] < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "timeline: server_host[", j, "] = ", spec.server_host[j], "; hosts are >= 0"));
    }
    if (!NonNegative(spec.shard_bytes[j])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "timeline: shard_bytes[", j, "] = ", spec.shard_bytes[j], " must be finite and >= 0"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateSteps(const TimelineSpec& spec,
                           const std::vector<std::vector<StepRecord>>& steps) {
  for (size_t w = 0; w < steps.size(); ++w) {
    for (size_t i = 0; i < steps[w].size(); ++i) {
      const StepRecord& r = steps[w][i];
      if (r.step() != i + 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            "timeline: worker ", w, " record ", i, " is step ", r.step(), ", expected ", i + 1,
            " (each worker's records must be its steps 1, 2, 3, ... in order)"));
      }
      if (!NonNegative(r.model_compute_s()) || !NonNegative(r.model_pause_s())) {
        return absl::InvalidArgumentError(absl::StrCat(
            "timeline: worker ", w, " step ", r.step(), ": model_compute_s = ", r.model_compute_s(),
            " and model_pause_s = ", r.model_pause_s(), " must be finite and >= 0"));
      }
      if (IsReplayed(spec.kind) &&
          (!std::isfinite(r.pull_start_s()) || !std::isfinite(r.push_start_s()))) {
        return absl::InvalidArgumentError(absl::StrCat("timeline: worker ", w, " step ", r.step(),
                                                       ": pull_start_s and push_start_s must be "
                                                       "finite"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateTimelineInput(const TimelineSpec& spec,
                                   const std::vector<std::vector<StepRecord>>& steps) {
  DS_RETURN_IF_ERROR(ValidateSpec(spec, steps.size()));
  return ValidateSteps(spec, steps);
}

}  // namespace distsim::model

#include "sim/config/staleness.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sim/base/status.h"
#include "sim/config/config.h"
#include "sim/config/problems.h"

namespace distsim::config {
namespace {

using internal::Interval;
using internal::Problems;

constexpr uint64_t kMaxStaleness = 1024;
constexpr uint64_t kMaxWorkers = 1024;
constexpr uint64_t kMaxUpdates = 10000000;
constexpr uint64_t kMaxThreads = 64;

// The fields of base the study sets itself: a value there would be silently replaced.
void CheckBaseLeavesUnset(const RunConfig& base, Problems* problems) {
  const auto set_by_study = [problems](const std::string& field, const std::string& instead) {
    problems->Add(absl::StrCat("base.", field),
                  absl::StrCat("set by the study; leave it unset (", instead, ")"));
  };
  if (base.optimizer().kind_case() != OptimizerConfig::KIND_NOT_SET) {
    set_by_study("optimizer", "list the optimizers in `optimizers`");
  }
  if (base.has_workers()) set_by_study("workers", "list the worker counts in `workers`");
  if (base.strategy_case() != RunConfig::STRATEGY_NOT_SET) {
    set_by_study("strategy", "every cell is a simulated ASYNC parameter server");
  }
  if (base.train().length_case() != TrainConfig::LENGTH_NOT_SET) {
    set_by_study("train.length", "max_updates caps every cell");
  }
}

void CheckLists(const StalenessStudyConfig& study, Problems* problems) {
  if (study.staleness().empty()) problems->Add("staleness", "empty; give at least one s");
  for (int i = 0; i < study.staleness_size(); ++i) {
    problems->CheckInteger(absl::StrCat("staleness[", i, "]"), study.staleness(i), 0,
                           kMaxStaleness);
  }
  if (study.workers().empty()) problems->Add("workers", "empty; give at least one n");
  for (int i = 0; i < study.workers_size(); ++i) {
    problems->CheckInteger(absl::StrCat("workers[", i, "]"), study.workers(i), 1, kMaxWorkers);
  }
  if (study.optimizers().empty()) problems->Add("optimizers", "empty; give at least one");
  std::set<int> kinds;
  for (int i = 0; i < study.optimizers_size(); ++i) {
    const int kind = study.optimizers(i).kind_case();
    if (kind != OptimizerConfig::KIND_NOT_SET && !kinds.insert(kind).second) {
      problems->Add(absl::StrCat("optimizers[", i, "]"),
                    "a second optimizer of its kind; the rows and the chart name an optimizer by "
                    "its kind, so list each kind once (run another study for another rate)");
    }
    if (study.optimizers(i).kind_case() == OptimizerConfig::KIND_NOT_SET) {
      problems->Add(absl::StrCat("optimizers[", i, "]"), "no kind; set sgd, momentum or adam");
    }
    if (study.optimizers(i).warmup_steps() != 0) {
      problems->Add(absl::StrCat("optimizers[", i, "].warmup_steps"),
                    "the study applies no warm-up (every s would start alike); leave it 0");
    }
  }
  if (study.seeds().empty()) problems->Add("seeds", "empty; give at least one seed");
}

void CheckScalars(const StalenessStudyConfig& study, Problems* problems) {
  if (study.name().empty()) problems->Add("name", "empty; the results go to <output_dir>/<name>");
  problems->CheckReal("target_accuracy", study.target_accuracy(), Interval{0, true, 1, false});
  problems->CheckInteger("max_updates", study.max_updates(), 1, kMaxUpdates);
  problems->CheckInteger("eval_every_updates", study.eval_every_updates(), 1,
                         std::max<uint64_t>(1, study.max_updates()));
  problems->CheckInteger("threads", study.threads(), 1, kMaxThreads);
}

// ValidateRunConfig's lines for the cell of optimizer i on the largest n, renamed to the study's
// fields: the optimizer's as optimizers[i], the rest as base's.
void CheckCells(const StalenessStudyConfig& study, Problems* problems) {
  if (study.optimizers().empty() || study.workers().empty() || study.max_updates() == 0) return;
  const uint32_t n = *std::max_element(study.workers().begin(), study.workers().end());
  std::set<std::string> seen;
  for (int i = 0; i < study.optimizers_size(); ++i) {
    const absl::Status status = ValidateRunConfig(StalenessCellConfig(study, i, n));
    if (status.ok()) continue;
    for (absl::string_view line : absl::StrSplit(status.message(), '\n')) {
      const std::pair<std::string, std::string> parts =
          absl::StrSplit(line, absl::MaxSplits(": ", 1));
      if (parts.first == "optimizer") continue;  // CheckLists says it of optimizers[i]
      const std::string field = absl::StartsWith(parts.first, "optimizer.")
                                    ? absl::StrCat("optimizers[", i, "]", parts.first.substr(9))
                                    : absl::StrCat("base.", parts.first);
      if (seen.insert(absl::StrCat(field, parts.second)).second) {
        problems->Add(field, parts.second);
      }
    }
  }
}

}  // namespace

StalenessStudyConfig WithStalenessDefaults(StalenessStudyConfig study) {
  if (study.output_dir().empty()) study.set_output_dir("out");
  if (study.target_accuracy() == 0) study.set_target_accuracy(0.95);
  if (study.eval_every_updates() == 0) study.set_eval_every_updates(100);
  if (study.threads() == 0) study.set_threads(1);
  return study;
}

RunConfig StalenessCellConfig(const StalenessStudyConfig& study, int optimizer, uint32_t workers) {
  RunConfig config = study.base();
  if (config.name().empty()) config.set_name(study.name());
  if (optimizer >= 0 && optimizer < study.optimizers_size()) {
    *config.mutable_optimizer() = study.optimizers(optimizer);
  }
  config.set_workers(workers);
  ParameterServerStrategy* ps = config.mutable_parameter_server();
  ps->set_mode(ParameterServerStrategy::ASYNC);
  ps->set_placement(ParameterServerStrategy::DEDICATED);
  ps->set_servers(1);
  config.mutable_train()->set_steps(study.max_updates());
  return WithDefaults(std::move(config));
}

absl::Status ValidateStalenessStudy(const StalenessStudyConfig& study) {
  Problems problems;
  CheckScalars(study, &problems);
  CheckLists(study, &problems);
  CheckBaseLeavesUnset(study.base(), &problems);
  CheckCells(study, &problems);
  return problems.ToStatus();
}

absl::StatusOr<StalenessStudyConfig> LoadStalenessStudy(const std::string& path,
                                                        const std::vector<std::string>& overrides) {
  StalenessStudyConfig study;
  DS_RETURN_IF_ERROR(LoadMessage(path, &study));
  for (const std::string& text : overrides) {
    DS_RETURN_IF_ERROR(ApplyOverride(study.mutable_base(), text));
  }
  study = WithStalenessDefaults(std::move(study));
  absl::Status status = ValidateStalenessStudy(study);
  if (!status.ok()) {
    std::vector<std::string> lines = absl::StrSplit(status.message(), '\n');
    for (std::string& line : lines) line = absl::StrCat(path, ": ", line);
    return absl::Status(status.code(), absl::StrJoin(lines, "\n"));
  }
  return study;
}

}  // namespace distsim::config

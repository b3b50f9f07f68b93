// `distsim check` (any kind of config), and the flags a comparison takes.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/text_format.h"
#include "sim/app/plan.h"
#include "sim/base/status.h"
#include "sim/cli/run_command.h"
#include "sim/config/compare.h"
#include "sim/config/config.h"
#include "sim/config/config_kind.h"
#include "sim/config/staleness.h"
#include "sim/report/result_io.h"

namespace distsim::cli {
namespace {

absl::Status CheckRun(const RunFlags& flags) {
  DS_ASSIGN_OR_RETURN(RunConfig config, LoadWithFlags(flags, "check"));
  if (flags.json) {
    std::fputs(report::MessageToJson(config).c_str(), stdout);
    return absl::OkStatus();
  }
  std::string text;
  google::protobuf::TextFormat::PrintToString(config, &text);
  std::printf("# %s is a valid distsim.RunConfig; with defaults filled in:\n%s",
              flags.config_path.c_str(), text.c_str());
  const std::string dir = DataDirFor(config, flags);
  DS_ASSIGN_OR_RETURN(const std::string state, app::DataState(config, dir));
  std::printf("# data from %s: %s\n", dir.c_str(), state.c_str());
  return absl::OkStatus();
}

absl::Status CheckCompare(const RunFlags& flags) {
  CompareConfig compare;
  DS_ASSIGN_OR_RETURN(std::vector<config::CompareEntry> entries,
                      LoadCompareWithFlags(flags, &compare));
  if (flags.json) {
    // The runs as they will run: each entry's whole config (base, overrides and flags merged).
    std::vector<std::string> runs;
    for (const config::CompareEntry& e : entries) runs.push_back(report::MessageToJson(e.config));
    std::printf("[\n%s]\n", absl::StrJoin(runs, ",\n").c_str());
    return absl::OkStatus();
  }
  int runs = 0;
  for (const config::CompareEntry& e : entries) runs += e.repeats;
  std::printf("# %s is a valid distsim.CompareConfig \"%s\": %zu entries, %d runs with repeats\n",
              flags.config_path.c_str(), compare.name().c_str(), entries.size(), runs);
  std::string group;
  for (const config::CompareEntry& e : entries) {
    if (e.group != group) std::printf("  %s\n", e.group.c_str());
    group = e.group;
    const std::string model = e.config.model().ShortDebugString();
    std::printf("    %-22s %3u worker%s  %-16s %s\n", e.name.c_str(), e.config.workers(),
                e.config.workers() == 1 ? " " : "s",
                e.config.has_parameter_server() ? "parameter server"
                : e.config.has_allreduce()      ? "allreduce"
                                                : "local",
                model.substr(0, model.find(' ')).c_str());
  }
  return absl::OkStatus();
}

absl::Status CheckPredict(const RunFlags& flags) {
  DS_ASSIGN_OR_RETURN(PredictConfig config, LoadPredictConfig(flags, PredictFlags()));
  RunConfig calibration = config.calibration();
  if (calibration.name().empty()) calibration.set_name("calibration");  // as predict names it
  calibration = config::WithDefaults(std::move(calibration));
  if (absl::Status valid = config::ValidateRunConfig(calibration); !valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flags.config_path, ": calibration.", valid.message()));
  }
  *config.mutable_calibration() = calibration;
  if (flags.json) {
    std::fputs(report::MessageToJson(config).c_str(), stdout);
    return absl::OkStatus();
  }
  std::string text;
  google::protobuf::TextFormat::PrintToString(config, &text);
  std::printf("# %s is a valid distsim.PredictConfig; its calibration with defaults:\n%s",
              flags.config_path.c_str(), text.c_str());
  return absl::OkStatus();
}

// A staleness study with the study's defaults (each cell's RunConfig is defaulted when it runs).
absl::Status CheckStaleness(const RunFlags& flags) {
  DS_ASSIGN_OR_RETURN(const StalenessStudyConfig study,
                      config::LoadStalenessStudy(flags.config_path, flags.overrides));
  if (flags.json) {
    std::fputs(report::MessageToJson(study).c_str(), stdout);
    return absl::OkStatus();
  }
  std::string text;
  google::protobuf::TextFormat::PrintToString(study, &text);
  std::printf("# %s is a valid distsim.StalenessStudyConfig; with defaults:\n%s",
              flags.config_path.c_str(), text.c_str());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<config::CompareEntry>> LoadCompareWithFlags(const RunFlags& flags,
                                                                       CompareConfig* compare) {
  DS_RETURN_IF_ERROR(
      config::ExpectConfigKind(flags.config_path, "compare", {config::ConfigKind::kCompare}));
  DS_ASSIGN_OR_RETURN(std::vector<config::CompareEntry> entries,
                      config::LoadCompare(flags.config_path, compare));
  if (!flags.output_dir.empty()) compare->set_output_dir(flags.output_dir);
  if (flags.overrides.empty() && flags.workers == 0) return entries;
  for (config::CompareEntry& e : entries) {
    for (const std::string& text : flags.overrides) {
      DS_RETURN_IF_ERROR(config::ApplyOverride(&e.config, text));
    }
    if (flags.workers > 0) e.config.set_workers(flags.workers);
    e.config = config::WithDefaults(std::move(e.config));
    if (absl::Status valid = config::ValidateRunConfig(e.config); !valid.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(flags.config_path, ": run ", e.name, " with the flags: ", valid.message()));
    }
  }
  return entries;
}

absl::Status CheckCommand(const RunFlags& flags) {
  DS_ASSIGN_OR_RETURN(const config::ConfigKind kind,
                      config::ConfigKindOf(flags.config_path, config::ConfigKind::kRun));
  switch (kind) {
    case config::ConfigKind::kCompare:
      return CheckCompare(flags);
    case config::ConfigKind::kPredict:
      return CheckPredict(flags);
    case config::ConfigKind::kStaleness:
      return CheckStaleness(flags);
    case config::ConfigKind::kRun:
      break;
  }
  return CheckRun(flags);
}

}  // namespace distsim::cli

// Loading, defaulting and validating a StalenessStudyConfig (proto/distsim/staleness.proto), and
// the RunConfig each of its cells trains with. Errors as config.h's: InvalidArgument (exit 78)
// with every problem at once, one line each, "<path>: <field.path>: <what is wrong>".
#ifndef DISTSIM_SIM_CONFIG_STALENESS_H_
#define DISTSIM_SIM_CONFIG_STALENESS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "distsim/config.pb.h"
#include "distsim/staleness.pb.h"

namespace distsim::config {

// The study's own defaults: output_dir "out", target_accuracy 0.95, eval_every_updates 100,
// threads 1. base is left as given (StalenessCellConfig defaults it per cell). Idempotent.
StalenessStudyConfig WithStalenessDefaults(StalenessStudyConfig study);

// The RunConfig of the cells with optimizers[optimizer] on `workers` workers: base, with that
// optimizer, the workers, an ASYNC parameter server (one dedicated server: the modelled clock's
// shape) and train.steps = max_updates, then WithDefaults. The seed is the caller's to set.
RunConfig StalenessCellConfig(const StalenessStudyConfig& study, int optimizer, uint32_t workers);

// Every problem of `study` (defaults filled), one line each: the study's own fields by name
// ("staleness[2]: 2000 is out of range; must be in [0, 1024]"), base's fields as "base.<path>"
// (the fields the study sets, when base sets them, say so), and each optimizer's as
// "optimizers[i].<path>", found by validating each cell's RunConfig.
absl::Status ValidateStalenessStudy(const StalenessStudyConfig& study);

// Reads `path` (.textproto or .json, as LoadMessage), applies `overrides` (text-format fragments
// of a RunConfig) to base, fills defaults and validates; errors carry "<path>: " on every line.
absl::StatusOr<StalenessStudyConfig> LoadStalenessStudy(
    const std::string& path, const std::vector<std::string>& overrides = {});

}  // namespace distsim::config

#endif  // DISTSIM_SIM_CONFIG_STALENESS_H_

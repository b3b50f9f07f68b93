// `distsim export-sagemaker`: the SageMaker training job of a run config
// (sim/app/sagemaker_export.h) written as files, its summary on stdout.
#ifndef DISTSIM_SIM_CLI_EXPORT_COMMAND_H_
#define DISTSIM_SIM_CLI_EXPORT_COMMAND_H_

#include <string>

#include "absl/status/status.h"
#include "sim/cli/run_command.h"

namespace distsim::cli {

// Loads and validates flags.config_path with flags.overrides, and writes
// create-training-job.json, train_sagemaker.py and export.txt into flags.output_dir (default
// <output_dir>/<name>/sagemaker), printing export.txt. The modelled job comes from
// `result_path` (a run's result.json) when given, else from a prediction over the data
// (DataDirFor). Errors: the config's (78, naming the file and field; 78 naming
// cluster.instance_type without one), a missing --result or data folder (66), a result of
// another config (78), a failed write (74).
absl::Status ExportSagemakerCommand(const RunFlags& flags, const std::string& result_path);

}  // namespace distsim::cli

#endif  // DISTSIM_SIM_CLI_EXPORT_COMMAND_H_

#include "sim/cli/export_command.h"

#include <cstdio>
#include <filesystem>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sim/app/sagemaker_export.h"
#include "sim/base/status.h"
#include "sim/config/config.h"
#include "sim/report/result_io.h"

namespace distsim::cli {
namespace {

// The modelled job: from the run in `result_path`, else predicted over the config's data.
absl::StatusOr<app::ExportJob> JobOf(const RunFlags& flags, const std::string& result_path,
                                     const RunConfig& config, const RunConfig& exported) {
  if (!result_path.empty()) {
    std::error_code ec;
    if (!std::filesystem::exists(result_path, ec)) {
      return absl::NotFoundError(absl::StrCat("--result ", result_path, ": no such file"));
    }
    DS_ASSIGN_OR_RETURN(const RunResult result, report::ReadResultJson(result_path));
    return app::JobFromResult(result, config, result_path);
  }
  absl::StatusOr<app::ExportJob> job = app::PredictJob(exported, DataDirFor(config, flags));
  if (absl::IsNotFound(job.status())) {
    return absl::NotFoundError(absl::StrCat(
        job.status().message(),
        " (the prediction reads the data as `distsim plan` does: fetch MNIST with "
        "scripts/get-mnist.sh, give --data-dir, or give --result with a run's result.json)"));
  }
  return job;
}

}  // namespace

absl::Status ExportSagemakerCommand(const RunFlags& flags, const std::string& result_path) {
  // --out names the folder of the three files here, not the config's results folder.
  RunFlags load = flags;
  load.output_dir.clear();
  DS_ASSIGN_OR_RETURN(const RunConfig config, LoadWithFlags(load, "export-sagemaker"));
  std::vector<std::string> notes;
  absl::StatusOr<RunConfig> exported = app::ExportedConfig(config, &notes);
  if (!exported.ok()) {
    return absl::Status(exported.status().code(),
                        absl::StrCat(flags.config_path, ": ", exported.status().message()));
  }
  DS_ASSIGN_OR_RETURN(const app::ExportJob job, JobOf(flags, result_path, config, *exported));
  DS_ASSIGN_OR_RETURN(const app::SagemakerExport e,
                      app::MakeExport(*exported, job, std::move(notes)));
  const std::string out_dir =
      flags.output_dir.empty()
          ? (std::filesystem::path(config.output_dir()) / config.name() / "sagemaker").string()
          : flags.output_dir;
  DS_RETURN_IF_ERROR(app::WriteExport(e, out_dir));
  std::fputs(flags.json ? app::ExportJson(e, out_dir).c_str() : app::ExportText(e, out_dir).c_str(),
             stdout);
  return absl::OkStatus();
}

}  // namespace distsim::cli

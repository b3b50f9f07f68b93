#include "sim/app/train.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "sim/app/train_host.h"
#include "sim/base/status.h"
#include "sim/config/sagemaker_job.h"
#include "sim/node/local_trainer.h"
#include "sim/report/result_io.h"

namespace distsim::app {
namespace {

std::string OutputDir(const std::string& root) { return absl::StrCat(root, "/output"); }

// One host: it trains alone on its channel.
absl::Status RunOneHost(const TrainOptions& options, const RunConfig& config) {
  node::LocalRunOptions local;
  local.channel_dir = config::InputDataDir(options.root);
  local.out_dir = absl::StrCat(OutputDir(options.root), "/data");
  local.model_dir = absl::StrCat(options.root, "/model");
  local.progress = options.progress;
  local.progress_every_steps = config.train().log_every_steps();
  local.stop = options.stop;
  local.command_line = options.command_line;
  DS_ASSIGN_OR_RETURN(RunResult result, node::RunLocal(config, local));
  if (options.progress != nullptr) {
    std::fprintf(options.progress,
                 "distsim train: trained alone: %llu steps, final test accuracy %.2f%%, model in "
                 "%s\n",
                 static_cast<unsigned long long>(result.steps()),
                 100 * result.final_test_accuracy(), local.model_dir.c_str());
  }
  return absl::OkStatus();
}

// Several hosts: this host's part of the parameter-server layout.
absl::Status RunManyHosts(const TrainOptions& options, const config::SageMakerInput& input,
                          const RunConfig& config) {
  if (!options.token.ok()) {
    return absl::Status(options.token.status().code(),
                        absl::StrCat(options.token.status().message(),
                                     "; a job of several hosts needs the run token in the "
                                     "container's environment, never in hyperparameters.json"));
  }
  HostJob job;
  job.input = input;
  job.config = config;
  job.token = *options.token;
  job.hosts = *options.hosts;
  job.executable = options.executable;
  job.out_dir = absl::StrCat(OutputDir(options.root), "/data");
  job.model_dir = absl::StrCat(options.root, "/model");
  job.progress = options.progress;
  job.stop = options.stop;
  job.command_line = options.command_line;
  return RunHostJob(job);
}

absl::Status Train(const TrainOptions& options) {
  DS_RETURN_IF_ERROR(options.hosts.status());
  DS_ASSIGN_OR_RETURN(const config::SageMakerInput input, config::ReadSageMakerInput(options.root));
  DS_ASSIGN_OR_RETURN(const RunConfig config, config::TrainConfigOf(input));
  if (options.progress != nullptr) {
    std::fprintf(options.progress, "distsim train: %s, host %d of %zu (%s)\n",
                 input.resource.current_host.c_str(), input.resource.rank + 1,
                 input.resource.hosts.size(),
                 input.resource.rank == 0 ? "the chief" : "a worker host");
  }
  if (input.resource.hosts.size() == 1) return RunOneHost(options, config);
  return RunManyHosts(options, input, config);
}

// The failure file: one line, written atomically.
void WriteFailure(const std::string& root, const absl::Status& status) {
  std::string line = absl::StrReplaceAll(status.message(), {{"\n", " "}, {"\r", " "}});
  if (report::EnsureDir(OutputDir(root)).ok()) {
    (void)report::WriteFileAtomic(absl::StrCat(OutputDir(root), "/failure"), line + "\n");
  }
}

}  // namespace

absl::Status RunTrain(const TrainOptions& options) {
  absl::Status status = Train(options);
  if (options.stop != nullptr && options.stop->load() && !status.ok()) {
    status = absl::CancelledError(
        "stopped by a signal (SageMaker's SIGTERM) before the job finished; every process of "
        "this host was stopped");
  }
  // The run's folder lock (node/run_lock.h) guards nothing once the run is over, and
  // output/data is uploaded with the job's artifacts.
  std::error_code ec;
  std::filesystem::remove(absl::StrCat(OutputDir(options.root), "/data/.lock"), ec);
  if (!status.ok()) {
    WriteFailure(options.root, status);
    return status;
  }
  DS_RETURN_IF_ERROR(report::EnsureDir(OutputDir(options.root)));
  return report::WriteFileAtomic(absl::StrCat(OutputDir(options.root), "/success"), "");
}

}  // namespace distsim::app

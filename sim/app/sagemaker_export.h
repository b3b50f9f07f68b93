// `distsim export-sagemaker`: a RunConfig as the Amazon SageMaker training job that runs the same
// experiment, for a person who compared strategies with distsim and now wants the real job. Three
// files, all with the same settings:
//   create-training-job.json  a CreateTrainingJob request (the AWS API's shape)
//   train_sagemaker.py        the same job through the SageMaker Python SDK's generic Estimator
//   export.txt                the modelled job time and cost, what could not be said to
//                             SageMaker and how it was mapped, and the placeholders to fill in
//
// What is exported (sim/config/sagemaker.h has the hyperparameter table, both ways):
//  * the config itself, as SageMaker runs it (ExportedConfig): a parameter server on every host
//    (SageMaker has no dedicated server hosts: DEDICATED becomes COLOCATED), without the
//    simulation's injected faults and without this machine's data folder;
//  * ResourceConfig: cluster.instance_type (required) x the hosts; a volume for the largest
//    host's download;
//  * the channels: `train` ShardedByS3Key for SHARDED_BY_KEY, FullyReplicated otherwise; `test`
//    FullyReplicated;
//  * HyperParameters: HyperparametersFor(config), plus sagemaker_parameter_server_enabled for a
//    parameter server on more than one host;
//  * MaxRuntimeInSeconds from the modelled job (MaxRuntimeSeconds), which comes from a run's
//    result.json (JobFromResult) or from a prediction without training (PredictJob).
// Never a secret: where the run token goes, the files hold a placeholder (kTokenPlaceholder).
#ifndef DISTSIM_SIM_APP_SAGEMAKER_EXPORT_H_
#define DISTSIM_SIM_APP_SAGEMAKER_EXPORT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "distsim/config.pb.h"
#include "distsim/result.pb.h"

namespace distsim::app {

// The placeholders of the exported files: nothing of the user's account is guessed.
inline constexpr char kImagePlaceholder[] =
    "<account>.dkr.ecr.<region>.amazonaws.com/distsim:latest";
inline constexpr char kRolePlaceholder[] = "arn:aws:iam::<account>:role/<sagemaker-execution-role>";
inline constexpr char kTrainS3Placeholder[] = "s3://<bucket>/<prefix>/train/";
inline constexpr char kTestS3Placeholder[] = "s3://<bucket>/<prefix>/test/";
inline constexpr char kOutputS3Placeholder[] = "s3://<bucket>/<prefix>/output/";
// DISTSIM_TOKEN's entry in Environment: a marker of where the variable lives, never its value.
inline constexpr char kTokenPlaceholder[] =
    "<not-a-token: the container reads DISTSIM_TOKEN from AWS Secrets Manager at start>";

// MaxRuntimeInSeconds: kRuntimeMargin x the modelled job + the start-up profile, rounded up, at
// least kMinRuntimeSeconds and at most SageMaker's limit of 28 days.
inline constexpr double kRuntimeMargin = 3;
inline constexpr int64_t kMinRuntimeSeconds = 600;
inline constexpr int64_t kMaxRuntimeSeconds = 28 * 24 * 3600;
// VolumeSizeInGB: twice the largest host's download in GB (10^9 bytes), rounded up, at least
// this (the workshop's data-distribution job asked for 10 GB).
inline constexpr int kMinVolumeGb = 10;

// The modelled job SageMaker would run, and where the figures came from.
struct ExportJob {
  std::string source;  // one line: "the modelled clock of the run in out/x/result.json", ...
  bool predicted = false;
  double download_s = 0;  // the slowest host's File-mode download; training starts after it
  double training_s = 0;
  double upload_s = 0;
  double job_s = 0;                   // download + training + upload
  double startup_s = 0;               // provisioning before the download: not in job_s
  double largest_download_bytes = 0;  // one host's, for the volume
  uint32_t hosts = 0;                 // hosts the figures modelled
};

// Everything the three files say.
struct SagemakerExport {
  RunConfig config;  // as exported (ExportedConfig)
  std::string job_name;
  std::string instance_type;
  int instance_count = 0;
  double price_per_hour_usd = 0;
  double cost_usd = 0;  // instance_count x price x job.job_s
  int64_t max_runtime_s = 0;
  int volume_gb = 0;
  bool parameter_server = false;  // a shard on every host, more than one host
  bool sharded = false;           // the train channel is ShardedByS3Key
  std::map<std::string, std::string> hyperparameters;
  ExportJob job;
  std::vector<std::string> notes;  // what SageMaker cannot say and how it was mapped
};

// The config of the SageMaker job, from `config` (defaults filled, validated): placement
// COLOCATED where it was DEDICATED, cluster.faults and data.dir cleared. A sentence per change
// goes to `notes`. InvalidArgument naming cluster.instance_type when the config has none.
absl::StatusOr<RunConfig> ExportedConfig(const RunConfig& config, std::vector<std::string>* notes);

// ExportedConfig without its one demand, an instance type: the config as SageMaker's layout runs
// it, for `distsim local` (which needs no instance to run).
absl::StatusOr<RunConfig> SageMakerLayoutConfig(const RunConfig& config,
                                                std::vector<std::string>* notes);

// The hyperparameters of a SageMaker job of `exported`: HyperparametersFor, plus
// sagemaker_parameter_server_enabled for a parameter server on more than one host.
std::map<std::string, std::string> JobHyperparameters(const RunConfig& exported,
                                                      std::vector<std::string>* notes);

// A valid TrainingJobName from a run's name: [a-zA-Z0-9-], starting and ending with a letter or
// digit, at most 63 characters ("m2_sharded" -> "m2-sharded"); "distsim-job" if nothing is left.
std::string TrainingJobName(const std::string& name);

// ceil(kRuntimeMargin x job_s + startup_s), clamped to [kMinRuntimeSeconds, kMaxRuntimeSeconds].
int64_t MaxRuntimeSeconds(double job_s, double startup_s);

// The job in `result` (a run's result.json, read from `path`): its modelled clock. The run's
// config must be `config` (as loaded, before ExportedConfig) but for name, seed, output_dir and
// data.dir: else InvalidArgument naming the first field that differs. InvalidArgument when the
// result has no modelled job.
absl::StatusOr<ExportJob> JobFromResult(const RunResult& result, const RunConfig& config,
                                        const std::string& path);

// The job of `exported` predicted without training, from its plan (the data in `data_dir` opened
// as `distsim plan` opens it): each step's compute the batch's FLOPs over the instance's GEMM
// speed (the FLOPS clock), its communication the cost model's phases with every worker at once
// (for ASYNC the worst case, all in step), each worker's steps from its length, and the
// File-mode download and upload around them (sim/model/job_time.h).
absl::StatusOr<ExportJob> PredictJob(const RunConfig& exported, const std::string& data_dir);

// The export of `exported` (ExportedConfig's) with its job; `notes` are ExportedConfig's.
absl::StatusOr<SagemakerExport> MakeExport(const RunConfig& exported, const ExportJob& job,
                                           std::vector<std::string> notes);

// The three files' text.
std::string CreateTrainingJobJson(const SagemakerExport& e);
std::string TrainSagemakerPython(const SagemakerExport& e);
std::string ExportText(const SagemakerExport& e, const std::string& out_dir);

// One line of JSON for `export-sagemaker --json`: the three files' absolute paths under
// `out_dir`, job name, instance type and count, price, cost, MaxRuntimeInSeconds, volume, layout,
// the train channel's distribution, the modelled job (source, download, training, upload, job and
// start-up seconds), the hyperparameters and the notes.
std::string ExportJson(const SagemakerExport& e, const std::string& out_dir);

// Writes the three files into `out_dir` (created if missing), each atomically.
absl::Status WriteExport(const SagemakerExport& e, const std::string& out_dir);

}  // namespace distsim::app

#endif  // DISTSIM_SIM_APP_SAGEMAKER_EXPORT_H_

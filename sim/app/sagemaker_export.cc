// The export's decisions: the config SageMaker runs, the job's name, its stopping condition and
// volume, the job of a run's result.json, and the files written.
#include "sim/app/sagemaker_export.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/message_differencer.h"
#include "sim/base/status.h"
#include "sim/config/config.h"
#include "sim/config/instances.h"
#include "sim/config/sagemaker.h"
#include "sim/node/run_plan.h"
#include "sim/report/result_io.h"

namespace distsim::app {
namespace {

namespace pb = google::protobuf;

// PS on more than one host: SageMaker's parameter-server layout, a shard on every host.
bool ParameterServerJob(const RunConfig& config) {
  return config.has_parameter_server() && node::ShapeOf(config).hosts > 1;
}

// DEDICATED server hosts have no SageMaker equivalent: every host runs a shard and a worker.
void MapToColocated(RunConfig* config, std::vector<std::string>* notes) {
  ParameterServerStrategy* ps = config->mutable_parameter_server();
  notes->push_back(absl::StrFormat(
      "parameter_server.placement DEDICATED (%u server host%s beside %u worker hosts) has no "
      "SageMaker equivalent: SageMaker runs a parameter-server shard on every host beside its "
      "worker, so the job is exported COLOCATED, %u hosts with a shard and a worker each (run "
      "it in distsim with placement COLOCATED to compare the two)",
      ps->servers(), ps->servers() == 1 ? "" : "s", config->workers(), config->workers()));
  ps->set_placement(ParameterServerStrategy::COLOCATED);
  ps->set_servers(config->workers());
}

}  // namespace

absl::StatusOr<RunConfig> ExportedConfig(const RunConfig& config, std::vector<std::string>* notes) {
  if (config.cluster().instance_type().empty()) {
    return absl::InvalidArgumentError(
        "cluster.instance_type: empty; SageMaker needs an instance type for "
        "ResourceConfig.InstanceType: set one of configs/instances.textproto, e.g. --set "
        "'cluster { instance_type: \"ml.c5.xlarge\" }'");
  }
  return SageMakerLayoutConfig(config, notes);
}

std::map<std::string, std::string> JobHyperparameters(const RunConfig& exported,
                                                      std::vector<std::string>* notes) {
  std::map<std::string, std::string> hyperparameters = config::HyperparametersFor(exported, notes);
  if (ParameterServerJob(exported)) hyperparameters["sagemaker_parameter_server_enabled"] = "true";
  return hyperparameters;
}

absl::StatusOr<RunConfig> SageMakerLayoutConfig(const RunConfig& config,
                                                std::vector<std::string>* notes) {
  RunConfig exported = config;
  if (exported.has_parameter_server() &&
      exported.parameter_server().placement() == ParameterServerStrategy::DEDICATED) {
    MapToColocated(&exported, notes);
  }
  if (exported.cluster().faults_size() > 0) {
    notes->push_back(absl::StrFormat(
        "cluster.faults (%d injected straggler%s or failure%s) are distsim's simulation: not "
        "exported, so the real job runs without them",
        exported.cluster().faults_size(), exported.cluster().faults_size() == 1 ? "" : "s",
        exported.cluster().faults_size() == 1 ? "" : "s"));
    exported.mutable_cluster()->clear_faults();
  }
  if (exported.cluster().network().shape()) {
    notes->push_back(
        "cluster.network.shape throttles distsim's own traffic to the modelled network; on "
        "SageMaker the instances' real network carries it (the setting travels in "
        "distsim_config; `distsim train` decides what to make of it)");
  }
  if (!exported.data().dir().empty()) {
    notes->push_back(absl::StrCat("data.dir \"", exported.data().dir(),
                                  "\" is this machine's folder: left out, since on SageMaker "
                                  "the data arrives in the train and test channels"));
    exported.mutable_data()->clear_dir();
  }
  exported = config::WithDefaults(std::move(exported));
  RunConfig check = exported;
  check.mutable_data()->set_dir(config.data().dir());  // IDX needs a folder to validate
  absl::Status valid = config::ValidateRunConfig(check);
  if (!valid.ok()) return valid;
  if (exported.has_allreduce() && node::ShapeOf(exported).hosts > 1) {
    notes->push_back(
        "allreduce: SageMaker has no switch for a custom container's ring; the hosts run "
        "distsim's ring among themselves (resourceconfig.json names them), and "
        "sagemaker_parameter_server_enabled is left out");
  }
  return exported;
}

std::string TrainingJobName(const std::string& name) {
  std::string out;
  for (char c : name) {
    out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '-');
  }
  auto trim = [](std::string* s) {
    const size_t first = s->find_first_not_of('-');
    if (first == std::string::npos) {
      s->clear();
      return;
    }
    *s = s->substr(first, s->find_last_not_of('-') - first + 1);
  };
  trim(&out);
  if (out.size() > 63) {
    out.resize(63);
    trim(&out);
  }
  return out.empty() ? "distsim-job" : out;
}

int64_t MaxRuntimeSeconds(double job_s, double startup_s) {
  const double seconds = std::ceil(kRuntimeMargin * job_s + startup_s);
  if (!(seconds < static_cast<double>(kMaxRuntimeSeconds))) return kMaxRuntimeSeconds;
  return std::max(kMinRuntimeSeconds, static_cast<int64_t>(seconds));
}

absl::StatusOr<ExportJob> JobFromResult(const RunResult& result, const RunConfig& config,
                                        const std::string& path) {
  pb::util::MessageDifferencer differ;
  const pb::Descriptor* run = RunConfig::descriptor();
  for (const char* field : {"name", "seed", "output_dir"}) {
    differ.IgnoreField(run->FindFieldByName(field));
  }
  differ.IgnoreField(DataConfig::descriptor()->FindFieldByName("dir"));
  std::string differences;
  differ.ReportDifferencesToString(&differences);
  if (!differ.Compare(config, result.config())) {
    std::string first;  // the reporter lists the ignored fields too
    for (absl::string_view line : absl::StrSplit(differences, '\n', absl::SkipEmpty())) {
      if (!absl::StartsWith(line, "ignored:")) {
        first = std::string(line);
        break;
      }
    }
    return absl::InvalidArgumentError(absl::StrCat(
        path,
        ": its run's config is not CONFIG's (name, seed, output_dir and data.dir aside): ", first,
        " (config -> run); give the result of a run of this config, or leave out "
        "--result to predict the job"));
  }
  const ModelledClock& m = result.modelled();
  if (!(m.job_seconds() > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path,
                     ": modelled.job_seconds: 0; the run has no modelled job (a result of an older "
                     "distsim?): run it again, or leave out --result to predict the job"));
  }
  ExportJob job;
  job.source = absl::StrCat("the modelled clock of the run in ", path);
  job.download_s = m.download_seconds();
  job.training_s = m.seconds();
  job.upload_s = m.upload_seconds();
  job.job_s = m.job_seconds();
  job.startup_s = m.startup_seconds();
  job.hosts = m.hosts();
  for (uint64_t bytes : m.host_download_bytes()) {
    job.largest_download_bytes = std::max(job.largest_download_bytes, static_cast<double>(bytes));
  }
  return job;
}

absl::StatusOr<SagemakerExport> MakeExport(const RunConfig& exported, const ExportJob& job,
                                           std::vector<std::string> notes) {
  SagemakerExport e;
  e.config = exported;
  e.job_name = TrainingJobName(exported.name());
  e.instance_type = exported.cluster().instance_type();
  DS_ASSIGN_OR_RETURN(const InstanceProfile instance, config::FindInstance(e.instance_type));
  e.instance_count = node::ShapeOf(exported).hosts;
  e.price_per_hour_usd = instance.price_per_hour_usd();
  e.job = job;
  e.cost_usd = e.instance_count * e.price_per_hour_usd * job.job_s / 3600;
  e.max_runtime_s = MaxRuntimeSeconds(job.job_s, job.startup_s);
  e.volume_gb = std::max<int>(kMinVolumeGb,
                              static_cast<int>(std::ceil(2 * job.largest_download_bytes / 1e9)));
  e.parameter_server = ParameterServerJob(exported);
  e.sharded = exported.data().distribution() == DataConfig::SHARDED_BY_KEY;
  e.hyperparameters = JobHyperparameters(exported, &notes);
  if (job.hosts > 0 && static_cast<int>(job.hosts) != e.instance_count) {
    notes.push_back(absl::StrFormat(
        "the modelled job is of %u hosts (the run's layout) and the exported job has %d: its "
        "time may differ; the cost below is of the exported %d",
        job.hosts, e.instance_count, e.instance_count));
  }
  if (e.sharded) {
    notes.push_back(absl::StrFormat(
        "ShardedByS3Key deals out S3 keys, about 1/%d of them to each host, by a mapping "
        "SageMaker does not document (distsim gives host i objects i, i+%d, ...): each distsim "
        "object is one key (one .dsobj file), so every host gets whole objects, but which "
        "ones may differ from distsim's run; distsim train trains on whatever its channel holds",
        e.instance_count, e.instance_count));
  }
  if (MaxRuntimeSeconds(job.job_s, job.startup_s) == kMaxRuntimeSeconds) {
    notes.push_back(
        "MaxRuntimeInSeconds is SageMaker's limit of 28 days: the modelled job with "
        "its margin would run longer");
  }
  e.notes = std::move(notes);
  return e;
}

absl::Status WriteExport(const SagemakerExport& e, const std::string& out_dir) {
  DS_RETURN_IF_ERROR(report::EnsureDir(out_dir));
  const std::filesystem::path dir(out_dir);
  DS_RETURN_IF_ERROR(report::WriteFileAtomic((dir / "create-training-job.json").string(),
                                             CreateTrainingJobJson(e)));
  DS_RETURN_IF_ERROR(
      report::WriteFileAtomic((dir / "train_sagemaker.py").string(), TrainSagemakerPython(e)));
  return report::WriteFileAtomic((dir / "export.txt").string(), ExportText(e, out_dir));
}

}  // namespace distsim::app

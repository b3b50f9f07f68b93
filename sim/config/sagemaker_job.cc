#include "sim/config/sagemaker_job.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "sim/base/status.h"
#include "sim/config/config.h"

namespace distsim::config {
namespace {

constexpr char kResourceConfig[] = "resourceconfig.json";
constexpr char kInputDataConfig[] = "inputdataconfig.json";
constexpr char kHyperparameters[] = "hyperparameters.json";

absl::StatusOr<std::string> ReadInputFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      return absl::NotFoundError(
          absl::StrCat(path, ": missing; SageMaker writes it before the container starts"));
    }
    return IoError("cannot read", path, err);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const ChannelConfig* FindChannel(const std::vector<ChannelConfig>& channels,
                                 const std::string& name) {
  for (const ChannelConfig& c : channels) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

absl::Status Bad(const std::string& path, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

// More than one host: SageMaker's TensorFlow parameter-server layout.
absl::Status SetParameterServer(const SageMakerInput& input, RunConfig* config) {
  const std::string hp = InputConfigPath(input.root, kHyperparameters);
  if (config->has_allreduce() || config->has_local()) {
    return Bad(hp, absl::StrCat("distsim_config: strategy ",
                                config->has_allreduce() ? "allreduce" : "local",
                                ": distsim train runs SageMaker's parameter-server layout (a "
                                "shard and a worker on each of the ",
                                input.resource.hosts.size(), " hosts); set parameter_server"));
  }
  ParameterServerStrategy* ps = config->mutable_parameter_server();
  if (ps->placement() == ParameterServerStrategy::DEDICATED) {
    return Bad(hp, "distsim_config: parameter_server.placement DEDICATED: distsim train runs a "
                   "shard on every host (COLOCATED)");
  }
  ps->set_placement(ParameterServerStrategy::COLOCATED);
  if (ps->partitioning() == ParameterServerStrategy::PARTITIONING_UNSPECIFIED) {
    ps->set_partitioning(ParameterServerStrategy::ROUND_ROBIN_TENSORS);
  }
  if (ps->mode() == ParameterServerStrategy::MODE_UNSPECIFIED) {
    ps->set_mode(ParameterServerStrategy::ASYNC);
  }
  if (config->cluster().network().shape()) {
    return Bad(hp, "distsim_config: cluster.network.shape: the hosts of distsim train talk over "
                   "a real network; shaping needs the NIC table one machine's processes share");
  }
  return absl::OkStatus();
}

// data.distribution from the train channel, or GLOBAL_BATCH_SLICE over a FullyReplicated one.
absl::Status SetDistribution(const SageMakerInput& input, RunConfig* config) {
  const ChannelConfig& train = *FindChannel(input.channels, "train");
  const DataConfig::Distribution channel =
      train.sharded ? DataConfig::SHARDED_BY_KEY : DataConfig::FULLY_REPLICATED;
  const DataConfig::Distribution asked = config->data().distribution();
  const bool slice = asked == DataConfig::GLOBAL_BATCH_SLICE && !train.sharded;
  if (asked != DataConfig::DISTRIBUTION_UNSPECIFIED && asked != channel && !slice) {
    const std::string key = input.hyperparameters.count("distsim_data_distribution")
                                ? "distsim_data_distribution"
                                : "distsim_config: data.distribution";
    return Bad(InputConfigPath(input.root, kHyperparameters),
               absl::StrCat(key, ": ", DataConfig::Distribution_Name(asked),
                            " contradicts the train channel's S3DistributionType ",
                            train.sharded ? "ShardedByS3Key" : "FullyReplicated", " (",
                            InputConfigPath(input.root, kInputDataConfig), ")"));
  }
  DataConfig* data = config->mutable_data();
  data->set_distribution(slice ? DataConfig::GLOBAL_BATCH_SLICE : channel);
  // The objects are the channels' files, cut before the job: data.objects only passes the
  // check that every host has one.
  const uint32_t hosts = static_cast<uint32_t>(input.resource.hosts.size());
  if (channel == DataConfig::SHARDED_BY_KEY) data->set_objects(std::max(data->objects(), hosts));
  return absl::OkStatus();
}

}  // namespace

std::string InputConfigPath(const std::string& root, const std::string& name) {
  return absl::StrCat(root, "/input/config/", name);
}

std::string InputDataDir(const std::string& root) { return absl::StrCat(root, "/input/data"); }

absl::StatusOr<SageMakerInput> ReadSageMakerInput(const std::string& root) {
  SageMakerInput input;
  input.root = root;
  const std::string rc = InputConfigPath(root, kResourceConfig);
  const std::string idc = InputConfigPath(root, kInputDataConfig);
  const std::string hp = InputConfigPath(root, kHyperparameters);
  DS_ASSIGN_OR_RETURN(const std::string rc_text, ReadInputFile(rc));
  DS_ASSIGN_OR_RETURN(const std::string idc_text, ReadInputFile(idc));
  DS_ASSIGN_OR_RETURN(const std::string hp_text, ReadInputFile(hp));
  DS_ASSIGN_OR_RETURN(input.resource, ParseResourceConfig(rc_text, rc));
  DS_ASSIGN_OR_RETURN(input.channels, ParseInputDataConfig(idc_text, idc));
  DS_ASSIGN_OR_RETURN(input.hyperparameters, ParseHyperparameters(hp_text, hp));
  if (FindChannel(input.channels, "train") == nullptr) {
    return Bad(idc, "no \"train\" channel; distsim trains on input/data/train");
  }
  for (const char* name : {"test", "validation"}) {
    if (FindChannel(input.channels, name) != nullptr) {
      input.test_channel = name;
      break;
    }
  }
  if (input.test_channel.empty()) {
    return Bad(idc, "no \"test\" or \"validation\" channel; the chief evaluates on it");
  }
  return input;
}

absl::StatusOr<RunConfig> TrainConfigOf(const SageMakerInput& input) {
  const std::string hp = InputConfigPath(input.root, kHyperparameters);
  RunConfig config;
  DS_RETURN_IF_ERROR(ApplyHyperparameters(input.hyperparameters, hp, &config));
  const uint32_t hosts = static_cast<uint32_t>(input.resource.hosts.size());
  if (config.has_workers() && config.workers() != hosts) {
    return Bad(hp, absl::StrCat("distsim_config: workers ", config.workers(), ", but the job has ",
                                hosts, " host", hosts == 1 ? "" : "s",
                                " (resourceconfig.json): one worker per host"));
  }
  config.set_workers(hosts);
  if (hosts > 1) {
    DS_RETURN_IF_ERROR(SetParameterServer(input, &config));
  } else {
    config.mutable_local();  // one host trains alone
    // TensorFlow's shared global step (training_steps) of one process is its own step count.
    if (config.train().length_case() == TrainConfig::kGlobalSteps) {
      config.mutable_train()->set_steps(config.train().global_steps());
    }
  }
  DS_RETURN_IF_ERROR(SetDistribution(input, &config));
  if (config.name().empty()) config.set_name("sagemaker-job");
  if (config.supervision().join_timeout_s() == 0) {
    config.mutable_supervision()->set_join_timeout_s(kDefaultJoinTimeoutS);
  }
  config = WithDefaults(std::move(config));
  // The data arrive in the channels: an IDX data set (which needs a folder) names theirs.
  if (config.data().dir().empty() && config.data().dataset() == DataConfig::IDX) {
    config.mutable_data()->set_dir(InputDataDir(input.root));
  }
  if (absl::Status valid = ValidateRunConfig(config); !valid.ok()) {
    return Bad(hp, absl::StrCat("the config the hyperparameters make: ", valid.message()));
  }
  return config;
}

}  // namespace distsim::config

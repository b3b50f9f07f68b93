// A SageMaker training job as `distsim train` runs it: the three files of sagemaker.h read from
// a container's /opt/ml tree, and the RunConfig of the job, derived from them in one place.
//
// The tree (SageMaker's container contract; README.md, "distsim train"):
//   <root>/input/config/resourceconfig.json    the hosts, this host, its network interface
//   <root>/input/config/inputdataconfig.json   the channels and their S3DistributionType
//   <root>/input/config/hyperparameters.json   the table of sagemaker.h
//   <root>/input/data/train/                   this host's objects (required)
//   <root>/input/data/test/ or validation/     the test set (the chief evaluates on it)
//
// The RunConfig (TrainConfigOf): the hyperparameters by sagemaker.h's table, then
//   - workers = the number of hosts;
//   - more than one host: SageMaker's TensorFlow parameter-server layout, a shard and a worker
//     on every host (parameter_server, placement COLOCATED), partitioning ROUND_ROBIN_TENSORS
//     and mode ASYNC unless the hyperparameters say otherwise; one host: local (SageMaker starts
//     no parameter server for one host), TensorFlow's global steps (training_steps) its steps;
//   - data.distribution from the train channel: ShardedByS3Key -> SHARDED_BY_KEY,
//     FullyReplicated -> FULLY_REPLICATED, or GLOBAL_BATCH_SLICE over a FullyReplicated channel
//     when distsim_data_distribution says so;
//   - supervision.join_timeout_s 300 unless set.
// Every host derives the same config from the same files, its host index aside.
#ifndef DISTSIM_SIM_CONFIG_SAGEMAKER_JOB_H_
#define DISTSIM_SIM_CONFIG_SAGEMAKER_JOB_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "distsim/config.pb.h"
#include "sim/config/sagemaker.h"

namespace distsim::config {

// The join timeout of a job whose config sets none (seconds).
inline constexpr double kDefaultJoinTimeoutS = 300;

// What SageMaker wrote for this host, parsed.
struct SageMakerInput {
  std::string root;  // the tree's root, /opt/ml in a container
  ResourceConfig resource;
  std::vector<ChannelConfig> channels;
  std::map<std::string, std::string> hyperparameters;  // decoded (ParseHyperparameters)
  std::string test_channel;  // "test" or "validation": the one inputdataconfig.json names
};

// <root>/input/config/<name>.
std::string InputConfigPath(const std::string& root, const std::string& name);
// <root>/input/data: the folder of the channel folders (a role's --channel).
std::string InputDataDir(const std::string& root);

// Reads and parses the three files of <root>/input/config. NotFound (exit 66) naming a missing
// file; Unknown (74) for one that cannot be read; the parsers' InvalidArgument (78) otherwise;
// and InvalidArgument naming inputdataconfig.json when it has no "train" channel, or neither a
// "test" nor a "validation" one (the chief evaluates on it).
absl::StatusOr<SageMakerInput> ReadSageMakerInput(const std::string& root);

// The job's RunConfig by the rules above, defaults filled and validated. InvalidArgument (78)
// naming the file and key: a hyperparameter that does not fit (ApplyHyperparameters), a
// strategy other than the parameter server for several hosts, a data distribution that
// contradicts the train channel's S3DistributionType, a shaped network across real hosts, or a
// config the validator refuses.
absl::StatusOr<RunConfig> TrainConfigOf(const SageMakerInput& input);

}  // namespace distsim::config

#endif  // DISTSIM_SIM_CONFIG_SAGEMAKER_JOB_H_

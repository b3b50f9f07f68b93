// SageMaker's training-container contract as distsim's own data: the three JSON files SageMaker
// writes under /opt/ml/input/config for a bring-your-own container, read into plain structs, and
// the documented table that maps hyperparameters onto RunConfig fields (both ways: `distsim
// train` reads them, `distsim export-sagemaker` writes them).
//
// Files (docs/architecture.md, "distsim train: SageMaker's container"):
//   resourceconfig.json   {"current_host": "algo-2", "hosts": ["algo-1", ...],
//                          "network_interface_name": "eth0"}
//   inputdataconfig.json  {"train": {"S3DistributionType": "ShardedByS3Key",
//                          "TrainingInputMode": "File", ...}, "test": {...}}
//   hyperparameters.json  {"epochs": "2", "optimizer": "\"adam\"", ...} (values are strings; the
//                          SageMaker Python SDK JSON-encodes each one, raw API users often do not)
//
// Hyperparameters (each value JSON-decoded where it parses, else taken as it is):
//   distsim_config       a whole RunConfig in protobuf text format, applied first
//   model                softmax | mlp | cnn                          model
//   optimizer            sgd | momentum | adam                        optimizer (kind)
//   learning_rate        > 0                                          optimizer.<kind>.learning_rate
//   batch_size, mini_batch_size  examples per step and worker        train.batch_size
//   epochs               per host, over its channel                   train.epochs
//   steps                per worker                                   train.steps
//   training_steps       TensorFlow's shared global step (legacy)     train.global_steps
//   evaluation_steps     batches of the test set (legacy TensorFlow)  data.test_limit (x batch)
//   eval_every_steps                                                  train.eval_every_steps
//   seed                                                              seed
//   mode                 async | sync | ssp                           parameter_server.mode
//   staleness            SSP's bound                                  parameter_server.staleness
//   distsim_data_distribution  GLOBAL_BATCH_SLICE (over a FullyReplicated channel: what SageMaker
//                        cannot say; see HyperparametersFor)          data.distribution
// Keys starting with "sagemaker_" are SageMaker's own and are accepted and left alone. Any other
// key, or a value that does not fit its field, is InvalidArgument (exit 78) naming the key.
#ifndef DISTSIM_SIM_CONFIG_SAGEMAKER_H_
#define DISTSIM_SIM_CONFIG_SAGEMAKER_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "distsim/config.pb.h"

namespace distsim::config {

struct ResourceConfig {
  std::string current_host;
  // Sorted as strings, as SageMaker sorts them: algo-1, algo-10, algo-11, algo-2, ... A host's
  // rank is its index; hosts[0] is the chief.
  std::vector<std::string> hosts;
  std::string network_interface_name;  // "" when the file names none
  int rank = 0;                        // index of current_host in hosts
};

// Parses resourceconfig.json's text (`path` names it in messages). InvalidArgument (exit 78) for
// malformed JSON, a missing or empty field, duplicate hosts, or a current_host not in hosts.
absl::StatusOr<ResourceConfig> ParseResourceConfig(std::string_view json, const std::string& path);

struct ChannelConfig {
  std::string name;                       // "train", "test", ...
  bool sharded = false;                   // S3DistributionType ShardedByS3Key
  std::string input_mode = "File";        // TrainingInputMode
};

// Parses inputdataconfig.json's text: one ChannelConfig per channel, in name order. An
// S3DistributionType other than FullyReplicated or ShardedByS3Key, or a TrainingInputMode other
// than File (FastFile reports File), is InvalidArgument naming the channel.
absl::StatusOr<std::vector<ChannelConfig>> ParseInputDataConfig(std::string_view json,
                                                                const std::string& path);

// Parses hyperparameters.json's text into key -> value, each value JSON-decoded where it parses
// as a JSON string, number or boolean ("\"adam\"" -> adam, "0.001" -> 0.001), else as it is.
// Values that are not strings in the file (SageMaker writes only strings) are taken as their JSON
// text. InvalidArgument for malformed JSON or a value that is an object or list.
absl::StatusOr<std::map<std::string, std::string>> ParseHyperparameters(std::string_view json,
                                                                       const std::string& path);

// Applies `hyperparameters` (decoded, ParseHyperparameters) onto `config` by the table above.
// InvalidArgument naming the key for an unknown key (not starting with "sagemaker_"), a value
// that does not fit its field, or a distsim_config that does not parse; `path` (the file) heads
// every message.
absl::Status ApplyHyperparameters(const std::map<std::string, std::string>& hyperparameters,
                                  const std::string& path, RunConfig* config);

// The hyperparameters that carry `config` to `distsim train`, as SageMaker's API takes them
// (strings, JSON-encoded as the Python SDK encodes them): distsim_config holds the whole config,
// and the table's keys repeat the fields a person looks for in the console (model, optimizer,
// learning_rate, batch_size and the run's length). `notes` (may be null) receives a sentence for
// each setting SageMaker has no words for (GLOBAL_BATCH_SLICE: exported as FullyReplicated plus
// distsim_data_distribution).
std::map<std::string, std::string> HyperparametersFor(const RunConfig& config,
                                                      std::vector<std::string>* notes);

}  // namespace distsim::config

#endif  // DISTSIM_SIM_CONFIG_SAGEMAKER_H_

// A CreateTrainingJob request (what `distsim export-sagemaker` writes, or one a person wrote for
// SageMaker) read back as the job it asks for, so that `distsim local` can run the request
// itself: the round trip from the laptop to SageMaker's contract and back.
//
// Read: HyperParameters (the API's strings, kept as they are for hyperparameters.json),
// ResourceConfig.InstanceCount and .InstanceType, and the S3DataDistributionType of the channel
// named "train". The RunConfig is the one `distsim train` derives on every host
// (config::TrainConfigOf) from those files.
#ifndef DISTSIM_SIM_APP_TRAINING_JOB_REQUEST_H_
#define DISTSIM_SIM_APP_TRAINING_JOB_REQUEST_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "distsim/config.pb.h"

namespace distsim::app {

struct TrainingJobRequest {
  RunConfig config;                                    // as the hosts derive it
  std::map<std::string, std::string> hyperparameters;  // the request's strings
};

// Whether `json` looks like a CreateTrainingJob request (an object with HyperParameters and
// ResourceConfig), as opposed to a RunConfig in JSON.
bool IsTrainingJobRequest(const std::string& json);

// Parses the request in `json` (`path` names it in messages). InvalidArgument (78) naming the
// field that is missing or does not fit, and TrainConfigOf's errors.
absl::StatusOr<TrainingJobRequest> ParseTrainingJobRequest(const std::string& json,
                                                           const std::string& path);

}  // namespace distsim::app

#endif  // DISTSIM_SIM_APP_TRAINING_JOB_REQUEST_H_

// The export's two job files: the CreateTrainingJob request as JSON and the same job as a
// SageMaker Python SDK script. Both spell strings as JSON does, which Python reads as well.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sim/app/sagemaker_export.h"

namespace distsim::app {
namespace {

// `text` as a JSON string literal (quotes included); also a valid Python 3 string literal.
std::string Quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out.push_back(c);
        }
    }
  }
  return out + "\"";
}

// A JSON value with its members in the order given: a string, a number (its text), an object
// or a list.
struct Json {
  enum Kind { kText, kObject, kList } kind = kText;
  std::string text;  // kText: the literal as printed ("\"File\"", "5")
  std::vector<std::pair<std::string, Json>> members;
  std::vector<Json> items;
};

Json Str(const std::string& s) { return Json{Json::kText, Quoted(s), {}, {}}; }
Json Num(int64_t n) { return Json{Json::kText, absl::StrCat(n), {}, {}}; }
Json Obj(std::vector<std::pair<std::string, Json>> members) {
  return Json{Json::kObject, "", std::move(members), {}};
}
Json List(std::vector<Json> items) { return Json{Json::kList, "", {}, std::move(items)}; }

void Print(const Json& v, int indent, std::string* out) {
  const std::string pad(indent + 2, ' ');
  if (v.kind == Json::kText) {
    absl::StrAppend(out, v.text);
    return;
  }
  const bool object = v.kind == Json::kObject;
  const size_t n = object ? v.members.size() : v.items.size();
  absl::StrAppend(out, object ? "{" : "[");
  for (size_t i = 0; i < n; ++i) {
    absl::StrAppend(out, i == 0 ? "\n" : ",\n", pad);
    if (object) absl::StrAppend(out, Quoted(v.members[i].first), ": ");
    Print(object ? v.members[i].second : v.items[i], indent + 2, out);
  }
  if (n > 0) absl::StrAppend(out, "\n", std::string(indent, ' '));
  absl::StrAppend(out, object ? "}" : "]");
}

Json Channel(const std::string& name, const std::string& uri, const std::string& distribution) {
  return Obj({{"ChannelName", Str(name)},
              {"DataSource",
               Obj({{"S3DataSource", Obj({{"S3DataType", Str("S3Prefix")},
                                          {"S3Uri", Str(uri)},
                                          {"S3DataDistributionType", Str(distribution)}})}})},
              {"InputMode", Str("File")}});
}

const char* TrainDistribution(const SagemakerExport& e) {
  return e.sharded ? "ShardedByS3Key" : "FullyReplicated";
}

// The hyperparameters as Python dict entries, one a line.
std::string PythonHyperparameters(const SagemakerExport& e) {
  std::string out;
  for (const auto& [key, value] : e.hyperparameters) {
    absl::StrAppend(&out, "    ", Quoted(key), ": ", Quoted(value), ",\n");
  }
  return out;
}

// The script's head: what it is, the placeholders and the hyperparameters.
std::string PythonHead(const SagemakerExport& e) {
  return absl::StrFormat(
      R"(#!/usr/bin/env python3
"""%s as a SageMaker training job, through the SageMaker Python SDK (v2).

Written by `distsim export-sagemaker`: the same job as create-training-job.json beside it.
Replace every <...> placeholder first (export.txt says what goes where), then run
    python3 train_sagemaker.py
"""
from sagemaker.estimator import Estimator
from sagemaker.inputs import TrainingInput

# The distsim container image in Amazon ECR; its entry point runs `distsim train`.
IMAGE_URI = %s
# The IAM role SageMaker assumes: it reads the channels, writes the output and the model.
ROLE = %s
# The training objects (train/) and the test set (test/), as distsim cut them; the model and
# output go to OUTPUT_PATH.
TRAIN_S3 = %s
TEST_S3 = %s
OUTPUT_PATH = %s

# Exactly the strings of the request: JSON-encoded as the SDK's framework estimators encode
# them (the generic Estimator sends each value as str(value), so they are strings already).
# distsim_config carries the whole run config; `distsim train` reads them back.
HYPERPARAMETERS = {
%s}

)",
      e.config.name(), Quoted(kImagePlaceholder), Quoted(kRolePlaceholder),
      Quoted(kTrainS3Placeholder), Quoted(kTestS3Placeholder), Quoted(kOutputS3Placeholder),
      PythonHyperparameters(e));
}

// The Estimator: the job's resources, stopping condition, hyperparameters and environment.
std::string PythonEstimator(const SagemakerExport& e) {
  std::string out =
      absl::StrFormat(R"(estimator = Estimator(
    image_uri=IMAGE_URI,
    role=ROLE,
    instance_count=%d,
    instance_type=%s,
    volume_size=%d,  # GB: at least twice the largest host's download
    # Seconds: %g x the modelled job (%.1f s) + the start-up profile (%.0f s), rounded up,
    # at least %d; export.txt says why.
    max_run=%d,
    input_mode="File",
    output_path=OUTPUT_PATH,
    # The SDK adds a timestamp to this, so that each run of the script is a job of its own.
    base_job_name=%s,
    hyperparameters=HYPERPARAMETERS,
    # DISTSIM_TOKEN must come from AWS Secrets Manager, read by the container as it starts:
    # never its value here (DescribeTrainingJob shows the environment and the hyperparameters).
    environment={"DISTSIM_TOKEN": %s},
)",
                      e.instance_count, Quoted(e.instance_type), e.volume_gb, kRuntimeMargin,
                      e.job.job_s, e.job.startup_s, kMinRuntimeSeconds, e.max_runtime_s,
                      Quoted(e.job_name), Quoted(kTokenPlaceholder));
  if (e.parameter_server) {
    absl::StrAppend(
        &out,
        R"(    # SageMaker's parameter-server layout: a shard on every host. The framework estimators
    # (sagemaker.tensorflow.TensorFlow) turn this into the hyperparameter
    # sagemaker_parameter_server_enabled; the generic Estimator does not, so HYPERPARAMETERS
    # carries it as well.
    distribution={"parameter_server": {"enabled": True}},
)");
  }
  return out + ")\n";
}

}  // namespace

std::string CreateTrainingJobJson(const SagemakerExport& e) {
  std::vector<std::pair<std::string, Json>> hyperparameters;
  for (const auto& [key, value] : e.hyperparameters) hyperparameters.emplace_back(key, Str(value));
  const Json request = Obj({
      {"TrainingJobName", Str(e.job_name)},
      {"AlgorithmSpecification",
       Obj({{"TrainingImage", Str(kImagePlaceholder)}, {"TrainingInputMode", Str("File")}})},
      {"RoleArn", Str(kRolePlaceholder)},
      {"ResourceConfig", Obj({{"InstanceType", Str(e.instance_type)},
                              {"InstanceCount", Num(e.instance_count)},
                              {"VolumeSizeInGB", Num(e.volume_gb)}})},
      {"InputDataConfig", List({Channel("train", kTrainS3Placeholder, TrainDistribution(e)),
                                Channel("test", kTestS3Placeholder, "FullyReplicated")})},
      {"OutputDataConfig", Obj({{"S3OutputPath", Str(kOutputS3Placeholder)}})},
      {"HyperParameters", Obj(std::move(hyperparameters))},
      {"StoppingCondition", Obj({{"MaxRuntimeInSeconds", Num(e.max_runtime_s)}})},
      {"Environment", Obj({{"DISTSIM_TOKEN", Str(kTokenPlaceholder)}})},
  });
  std::string out;
  Print(request, 0, &out);
  return out + "\n";
}

std::string TrainSagemakerPython(const SagemakerExport& e) {
  std::string out = PythonHead(e) + PythonEstimator(e);
  absl::StrAppendFormat(&out, R"(
estimator.fit({
    # %s
    "train": TrainingInput(s3_data=TRAIN_S3, distribution=%s, input_mode="File"),
    # Every host reads the whole test set.
    "test": TrainingInput(s3_data=TEST_S3, distribution="FullyReplicated", input_mode="File"),
})
)",
                        e.sharded ? "ShardedByS3Key: each host downloads about 1/n of the "
                                    "objects (SageMaker never splits one)."
                                  : "FullyReplicated: every host downloads every object.",
                        Quoted(TrainDistribution(e)));
  return out;
}

}  // namespace distsim::app

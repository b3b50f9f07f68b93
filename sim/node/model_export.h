// The trained model as `distsim train` leaves it in SageMaker's model folder (/opt/ml/model,
// which SageMaker packs into model.tar.gz): the parameters and what they are.
//
//   <dir>/parameters.bin   every parameter as float32, little-endian, in the flat buffer's
//                          order (kernels/param_layout.h): tensor after tensor, each row-major
//   <dir>/model.json       a ModelDescription (proto/distsim/result.proto) as JSON: the model
//                          config, the parameter count, each tensor's name, shape, offset and
//                          size in the buffer, and the parameters' hash
// Both are written atomically (a temporary file, then rename).
#ifndef DISTSIM_SIM_NODE_MODEL_EXPORT_H_
#define DISTSIM_SIM_NODE_MODEL_EXPORT_H_

#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "distsim/result.pb.h"
#include "kernels/param_layout.h"
#include "sim/node/run_plan.h"

namespace distsim::node {

inline constexpr char kParametersFile[] = "parameters.bin";
inline constexpr char kModelDescriptionFile[] = "model.json";

// The description of `params` (laid out as `layout`) for the run `plan` on images of `rows` x
// `cols`: `source` says whose parameters they are, `final_test_accuracy` their last evaluation.
ModelDescription DescribeModel(const RunPlan& plan, const kernels::ParamLayout& layout, int rows,
                               int cols, std::span<const float> params, const std::string& source,
                               double final_test_accuracy);

// Writes parameters.bin and model.json into `dir` (created if needed). Unknown (exit 74) naming
// the file when a write fails.
absl::Status WriteModel(const std::string& dir, const ModelDescription& description,
                        std::span<const float> params);

// Reads <dir>/model.json and <dir>/parameters.bin back (tests, tools): DataLoss when the
// buffer's size is not parameter_count floats; NotFound for a missing file.
absl::StatusOr<ModelDescription> ReadModel(const std::string& dir, std::vector<float>* params);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_MODEL_EXPORT_H_

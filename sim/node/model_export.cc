#include "sim/node/model_export.h"

#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "sim/base/status.h"
#include "sim/node/local_trainer.h"
#include "sim/report/result_io.h"

namespace distsim::node {
namespace {

static_assert(std::endian::native == std::endian::little,
              "parameters.bin is little-endian float32; this build writes native floats");

absl::StatusOr<std::string> ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": missing"));
    return IoError("cannot read", path, errno);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

ModelDescription DescribeModel(const RunPlan& plan, const kernels::ParamLayout& layout, int rows,
                               int cols, std::span<const float> params, const std::string& source,
                               double final_test_accuracy) {
  ModelDescription d;
  *d.mutable_model() = plan.config.model();
  d.set_parameter_count(params.size());
  d.set_parameters_file(kParametersFile);
  d.set_dtype("float32 little-endian");
  d.set_parameter_hash(HashFloats(params));
  for (const kernels::TensorSpec& t : layout.tensors()) {
    TensorInfo* info = d.add_tensors();
    info->set_name(t.name);
    for (int64_t dim : t.shape) info->add_shape(static_cast<uint32_t>(dim));
    info->set_offset(static_cast<uint64_t>(t.offset));
    info->set_size(static_cast<uint64_t>(t.size));
  }
  d.set_input_rows(static_cast<uint32_t>(rows));
  d.set_input_cols(static_cast<uint32_t>(cols));
  d.set_classes(static_cast<uint32_t>(plan.num_classes));
  d.set_source(source);
  d.set_final_test_accuracy(final_test_accuracy);
  return d;
}

absl::Status WriteModel(const std::string& dir, const ModelDescription& description,
                        std::span<const float> params) {
  DS_RETURN_IF_ERROR(report::EnsureDir(dir));
  std::string bytes(params.size() * sizeof(float), '\0');
  if (!params.empty()) std::memcpy(bytes.data(), params.data(), bytes.size());
  DS_RETURN_IF_ERROR(report::WriteFileAtomic(absl::StrCat(dir, "/", kParametersFile), bytes));
  return report::WriteFileAtomic(absl::StrCat(dir, "/", kModelDescriptionFile),
                                 report::MessageToJson(description));
}

absl::StatusOr<ModelDescription> ReadModel(const std::string& dir, std::vector<float>* params) {
  const std::string json_path = absl::StrCat(dir, "/", kModelDescriptionFile);
  DS_ASSIGN_OR_RETURN(const std::string json, ReadWhole(json_path));
  ModelDescription d;
  if (!google::protobuf::util::JsonStringToMessage(json, &d).ok()) {
    return absl::DataLossError(absl::StrCat(json_path, ": not a ModelDescription"));
  }
  const std::string bin_path = absl::StrCat(dir, "/", kParametersFile);
  DS_ASSIGN_OR_RETURN(const std::string bytes, ReadWhole(bin_path));
  if (bytes.size() != d.parameter_count() * sizeof(float)) {
    return absl::DataLossError(absl::StrCat(bin_path, ": ", bytes.size(), " bytes; model.json says ",
                                            d.parameter_count(), " float32 parameters"));
  }
  params->resize(d.parameter_count());
  if (!bytes.empty()) std::memcpy(params->data(), bytes.data(), bytes.size());
  return d;
}

}  // namespace distsim::node

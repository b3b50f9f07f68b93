// `distsim export-sagemaker --json`: the files written and the key figures (sagemaker_export.h).
#include <filesystem>
#include <string>
#include <system_error>

#include "sim/app/sagemaker_export.h"
#include "sim/report/json_value.h"

namespace distsim::app {
namespace {

namespace pb = google::protobuf;
using report::JsonBool;
using report::JsonNumber;
using report::JsonText;

pb::Value JobValue(const ExportJob& job) {
  pb::Value v;
  auto& f = *v.mutable_struct_value()->mutable_fields();
  f["source"] = JsonText(job.source);
  f["predicted"] = JsonBool(job.predicted);
  f["download_seconds"] = JsonNumber(job.download_s);
  f["training_seconds"] = JsonNumber(job.training_s);
  f["upload_seconds"] = JsonNumber(job.upload_s);
  f["job_seconds"] = JsonNumber(job.job_s);
  f["startup_seconds"] = JsonNumber(job.startup_s);
  f["largest_download_bytes"] = JsonNumber(job.largest_download_bytes);
  return v;
}

}  // namespace

std::string ExportJson(const SagemakerExport& e, const std::string& out_dir) {
  pb::Struct out;
  auto& f = *out.mutable_fields();
  std::error_code ec;
  const std::filesystem::path dir = std::filesystem::absolute(out_dir, ec).lexically_normal();
  pb::ListValue* files = f["files"].mutable_list_value();
  for (const char* name : {"create-training-job.json", "train_sagemaker.py", "export.txt"}) {
    *files->add_values() = JsonText((dir / name).string());
  }
  f["job_name"] = JsonText(e.job_name);
  f["instance_type"] = JsonText(e.instance_type);
  f["instance_count"] = JsonNumber(e.instance_count);
  f["price_per_hour_usd"] = JsonNumber(e.price_per_hour_usd);
  f["cost_usd"] = JsonNumber(e.cost_usd);
  f["max_runtime_seconds"] = JsonNumber(static_cast<double>(e.max_runtime_s));
  f["volume_gb"] = JsonNumber(e.volume_gb);
  f["parameter_server"] = JsonBool(e.parameter_server);
  f["train_channel"] = JsonText(e.sharded ? "ShardedByS3Key" : "FullyReplicated");
  f["job"] = JobValue(e.job);
  pb::Struct* hyperparameters = f["hyperparameters"].mutable_struct_value();
  for (const auto& [key, value] : e.hyperparameters) {
    (*hyperparameters->mutable_fields())[key] = JsonText(value);
  }
  f["notes"] = report::JsonTexts(e.notes);
  return report::JsonLine(out);
}

}  // namespace distsim::app

// `distsim plan --json`: the plan's figures as one JSON object (plan.h).
#include <vector>

#include "kernels/param_layout.h"
#include "sim/app/plan.h"
#include "sim/base/status.h"
#include "sim/config/config.h"
#include "sim/data/channel.h"
#include "sim/data/dataset.h"
#include "sim/data/distribution.h"
#include "sim/data/distribution_summary.h"
#include "sim/node/run_plan.h"
#include "sim/report/json_value.h"

namespace distsim::app {
namespace {

namespace pb = google::protobuf;
using report::JsonNumber;
using report::JsonText;

pb::Value Numbers(const std::vector<int64_t>& values) {
  pb::Value v;
  pb::ListValue* list = v.mutable_list_value();
  for (int64_t x : values) *list->add_values() = JsonNumber(static_cast<double>(x));
  return v;
}

// Each process and its simulated host.
pb::Value Processes(const node::ClusterShape& shape) {
  pb::Value v;
  pb::ListValue* list = v.mutable_list_value();
  auto add = [list](const char* role, int rank, uint32_t host) {
    auto& f = *list->add_values()->mutable_struct_value()->mutable_fields();
    f["role"] = JsonText(role);
    f["rank"] = JsonNumber(rank);
    f["host"] = JsonText(data::HostName(static_cast<int>(host)));
  };
  for (int i = 0; i < shape.servers; ++i) add("server", i, shape.server_host[i]);
  for (int i = 0; i < shape.workers; ++i) add("worker", i, shape.worker_host[i]);
  return v;
}

// Each server's bytes and tensors.
pb::Value Shards(const strategy::ShardMap& shards, const kernels::ParamLayout& layout) {
  pb::Value v;
  pb::ListValue* list = v.mutable_list_value();
  const std::vector<int64_t> bytes = strategy::BytesPerShard(shards);
  const auto tensors = strategy::TensorsPerShard(shards, layout);
  for (size_t s = 0; s < bytes.size(); ++s) {
    auto& f = *list->add_values()->mutable_struct_value()->mutable_fields();
    f["server"] = JsonNumber(static_cast<double>(s));
    f["bytes"] = JsonNumber(static_cast<double>(bytes[s]));
    f["tensors"] = report::JsonTexts(tensors[s]);
  }
  return v;
}

// Who reads what: each worker's objects, examples and label counts.
pb::Value Workers(const data::DistributionSummary& summary) {
  pb::Value v;
  pb::ListValue* list = v.mutable_list_value();
  for (const data::WorkerDataSummary& w : summary.worker) {
    auto& f = *list->add_values()->mutable_struct_value()->mutable_fields();
    f["worker"] = JsonNumber(w.worker);
    f["objects"] = Numbers(w.objects);
    f["examples"] = JsonNumber(static_cast<double>(w.examples));
    f["label_counts"] = Numbers(w.label_counts);
  }
  return v;
}

pb::Value Data(const data::DistributionSummary& summary) {
  pb::Value v;
  auto& f = *v.mutable_struct_value()->mutable_fields();
  f["examples"] = JsonNumber(static_cast<double>(summary.examples));
  f["object_sizes"] = Numbers(summary.object_sizes);
  f["label_counts"] = Numbers(summary.label_counts);
  f["workers"] = Workers(summary);
  return v;
}

pb::Value Bytes(const ExpectedBytes& expected) {
  pb::Value v;
  auto& f = *v.mutable_struct_value()->mutable_fields();
  f["worker_per_step"] = JsonNumber(expected.worker_per_step);
  f["worker_off_host_per_step"] = JsonNumber(expected.worker_off_host_per_step);
  pb::ListValue* servers = f["server_per_step"].mutable_list_value();
  for (double b : expected.server_per_step) *servers->add_values() = JsonNumber(b);
  return v;
}

}  // namespace

absl::StatusOr<std::string> PlanJson(const RunConfig& run_config, const std::string& data_dir) {
  DS_ASSIGN_OR_RETURN(node::RunInputs in, node::OpenRun(run_config, data_dir));
  const node::RunPlan& plan = in.plan;
  const RunConfig& config = plan.config;
  DS_ASSIGN_OR_RETURN(
      const data::DistributionSummary summary,
      data::SummarizeDistribution(plan.distribution, data::Labels(in.train), in.train.num_classes(),
                                  plan.shape.workers, plan.batch, plan.data_seed, plan.shuffle));
  const strategy::ShardMap* shard_map = config.has_parameter_server() ? &plan.shards : nullptr;
  pb::Struct out;
  auto& f = *out.mutable_fields();
  f["run"] = JsonText(config.name());
  f["strategy"] = JsonText(node::DescribeStrategy(config));
  f["model"] = JsonText(in.model->name());
  f["parameters"] = JsonNumber(static_cast<double>(plan.parameters));
  f["bytes_per_copy"] = JsonNumber(4.0 * static_cast<double>(plan.parameters));
  f["classes"] = JsonNumber(in.train.num_classes());
  f["hosts"] = JsonNumber(plan.shape.hosts);
  f["processes"] = Processes(plan.shape);
  if (shard_map != nullptr) f["shards"] = Shards(*shard_map, in.model->layout());
  f["data"] = Data(summary);
  f["expected_bytes"] = Bytes(ExpectBytes(config, plan.parameters, shard_map));
  f["modelled_comm_seconds_per_step"] =
      JsonNumber(ModelledCommSeconds(config, plan.parameters, shard_map));
  f["notes"] = report::JsonTexts(config::Advice(config));
  return report::JsonLine(out);
}

}  // namespace distsim::app

#include "sim/node/channels.h"

#include "absl/strings/str_cat.h"
#include "sim/base/status.h"
#include "sim/data/channel.h"
#include "sim/data/distribution.h"
#include "sim/data/distribution_summary.h"
#include "sim/data/object_store.h"

namespace distsim::node {
namespace {

// The objects and label histogram of the host of worker `w`, without its bytes.
HostData HostDataOf(const RunPlan& plan, const data::ObjectStore& store,
                    std::span<const int32_t> labels, int w) {
  HostData host;
  host.set_host(plan.shape.worker_host[w]);
  host.set_name(data::HostName(static_cast<int>(plan.shape.worker_host[w])));
  std::vector<int64_t> ids;
  for (int64_t k : HostKeys(plan, w)) {
    host.add_objects(static_cast<uint32_t>(k));
    ids.insert(ids.end(), store.ids[k].begin(), store.ids[k].end());
  }
  host.set_examples(ids.size());
  for (int64_t c : data::LabelCounts(labels, ids, plan.num_classes)) host.add_label_counts(c);
  return host;
}

DataSummary SummaryOf(const RunPlan& plan, const data::ObjectStore& store,
                      std::span<const int32_t> labels) {
  DataSummary summary;
  summary.set_distribution(data::DistributionName(plan.distribution.distribution));
  summary.set_grouping(data::GroupingName(plan.distribution.grouping));
  if (plan.distribution.grouping == data::Grouping::kDirichlet) {
    summary.set_dirichlet_alpha(plan.distribution.dirichlet_alpha);
  }
  summary.set_examples(labels.size());
  for (size_t k = 0; k < store.ids.size(); ++k) {
    summary.add_object_sizes(store.ids[k].size());
    summary.add_object_bytes(static_cast<uint64_t>(store.bytes[k]));
  }
  summary.set_mean_object_label_entropy(
      data::MeanLabelEntropyBits(store.ids, labels, plan.num_classes));
  summary.set_objects_dir(store.dir);
  return summary;
}

}  // namespace

std::string DefaultObjectsRoot(const std::string& run_dir) {
  return absl::StrCat(run_dir, "/objects");
}

absl::StatusOr<RunChannels> PrepareChannels(const RunPlan& plan, const data::Dataset& train,
                                            const data::Dataset& test,
                                            const std::string& objects_root,
                                            const std::string& run_dir) {
  const std::string root = objects_root.empty() ? DefaultObjectsRoot(run_dir) : objects_root;
  DS_ASSIGN_OR_RETURN(data::ObjectStore store,
                      data::MakeObjectStore(train, plan.distribution, plan.data_seed, root));
  const std::vector<int32_t> labels = data::Labels(train);
  RunChannels channels;
  channels.summary = SummaryOf(plan, store, labels);
  channels.host_data_dirs.assign(plan.shape.hosts, "");
  for (int w = 0; w < plan.shape.workers; ++w) {
    const int host = static_cast<int>(plan.shape.worker_host[w]);
    const std::string dir = data::HostDataDir(run_dir, host);
    DS_ASSIGN_OR_RETURN(double bytes, data::LayChannels(store, HostKeys(plan, w),
                                                        test.images_path(), test.labels_path(),
                                                        dir));
    HostData data = HostDataOf(plan, store, labels, w);
    data.set_channel_bytes(static_cast<uint64_t>(bytes));
    data.set_channel_dir(absl::StrCat(dir, "/train"));
    *channels.summary.add_hosts() = std::move(data);
    channels.host_data_dirs[host] = dir;
  }
  // Hosts started with nothing to train on (data.allow_idle_hosts): billed, and said so.
  const int first_idle = plan.shape.worker_host.back() + 1;
  for (int host = first_idle; host < plan.shape.hosts; ++host) {
    HostData* idle = channels.summary.add_hosts();
    idle->set_host(host);
    idle->set_name(data::HostName(host));
    idle->set_idle(true);
  }
  return channels;
}

}  // namespace distsim::node

#include "sim/node/channel_report.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sim/data/channel.h"
#include "sim/data/distribution.h"

namespace distsim::node {
namespace {

namespace fs = std::filesystem;

// Bytes of the regular files in `dir` (links followed: a channel holds links to the objects).
uint64_t FolderBytes(const std::string& dir) {
  uint64_t bytes = 0;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    std::error_code size_ec;
    const uintmax_t size = fs::file_size(e.path(), size_ec);
    if (!size_ec) bytes += size;
  }
  return bytes;
}

std::string NameOf(const std::vector<std::string>& host_names, uint32_t host) {
  return host < host_names.size() ? host_names[host] : data::HostName(static_cast<int>(host));
}

}  // namespace

HostData ChannelReport(const RunInputs& in, const std::string& host_data_dir) {
  HostData host;
  for (int64_t k : in.channel_keys) host.add_objects(static_cast<uint32_t>(k));
  host.set_examples(static_cast<uint64_t>(in.train.size()));
  std::vector<uint64_t> counts(std::max(1, in.plan.num_classes), 0);
  for (const std::vector<int64_t>& object : in.channel_ids) {
    for (int64_t id : object) {
      const int32_t label = in.train.label(id);
      if (label >= 0 && static_cast<size_t>(label) < counts.size()) ++counts[label];
    }
  }
  for (uint64_t c : counts) host.add_label_counts(c);
  const std::string train = absl::StrCat(host_data_dir, "/train");
  host.set_channel_bytes(FolderBytes(train) + FolderBytes(TestChannelDir(host_data_dir)));
  host.set_channel_dir(train);
  return host;
}

ReportedData DataFromReports(const RunPlan& plan, const std::vector<HostData>& channels,
                             const std::vector<std::string>& host_names) {
  ReportedData out;
  const bool sharded = plan.distribution.distribution == data::Distribution::kShardedByKey;
  out.summary.set_distribution(data::DistributionName(plan.distribution.distribution));
  std::vector<std::string> missing;
  uint64_t examples = 0;
  std::vector<HostDownload> downloads(plan.shape.hosts);
  for (int w = 0; w < plan.shape.workers; ++w) {
    const uint32_t host = plan.shape.worker_host[w];
    const bool reported = static_cast<size_t>(w) < channels.size() &&
                          !channels[w].channel_dir().empty();
    if (!reported) {
      missing.push_back(NameOf(host_names, host));
      continue;
    }
    HostData data = channels[w];
    data.set_host(host);
    data.set_name(NameOf(host_names, host));
    examples = sharded ? examples + data.examples() : data.examples();
    downloads[host].bytes = static_cast<double>(data.channel_bytes());
    downloads[host].objects = data.objects_size() + 1;  // and the test set
    *out.summary.add_hosts() = std::move(data);
  }
  out.left_out.push_back(
      "data.object_sizes, object_bytes and mean_object_label_entropy: each host sees only its "
      "own channel; data.hosts holds what every worker reported of its channel");
  if (missing.empty()) {
    out.summary.set_examples(examples);
    out.downloads = std::move(downloads);
    return out;
  }
  const std::string who = absl::StrJoin(missing, ", ");
  if (sharded || missing.size() == static_cast<size_t>(plan.shape.workers)) {
    out.left_out.push_back(absl::StrCat("data.examples (N): no channel report from ", who));
  } else {
    out.summary.set_examples(examples);
  }
  out.left_out.push_back(absl::StrCat(
      "modelled download_seconds, job_seconds and cost_usd: no channel report from ", who,
      ", whose download is unknown"));
  return out;
}

}  // namespace distsim::node

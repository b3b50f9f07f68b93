// What a run knows of its data when no process sees all of it (`distsim train`: each host holds
// only the channel SageMaker downloaded for it, and under ShardedByS3Key no host knows N). Each
// worker describes its own channel (ChannelReport, sent in its ProcessSummary); the coordinator
// assembles RunResult.data and each host's modelled download from those reports
// (DataFromReports), and says what nobody reported instead of inventing it.
#ifndef DISTSIM_SIM_NODE_CHANNEL_REPORT_H_
#define DISTSIM_SIM_NODE_CHANNEL_REPORT_H_

#include <string>
#include <vector>

#include "distsim/result.pb.h"
#include "sim/node/run_plan.h"

namespace distsim::node {

// The channel `in` opened (OpenChannelRun) from `host_data_dir`: its keys, examples, label
// histogram, the bytes of every file under its train and test folders (what the host
// downloaded) and the train folder. `host` and `name` are left for the coordinator to set.
HostData ChannelReport(const RunInputs& in, const std::string& host_data_dir);

struct ReportedData {
  DataSummary summary;  // distribution, N where it follows, and the hosts that reported
  // By simulated host: each worker host's download (its channel's bytes and objects, the test
  // set counted as one object). Empty when a worker host's report is missing: the modelled
  // download, job and cost are then left out.
  std::vector<HostDownload> downloads;
  std::vector<std::string> left_out;  // RunResult.left_out: one sentence for each gap
};

// The data of `plan` from `channels` (by worker rank; a channel whose train folder is empty is
// one its worker never reported). `host_names` (by simulated host; may be empty) names the
// hosts. N is the sum of the channels under SHARDED_BY_KEY (the shards are disjoint), else any
// channel's size (every host holds the whole set); the objects' sizes and label entropy, which
// need every object, are left out.
ReportedData DataFromReports(const RunPlan& plan, const std::vector<HostData>& channels,
                             const std::vector<std::string>& host_names);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_CHANNEL_REPORT_H_

// The /opt/ml trees of a `distsim local` job (local_job.h): what SageMaker writes into each
// host's container before it starts.
#ifndef DISTSIM_SIM_APP_LOCAL_TREES_H_
#define DISTSIM_SIM_APP_LOCAL_TREES_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "sim/data/object_store.h"

namespace distsim::app {

// What one host's tree holds.
struct HostTreeSpec {
  std::string root;                // the tree: <root>/input/config, <root>/input/data
  std::string current_host;        // algo-<i>
  std::vector<std::string> hosts;  // every host, sorted as strings (SageMaker's order)
  std::string interface;           // network_interface_name: eth0, or lo on loopback
  std::string instance_type;       // "" when the config names none
  bool sharded = false;            // the train channel is ShardedByS3Key
  std::map<std::string, std::string> hyperparameters;  // the API's strings
  std::vector<int64_t> keys;                           // the objects of its train channel
  std::string test_images, test_labels;
};

// The hosts' names algo-1 .. algo-<n> sorted as strings, as resourceconfig.json lists them
// (algo-1, algo-10, algo-11, algo-2, ...): a host's rank is its index here.
std::vector<std::string> SortedHostNames(int n);

// Writes the three JSON files and lays the channels (links into `store`). Replaces an earlier
// tree at the same root. Unknown naming the path when a write fails.
absl::Status WriteHostTree(const HostTreeSpec& spec, const data::ObjectStore& store);

}  // namespace distsim::app

#endif  // DISTSIM_SIM_APP_LOCAL_TREES_H_

// Test helpers for `distsim train`: SageMaker's /opt/ml tree of one host, written into a test's
// temporary folder: input/config/{resourceconfig,inputdataconfig,hyperparameters}.json and the
// channels input/data/{train,test}, whose objects are linked from an object store the test made
// (sim/data/object_store.h, channel.h) out of its synthetic IDX files.
#ifndef DISTSIM_TESTS_APP_TRAIN_TREE_H_
#define DISTSIM_TESTS_APP_TRAIN_TREE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/data/object_store.h"
#include "tests/node/process_util.h"
#include "tests/testing/synthetic_data_test.h"

namespace distsim::testing {

struct HostTree {
  std::vector<std::string> hosts = {"algo-1"};
  std::string current_host = "algo-1";
  std::string interface = "lo";
  std::string distribution = "FullyReplicated";  // the train channel's S3DistributionType
  // Hyperparameters as SageMaker writes them: every value a string (already JSON-encoded where
  // the SDK would encode it). JSON-escaped by WriteHostTree.
  std::map<std::string, std::string> hyperparameters;
  std::vector<int64_t> keys;  // the objects its train channel holds
  bool test_channel = true;
};

// Writes `tree` at `root`: the three JSON files and the channels, the train channel holding the
// objects `tree.keys` of `store`, the test channel the test files of `data_dir` (the synthetic
// set's folder).
void WriteHostTree(const std::string& root, const HostTree& tree, const data::ObjectStore& store,
                   const std::string& data_dir);

// A JSON string literal of `text`, quotes included.
std::string JsonString(const std::string& text);

// "127.A.B." with A and B picked from this process's pid and the clock: loopback aliases of
// their own for a test's hosts (<prefix>1, <prefix>2, ...), so that their fixed ports (2222,
// 2223) meet no other test's on this machine.
std::string LoopbackPrefix();

// A hosts file at `path` mapping algo-1 .. algo-<hosts> to <prefix>1 .. <prefix><hosts>.
void WriteHostsFile(const std::string& path, const std::string& prefix, int hosts);

// The text of a file ("" when it does not exist).
std::string ReadText(const std::string& path);

// Pids of live processes whose command line contains `needle` (this process excepted).
std::vector<int> ProcessesMentioning(const std::string& needle);

// A fixture: the synthetic set cut into objects (ObjectsSpec, seed 7) in dir_/objects, a run
// token in the environment, and helpers that write a host's tree and run `distsim train` on it.
class TrainTreeTest : public SyntheticDataTest {
 protected:
  virtual data::DistributionSpec ObjectsSpec() const;  // 4 equal shuffled objects
  void SetUp() override;

  // Writes `tree` at dir_/<name> and returns that root.
  std::string Root(const HostTree& tree, const std::string& name);
  // `distsim train --root ROOT -q EXTRA...`, started, or run to its end (or timeout_s).
  Spawned Start(const std::string& root, const std::vector<std::string>& extra = {});
  Finished Train(const std::string& root, const std::vector<std::string>& extra = {},
                 double timeout_s = 60);

  data::ObjectStore store_;
};

}  // namespace distsim::testing

#endif  // DISTSIM_TESTS_APP_TRAIN_TREE_H_

// The data channels through the distsim binary, as a user runs it: each simulated host's channel
// folder holds exactly its objects, its worker reads exactly that (the examples it saw are
// counted), and an epoch under SHARDED_BY_KEY is one pass over the worker's own shard. The truth
// is computed by hand from the config (object sizes from the weights) and read back from the
// files the run laid out.
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/config/instances.h"
#include "sim/data/dataset.h"
#include "sim/report/result_io.h"
#include "tests/node/process_util.h"
#include "tests/testing/synthetic_data_test.h"

namespace distsim {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

class ChannelsTest : public testing::SyntheticDataTest {
 protected:
  // 1200 examples in 5 objects of weights 1, 2, 3, 1, 1: 150, 300, 450, 150 and 150 examples.
  std::string Config(const std::string& name, const std::string& distribution) {
    const std::string path = (dir_ / (name + ".textproto")).string();
    std::ofstream(path) << "name: \"" << name << "\"\nseed: 3\nworkers: 2\n"
                        << "model { mlp { hidden: 16 } }\n"
                        << "data { dataset: IDX dir: \"data\" distribution: " << distribution
                        << " objects: 5 object_weights: [1, 2, 3, 1, 1] grouping: DIRICHLET }\n"
                        << "optimizer { sgd { learning_rate: 0.1 } }\n"
                        << "train { batch_size: 32 epochs: 1 eval_every_steps: 0 }\n"
                        << "parameter_server { mode: ASYNC }\n";
    return path;
  }

  RunResult Run(const std::string& name, const std::string& distribution) {
    testing::Finished done = testing::Run(
        {DISTSIM_BINARY, "run", Config(name, distribution), "-q", "--out", out()}, 120);
    EXPECT_EQ(done.exit_code, 0) << done.err;
    auto r = report::ReadResultJson((fs::path(out()) / name / "result.json").string());
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : RunResult();
  }

  std::string out() const { return (dir_ / "out").string(); }

  // The object numbers in a train channel folder, and the examples its images files hold.
  static std::set<int> Keys(const fs::path& train, int64_t* examples) {
    std::set<int> keys;
    *examples = 0;
    for (const auto& e : fs::directory_iterator(train)) {
      const std::string name = e.path().filename().string();
      if (name.find(".dsobj") == std::string::npos) continue;
      keys.insert(std::stoi(name.substr(6, 5)));
      auto object = data::Dataset::OpenObjects({e.path().string()});
      EXPECT_TRUE(object.ok()) << object.status();
      if (object.ok()) *examples += object->size();
    }
    return keys;
  }
};

TEST_F(ChannelsTest, AShardedWorkerReadsItsOwnObjectsForOneEpoch) {
  const RunResult r = Run("sharded", "SHARDED_BY_KEY");
  // Dedicated server on host 0 (algo-1); workers on algo-2 (keys 0, 2, 4: 150 + 450 + 150 = 750
  // examples) and algo-3 (keys 1, 3: 300 + 150 = 450).
  const fs::path hosts = fs::path(out()) / "sharded" / "hosts";
  int64_t examples = 0;
  EXPECT_EQ(Keys(hosts / "algo-2/input/data/train", &examples), (std::set<int>{0, 2, 4}));
  EXPECT_EQ(examples, 750);
  EXPECT_EQ(Keys(hosts / "algo-3/input/data/train", &examples), (std::set<int>{1, 3}));
  EXPECT_EQ(examples, 450);
  EXPECT_FALSE(fs::exists(hosts / "algo-1")) << "the server's host downloads nothing";
  ASSERT_EQ(r.worker_stats_size(), 2);
  // One epoch of batches of 32: ceil(750 / 32) = 24 and ceil(450 / 32) = 15 steps; each worker
  // saw every example of its channel and nothing else (the channel holds no other).
  EXPECT_EQ(r.worker_stats(0).steps(), 24u);
  EXPECT_EQ(r.worker_stats(1).steps(), 15u);
  EXPECT_EQ(r.worker_stats(0).channel_examples(), 750u);
  EXPECT_EQ(r.worker_stats(0).distinct_examples(), 750u);
  EXPECT_EQ(r.worker_stats(1).channel_examples(), 450u);
  EXPECT_EQ(r.worker_stats(1).distinct_examples(), 450u);
  // The result says who holds what.
  ASSERT_EQ(r.data().hosts_size(), 2);
  EXPECT_EQ(r.data().hosts(0).name(), "algo-2");
  EXPECT_THAT(r.data().hosts(0).objects(), ElementsAre(0, 2, 4));
  EXPECT_EQ(r.data().hosts(1).examples(), 450u);
  EXPECT_THAT(r.data().object_sizes(), ElementsAre(150, 300, 450, 150, 150));
  int64_t labelled = 0;
  for (uint64_t c : r.data().hosts(1).label_counts()) labelled += static_cast<int64_t>(c);
  EXPECT_EQ(labelled, 450);
}

TEST_F(ChannelsTest, AReplicatedHostHoldsEveryObject) {
  const RunResult r = Run("replicated", "FULLY_REPLICATED");
  const fs::path hosts = fs::path(out()) / "replicated" / "hosts";
  for (const char* host : {"algo-2", "algo-3"}) {
    int64_t examples = 0;
    EXPECT_EQ(Keys(hosts / host / "input/data/train", &examples),
              (std::set<int>{0, 1, 2, 3, 4}));
    EXPECT_EQ(examples, 1200);
  }
  // An epoch is a pass over all 1200: ceil(1200 / 32) = 38 steps each.
  ASSERT_EQ(r.worker_stats_size(), 2);
  EXPECT_EQ(r.worker_stats(0).steps(), 38u);
  EXPECT_EQ(r.worker_stats(1).channel_examples(), 1200u);
  EXPECT_EQ(r.worker_stats(1).distinct_examples(), 1200u);
  // Both hosts download the same bytes; the modelled download is the same for both.
  ASSERT_EQ(r.modelled().host_download_bytes_size(), 3);
  EXPECT_EQ(r.modelled().host_download_bytes(0), 0u);
  EXPECT_EQ(r.modelled().host_download_bytes(1), r.modelled().host_download_bytes(2));
  EXPECT_EQ(r.modelled().host_download_bytes(1), r.data().hosts(0).channel_bytes());
}

// Three hosts for two objects: SageMaker starts and bills the third, which has nothing to train
// on. The bill counts every host for the whole job; the idle one is idle all of it.
TEST_F(ChannelsTest, AnIdleHostIsStartedBilledAndNamed) {
  const std::string path = (dir_ / "idle.textproto").string();
  std::ofstream(path) << "name: \"idle\"\nseed: 3\nworkers: 3\n"
                      << "model { mlp { hidden: 16 } }\n"
                      << "data { dataset: IDX dir: \"data\" distribution: SHARDED_BY_KEY objects: 2 "
                      << "allow_idle_hosts: true }\n"
                      << "optimizer { sgd { learning_rate: 0.1 } }\n"
                      << "train { batch_size: 32 steps: 5 eval_every_steps: 0 }\n"
                      << "cluster { instance_type: \"ml.c4.xlarge\" clock: FLOPS }\n"
                      << "parameter_server { mode: ASYNC placement: COLOCATED }\n";
  testing::Finished done =
      testing::Run({DISTSIM_BINARY, "run", path, "-q", "--out", out()}, 120);
  ASSERT_EQ(done.exit_code, 0) << done.err;
  auto r = report::ReadResultJson((fs::path(out()) / "idle" / "result.json").string());
  ASSERT_TRUE(r.ok()) << r.status();
  // Two workers train; three hosts (each with a shard) are modelled and billed.
  EXPECT_EQ(r->worker_stats_size(), 2);
  EXPECT_EQ(r->servers(), 3u);
  EXPECT_EQ(r->modelled().hosts(), 3u);
  ASSERT_EQ(r->data().hosts_size(), 3);
  EXPECT_TRUE(r->data().hosts(2).idle());
  EXPECT_EQ(r->data().hosts(2).name(), "algo-3");
  EXPECT_EQ(r->data().hosts(2).examples(), 0u);
  EXPECT_FALSE(fs::exists(fs::path(out()) / "idle/hosts/algo-3/input/data/train"));
  // The bill: 3 hosts x the job's seconds x the instance's price per hour.
  auto instance = config::FindInstance("ml.c4.xlarge");
  ASSERT_TRUE(instance.ok());
  const ModelledClock& m = r->modelled();
  EXPECT_NEAR(m.cost_usd(), 3 * m.job_seconds() * instance->price_per_hour_usd() / 3600, 1e-12);
  EXPECT_DOUBLE_EQ(m.job_seconds(), m.download_seconds() + m.seconds() + m.upload_seconds());
  EXPECT_EQ(m.host_download_bytes(2), 0u);
  EXPECT_GT(m.idle_cost_usd(), 0);
  // The download by hand: the bytes really linked into host 0's channels, at the File-mode rate
  // (200 MB/s, or the NIC's when smaller), plus 0.1 s for each of its 2 objects (its key and the
  // test set).
  const double rate = std::min(200e6, instance->network_gbps() * 1e9 / 8);
  const double bytes = static_cast<double>(r->data().hosts(0).channel_bytes());
  EXPECT_NEAR(m.host_download_seconds(0), bytes / rate + 2 * 0.1, 1e-9);
  EXPECT_NEAR(m.download_seconds(),
              std::max(m.host_download_seconds(0), m.host_download_seconds(1)), 1e-12);
}

}  // namespace
}  // namespace distsim

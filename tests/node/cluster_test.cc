// The simulated cluster, end to end through the distsim binary: the modelled clock against a
// hand computation from the run's own records, stragglers in FLOP mode, faults under ABORT and
// CONTINUE, and the two byte counts of a shaped network.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "sim/config/config.h"
#include "sim/data/synthetic.h"
#include "sim/node/factory.h"
#include "sim/report/result_io.h"
#include "tests/node/process_util.h"
#include "tests/testing/synthetic_data_test.h"

namespace distsim {
namespace {

namespace fs = std::filesystem;

class ClusterTest : public testing::SyntheticDataTest {
 public:
  static void SetUpTestSuite() { testing::BecomeSubreaper(); }

  data::SyntheticSpec Spec() const override {
    data::SyntheticSpec spec = SyntheticDataTest::Spec();
    spec.seed = 5;
    return spec;
  }
  void TearDown() override {
    testing::ReapOrphans();
    SyntheticDataTest::TearDown();
  }

  std::string Config(const std::string& name, const std::string& model, const std::string& body) {
    std::string path = (dir_ / (name + ".textproto")).string();
    std::ofstream(path) << "name: \"" << name << "\"\nseed: 3\n"
                        << "model { " << model << " }\n"
                        << "data { dataset: IDX dir: \"data\" }\n"
                        << "optimizer { sgd { learning_rate: 0.05 } }\n"
                        << body;
    return path;
  }

  testing::Finished RunConfig(const std::string& path, double timeout_s = 120) {
    return testing::Run({DISTSIM_BINARY, "run", path, "-q", "--out", (dir_ / "out").string()},
                        timeout_s);
  }

  RunResult Result(const std::string& name) {
    auto r = report::ReadResultJson((dir_ / "out" / name / "result.json").string());
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : RunResult();
  }

  // steps.csv as (worker, step) -> column -> value.
  std::map<std::pair<int, int>, std::map<std::string, double>> Steps(const std::string& name) {
    std::ifstream in(dir_ / "out" / name / "steps.csv");
    std::string line;
    std::getline(in, line);
    std::vector<std::string> header = absl::StrSplit(line, ',');
    std::map<std::pair<int, int>, std::map<std::string, double>> rows;
    while (std::getline(in, line)) {
      std::vector<std::string> cells = absl::StrSplit(line, ',');
      std::map<std::string, double> row;
      for (size_t i = 0; i < header.size() && i < cells.size(); ++i) {
        double v = 0;
        if (absl::SimpleAtod(cells[i], &v)) row[header[i]] = v;
      }
      rows[{static_cast<int>(row["worker"]), static_cast<int>(row["step"])}] = row;
    }
    return rows;
  }

};

int64_t Params(const std::string& model_text) {
  ModelConfig model;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(model_text, &model));
  auto m = node::MakeModel(model, 28, 28, 10);
  EXPECT_TRUE(m.ok());
  return m.ok() ? (*m)->layout().size() : 0;
}

// The modelled clock of a tiny SYNC run, recomputed by hand from its recorded compute times (the
// thread CPU time of every step, steps.csv) and the link model: each step is a pull phase, the
// slowest worker's compute, and a push phase; a phase is a round trip of latency plus the busiest
// NIC's bytes over the bandwidth, here the server's n x S.
TEST_F(ClusterTest, ModelledClockOfASyncRunEqualsTheHandComputation) {
  const std::string model = "mlp { hidden: 32 }";
  std::string path = Config("sync_model", model, R"(workers: 2
train { batch_size: 16 steps: 6 warmup_steps: 0 eval_every_steps: 0 }
parameter_server { mode: SYNC servers: 1 }
cluster { network { bandwidth_gbps: 1 latency_us: 100 } }
)");
  testing::Finished done = RunConfig(path);
  ASSERT_EQ(done.exit_code, 0) << done.err;
  RunResult r = Result("sync_model");
  auto steps = Steps("sync_model");
  ASSERT_EQ(steps.size(), 12u);

  const double S = 4.0 * Params(model);  // bytes of the gradient, and of the parameters
  const double alpha = 100e-6, bytes_per_s = 1e9 / 8, n = 2;
  // A pull is a request and its reply, a push its data and an ack: two latencies, and the server's
  // NIC carries both workers' bytes.
  const double phase = 2 * alpha + n * S / bytes_per_s;
  double expected = 0;
  for (int step = 1; step <= 6; ++step) {
    const auto& a = steps[{0, step}];
    const auto& b = steps[{1, step}];
    // No instance: the modelled compute is the measured CPU time itself.
    EXPECT_NEAR(a.at("model_compute_ms"), a.at("compute_cpu_ms"), 1e-5);
    EXPECT_GT(a.at("compute_cpu_ms"), 0);
    expected += phase + 1e-3 * std::max(a.at("compute_cpu_ms"), b.at("compute_cpu_ms")) + phase;
  }
  // The CSV rounds to nanoseconds; the phases are exact.
  EXPECT_NEAR(r.modelled().seconds(), expected, 1e-7 * 12 + 1e-9 * expected);
  EXPECT_EQ(r.modelled().order(), "lockstep");
  EXPECT_EQ(r.modelled().clock_mode(), "CPU_TIME");
  EXPECT_NEAR(r.modelled().samples_per_second(), 2 * 6 * 16 / r.modelled().seconds(), 1e-6);
}

// FLOP mode: every step's compute is the model's FLOPs over the instance speed, so a worker 4x
// slower makes a synchronous step (which ends with its slowest member) nearly 4x as long, the
// network adding a little to both. The model's compute dominates the real run too, so the async
// run's real order follows the modelled speeds.
class StragglerTest : public ClusterTest {
 public:
  // Modelled seconds (or samples/s) of `strategy` with and without a 4x straggler on worker 1.
  std::pair<RunResult, RunResult> Pair(const std::string& name, const std::string& strategy,
                                       const std::string& length) {
    const std::string model =
        "cnn { conv1_channels: 8 conv2_channels: 16 dense_units: 32 dropout: 0 }";
    const std::string cluster = "cluster { clock: FLOPS gemm_gflops: 2 ";
    const std::string body = "workers: 2\ntrain { batch_size: 64 " + length +
                             " warmup_steps: 0 eval_every_steps: 0 }\n" + strategy + "\n";
    std::string plain = Config(name, model, body + cluster + "}\n");
    std::string slow = Config(name + "_slow", model,
                              body + cluster + "faults { worker: 1 slowdown: 4 } }\n");
    testing::Finished a = RunConfig(plain);
    EXPECT_EQ(a.exit_code, 0) << a.err;
    testing::Finished b = RunConfig(slow);
    EXPECT_EQ(b.exit_code, 0) << b.err;
    return {Result(name), Result(name + "_slow")};
  }
};

TEST_F(StragglerTest, SyncParameterServerTakesAbout4xAsLong) {
  auto [plain, slow] = Pair("sync", "parameter_server { mode: SYNC }", "steps: 12");
  ASSERT_GT(plain.modelled().seconds(), 0);
  const double ratio = slow.modelled().seconds() / plain.modelled().seconds();
  RecordProperty("ratio", std::to_string(ratio));
  EXPECT_GE(ratio, 3.6);
  EXPECT_LE(ratio, 4.05);
  EXPECT_EQ(slow.faults_size(), 1);
  EXPECT_EQ(slow.faults(0), "worker 1: 4x slower");
}

TEST_F(StragglerTest, RingTakesAbout4xAsLong) {
  auto [plain, slow] = Pair("ring", "allreduce { transport: TCP }", "steps: 12");
  ASSERT_GT(plain.modelled().seconds(), 0);
  const double ratio = slow.modelled().seconds() / plain.modelled().seconds();
  RecordProperty("ratio", std::to_string(ratio));
  EXPECT_GE(ratio, 3.6);
  EXPECT_LE(ratio, 4.05);
}

// Async: the fast worker keeps going, so the pair keeps at least 0.9 x (n - 1 + 1/4) / n of its
// throughput (the modelled samples per second over the same number of updates).
TEST_F(StragglerTest, AsyncParameterServerKeepsTheFastWorkersThroughput) {
  auto [plain, slow] = Pair("async", "parameter_server { mode: ASYNC }", "global_steps: 60");
  ASSERT_GT(plain.modelled().samples_per_second(), 0);
  const double kept = slow.modelled().samples_per_second() / plain.modelled().samples_per_second();
  const double n = 2;
  RecordProperty("kept", std::to_string(kept));
  EXPECT_GE(kept, 0.9 * (n - 1 + 0.25) / n);
  EXPECT_NE(slow.modelled().order().find("replayed"), std::string::npos);
}

// CONTINUE under async PS: a worker killed mid-run leaves the others training; the run ends
// normally with a result that says who was lost.
TEST_F(ClusterTest, AsyncContinueGoesOnWithoutAKilledWorker) {
  std::string path = Config("continue", "mlp { hidden: 32 }", R"(workers: 3
train { batch_size: 16 steps: 40 eval_every_steps: 0 }
parameter_server { mode: SSP staleness: 2 }
supervision { on_worker_failure: CONTINUE }
cluster { faults { worker: 2 kill_at_step: 10 } }
)");
  testing::Finished done = RunConfig(path);
  ASSERT_EQ(done.exit_code, 0) << done.err;
  RunResult r = Result("continue");
  ASSERT_EQ(r.workers_lost_size(), 1);
  EXPECT_EQ(r.workers_lost(0), 2u);
  ASSERT_EQ(r.worker_stats_size(), 3);
  EXPECT_TRUE(r.worker_stats(2).lost());
  EXPECT_LT(r.worker_stats(2).steps(), 10u);
  EXPECT_EQ(r.worker_stats(0).steps(), 40u);
  EXPECT_EQ(r.worker_stats(1).steps(), 40u);
  EXPECT_GT(r.final_test_accuracy(), 0.5);
}

// The chief dies: the coordinator evaluates in its place on the servers' newest parameters.
TEST_F(ClusterTest, DeadChiefHandsTheEvaluationToTheCoordinator) {
  std::string path = Config("chief", "mlp { hidden: 32 }", R"(workers: 2
train { batch_size: 16 steps: 60 eval_every_steps: 0 }
parameter_server { mode: ASYNC }
supervision { on_worker_failure: CONTINUE }
cluster { faults { worker: 0 kill_at_step: 5 } }
)");
  testing::Finished done = RunConfig(path);
  ASSERT_EQ(done.exit_code, 0) << done.err;
  RunResult r = Result("chief");
  ASSERT_EQ(r.workers_lost_size(), 1);
  EXPECT_EQ(r.workers_lost(0), 0u);
  ASSERT_GE(r.evals_size(), 1);
  EXPECT_GT(r.final_test_accuracy(), 0.5) << "the survivor's 60 steps trained the model";
  EXPECT_EQ(r.steps(), 60u);
}

// Synchronous strategies cannot continue without a member: the kill fails the run, exit 69,
// naming the worker.
TEST_F(ClusterTest, KilledWorkerFailsSyncAndRingRuns) {
  for (const std::string strategy : {"parameter_server { mode: SYNC }", "allreduce { }"}) {
    SCOPED_TRACE(strategy);
    const std::string name = strategy[0] == 'p' ? "sync_kill" : "ring_kill";
    std::string path = Config(name, "mlp { hidden: 32 }", "workers: 2\n"
                              "train { batch_size: 16 steps: 400 }\n" + strategy +
                              "\ncluster { faults { worker: 1 kill_at_step: 10 } }\n");
    testing::Finished done = RunConfig(path, 60);
    EXPECT_FALSE(done.timed_out);
    EXPECT_EQ(done.exit_code, 69) << done.err;
    EXPECT_NE(done.err.find("worker 1"), std::string::npos) << done.err;
    EXPECT_NE(done.err.find("SIGKILL"), std::string::npos) << done.err;
  }
}

// A corrupt gradient (one NaN, as silent data corruption would leave) reaches the servers, which
// refuse it, never apply it, and stop the run: exit 65 naming the worker and the step.
TEST_F(ClusterTest, ServersRefuseACorruptGradientAndStopTheRun) {
  for (const std::string mode : {"ASYNC", "SYNC"}) {
    SCOPED_TRACE(mode);
    std::string path = Config("corrupt_" + mode, "mlp { hidden: 32 }",
                              "workers: 2\ntrain { batch_size: 16 steps: 100000 }\n"
                              "parameter_server { mode: " + mode + " servers: 2 }\n"
                              "cluster { faults { worker: 1 corrupt_at_step: 20 } }\n");
    testing::Finished done = RunConfig(path, 60);
    EXPECT_FALSE(done.timed_out);
    EXPECT_EQ(done.exit_code, 65) << done.err;
    EXPECT_NE(done.err.find("worker 1 pushed a non-finite gradient at step 20"),
              std::string::npos)
        << done.err;
  }
}

// With on_bad_gradient SKIP the same corrupt push is dropped and counted, and the run completes.
TEST_F(ClusterTest, ServersSkipACorruptGradientWhenAskedAndCountIt) {
  for (const std::string mode : {"ASYNC", "SYNC"}) {
    SCOPED_TRACE(mode);
    std::string path = Config("skip_" + mode, "mlp { hidden: 32 }",
                              "workers: 2\ntrain { batch_size: 16 steps: 40 eval_every_steps: 0 }\n"
                              "parameter_server { mode: " + mode +
                                  " servers: 2 on_bad_gradient: SKIP }\n"
                                  "cluster { faults { worker: 1 corrupt_at_step: 20 } }\n");
    testing::Finished done = RunConfig(path, 60);
    ASSERT_EQ(done.exit_code, 0) << done.err;
    RunResult r = Result("skip_" + mode);
    uint64_t skipped = 0, refused = 0;
    for (const ServerStats& s : r.server_stats()) {
      skipped += s.pushes_skipped();
      refused += s.pushes_refused();
    }
    EXPECT_EQ(skipped, 1u) << "one NaN, in one shard's range";
    EXPECT_EQ(refused, 0u);
    EXPECT_TRUE(std::isfinite(r.final_train_loss()));
    // Each process reports its memory; a PSS never exceeds the peak resident set.
    EXPECT_EQ(r.memory().processes(), 4u);
    uint64_t pss = 0;
    for (const WorkerStats& w : r.worker_stats()) {
      EXPECT_GT(w.pss_bytes(), 0u);
      EXPECT_LE(w.pss_bytes(), w.max_rss_bytes());
      pss += w.pss_bytes();
    }
    for (const ServerStats& s : r.server_stats()) pss += s.pss_bytes();
    EXPECT_EQ(r.memory().pss_total_bytes(), pss);
    EXPECT_GT(r.memory().launcher_pss_bytes(), 0u);
  }
}

// A shaped network counts bytes twice: the transport's, and those that crossed a simulated NIC.
// Colocated, each worker's traffic with the shard on its own host stays there: with balanced
// ranges over 2 hosts, half of it.
TEST_F(ClusterTest, ShapedColocatedRunCountsNicBytesApart) {
  std::string path = Config("shaped", "mlp { hidden: 32 }", R"(workers: 2
train { batch_size: 16 steps: 10 eval_every_steps: 0 }
parameter_server { mode: ASYNC placement: COLOCATED }
cluster { network { bandwidth_gbps: 1 shape: true } }
)");
  testing::Finished done = RunConfig(path);
  ASSERT_EQ(done.exit_code, 0) << done.err;
  RunResult r = Result("shaped");
  ASSERT_EQ(r.worker_stats_size(), 2);
  for (const WorkerStats& w : r.worker_stats()) {
    ASSERT_GT(w.bytes_sent(), 0u);
    const double share = static_cast<double>(w.nic_bytes_sent()) / w.bytes_sent();
    EXPECT_NEAR(share, 0.5, 0.02) << "worker " << w.rank();
  }
  EXPECT_EQ(r.nic_bytes(), r.worker_stats(0).nic_bytes_sent() + r.worker_stats(1).nic_bytes_sent());
}

}  // namespace
}  // namespace distsim

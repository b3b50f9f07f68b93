// `distsim train` against SageMaker's container contract, run as SageMaker runs it: the binary
// on a /opt/ml tree the test writes (small synthetic objects in the channels). One host trains
// alone and leaves a model whose saved parameters reproduce the accuracy the run reports; every
// bad input ends with its reason in output/failure and its exit code.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/app/sagemaker_export.h"
#include "sim/base/status.h"
#include "sim/data/dataset.h"
#include "sim/data/object_store.h"
#include "sim/node/factory.h"
#include "sim/node/local_trainer.h"
#include "sim/node/model_export.h"
#include "sim/node/train_loop.h"
#include "sim/report/result_io.h"
#include "tests/app/train_tree.h"

namespace distsim {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kConfig[] =
    "seed: 3 model { mlp { hidden: 16 } } optimizer { sgd { learning_rate: 0.1 } } "
    "train { batch_size: 32 steps: 40 eval_every_steps: 20 } "
    "supervision { heartbeat_timeout_s: 1 stall_timeout_s: 5 join_timeout_s: 2 }";

class TrainContractTest : public testing::TrainTreeTest {
 protected:
  // One host holding all four objects, with a config of 40 steps.
  testing::HostTree OneHost() const {
    testing::HostTree tree;
    tree.keys = {0, 1, 2, 3};
    tree.hyperparameters = {{"distsim_config", kConfig},
                            {"sagemaker_program", "\"train.py\""},
                            {"sagemaker_region", "\"us-west-2\""}};
    return tree;
  }

  std::string Root(const testing::HostTree& tree) { return TrainTreeTest::Root(tree, "host"); }

  static std::string Failure(const std::string& root) {
    return testing::ReadText(root + "/output/failure");
  }

  // The run's exit code is `code`, output/failure holds one line saying `says`, and there is
  // no output/success.
  static void ExpectFailure(const testing::Finished& done, const std::string& root, int code,
                            const std::string& says) {
    EXPECT_EQ(done.exit_code, code) << done.err;
    const std::string failure = Failure(root);
    EXPECT_THAT(failure, HasSubstr(says));
    EXPECT_EQ(std::count(failure.begin(), failure.end(), '\n'), 1) << failure;
    EXPECT_FALSE(fs::exists(root + "/output/success"));
  }
};

TEST_F(TrainContractTest, OneHostTrainsAloneAndItsModelReproducesItsAccuracy) {
  unsetenv("DISTSIM_TOKEN");  // one host opens no port and needs no token
  const std::string root = Root(OneHost());
  // SageMaker appends the word `train` to the image's ENTRYPOINT ["distsim", "train"].
  const testing::Finished done = Train(root, {"train"});
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_TRUE(fs::exists(root + "/output/success"));
  EXPECT_EQ(fs::file_size(root + "/output/success"), 0u);
  EXPECT_FALSE(fs::exists(root + "/output/failure"));
  EXPECT_FALSE(fs::exists(root + "/output/data/.lock"));
  auto result = report::ReadResultJson(root + "/output/data/result.json");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->steps(), 40u);
  EXPECT_EQ(result->strategy(), "");  // local
  EXPECT_TRUE(fs::exists(root + "/output/data/steps.csv"));
  // The model: a flat float32 buffer whose tensors tile it, its hash the run's.
  std::vector<float> params;
  auto model = node::ReadModel(root + "/model", &params);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->parameter_hash(), result->parameter_hash());
  EXPECT_EQ(model->parameter_count(), result->parameter_count());
  uint64_t next = 0;
  for (const TensorInfo& t : model->tensors()) {
    EXPECT_EQ(t.offset(), next) << t.name();
    uint64_t size = 1;
    for (uint32_t d : t.shape()) size *= d;
    EXPECT_EQ(t.size(), size) << t.name();
    next += size;
  }
  EXPECT_EQ(next, model->parameter_count());
  // The independent truth: the saved parameters, evaluated afresh on the test set, give the
  // accuracy the run reported.
  auto sets = data::OpenIdxDir(data_dir(), 0, 0);
  ASSERT_TRUE(sets.ok());
  auto net = node::MakeModel(model->model(), model->input_rows(), model->input_cols(),
                             static_cast<int>(model->classes()));
  ASSERT_TRUE(net.ok()) << net.status();
  const node::EvalResult eval = node::Evaluate(**net, params, sets->second);
  EXPECT_DOUBLE_EQ(eval.accuracy, result->final_test_accuracy());
  EXPECT_GT(eval.accuracy, 0.3);  // it learned: 10 classes, chance is 0.1
}

TEST_F(TrainContractTest, AMissingConfigFileExits66) {
  const std::string root = Root(OneHost());
  fs::remove(root + "/input/config/resourceconfig.json");
  ExpectFailure(Train(root), root, kExitNoInput, "resourceconfig.json: missing");
}

TEST_F(TrainContractTest, ACurrentHostNotInHostsExits78) {
  testing::HostTree tree = OneHost();
  tree.current_host = "algo-9";
  const std::string root = Root(tree);
  ExpectFailure(Train(root), root, kExitConfig,
                "current_host: \"algo-9\" is not one of hosts (algo-1)");
}

TEST_F(TrainContractTest, AnUnknownDistributionTypeNamesTheChannel) {
  testing::HostTree tree = OneHost();
  tree.distribution = "ShardedByRecord";
  const std::string root = Root(tree);
  ExpectFailure(Train(root), root, kExitConfig,
                "train.S3DistributionType: \"ShardedByRecord\" is not FullyReplicated or "
                "ShardedByS3Key");
}

TEST_F(TrainContractTest, AHyperparameterThatDoesNotFitNamesTheKey) {
  testing::HostTree tree = OneHost();
  tree.hyperparameters["epochs"] = "two";
  const std::string root = Root(tree);
  ExpectFailure(Train(root), root, kExitConfig, "epochs: \"two\" is not a number > 0");
}

TEST_F(TrainContractTest, AnUnknownHyperparameterNamesTheKey) {
  testing::HostTree tree = OneHost();
  tree.hyperparameters["learning_rte"] = "0.1";
  const std::string root = Root(tree);
  ExpectFailure(Train(root), root, kExitConfig, "learning_rte: not a distsim hyperparameter");
}

TEST_F(TrainContractTest, AnotherKindOfConfigInDistsimConfigIsNamed) {
  testing::HostTree tree = OneHost();
  tree.hyperparameters["distsim_config"] =
      "name: \"pair\" base { model { softmax { } } } runs { name: \"a\" }";
  const std::string root = Root(tree);
  ExpectFailure(Train(root), root, kExitConfig,
                "distsim_config: holds a distsim.CompareConfig; a training job runs one "
                "distsim.RunConfig");
}

TEST_F(TrainContractTest, AMissingTrainChannelExits66) {
  const std::string root = Root(OneHost());
  fs::remove_all(root + "/input/data/train");
  ExpectFailure(Train(root), root, kExitNoInput, "input/data/train");
}

TEST_F(TrainContractTest, AMissingHostsFileExits66) {
  const std::string root = Root(OneHost());
  ExpectFailure(Train(root, {"--hosts-file", (dir_ / "nowhere").string()}), root, kExitNoInput,
                "--hosts-file");
}

TEST_F(TrainContractTest, SeveralHostsWithoutATokenExit77) {
  unsetenv("DISTSIM_TOKEN");
  unsetenv("DISTSIM_TOKEN_FILE");
  testing::HostTree tree = OneHost();
  tree.hosts = {"algo-1", "algo-2"};
  const std::string root = Root(tree);
  ExpectFailure(Train(root), root, kExitNoPerm, "never in hyperparameters.json");
}

// The export's marker left in DISTSIM_TOKEN is refused: a token everyone can read is no secret.
TEST_F(TrainContractTest, TheExportsTokenPlaceholderIsRefusedWith77) {
  unsetenv("DISTSIM_TOKEN_FILE");
  setenv("DISTSIM_TOKEN", app::kTokenPlaceholder, 1);
  testing::HostTree tree = OneHost();
  tree.hosts = {"algo-1", "algo-2"};
  const std::string root = Root(tree);
  const testing::Finished done = Train(root);
  unsetenv("DISTSIM_TOKEN");
  ExpectFailure(done, root, kExitNoPerm, "placeholder");
}

// A host whose chief never answers gives up at the join timeout (2 s), naming the chief.
TEST_F(TrainContractTest, AnUnreachableChiefExits69NamingIt) {
  const std::string prefix = testing::LoopbackPrefix();
  testing::HostTree tree = OneHost();
  tree.hosts = {"algo-1", "algo-2"};
  tree.current_host = "algo-2";
  const std::string root = Root(tree);
  const std::string hosts = (dir_ / "hosts").string();
  testing::WriteHostsFile(hosts, prefix, 2);
  const testing::Finished done = Train(root, {"--hosts-file", hosts});
  ExpectFailure(done, root, kExitUnavailable,
                "the chief algo-1 (" + prefix + "1:2222) did not answer");
  EXPECT_LT(done.seconds, 15);
}

// The chief waits the join timeout for the processes of a host that never comes, then names it.
TEST_F(TrainContractTest, AHostThatNeverComesExits69NamingIt) {
  const std::string prefix = testing::LoopbackPrefix();
  testing::HostTree tree = OneHost();
  tree.hosts = {"algo-1", "algo-2"};
  const std::string root = Root(tree);
  const std::string hosts = (dir_ / "hosts").string();
  testing::WriteHostsFile(hosts, prefix, 2);
  const testing::Finished done = Train(root, {"--hosts-file", hosts});
  ExpectFailure(done, root, kExitUnavailable, "on algo-2 never registered");
  EXPECT_LT(done.seconds, 30);
  EXPECT_TRUE(testing::ProcessesMentioning(root).empty()) << "a role outlived its host";
}

}  // namespace
}  // namespace distsim

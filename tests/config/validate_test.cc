// ValidateRunConfig, WithDefaults and ResolveDataDir on configs built in memory.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "sim/config/config.h"

namespace distsim::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A complete, valid config after defaults.
constexpr char kGood[] = R"pb(
  name: "good-run_1.0"
  seed: 7
  model { mlp { hidden: [ 64, 32 ] } }
  data { dataset: MNIST train_limit: 1000 }
  optimizer { sgd { learning_rate: 0.1 } }
  train { batch_size: 32 steps: 100 }
)pb";

RunConfig Parse(const std::string& text) {
  RunConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &config)) << text;
  return config;
}

// kGood with `edit` merged in, defaults filled.
RunConfig GoodWith(const std::string& edit) {
  RunConfig config = Parse(kGood);
  EXPECT_TRUE(google::protobuf::TextFormat::MergeFromString(edit, &config)) << edit;
  return WithDefaults(config);
}

// The message of ValidateRunConfig, which must be InvalidArgument.
std::string Refusal(const RunConfig& config) {
  absl::Status status = ValidateRunConfig(config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  return std::string(status.message());
}

TEST(ValidateRunConfig, AcceptsAGoodConfig) {
  EXPECT_TRUE(ValidateRunConfig(WithDefaults(Parse(kGood))).ok());
  EXPECT_TRUE(
      ValidateRunConfig(GoodWith("model { cnn {} } optimizer { adam { learning_rate: 1e-3 } }"
                                 " train { epochs: 0.5 }"))
          .ok());
  EXPECT_TRUE(ValidateRunConfig(GoodWith("model { softmax {} } optimizer { momentum { "
                                         "learning_rate: 10 momentum: 0 } } data { dataset: IDX "
                                         "dir: \"d\" } train { threads: 64 }"))
                  .ok());
}

TEST(ValidateRunConfig, BatchSizeZeroNamesFieldAndRange) {
  EXPECT_EQ(Refusal(GoodWith("train { batch_size: 0 }")),
            "train.batch_size: 0 is out of range; must be in [1, 65536]");
  EXPECT_EQ(Refusal(GoodWith("train { batch_size: 65537 }")),
            "train.batch_size: 65537 is out of range; must be in [1, 65536]");
}

TEST(ValidateRunConfig, LearningRateZeroNegativeTooLargeOrNanRefused) {
  EXPECT_EQ(Refusal(GoodWith("optimizer { sgd { learning_rate: 0 } }")),
            "optimizer.sgd.learning_rate: 0 is out of range; must be in (0, 10]");
  EXPECT_EQ(Refusal(GoodWith("optimizer { sgd { learning_rate: -0.5 } }")),
            "optimizer.sgd.learning_rate: -0.5 is out of range; must be in (0, 10]");
  EXPECT_THAT(Refusal(GoodWith("optimizer { adam { learning_rate: 10.5 } }")),
              HasSubstr("optimizer.adam.learning_rate: 10.5 is out of range; must be in (0, 10]"));
  EXPECT_THAT(Refusal(GoodWith("optimizer { momentum { learning_rate: nan } }")),
              HasSubstr("optimizer.momentum.learning_rate: nan is out of range; must be a finite "
                        "number in (0, 10]"));
}

TEST(ValidateRunConfig, DropoutOneRefusedZeroAccepted) {
  EXPECT_EQ(Refusal(GoodWith("model { cnn { dropout: 1.0 } }")),
            "model.cnn.dropout: 1 is out of range; must be in [0, 1)");
  EXPECT_TRUE(ValidateRunConfig(GoodWith("model { cnn { dropout: 0 } }")).ok());
}

TEST(ValidateRunConfig, CnnSizesChecked) {
  std::string message =
      Refusal(GoodWith("model { cnn { conv1_channels: 5000 dense_units: 100000 } }"));
  EXPECT_THAT(message, HasSubstr("model.cnn.conv1_channels: 5000 is out of range; must be in "
                                 "[1, 1024]"));
  EXPECT_THAT(message, HasSubstr("model.cnn.dense_units: 100000 is out of range; must be in "
                                 "[1, 65536]"));
  EXPECT_THAT(message, Not(HasSubstr("conv2_channels")));
}

TEST(ValidateRunConfig, MlpLayersChecked) {
  EXPECT_EQ(Refusal(GoodWith("model { mlp { hidden: 0 } }")),
            "model.mlp.hidden[2]: 0 is out of range; must be in [1, 65536]");
  EXPECT_EQ(Refusal(GoodWith("model { mlp { hidden: [ 1, 1, 1, 1, 1, 1, 1 ] } }")),
            "model.mlp.hidden: 9 layers; must be at most 8");
  RunConfig empty = Parse("name: \"x\" model { mlp {} }");
  EXPECT_THAT(Refusal(empty), HasSubstr("model.mlp.hidden: empty; must list 1 to 8"));
}

TEST(ValidateRunConfig, OptimizerParametersChecked) {
  EXPECT_EQ(Refusal(GoodWith("optimizer { momentum { learning_rate: 0.1 momentum: 1 } }")),
            "optimizer.momentum.momentum: 1 is out of range; must be in [0, 1)");
  std::string adam = Refusal(
      GoodWith("optimizer { adam { learning_rate: 0.1 beta1: -0.1 beta2: 1 epsilon: 0 } }"));
  EXPECT_THAT(adam, HasSubstr("optimizer.adam.beta1: -0.1 is out of range; must be in [0, 1)"));
  EXPECT_THAT(adam, HasSubstr("optimizer.adam.beta2: 1 is out of range; must be in [0, 1)"));
  EXPECT_THAT(adam, HasSubstr("optimizer.adam.epsilon: 0 is out of range; must be in (0, 1)"));
}

TEST(ValidateRunConfig, WarmupStepsRangeChecked) {
  EXPECT_TRUE(ValidateRunConfig(GoodWith("optimizer { warmup_steps: 0 }")).ok());
  EXPECT_TRUE(ValidateRunConfig(GoodWith("optimizer { warmup_steps: 1000000 }")).ok());
  EXPECT_TRUE(
      ValidateRunConfig(GoodWith("optimizer { adam { learning_rate: 1e-3 } warmup_steps: 500 }"))
          .ok());
  EXPECT_EQ(Refusal(GoodWith("optimizer { warmup_steps: 1000001 }")),
            "optimizer.warmup_steps: 1000001 is out of range; must be in [0, 1000000]");
}

TEST(ValidateRunConfig, NeitherStepsNorEpochsRefused) {
  RunConfig config = WithDefaults(Parse(kGood));
  config.mutable_train()->clear_length();
  EXPECT_EQ(Refusal(config),
            "train.steps/train.epochs: neither is set; set exactly one: steps in [1, 1000000000] "
            "or epochs in (0, 1000]");
}

TEST(ValidateRunConfig, RunLengthRangesChecked) {
  EXPECT_EQ(Refusal(GoodWith("train { steps: 0 }")),
            "train.steps: 0 is out of range; must be in [1, 1000000000]");
  EXPECT_EQ(Refusal(GoodWith("train { steps: 1000000001 }")),
            "train.steps: 1000000001 is out of range; must be in [1, 1000000000]");
  EXPECT_EQ(Refusal(GoodWith("train { epochs: 0 }")),
            "train.epochs: 0 is out of range; must be in (0, 1000]");
  EXPECT_EQ(Refusal(GoodWith("train { epochs: 1000.5 }")),
            "train.epochs: 1000.5 is out of range; must be in (0, 1000]");
  RunConfig config = GoodWith("");
  config.mutable_train()->set_epochs(std::numeric_limits<double>::infinity());
  EXPECT_EQ(Refusal(config),
            "train.epochs: inf is out of range; must be a finite number in (0, 1000]");
  config.mutable_train()->set_epochs(std::nan(""));
  EXPECT_THAT(Refusal(config), HasSubstr("train.epochs: nan is out of range"));
}

TEST(ValidateRunConfig, MissingModelAndOptimizerRefused) {
  RunConfig config = GoodWith("");
  config.clear_model();
  EXPECT_EQ(Refusal(config),
            "model: not set; must be one of softmax, mlp, cnn (e.g. 'model { mlp {} }')");
  config = GoodWith("");
  config.clear_optimizer();
  EXPECT_THAT(Refusal(config), HasSubstr("optimizer: not set; must be one of sgd, momentum, adam"));
}

TEST(ValidateRunConfig, BadNamesRefused) {
  EXPECT_THAT(Refusal(GoodWith("name: \"my run\"")),
              HasSubstr("name: \"my run\" has ' ' at position 3; must contain only letters, "
                        "digits, '-', '_' and '.'"));
  EXPECT_THAT(Refusal(GoodWith("name: \"a/b\"")), HasSubstr("has '/' at position 2"));
  EXPECT_THAT(Refusal(GoodWith("name: \"\"")), HasSubstr("name: empty; must be 1 to 128"));
  EXPECT_THAT(Refusal(GoodWith("name: \"..\"")), HasSubstr("name: \"..\" starts with '.'"));
  EXPECT_THAT(Refusal(GoodWith("name: \"" + std::string(129, 'a') + "\"")),
              HasSubstr("name: 129 characters; must be at most 128"));
}

TEST(ValidateRunConfig, ThreadsDatasetAndStrategyChecked) {
  EXPECT_EQ(Refusal(GoodWith("train { threads: 65 }")),
            "train.threads: 65 is out of range; must be in [0, 64]");
  EXPECT_EQ(
      Refusal(GoodWith("data { dataset: IDX }")),
      "data.dir: empty; required when data.dataset is IDX (the folder of the four IDX files)");
  RunConfig config = GoodWith("");
  config.mutable_data()->set_dataset(DataConfig::DATASET_UNSPECIFIED);
  config.clear_strategy();
  std::string message = Refusal(config);
  EXPECT_THAT(message, HasSubstr("data.dataset: 0 is not a dataset; must be one of MNIST, "
                                 "FASHION_MNIST, IDX"));
  EXPECT_THAT(message, HasSubstr("strategy: not set; must be one of local"));
}

TEST(ValidateRunConfig, ReportsEveryErrorAtOnce) {
  RunConfig config = Parse(R"pb(
    name: "bad name"
    model { cnn { dropout: 1.5 } }
    optimizer { adam { learning_rate: 0 } }
    train { batch_size: 0 }
  )pb");
  std::string message = Refusal(WithDefaults(config));
  std::vector<std::string> lines = absl::StrSplit(message, '\n');
  EXPECT_EQ(lines.size(), 5u) << message;
  EXPECT_THAT(message, HasSubstr("name: \"bad name\""));
  EXPECT_THAT(message, HasSubstr("model.cnn.dropout: 1.5 is out of range"));
  EXPECT_THAT(message, HasSubstr("optimizer.adam.learning_rate: 0 is out of range"));
  EXPECT_THAT(message, HasSubstr("train.batch_size: 0 is out of range"));
  EXPECT_THAT(message, HasSubstr("train.steps/train.epochs: neither is set"));
}

TEST(WithDefaults, FillsEveryDefaultOfTheSchema) {
  RunConfig cnn = WithDefaults(Parse("model { cnn {} } optimizer { adam {} }"));
  EXPECT_EQ(cnn.output_dir(), "out");
  EXPECT_EQ(cnn.data().dataset(), DataConfig::MNIST);
  EXPECT_EQ(cnn.model().cnn().conv1_channels(), 32u);
  EXPECT_EQ(cnn.model().cnn().conv2_channels(), 64u);
  EXPECT_EQ(cnn.model().cnn().dense_units(), 1024u);
  EXPECT_TRUE(cnn.model().cnn().has_dropout());
  EXPECT_FLOAT_EQ(cnn.model().cnn().dropout(), 0.4f);
  EXPECT_FLOAT_EQ(cnn.optimizer().adam().beta1(), 0.9f);
  EXPECT_FLOAT_EQ(cnn.optimizer().adam().beta2(), 0.999f);
  EXPECT_FLOAT_EQ(cnn.optimizer().adam().epsilon(), 1e-8f);
  EXPECT_EQ(cnn.optimizer().adam().learning_rate(), 0.0f);  // required: no default
  EXPECT_EQ(cnn.train().warmup_steps(), 10u);
  EXPECT_EQ(cnn.train().threads(), 1u);
  EXPECT_TRUE(cnn.train().has_shuffle());
  EXPECT_TRUE(cnn.train().shuffle());
  EXPECT_TRUE(cnn.has_local());
  EXPECT_EQ(cnn.train().length_case(), TrainConfig::LENGTH_NOT_SET);  // required: no default

  RunConfig mlp = WithDefaults(Parse("model { mlp {} } optimizer { momentum {} }"));
  ASSERT_EQ(mlp.model().mlp().hidden_size(), 1);
  EXPECT_EQ(mlp.model().mlp().hidden(0), 128u);
  EXPECT_FLOAT_EQ(mlp.optimizer().momentum().momentum(), 0.9f);
}

TEST(WithDefaults, KeepsExplicitValuesIncludingMeaningfulZeros) {
  RunConfig config = WithDefaults(Parse(R"pb(
    output_dir: "results"
    model { cnn { conv1_channels: 8 dropout: 0 } }
    data { dataset: FASHION_MNIST }
    optimizer { momentum { learning_rate: 0.1 momentum: 0 } }
    train { warmup_steps: 0 threads: 2 shuffle: false }
  )pb"));
  EXPECT_EQ(config.output_dir(), "results");
  EXPECT_EQ(config.model().cnn().conv1_channels(), 8u);
  EXPECT_EQ(config.model().cnn().dropout(), 0.0f);
  EXPECT_EQ(config.data().dataset(), DataConfig::FASHION_MNIST);
  EXPECT_EQ(config.optimizer().momentum().momentum(), 0.0f);
  EXPECT_EQ(config.train().warmup_steps(), 0u);
  EXPECT_EQ(config.train().threads(), 2u);
  EXPECT_FALSE(config.train().shuffle());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(WithDefaults(config), config));
}

TEST(WithDefaults, FillsDistributedDefaults) {
  RunConfig local = WithDefaults(Parse(kGood));
  EXPECT_EQ(local.workers(), 1u);
  EXPECT_EQ(local.data().distribution(), DataConfig::FULLY_REPLICATED);
  EXPECT_EQ(local.data().objects(), 10u);
  EXPECT_EQ(local.data().grouping(), DataConfig::SHUFFLED);
  EXPECT_EQ(local.supervision().on_worker_failure(), SupervisionConfig::ABORT);
  EXPECT_EQ(local.supervision().heartbeat_timeout_s(), 5.0);
  EXPECT_EQ(local.supervision().stall_timeout_s(), 120.0);
  EXPECT_EQ(local.supervision().rpc_deadline_s(), 10.0);

  RunConfig ps = GoodWith("workers: 4 parameter_server {}");
  EXPECT_EQ(ps.workers(), 4u);
  EXPECT_EQ(ps.parameter_server().mode(), ParameterServerStrategy::ASYNC);
  EXPECT_EQ(ps.parameter_server().staleness(), 0u);
  EXPECT_EQ(ps.parameter_server().placement(), ParameterServerStrategy::DEDICATED);
  EXPECT_EQ(ps.parameter_server().servers(), 1u);
  EXPECT_EQ(ps.parameter_server().partitioning(), ParameterServerStrategy::BALANCED_RANGES);
  EXPECT_EQ(ps.parameter_server().chunk_bytes(), 1u << 20);
  EXPECT_TRUE(ValidateRunConfig(ps).ok()) << ValidateRunConfig(ps);

  RunConfig colocated = GoodWith("workers: 3 parameter_server { placement: COLOCATED }");
  EXPECT_EQ(colocated.parameter_server().servers(), 3u);
  EXPECT_TRUE(ValidateRunConfig(colocated).ok()) << ValidateRunConfig(colocated);

  RunConfig ring = GoodWith("workers: 2 allreduce {}");
  EXPECT_EQ(ring.allreduce().algorithm(), AllreduceStrategy::RING);
  EXPECT_EQ(ring.allreduce().segment_bytes(), 1u << 20);
  EXPECT_FALSE(ring.has_parameter_server());
  EXPECT_TRUE(ValidateRunConfig(ring).ok()) << ValidateRunConfig(ring);

  for (const RunConfig& config : {local, ps, colocated, ring}) {
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(WithDefaults(config), config));
  }
}

TEST(WithDefaults, KeepsExplicitDistributedValues) {
  RunConfig config = GoodWith(R"pb(
    workers: 5
    data { distribution: SHARDED_BY_KEY objects: 20 grouping: BY_LABEL }
    supervision { heartbeat_timeout_s: 1 stall_timeout_s: 30 rpc_deadline_s: 2 }
    parameter_server {
      mode: SSP
      staleness: 2
      servers: 3
      partitioning: ROUND_ROBIN_TENSORS
      chunk_bytes: 4096
    }
  )pb");
  EXPECT_EQ(config.workers(), 5u);
  EXPECT_EQ(config.data().distribution(), DataConfig::SHARDED_BY_KEY);
  EXPECT_EQ(config.data().objects(), 20u);
  EXPECT_EQ(config.data().grouping(), DataConfig::BY_LABEL);
  EXPECT_EQ(config.supervision().heartbeat_timeout_s(), 1.0);
  EXPECT_EQ(config.supervision().stall_timeout_s(), 30.0);
  EXPECT_EQ(config.supervision().rpc_deadline_s(), 2.0);
  EXPECT_EQ(config.parameter_server().mode(), ParameterServerStrategy::SSP);
  EXPECT_EQ(config.parameter_server().staleness(), 2u);
  EXPECT_EQ(config.parameter_server().servers(), 3u);
  EXPECT_EQ(config.parameter_server().partitioning(), ParameterServerStrategy::ROUND_ROBIN_TENSORS);
  EXPECT_EQ(config.parameter_server().chunk_bytes(), 4096u);
  EXPECT_TRUE(ValidateRunConfig(config).ok()) << ValidateRunConfig(config);
}

TEST(ValidateRunConfig, DirichletAlphaDefaultedRangedAndOnlyWithItsGrouping) {
  RunConfig config = GoodWith("data { grouping: DIRICHLET }");
  EXPECT_EQ(config.data().dirichlet_alpha(), 1.0);
  EXPECT_TRUE(ValidateRunConfig(config).ok()) << ValidateRunConfig(config);
  EXPECT_EQ(Refusal(GoodWith("data { grouping: DIRICHLET dirichlet_alpha: 0.0001 }")),
            "data.dirichlet_alpha: 0.0001 is out of range; must be in [0.001, 10000]");
  EXPECT_EQ(Refusal(GoodWith("data { grouping: BY_LABEL dirichlet_alpha: 0.5 }")),
            "data.dirichlet_alpha: is set, but only grouping DIRICHLET uses it");
}

TEST(ValidateRunConfig, ObjectWeightsOnePerObjectAndPositive) {
  EXPECT_TRUE(ValidateRunConfig(GoodWith("data { objects: 3 object_weights: [1, 2, 3] }")).ok());
  EXPECT_EQ(Refusal(GoodWith("data { objects: 3 object_weights: [1, 2] }")),
            "data.object_weights: 2 weights for 3 objects (data.objects); give one weight per "
            "object, or none");
  EXPECT_EQ(Refusal(GoodWith("data { objects: 2 object_weights: [1, 0] }")),
            "data.object_weights[1]: 0 is out of range; must be in (0, 1e+06]");
}

TEST(ValidateRunConfig, WorkersRangeChecked) {
  EXPECT_EQ(Refusal(GoodWith("workers: 1025 allreduce {}")),
            "workers: 1025 is out of range; must be in [1, 1024]");
  RunConfig config = GoodWith("allreduce {}");
  config.set_workers(0);  // after defaults
  EXPECT_EQ(Refusal(config), "workers: 0 is out of range; must be in [1, 1024]");
  EXPECT_TRUE(ValidateRunConfig(GoodWith("workers: 1024 allreduce {}")).ok());
}

TEST(ValidateRunConfig, LocalNeedsOneWorker) {
  EXPECT_EQ(Refusal(GoodWith("workers: 4")),
            "workers: 4 with strategy local; local trains in one process, so workers must be 1 "
            "(use parameter_server or allreduce for more)");
  EXPECT_TRUE(ValidateRunConfig(GoodWith("workers: 1 local {}")).ok());
}

TEST(ValidateRunConfig, GlobalStepsOnlyWithParameterServer) {
  EXPECT_TRUE(
      ValidateRunConfig(GoodWith("workers: 2 parameter_server {} train { global_steps: 500 }"))
          .ok());
  EXPECT_EQ(Refusal(GoodWith("workers: 2 allreduce {} train { global_steps: 500 }")),
            "train.global_steps: set with strategy allreduce; it counts the updates applied at "
            "the parameter servers, so it needs strategy parameter_server (use train.steps or "
            "train.epochs)");
  EXPECT_THAT(Refusal(GoodWith("train { global_steps: 500 }")),
              HasSubstr("train.global_steps: set with strategy local;"));
  EXPECT_EQ(Refusal(GoodWith("parameter_server {} train { global_steps: 0 }")),
            "train.global_steps: 0 is out of range; must be in [1, 1000000000]");
}

TEST(ValidateRunConfig, MissingLengthMentionsGlobalStepsForParameterServer) {
  RunConfig config = GoodWith("parameter_server {}");
  config.mutable_train()->clear_length();
  EXPECT_EQ(Refusal(config),
            "train.steps/train.epochs/train.global_steps: none is set; set exactly one: steps in "
            "[1, 1000000000], epochs in (0, 1000] or global_steps in [1, 1000000000]");
}

TEST(ValidateRunConfig, ShardedByKeyNeedsAsManyObjectsAsWorkers) {
  EXPECT_EQ(
      Refusal(GoodWith("workers: 5 allreduce {} data { distribution: SHARDED_BY_KEY objects: 4 }")),
      "data.objects: 4 objects cannot feed 5 workers under SHARDED_BY_KEY; objects are never "
      "split, so data.objects must be >= workers (5), or set data.allow_idle_hosts to start (and "
      "pay for) 1 host with nothing to train on, as SageMaker would");
  // Asked for, the idle hosts are allowed (they are billed; ShapeOf gives them no worker).
  EXPECT_TRUE(ValidateRunConfig(GoodWith("workers: 5 allreduce {} data { distribution: "
                                         "SHARDED_BY_KEY objects: 4 allow_idle_hosts: true }"))
                  .ok());
  EXPECT_TRUE(
      ValidateRunConfig(
          GoodWith("workers: 4 allreduce {} data { distribution: SHARDED_BY_KEY objects: 4 }"))
          .ok());
  // Other distributions do not split by object: more workers than objects is fine.
  EXPECT_TRUE(ValidateRunConfig(GoodWith("workers: 5 allreduce {} data { objects: 4 }")).ok());
}

TEST(ValidateRunConfig, ObjectsRangeAndTrainLimitChecked) {
  EXPECT_EQ(Refusal(GoodWith("data { objects: 100001 train_limit: 0 }")),
            "data.objects: 100001 is out of range; must be in [1, 100000]");
  RunConfig config = GoodWith("");
  config.mutable_data()->set_objects(0);
  EXPECT_EQ(Refusal(config), "data.objects: 0 is out of range; must be in [1, 100000]");
  EXPECT_EQ(Refusal(GoodWith("data { objects: 20 train_limit: 10 }")),
            "data.objects: 20 objects cannot be cut from data.train_limit 10 examples; must be at "
            "most data.train_limit (every object holds at least one example)");
  EXPECT_TRUE(ValidateRunConfig(GoodWith("data { objects: 10 train_limit: 10 }")).ok());
}

TEST(ValidateRunConfig, DataEnumsChecked) {
  RunConfig config = GoodWith("");
  config.mutable_data()->set_distribution(DataConfig::DISTRIBUTION_UNSPECIFIED);
  config.mutable_data()->set_grouping(static_cast<DataConfig::Grouping>(7));
  std::string message = Refusal(config);
  EXPECT_THAT(message, HasSubstr("data.distribution: 0 is not a distribution; must be one of "
                                 "FULLY_REPLICATED, SHARDED_BY_KEY, GLOBAL_BATCH_SLICE"));
  EXPECT_THAT(message,
              HasSubstr("data.grouping: 7 is not a grouping; must be one of SHUFFLED, BY_LABEL"));
}

TEST(ValidateRunConfig, ColocatedServersMustEqualWorkers) {
  EXPECT_EQ(Refusal(GoodWith("workers: 4 parameter_server { placement: COLOCATED servers: 2 }")),
            "parameter_server.servers: 2 with placement COLOCATED; must be 0 or equal to workers "
            "(4): each host runs one server shard and one worker");
  EXPECT_TRUE(
      ValidateRunConfig(GoodWith("workers: 4 parameter_server { placement: COLOCATED servers: 4 }"))
          .ok());
  RunConfig zero = GoodWith("workers: 4 parameter_server { placement: COLOCATED }");
  zero.mutable_parameter_server()->set_servers(0);
  EXPECT_TRUE(ValidateRunConfig(zero).ok());
}

TEST(ValidateRunConfig, DedicatedServersRangeChecked) {
  EXPECT_EQ(Refusal(GoodWith("parameter_server { servers: 257 }")),
            "parameter_server.servers: 257 is out of range; must be in [1, 256]");
  EXPECT_TRUE(ValidateRunConfig(GoodWith("parameter_server { servers: 256 }")).ok());
  RunConfig config = GoodWith("parameter_server {}");
  config.mutable_parameter_server()->set_servers(0);
  EXPECT_EQ(Refusal(config), "parameter_server.servers: 0 is out of range; must be in [1, 256]");
}

TEST(ValidateRunConfig, StalenessOnlyWithSsp) {
  EXPECT_EQ(Refusal(GoodWith("parameter_server { mode: ASYNC staleness: 3 }")),
            "parameter_server.staleness: 3 with mode ASYNC; staleness bounds SSP only, so it must "
            "be 0 unless mode is SSP");
  EXPECT_THAT(Refusal(GoodWith("parameter_server { mode: SYNC staleness: 1 }")),
              HasSubstr("parameter_server.staleness: 1 with mode SYNC;"));
  EXPECT_TRUE(ValidateRunConfig(GoodWith("parameter_server { mode: SSP staleness: 0 }")).ok());
  EXPECT_TRUE(ValidateRunConfig(GoodWith("parameter_server { mode: SSP staleness: 1000 }")).ok());
  EXPECT_EQ(Refusal(GoodWith("parameter_server { mode: SSP staleness: 1001 }")),
            "parameter_server.staleness: 1001 is out of range; must be in [0, 1000]");
}

TEST(ValidateRunConfig, ParameterServerEnumsAndChunkBytesChecked) {
  EXPECT_EQ(Refusal(GoodWith("parameter_server { chunk_bytes: 4095 }")),
            "parameter_server.chunk_bytes: 4095 is out of range; must be in [4096, 67108864]");
  EXPECT_EQ(Refusal(GoodWith("parameter_server { chunk_bytes: 67108865 }")),
            "parameter_server.chunk_bytes: 67108865 is out of range; must be in [4096, 67108864]");
  RunConfig config = GoodWith("parameter_server {}");
  config.mutable_parameter_server()->set_mode(ParameterServerStrategy::MODE_UNSPECIFIED);
  config.mutable_parameter_server()->set_placement(ParameterServerStrategy::PLACEMENT_UNSPECIFIED);
  config.mutable_parameter_server()->set_partitioning(
      ParameterServerStrategy::PARTITIONING_UNSPECIFIED);
  std::string message = Refusal(config);
  EXPECT_THAT(message,
              HasSubstr("parameter_server.mode: 0 is not a mode; must be one of SYNC, ASYNC, SSP"));
  EXPECT_THAT(message, HasSubstr("parameter_server.placement: 0 is not a placement; must be one "
                                 "of DEDICATED, COLOCATED"));
  EXPECT_THAT(message, HasSubstr("parameter_server.partitioning: 0 is not a partitioning; must be "
                                 "one of BALANCED_RANGES, ROUND_ROBIN_TENSORS"));
}

TEST(ValidateRunConfig, AllreduceChecked) {
  EXPECT_EQ(Refusal(GoodWith("allreduce { segment_bytes: 63 }")),
            "allreduce.segment_bytes: 63 is out of range; must be in [64, 67108864]");
  EXPECT_TRUE(ValidateRunConfig(GoodWith("allreduce { segment_bytes: 64 }")).ok());
  RunConfig config = GoodWith("allreduce {}");
  config.mutable_allreduce()->set_algorithm(AllreduceStrategy::ALGORITHM_UNSPECIFIED);
  EXPECT_EQ(Refusal(config), "allreduce.algorithm: 0 is not an algorithm; must be RING");
}

TEST(ValidateRunConfig, SupervisionRangesChecked) {
  std::string message = Refusal(GoodWith(
      "supervision { heartbeat_timeout_s: 0.4 stall_timeout_s: 86401 rpc_deadline_s: -1 }"));
  EXPECT_THAT(message, HasSubstr("supervision.heartbeat_timeout_s: 0.4 is out of range; must be "
                                 "in [0.5, 600]"));
  EXPECT_THAT(message, HasSubstr("supervision.stall_timeout_s: 86401 is out of range; must be in "
                                 "[1, 86400]"));
  EXPECT_THAT(message, HasSubstr("supervision.rpc_deadline_s: -1 is out of range; must be in "
                                 "(0, 3600]"));
  RunConfig config = GoodWith("");
  config.mutable_supervision()->set_on_worker_failure(
      SupervisionConfig::ON_WORKER_FAILURE_UNSPECIFIED);
  config.mutable_supervision()->set_stall_timeout_s(std::nan(""));
  message = Refusal(config);
  EXPECT_THAT(message, HasSubstr("supervision.on_worker_failure: 0 is not a failure policy; must "
                                 "be ABORT"));
  EXPECT_THAT(message, HasSubstr("supervision.stall_timeout_s: nan is out of range; must be a "
                                 "finite number in [1, 86400]"));
}

TEST(ValidateRunConfig, ContinueOnlyForAsyncParameterServers) {
  const std::string ps = " workers: 3 supervision { on_worker_failure: CONTINUE } ";
  EXPECT_TRUE(ValidateRunConfig(GoodWith(ps + "parameter_server { mode: ASYNC }")).ok());
  EXPECT_TRUE(ValidateRunConfig(GoodWith(ps + "parameter_server { mode: SSP staleness: 2 }")).ok());
  for (const std::string strategy :
       {"parameter_server { mode: SYNC }", "allreduce {}", "local {}"}) {
    RunConfig config = GoodWith(ps + strategy);
    if (config.has_local()) config.set_workers(1);
    EXPECT_THAT(Refusal(config),
                HasSubstr("supervision.on_worker_failure: CONTINUE needs parameter_server with "
                          "mode ASYNC or SSP"))
        << strategy;
  }
}

// Coordinated checkpoints need a step every process shares: SYNC and the ring have one.
TEST(ValidateRunConfig, CheckpointsOnlyForSynchronousStrategies) {
  const std::string every = " workers: 2 supervision { checkpoint_every_steps: 10 } ";
  EXPECT_TRUE(ValidateRunConfig(GoodWith(every + "parameter_server { mode: SYNC }")).ok());
  EXPECT_TRUE(ValidateRunConfig(GoodWith(every + "allreduce {}")).ok());
  EXPECT_EQ(GoodWith(every + "allreduce {}").supervision().checkpoints_kept(), 3u);
  for (const std::string strategy :
       {"parameter_server { mode: ASYNC }", "parameter_server { mode: SSP staleness: 1 }"}) {
    EXPECT_THAT(Refusal(GoodWith(every + strategy)),
                HasSubstr("supervision.checkpoint_every_steps: coordinated checkpoints need a "
                          "step every process shares"))
        << strategy;
  }
  RunConfig config = GoodWith(every + "allreduce {}");
  config.mutable_supervision()->set_max_restarts(101);
  EXPECT_THAT(Refusal(config), HasSubstr("supervision.max_restarts"));
  config = GoodWith(every + "allreduce {}");
  config.mutable_supervision()->set_stop_grace_s(0.5);
  EXPECT_THAT(Refusal(config), HasSubstr("supervision.stop_grace_s"));
  config.mutable_supervision()->set_stop_grace_s(120);
  EXPECT_TRUE(ValidateRunConfig(config).ok());
}

TEST(WithDefaults, ClusterTakesTheInstanceFiguresThenTheSchemaDefaults) {
  RunConfig plain = GoodWith("");
  EXPECT_EQ(plain.cluster().network().bandwidth_gbps(), 10);
  EXPECT_EQ(plain.cluster().network().latency_us(), 50);
  EXPECT_EQ(plain.cluster().clock(), ClusterConfig::CPU_TIME);
  EXPECT_EQ(plain.cluster().gemm_gflops(), 0);
  RunConfig c5 = GoodWith("cluster { instance_type: \"ml.c5.xlarge\" }");
  EXPECT_DOUBLE_EQ(c5.cluster().network().bandwidth_gbps(), 1.25);  // its sustained baseline
  EXPECT_NEAR(c5.cluster().gemm_gflops(), 2 * 3.4 * 64 * 0.6, 0.05);
  RunConfig set = GoodWith(
      "cluster { instance_type: \"ml.c5.xlarge\" gemm_gflops: 7 network { bandwidth_gbps: 0.1 "
      "latency_us: 0 } }");
  EXPECT_EQ(set.cluster().gemm_gflops(), 7);
  EXPECT_DOUBLE_EQ(set.cluster().network().bandwidth_gbps(), 0.1);
  EXPECT_EQ(set.cluster().network().latency_us(), 0) << "an explicit zero latency is kept";
  EXPECT_TRUE(ValidateRunConfig(set).ok());
}

TEST(ValidateRunConfig, ClusterFieldsChecked) {
  std::string message = Refusal(GoodWith(
      "workers: 2 parameter_server {} cluster { instance_type: \"ml.x1.huge\" clock: FLOPS "
      "network { bandwidth_gbps: 2000 latency_us: -1 jitter_us: 2e6 loss: 0.5 } }"));
  EXPECT_THAT(message, HasSubstr("cluster.instance_type: \"ml.x1.huge\" is not a known instance "
                                 "type; known: ml.c4.xlarge"));
  EXPECT_THAT(message, HasSubstr("cluster.network.bandwidth_gbps: 2000 is out of range; must be "
                                 "in (0, 1000]"));
  EXPECT_THAT(message, HasSubstr("cluster.network.latency_us: -1 is out of range"));
  EXPECT_THAT(message, HasSubstr("cluster.network.jitter_us: 2e+06 is out of range"));
  EXPECT_THAT(message, HasSubstr("cluster.network.loss: 0.5 is out of range; must be in [0, 0.5)"));
  EXPECT_THAT(message, HasSubstr("cluster.clock: FLOPS needs the instance's speed"));
  EXPECT_THAT(Refusal(GoodWith("workers: 2 allreduce { transport: GRPC } "
                               "cluster { network { shape: true } }")),
              HasSubstr("cluster.network.shape: shaping the ring needs allreduce.transport TCP"));
}

TEST(ValidateRunConfig, FaultsChecked) {
  EXPECT_TRUE(ValidateRunConfig(GoodWith("workers: 3 parameter_server {} cluster { faults { "
                                         "worker: 2 slowdown: 4 } faults { pause_at_step: 5 "
                                         "pause_s: 1 } faults { kill_at_step: 9 } }"))
                  .ok());
  std::string message = Refusal(
      GoodWith("workers: 3 parameter_server {} cluster { faults { worker: 3 slowdown: 0.5 } "
               "faults { pause_s: 2 } faults { worker: 1 } }"));
  EXPECT_THAT(message, HasSubstr("cluster.faults[0].worker: 3 is out of range; must be in [0, 2]"));
  EXPECT_THAT(message, HasSubstr("cluster.faults[0].slowdown: 0.5 is out of range; must be in "
                                 "[1, 1000]"));
  EXPECT_THAT(message, HasSubstr("cluster.faults[1].pause_at_step: 0 with pause_s set"));
  EXPECT_THAT(message, HasSubstr("cluster.faults[2]: does nothing"));
  EXPECT_THAT(Refusal(GoodWith("cluster { faults { slowdown: 2 } }")),
              HasSubstr("cluster.faults[0]: faults apply to distributed runs"));
}

TEST(Advice, RecommendsGlobalBatchSliceForSynchronousRuns) {
  std::vector<std::string> advice = Advice(GoodWith("workers: 4 allreduce {}"));
  ASSERT_EQ(advice.size(), 1u);
  EXPECT_EQ(advice[0],
            "data.distribution: FULLY_REPLICATED with synchronous allreduce on 4 workers; "
            "GLOBAL_BATCH_SLICE is recommended: it makes the run the same computation as one "
            "worker with 4 times the batch");
  EXPECT_THAT(Advice(GoodWith("workers: 2 parameter_server { mode: SYNC } data { distribution: "
                              "SHARDED_BY_KEY }")),
              ::testing::ElementsAre(HasSubstr("SHARDED_BY_KEY with synchronous parameter_server "
                                               "(SYNC) on 2 workers")));
  EXPECT_TRUE(Advice(GoodWith("workers: 4 allreduce {} data { distribution: GLOBAL_BATCH_SLICE }"))
                  .empty());
  EXPECT_TRUE(Advice(GoodWith("workers: 4 parameter_server { mode: ASYNC }")).empty());
  EXPECT_TRUE(Advice(GoodWith("workers: 1 allreduce {}")).empty());
  EXPECT_TRUE(Advice(GoodWith("")).empty());
}

TEST(ResolveDataDir, RelativeToConfigFolderAbsoluteKeptEmptyUsesDefaults) {
  RunConfig config = Parse("data { dir: \"../data/mnist\" }");
  EXPECT_EQ(ResolveDataDir(config, "configs/run.textproto", "/m", "/f"), "data/mnist");
  EXPECT_EQ(ResolveDataDir(config, "/home/u/p/configs/run.textproto", "/m", "/f"),
            "/home/u/p/data/mnist");
  EXPECT_EQ(ResolveDataDir(config, "run.textproto", "/m", "/f"), "../data/mnist");
  config = Parse("data { dir: \"/srv/idx\" dataset: IDX }");
  EXPECT_EQ(ResolveDataDir(config, "configs/run.textproto", "/m", "/f"), "/srv/idx");
  EXPECT_EQ(ResolveDataDir(Parse(""), "c/r.json", "/m", "/f"), "/m");
  EXPECT_EQ(ResolveDataDir(Parse("data { dataset: MNIST }"), "c/r.json", "/m", "/f"), "/m");
  EXPECT_EQ(ResolveDataDir(Parse("data { dataset: FASHION_MNIST }"), "c/r.json", "/m", "/f"), "/f");
  EXPECT_EQ(ResolveDataDir(Parse("data { dataset: IDX }"), "c/r.json", "/m", "/f"), "");
}

TEST(ValidateRunConfig, CsvDefaultedAndEachBadFieldNamed) {
  RunConfig csv = GoodWith(R"pb(model { softmax {} }
                                data {
                                  dataset: DATASET_UNSPECIFIED
                                  csv { train: "a" test: "b" }
                                })pb");
  EXPECT_EQ(csv.data().dataset(), DataConfig::CSV);  // implied by csv
  EXPECT_EQ(csv.data().num_classes(), 10u);
  EXPECT_EQ(csv.data().csv().label_column(), 1u);
  EXPECT_EQ(csv.data().csv().delimiter(), ",");
  EXPECT_EQ(csv.data().csv().normalization(), CsvConfig::NONE);
  EXPECT_TRUE(ValidateRunConfig(csv).ok()) << ValidateRunConfig(csv);
  auto bad = [](const std::string& data, const std::string& model = "softmax {}") {
    return Refusal(GoodWith("model { " + model + " } data { dataset: CSV " + data + " }"));
  };
  EXPECT_THAT(bad("csv { test: \"b\" }"), HasSubstr("data.csv.train: empty"));
  EXPECT_THAT(bad("csv { train: \"a\" }"), HasSubstr("data.csv.test: empty"));
  EXPECT_THAT(bad("csv { train: \"a\" test: \"b\" delimiter: \"ab\" }"),
              HasSubstr("data.csv.delimiter: \"ab\" is not a delimiter"));
  EXPECT_THAT(bad("csv { train: \"a\" test: \"b\" delimiter: \"7\" }"),
              HasSubstr("data.csv.delimiter: \"7\" is not a delimiter"));
  EXPECT_THAT(bad("csv { train: \"a\" test: \"b\" label_column: 2 feature_columns: [1, 2] }"),
              HasSubstr("data.csv.feature_columns[1]: 2 is the label column"));
  EXPECT_THAT(bad("csv { train: \"a\" test: \"b\" label_column: 3 feature_columns: [1, 1] }"),
              HasSubstr("data.csv.feature_columns[1]: column 1 is listed twice"));
  EXPECT_THAT(bad("num_classes: 1 csv { train: \"a\" test: \"b\" }"),
              HasSubstr("data.num_classes: 1 is out of range; must be in [2, 256]"));
  EXPECT_THAT(bad("csv { train: \"a\" test: \"b\" }", "cnn {}"),
              HasSubstr("model.cnn: needs images; CSV rows are 1 x d features"));
  EXPECT_THAT(Refusal(GoodWith("data { csv { train: \"a\" test: \"b\" } }")),
              HasSubstr("data.csv: is set, but data.dataset is MNIST"));
  EXPECT_THAT(Refusal(GoodWith("data { num_classes: 300 }")),
              HasSubstr("data.num_classes: 300 is out of range"));
}

TEST(ResolveDataDir, CsvPathsStartFromTheConfigFolder) {
  RunConfig config = Parse("data { csv { train: \"t.csv\" } }");
  EXPECT_EQ(ResolveDataDir(config, "configs/run.textproto", "/m", "/f"), "configs");
  EXPECT_EQ(ResolveDataDir(config, "run.textproto", "/m", "/f"), "");
  config = Parse("data { dir: \"../tab\" csv { train: \"t.csv\" } }");
  EXPECT_EQ(ResolveDataDir(config, "configs/run.textproto", "/m", "/f"), "tab");
}

}  // namespace
}  // namespace distsim::config

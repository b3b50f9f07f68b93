// `distsim export-sagemaker` through the binary, as a user runs it: the request parses back as
// JSON and says what the config says (the workshop's module 2 job, a GLOBAL_BATCH_SLICE SYNC
// job), its hyperparameters give the config back through ApplyHyperparameters (what `distsim
// train` does), MaxRuntimeInSeconds is the documented formula worked by hand from a result.json
// written here, no token reaches a file, the Python script compiles, and a config without an
// instance type is refused naming the field. The prediction without training is checked against
// the modelled job of a real run of the same config.
#include "sim/app/sagemaker_export.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "sim/config/compare.h"
#include "sim/config/config.h"
#include "sim/config/instances.h"
#include "sim/config/sagemaker.h"
#include "sim/report/result_io.h"
#include "tests/testing/synthetic_data_test.h"
#include "tests/testing/read_all.h"

namespace distsim::app {
namespace {

namespace fs = std::filesystem;
namespace pb = google::protobuf;
using ::testing::HasSubstr;
using ::testing::Not;

// A token value no output may contain: the test's environment holds it as DISTSIM_TOKEN.
constexpr char kToken[] = "tok-5e0c9a17d24b83f6e1a2c3d4b5a69788";

using testing::ReadAll;

// `text` with its lines joined and every run of blanks one space: export.txt wraps its
// sentences.
std::string Flat(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool blank = c == ' ' || c == '\n';
    if (blank && (out.empty() || out.back() == ' ')) continue;
    out.push_back(blank ? ' ' : c);
  }
  return out;
}

struct Ran {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;
};

class SagemakerExportTest : public testing::SyntheticDataTest {
 protected:
  void SetUp() override {
    testing::SyntheticDataTest::SetUp();
    setenv("DISTSIM_TOKEN", kToken, 1);  // the binary inherits it
  }

  // The binary with `args` (paths without spaces), its stdout and stderr captured.
  Ran Cli(const std::string& args) const {
    const std::string err = (dir_ / "stderr.txt").string();
    const std::string command = std::string(DISTSIM_BINARY) + " " + args + " 2>" + err;
    Ran ran;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return ran;
    char buffer[4096];
    size_t n = 0;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) ran.out.append(buffer, n);
    const int status = pclose(pipe);
    ran.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    ran.err = ReadAll(err);
    return ran;
  }

  // Writes `config` as a text-format file named after it.
  std::string Write(const RunConfig& config) const {
    std::string text;
    pb::TextFormat::PrintToString(config, &text);
    const std::string path = (dir_ / (config.name() + ".textproto")).string();
    std::ofstream(path) << text;
    return path;
  }

  RunConfig Parse(const std::string& text) const {
    RunConfig config;
    EXPECT_TRUE(pb::TextFormat::ParseFromString(text, &config)) << text;
    config.mutable_data()->set_dataset(DataConfig::IDX);
    config.mutable_data()->set_dir(data_dir());
    return config;
  }

  // export-sagemaker of `path` into dir_/<out>; the request parsed back.
  pb::Struct Export(const std::string& path, const std::string& out, const std::string& more = "") {
    last_ = Cli("export-sagemaker " + path + " --out " + (dir_ / out).string() + " " + more);
    EXPECT_EQ(last_.exit_code, 0) << last_.err;
    pb::Struct request;
    const auto parsed =
        pb::util::JsonStringToMessage(ReadAll(dir_ / out / "create-training-job.json"), &request);
    EXPECT_TRUE(parsed.ok()) << parsed.ToString();
    return request;
  }

  // The config the request's hyperparameters carry, read back as `distsim train` reads them.
  static RunConfig ReadBack(const pb::Struct& request) {
    std::string json;
    EXPECT_TRUE(
        pb::util::MessageToJsonString(request.fields().at("HyperParameters").struct_value(), &json)
            .ok());
    auto hp = config::ParseHyperparameters(json, "hyperparameters.json");
    EXPECT_TRUE(hp.ok()) << hp.status();
    RunConfig back;
    const absl::Status applied = config::ApplyHyperparameters(
        hp.value_or(std::map<std::string, std::string>{}), "hyperparameters.json", &back);
    EXPECT_TRUE(applied.ok()) << applied;
    return back;
  }

  Ran last_;
};

const pb::Value& At(const pb::Struct& s, const std::string& path) {
  const pb::Struct* at = &s;
  const pb::Value* value = nullptr;
  size_t from = 0;
  while (true) {
    const size_t dot = path.find('.', from);
    value = &at->fields().at(path.substr(from, dot - from));
    if (dot == std::string::npos) return *value;
    at = &value->struct_value();
    from = dot + 1;
  }
}

std::string HyperparameterOf(const pb::Struct& request, const std::string& key) {
  const auto& hp = request.fields().at("HyperParameters").struct_value().fields();
  return hp.count(key) ? hp.at(key).string_value() : "(absent)";
}

TEST_F(SagemakerExportTest, TheWorkshopsModule2JobIsFiveShardedHosts) {
  CompareConfig compare;
  auto entries = config::LoadCompare(DISTSIM_SOURCE_DIR "/configs/workshop.textproto", &compare);
  ASSERT_TRUE(entries.ok()) << entries.status();
  RunConfig m2;
  for (const config::CompareEntry& e : *entries) {
    if (e.name == "m2_sharded") m2 = e.config;
  }
  ASSERT_EQ(m2.name(), "m2_sharded");
  m2.mutable_data()->set_dataset(DataConfig::IDX);  // the synthetic set stands in for MNIST
  m2.mutable_data()->set_dir(data_dir());
  const std::string path = Write(m2);
  const pb::Struct request = Export(path, "m2");

  EXPECT_EQ(At(request, "TrainingJobName").string_value(), "m2-sharded");
  EXPECT_EQ(At(request, "AlgorithmSpecification.TrainingInputMode").string_value(), "File");
  EXPECT_THAT(At(request, "AlgorithmSpecification.TrainingImage").string_value(),
              HasSubstr("<account>"));
  EXPECT_THAT(At(request, "RoleArn").string_value(), HasSubstr("<account>"));
  EXPECT_EQ(At(request, "ResourceConfig.InstanceType").string_value(), "ml.c4.2xlarge");
  EXPECT_EQ(At(request, "ResourceConfig.InstanceCount").number_value(), 5);
  EXPECT_GE(At(request, "ResourceConfig.VolumeSizeInGB").number_value(), kMinVolumeGb);
  const auto& channels = At(request, "InputDataConfig").list_value().values();
  ASSERT_EQ(channels.size(), 2);
  EXPECT_EQ(At(channels[0].struct_value(), "ChannelName").string_value(), "train");
  EXPECT_EQ(At(channels[0].struct_value(), "DataSource.S3DataSource.S3DataDistributionType")
                .string_value(),
            "ShardedByS3Key");
  EXPECT_EQ(At(channels[0].struct_value(), "DataSource.S3DataSource.S3DataType").string_value(),
            "S3Prefix");
  EXPECT_EQ(At(channels[1].struct_value(), "ChannelName").string_value(), "test");
  EXPECT_EQ(At(channels[1].struct_value(), "DataSource.S3DataSource.S3DataDistributionType")
                .string_value(),
            "FullyReplicated");
  EXPECT_THAT(At(request, "OutputDataConfig.S3OutputPath").string_value(), HasSubstr("<bucket>"));
  EXPECT_EQ(HyperparameterOf(request, "sagemaker_parameter_server_enabled"), "true");
  EXPECT_EQ(HyperparameterOf(request, "mode"), "\"async\"");
  EXPECT_EQ(HyperparameterOf(request, "epochs"), "2");
  EXPECT_GE(At(request, "StoppingCondition.MaxRuntimeInSeconds").number_value(),
            kMinRuntimeSeconds);
  EXPECT_EQ(At(request, "Environment.DISTSIM_TOKEN").string_value(), kTokenPlaceholder);

  // The hyperparameters carry the config as loaded, less this machine's data folder.
  auto expected = config::LoadAndValidate(path);
  ASSERT_TRUE(expected.ok()) << expected.status();
  expected->mutable_data()->clear_dir();
  const RunConfig back = ReadBack(request);
  EXPECT_TRUE(pb::util::MessageDifferencer::Equals(back, *expected)) << back.DebugString();

  // export.txt is what was printed; the job was predicted, not measured.
  EXPECT_EQ(ReadAll(dir_ / "m2" / "export.txt"), last_.out);
  EXPECT_THAT(Flat(last_.out), HasSubstr("from a prediction without training"));
  EXPECT_THAT(Flat(last_.out), HasSubstr("5 x ml.c4.2xlarge"));
}

TEST_F(SagemakerExportTest, GlobalBatchSliceSyncIsFullyReplicatedWithANoteAndAHyperparameter) {
  const std::string path = Write(Parse(R"(
    name: "slice.sync" seed: 5 workers: 3
    model { mlp { hidden: 16 } }
    data { distribution: GLOBAL_BATCH_SLICE objects: 4 }
    optimizer { sgd { learning_rate: 0.2 } }
    train { batch_size: 32 steps: 40 }
    cluster { instance_type: "ml.c5.xlarge" }
    parameter_server { mode: SYNC placement: DEDICATED servers: 1 })"));
  const pb::Struct request = Export(path, "slice");

  EXPECT_EQ(At(request, "TrainingJobName").string_value(), "slice-sync");
  EXPECT_EQ(At(request, "ResourceConfig.InstanceCount").number_value(), 3);  // COLOCATED
  const auto& channels = At(request, "InputDataConfig").list_value().values();
  ASSERT_EQ(channels.size(), 2);
  EXPECT_EQ(At(channels[0].struct_value(), "DataSource.S3DataSource.S3DataDistributionType")
                .string_value(),
            "FullyReplicated");
  EXPECT_EQ(HyperparameterOf(request, "distsim_data_distribution"), "\"GLOBAL_BATCH_SLICE\"");
  EXPECT_EQ(HyperparameterOf(request, "mode"), "\"sync\"");
  EXPECT_EQ(HyperparameterOf(request, "sagemaker_parameter_server_enabled"), "true");
  EXPECT_THAT(Flat(last_.out), HasSubstr("GLOBAL_BATCH_SLICE has no SageMaker equivalent"));
  EXPECT_THAT(Flat(last_.out), HasSubstr("exported COLOCATED, 3 hosts"));

  // Read back: the config with a shard on every host, less the data folder.
  auto expected = config::LoadAndValidate(path);
  ASSERT_TRUE(expected.ok()) << expected.status();
  expected->mutable_parameter_server()->set_placement(ParameterServerStrategy::COLOCATED);
  expected->mutable_parameter_server()->set_servers(3);
  expected->mutable_data()->clear_dir();
  const RunConfig back = ReadBack(request);
  EXPECT_TRUE(pb::util::MessageDifferencer::Equals(back, *expected)) << back.DebugString();
}

// A result.json of a run of `config` with the modelled job given (seconds), under another name
// and seed, as a comparison's repeat would have it.
RunResult ResultOf(const RunConfig& config, double job_s, double largest_download_bytes) {
  RunResult r;
  *r.mutable_config() = config;
  r.mutable_config()->set_name(config.name() + "_r2");
  r.mutable_config()->set_seed(config.seed() + 1);
  ModelledClock* m = r.mutable_modelled();
  m->set_download_seconds(0.25 * job_s);
  m->set_seconds(0.7 * job_s);
  m->set_upload_seconds(0.05 * job_s);
  m->set_job_seconds(job_s);
  m->set_startup_seconds(120);
  m->set_hosts(2);
  m->add_host_download_bytes(static_cast<uint64_t>(largest_download_bytes));
  m->add_host_download_bytes(1000);
  return r;
}

TEST_F(SagemakerExportTest, MaxRuntimeIsThreeTimesTheRunsModelledJobPlusTheStartUp) {
  const std::string path = Write(Parse(R"(
    name: "measured" seed: 2 workers: 2
    model { softmax {} }
    optimizer { sgd { learning_rate: 0.1 } }
    train { batch_size: 16 steps: 30 }
    cluster { instance_type: "ml.c5.xlarge" }
    parameter_server { mode: ASYNC placement: COLOCATED })"));
  auto loaded = config::LoadAndValidate(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const std::string result = (dir_ / "result.json").string();
  ASSERT_TRUE(report::WriteResultJson(ResultOf(*loaded, 1234.5, 7.2e9), result).ok());
  pb::Struct request = Export(path, "measured", "--result " + result);
  // 3 x 1234.5 s + 120 s = 3823.5 s, rounded up; the volume twice 7.2 GB, rounded up.
  EXPECT_EQ(At(request, "StoppingCondition.MaxRuntimeInSeconds").number_value(), 3824);
  EXPECT_EQ(At(request, "ResourceConfig.VolumeSizeInGB").number_value(), 15);
  EXPECT_THAT(Flat(last_.out), HasSubstr("from the modelled clock of the run in " + result));
  const double price = config::FindInstance("ml.c5.xlarge")->price_per_hour_usd();
  char cost[64];
  std::snprintf(cost, sizeof cost, "= $%.4f", 2 * price * 1234.5 / 3600);
  EXPECT_THAT(Flat(last_.out), HasSubstr(cost));

  // A short job gets the floor: 3 x 50 s + 120 s = 270 s, under 600.
  ASSERT_TRUE(report::WriteResultJson(ResultOf(*loaded, 50, 1e6), result).ok());
  request = Export(path, "short", "--result " + result);
  EXPECT_EQ(At(request, "StoppingCondition.MaxRuntimeInSeconds").number_value(), 600);
  EXPECT_EQ(At(request, "ResourceConfig.VolumeSizeInGB").number_value(), kMinVolumeGb);

  // A result of another config is refused, naming the field; a missing one is exit 66.
  RunResult other = ResultOf(*loaded, 50, 1e6);
  other.mutable_config()->mutable_train()->set_batch_size(64);
  ASSERT_TRUE(report::WriteResultJson(other, result).ok());
  Ran ran =
      Cli("export-sagemaker " + path + " --out " + (dir_ / "x").string() + " --result " + result);
  EXPECT_EQ(ran.exit_code, 78) << ran.err;
  EXPECT_THAT(ran.err, HasSubstr("batch_size"));
  ran = Cli("export-sagemaker " + path + " --result " + (dir_ / "none.json").string());
  EXPECT_EQ(ran.exit_code, 66) << ran.err;
}

TEST_F(SagemakerExportTest, NoTokenValueReachesAnyFile) {
  const std::string path = Write(Parse(R"(
    name: "tokens" workers: 2
    model { softmax {} }
    optimizer { sgd { learning_rate: 0.1 } }
    train { batch_size: 16 steps: 30 }
    cluster { instance_type: "ml.c5.xlarge" }
    parameter_server {})"));
  Export(path, "tokens");
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir_ / "tokens")) {
    ++files;
    EXPECT_THAT(ReadAll(entry.path()), Not(HasSubstr(kToken))) << entry.path();
  }
  EXPECT_EQ(files, 3);
  EXPECT_THAT(last_.out, Not(HasSubstr(kToken)));
}

TEST_F(SagemakerExportTest, ThePythonScriptCompiles) {
  if (std::system("command -v python3 >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "python3 is not on this machine: train_sagemaker.py's syntax is unchecked";
  }
  const std::string path = Write(Parse(R"(
    name: "script" workers: 3
    model { mlp { hidden: 16 } }
    data { distribution: SHARDED_BY_KEY objects: 3 }
    optimizer { adam { learning_rate: 0.001 } }
    train { batch_size: 16 epochs: 1 }
    cluster { instance_type: "ml.c5.xlarge" }
    parameter_server { mode: ASYNC placement: COLOCATED })"));
  Export(path, "script");
  const fs::path script = dir_ / "script" / "train_sagemaker.py";
  const std::string compile =
      "python3 -c 'import py_compile, sys; py_compile.compile(sys.argv[1], "
      "cfile=sys.argv[2], doraise=True)' " +
      script.string() + " " + (dir_ / "script.pyc").string();
  EXPECT_EQ(std::system(compile.c_str()), 0) << ReadAll(script);
  EXPECT_THAT(ReadAll(script), HasSubstr("distribution=\"ShardedByS3Key\""));
  EXPECT_THAT(ReadAll(script), HasSubstr("\"parameter_server\": {\"enabled\": True}"));
}

TEST_F(SagemakerExportTest, AConfigWithoutAnInstanceTypeIsRefusedNamingTheField) {
  const std::string path = Write(Parse(R"(
    name: "bare" model { softmax {} } optimizer { sgd { learning_rate: 0.1 } }
    train { batch_size: 16 steps: 30 } local {})"));
  const Ran ran = Cli("export-sagemaker " + path + " --out " + (dir_ / "bare").string());
  EXPECT_EQ(ran.exit_code, 78);
  EXPECT_THAT(ran.err, HasSubstr("cluster.instance_type"));
  EXPECT_FALSE(fs::exists(dir_ / "bare"));
}

// The prediction without training against the truth of a real run: a SYNC job on the FLOPS
// clock is lockstep, so its modelled job is the plan's steps at the predicted step time.
TEST_F(SagemakerExportTest, ThePredictionIsTheModelledJobOfARealRun) {
  const std::string path = Write(Parse(R"(
    name: "predicted" seed: 3 workers: 2
    model { mlp { hidden: 16 } }
    data { distribution: GLOBAL_BATCH_SLICE objects: 4 }
    optimizer { sgd { learning_rate: 0.1 } }
    train { batch_size: 32 steps: 12 eval_every_steps: 0 }
    cluster { instance_type: "ml.c5.xlarge" clock: FLOPS }
    parameter_server { mode: SYNC placement: COLOCATED })"));
  const Ran ran = Cli("run " + path + " -q --out " + (dir_ / "out").string());
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  auto run = report::ReadResultJson((dir_ / "out" / "predicted" / "result.json").string());
  ASSERT_TRUE(run.ok()) << run.status();
  auto loaded = config::LoadAndValidate(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  std::vector<std::string> notes;
  auto exported = ExportedConfig(*loaded, &notes);
  ASSERT_TRUE(exported.ok()) << exported.status();
  auto predicted = PredictJob(*exported, data_dir());
  ASSERT_TRUE(predicted.ok()) << predicted.status();
  const ModelledClock& m = run->modelled();
  EXPECT_NEAR(predicted->training_s, m.seconds(), 1e-9 * m.seconds());
  EXPECT_NEAR(predicted->download_s, m.download_seconds(), 1e-9);
  EXPECT_NEAR(predicted->upload_s, m.upload_seconds(), 1e-9);
  EXPECT_NEAR(predicted->job_s, m.job_seconds(), 1e-9 * m.job_seconds());
}

TEST(TrainingJobNameTest, OnlyLettersDigitsAndHyphensAtMost63) {
  EXPECT_EQ(TrainingJobName("m2_sharded"), "m2-sharded");
  EXPECT_EQ(TrainingJobName("_slice.sync_"), "slice-sync");
  EXPECT_EQ(TrainingJobName("___"), "distsim-job");
  const std::string long_name = std::string(62, 'a') + "_b";
  EXPECT_EQ(TrainingJobName(long_name), std::string(62, 'a'));  // "...a-" less its hyphen
}

TEST(MaxRuntimeTest, MarginStartUpFloorAndCap) {
  EXPECT_EQ(MaxRuntimeSeconds(1000, 120), 3120);
  EXPECT_EQ(MaxRuntimeSeconds(1000.01, 120), 3121);  // 3120.03, rounded up
  EXPECT_EQ(MaxRuntimeSeconds(1, 120), 600);
  EXPECT_EQ(MaxRuntimeSeconds(1e9, 120), 28 * 24 * 3600);
}

}  // namespace
}  // namespace distsim::app

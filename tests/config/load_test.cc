// LoadRunConfig, LoadAndValidate and ApplyOverride on config files written to a temporary folder.
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "sim/config/config.h"

namespace distsim::config {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Debian's abseil has its own string_view, which gmock's string matchers do not take.
std::string Msg(const absl::Status& status) { return std::string(status.message()); }

constexpr char kGoodText[] = R"pb(# A small MLP run.
                                  name: "mlp-small"
                                  seed: 42
                                  model { mlp { hidden: [ 64, 32 ] } }
                                  data { dataset: FASHION_MNIST dir: "data" train_limit: 1000 }
                                  optimizer { adam { learning_rate: 0.001 beta2: 0.99 } }
                                  train { batch_size: 32 epochs: 1.5 shuffle: false }
                                  local {}
)pb";

constexpr char kGoodJson[] = R"json({
  "name": "mlp-small",
  "seed": "42",
  "model": {"mlp": {"hidden": [64, 32]}},
  "data": {"dataset": "FASHION_MNIST", "dir": "data", "trainLimit": 1000},
  "optimizer": {"adam": {"learning_rate": 0.001, "beta2": 0.99}},
  "train": {"batchSize": 32, "epochs": 1.5, "shuffle": false},
  "local": {}
})json";

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "distsim_config_XXXXXX");
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `content` to <temp dir>/<name> and returns its path.
  std::string Write(const std::string& name, const std::string& content) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  // The message of loading `content` as <name>, which must fail with InvalidArgument.
  std::string LoadRefusal(const std::string& name, const std::string& content) {
    absl::StatusOr<RunConfig> config = LoadRunConfig(Write(name, content));
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << config.status();
    return Msg(config.status());
  }

  std::filesystem::path dir_;
};

TEST_F(ConfigFileTest, TextAndJsonLoadToEqualMessages) {
  absl::StatusOr<RunConfig> text = LoadRunConfig(Write("run.textproto", kGoodText));
  absl::StatusOr<RunConfig> json = LoadRunConfig(Write("run.json", kGoodJson));
  ASSERT_TRUE(text.ok()) << text.status();
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*text, *json)) << text->DebugString() << "\n---\n"
                                                        << json->DebugString();
  EXPECT_EQ(text->name(), "mlp-small");
  EXPECT_EQ(text->model().mlp().hidden_size(), 2);
  EXPECT_EQ(text->train().epochs(), 1.5);
  EXPECT_FALSE(text->model().mlp().hidden().empty());
}

TEST_F(ConfigFileTest, ParseMessageReadsTextAsLoadReadsTheFile) {
  absl::StatusOr<RunConfig> loaded = LoadRunConfig(Write("run.textproto", kGoodText));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  RunConfig text, json;
  ASSERT_TRUE(ParseMessage(kGoodText, ConfigSyntax::kText, "memory", &text).ok());
  ASSERT_TRUE(ParseMessage(kGoodJson, ConfigSyntax::kJson, "memory", &json).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(*loaded, text));
  EXPECT_TRUE(MessageDifferencer::Equals(*loaded, json));
  // The origin stands where a file's path would, and a second parse replaces the first.
  absl::Status bad = ParseMessage("train {\n  batch_size: x32\n}\n", ConfigSyntax::kText,
                                  "origin", &text);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(bad), StartsWith("origin:2:15: "));
  EXPECT_THAT(Msg(ParseMessage("{", ConfigSyntax::kJson, "origin", &json)),
              StartsWith("origin: invalid JSON config: "));
  EXPECT_THAT(Msg(ParseMessage("data { dataset: 7 }", ConfigSyntax::kText, "origin", &text)),
              StartsWith("origin: data.dataset: 7 is not a value of"));
  ASSERT_TRUE(ParseMessage("seed: 3", ConfigSyntax::kText, "origin", &text).ok());
  EXPECT_EQ(text.seed(), 3u);
  EXPECT_FALSE(text.has_train());
}

TEST_F(ConfigFileTest, EveryTextExtensionAcceptedCaseInsensitively) {
  for (const char* name : {"a.txtpb", "b.pbtxt", "c.TEXTPROTO", "d.JSON"}) {
    std::string content = std::string(name).ends_with("JSON") ? kGoodJson : kGoodText;
    absl::StatusOr<RunConfig> config = LoadRunConfig(Write(name, content));
    EXPECT_TRUE(config.ok()) << name << ": " << config.status();
  }
}

TEST_F(ConfigFileTest, UnsupportedExtensionRefused) {
  std::string message = LoadRefusal("run.yaml", "name: x\n");
  EXPECT_THAT(message, HasSubstr("run.yaml: unsupported config file extension '.yaml'"));
  EXPECT_THAT(message, HasSubstr(".textproto"));
  EXPECT_THAT(LoadRefusal("run", kGoodText), HasSubstr("unsupported config file extension ''"));
}

TEST_F(ConfigFileTest, MissingFileIsNotFoundNamingThePath) {
  std::string path = (dir_ / "nope.textproto").string();
  absl::StatusOr<RunConfig> config = LoadRunConfig(path);
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Msg(config.status()), HasSubstr(path));
}

TEST_F(ConfigFileTest, DirectoryIsAnIoError) {
  std::filesystem::create_directory(dir_ / "folder.textproto");
  absl::StatusOr<RunConfig> config = LoadRunConfig((dir_ / "folder.textproto").string());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kUnknown) << config.status();
  EXPECT_THAT(Msg(config.status()), HasSubstr("folder.textproto"));
}

TEST_F(ConfigFileTest, TextSyntaxErrorGivesFileLineAndColumn) {
  // Line 3, column 15 (1-based) holds the 'x' that is not an integer.
  std::string path = Write("syntax.textproto", "name: \"a\"\ntrain {\n  batch_size: x32\n}\n");
  absl::StatusOr<RunConfig> config = LoadRunConfig(path);
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(config.status()), StartsWith(path + ":3:15: "));
  EXPECT_THAT(Msg(config.status()), HasSubstr("x32"));
  // An unclosed brace is reported at the end of the input: line 3, column 1.
  std::string unclosed = Write("unclosed.textproto", "train {\n  batch_size: 3\n");
  EXPECT_THAT(Msg(LoadRunConfig(unclosed).status()), StartsWith(unclosed + ":3:1: "));
}

TEST_F(ConfigFileTest, UnknownFieldRefusedWithPosition) {
  // protobuf 3.21 reports an unknown name at the token after it: the ':' in column 19.
  std::string message = LoadRefusal("f.textproto", "seed: 1\ntrain { batch_sise: 32 }\n");
  EXPECT_THAT(message, HasSubstr("f.textproto:2:19: "));
  EXPECT_THAT(message, HasSubstr("batch_sise"));
  EXPECT_THAT(LoadRefusal("f.json", R"({"train": {"batch_sise": 32}})"),
              HasSubstr("f.json: invalid JSON config: "));
  EXPECT_THAT(LoadRefusal("g.json", R"({"train": {"batch_sise": 32}})"), HasSubstr("batch_sise"));
}

TEST_F(ConfigFileTest, UnknownEnumValueRefusedByNameAndByNumber) {
  std::string by_name = LoadRefusal("e.textproto", "data { dataset: MNISTT }\n");
  EXPECT_THAT(by_name, HasSubstr("e.textproto:1:24: "));  // the '}' after the name
  EXPECT_THAT(by_name, HasSubstr("MNISTT"));
  EXPECT_EQ(LoadRefusal("n.textproto", "data { dataset: 7 }\n"),
            dir_.string() +
                "/n.textproto: data.dataset: 7 is not a value of Dataset; must be one "
                "of MNIST, FASHION_MNIST, IDX, CSV");
  std::string json_name = LoadRefusal("e.json", R"({"data": {"dataset": "MNISTT"}})");
  EXPECT_THAT(json_name, HasSubstr("e.json: invalid JSON config: "));
  EXPECT_THAT(json_name, HasSubstr("MNISTT"));
  EXPECT_THAT(LoadRefusal("n.json", R"({"data": {"dataset": 9}})"),
              HasSubstr("n.json: data.dataset: 9 is not a value of Dataset"));
}

TEST_F(ConfigFileTest, BothStepsAndEpochsRefusedByTheParser) {
  std::string message = LoadRefusal("both.textproto", "train {\n  steps: 5\n  epochs: 2\n}\n");
  EXPECT_THAT(message, HasSubstr("both.textproto:3:"));
  EXPECT_THAT(message, HasSubstr("oneof"));
  EXPECT_THAT(LoadRefusal("both.json", R"({"train": {"steps": 5, "epochs": 2}})"),
              HasSubstr("both.json: invalid JSON config: "));
}

TEST_F(ConfigFileTest, JsonSyntaxErrorNamesTheFile) {
  EXPECT_THAT(LoadRefusal("s.json", "{\"name\": \"x\",, }"),
              HasSubstr("s.json: invalid JSON config: "));
}

TEST_F(ConfigFileTest, InfiniteAndNanEpochsViaJsonRefusedByValidation) {
  std::string path = Write("inf.json", R"({"name": "x", "model": {"softmax": {}},
      "optimizer": {"sgd": {"learningRate": 0.1}},
      "train": {"batchSize": 8, "epochs": "Infinity"}})");
  absl::StatusOr<RunConfig> config = LoadAndValidate(path);
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << config.status();
  EXPECT_EQ(Msg(config.status()),
            path + ": train.epochs: inf is out of range; must be a finite number in (0, 1000]");
  path = Write("nan.json", R"({"name": "x", "model": {"softmax": {}},
      "optimizer": {"sgd": {"learningRate": 0.1}}, "train": {"batchSize": 8, "epochs": "NaN"}})");
  EXPECT_THAT(Msg(LoadAndValidate(path).status()), HasSubstr("train.epochs: nan is out of range"));
}

TEST_F(ConfigFileTest, LoadAndValidateFillsDefaultsOfAGoodConfig) {
  absl::StatusOr<RunConfig> config = LoadAndValidate(Write("ok.textproto", kGoodText));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->output_dir(), "out");
  EXPECT_FLOAT_EQ(config->optimizer().adam().beta1(), 0.9f);
  EXPECT_FLOAT_EQ(config->optimizer().adam().beta2(), 0.99f);  // explicit value kept
  EXPECT_EQ(config->train().warmup_steps(), 10u);
  EXPECT_EQ(config->train().threads(), 1u);
  EXPECT_FALSE(config->train().shuffle());
}

TEST_F(ConfigFileTest, LoadAndValidatePrefixesEveryErrorWithThePath) {
  std::string path = Write("bad.textproto", R"pb(
    name: "x"
    model { softmax {} }
    optimizer { sgd { learning_rate: 0 } }
    train { batch_size: 0 steps: 10 }
  )pb");
  absl::StatusOr<RunConfig> config = LoadAndValidate(path);
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Msg(config.status()),
            path + ": optimizer.sgd.learning_rate: 0 is out of range; must be in (0, 10]\n" + path +
                ": train.batch_size: 0 is out of range; must be in [1, 65536]");
}

TEST_F(ConfigFileTest, EmptyTextFileLoadsButFailsValidation) {
  std::string path = Write("empty.textproto", "");
  EXPECT_TRUE(LoadRunConfig(path).ok());
  absl::Status status = LoadAndValidate(path).status();
  std::vector<std::string> lines = absl::StrSplit(Msg(status), '\n');
  EXPECT_EQ(lines.size(), 5u) << status;  // name, model, optimizer, batch_size, run length
}

TEST_F(ConfigFileTest, OverridesAppliedBeforeDefaultsAndValidation) {
  std::string path = Write("o.textproto", kGoodText);
  absl::StatusOr<RunConfig> config =
      LoadAndValidate(path, {"train { steps: 50 }", "model { cnn { dense_units: 128 } }"});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->train().steps(), 50u);
  EXPECT_EQ(config->model().cnn().dense_units(), 128u);
  EXPECT_EQ(config->model().cnn().conv1_channels(), 32u);  // the cnn's defaults were filled
  absl::Status bad = LoadAndValidate(path, {"train { batch_size: 0 }"}).status();
  EXPECT_THAT(Msg(bad), HasSubstr("train.batch_size: 0 is out of range"));
  bad = LoadAndValidate(path, {"train { stepz: 1 }"}).status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(bad), StartsWith("override \"train { stepz: 1 }\":1:14: "));
}

TEST(ApplyOverride, MergesScalarsZerosOneofsAndReplacesLists) {
  RunConfig config;
  config.set_seed(7);
  config.mutable_model()->mutable_mlp()->add_hidden(64);
  config.mutable_model()->mutable_mlp()->add_hidden(32);
  config.mutable_train()->set_batch_size(32);
  config.mutable_train()->set_epochs(2);
  ASSERT_TRUE(ApplyOverride(&config, "seed: 0").ok());
  EXPECT_EQ(config.seed(), 0u);
  ASSERT_TRUE(ApplyOverride(&config, "train { steps: 50 }").ok());
  EXPECT_EQ(config.train().steps(), 50u);
  EXPECT_EQ(config.train().batch_size(), 32u);  // untouched field kept
  EXPECT_EQ(config.train().length_case(), TrainConfig::kSteps);
  ASSERT_TRUE(ApplyOverride(&config, "model { mlp { hidden: [ 256, 256, 10 ] } }").ok());
  EXPECT_EQ(config.model().mlp().hidden_size(), 3);
  EXPECT_EQ(config.model().mlp().hidden(0), 256u);
  ASSERT_TRUE(ApplyOverride(&config, "train { batch_size: 8 } name: \"r\"").ok());
  EXPECT_EQ(config.train().batch_size(), 8u);
  EXPECT_EQ(config.train().steps(), 50u);
  EXPECT_EQ(config.name(), "r");
}

TEST(ApplyOverride, BadOverrideRefusedAndConfigUnchanged) {
  RunConfig config;
  config.set_seed(7);
  RunConfig before = config;
  absl::Status status = ApplyOverride(&config, "seed: 1 trian { steps: 5 }");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(status), StartsWith("override \"seed: 1 trian { steps: 5 }\":1:15: "));
  EXPECT_THAT(Msg(status), HasSubstr("trian"));
  EXPECT_TRUE(MessageDifferencer::Equals(config, before));
  EXPECT_THAT(Msg(ApplyOverride(&config, "seed: ")), StartsWith("override \"seed: \":1:7: "));
  EXPECT_THAT(Msg(ApplyOverride(&config, "  ")), HasSubstr("override \"  \": empty"));
  EXPECT_THAT(Msg(ApplyOverride(&config, "data { dataset: 5 }")),
              HasSubstr("override \"data { dataset: 5 }\": data.dataset: 5 is not a value"));
  EXPECT_THAT(Msg(ApplyOverride(&config, "seed: 1 seed: 2")),
              HasSubstr("specified multiple times"));
  EXPECT_TRUE(MessageDifferencer::Equals(config, before));
}

}  // namespace
}  // namespace distsim::config

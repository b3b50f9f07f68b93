// The distsim binary at its edges, as a new user meets it: each subcommand given each kind of
// config file (a RunConfig, a CompareConfig, a PredictConfig; text and JSON) either does the
// right thing or names the subcommand that takes the file, never a raw parser error; and every
// subcommand's --help ends with an example and the exit codes, under the name `distsim`.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/base/status.h"
#include "tests/node/process_util.h"
#include "tests/testing/synthetic_data_test.h"

namespace distsim {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Runs the binary with `args`, its stdout sent to stderr so that Finished::err holds both.
testing::Finished WithStdout(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/bin/sh", "-c", "exec \"$0\" \"$@\" 1>&2", DISTSIM_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return testing::Run(argv, 30);
}

class CliTest : public testing::SyntheticDataTest {
 protected:
  void SetUp() override {
    SyntheticDataTest::SetUp();
    const std::string data = "data { dataset: IDX dir: \"" + data_dir() + "\" } ";
    const std::string run = "model { softmax { } } optimizer { sgd { learning_rate: 0.1 } } " +
                            data + "train { batch_size: 20 steps: 3 } ";
    Write("run.textproto", "# proto-message: distsim.RunConfig\nname: \"tiny\" " + run);
    Write("compare.textproto", "# proto-message: distsim.CompareConfig\nname: \"pair\" base { " +
                                   run + "} runs { name: \"a\" } runs { name: \"b\" }");
    Write("predict.textproto",
          "# proto-message: distsim.PredictConfig\nname: \"guess\" calibration { " + run + "}");
    // JSON carries no comment: its kind is found by parsing.
    Write("compare.json",
          "{\"name\": \"pair\", \"base\": {\"model\": {\"softmax\": {}}}, "
          "\"runs\": [{\"name\": \"a\"}]}");
  }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  testing::Finished Distsim(std::vector<std::string> args) const {
    args.insert(args.begin(), DISTSIM_BINARY);
    args.insert(args.end(), {"--out", (dir_ / "out").string()});
    return testing::Run(args, 60);
  }

  // `command` refuses `file` with exit 78, naming the subcommand that takes it.
  void ExpectRedirect(const std::string& command, const std::string& file,
                      const std::string& use) const {
    const testing::Finished done = Distsim({command, Path(file)});
    EXPECT_EQ(done.exit_code, kExitConfig) << command << " " << file << ": " << done.err;
    EXPECT_THAT(done.err, HasSubstr("run it with `distsim " + use + " " + Path(file) + "`"))
        << command << " " << file;
    EXPECT_THAT(done.err, Not(HasSubstr("has no field named")));
  }
};

TEST_F(CliTest, RunTakesARunConfigAndNamesTheCommandForTheOthers) {
  const testing::Finished done = Distsim({"run", Path("run.textproto"), "-q"});
  EXPECT_EQ(done.exit_code, 0) << done.err;
  EXPECT_TRUE(std::filesystem::exists(dir_ / "out/tiny/result.json"));
  ExpectRedirect("run", "compare.textproto", "compare");
  ExpectRedirect("run", "predict.textproto", "predict");
  ExpectRedirect("run", "compare.json", "compare");
}

TEST_F(CliTest, CompareTakesACompareConfigWithSetAndJson) {
  const testing::Finished done = Distsim(
      {"compare", Path("compare.textproto"), "-q", "--json", "--set", "train { steps: 2 }"});
  EXPECT_EQ(done.exit_code, 0) << done.err;
  const std::string json = [&] {
    std::ifstream in(dir_ / "out/pair/compare.json");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }();
  EXPECT_THAT(json, HasSubstr("\"steps\": \"2\""));  // --set reached every run
  ExpectRedirect("compare", "run.textproto", "run");
  ExpectRedirect("compare", "predict.textproto", "predict");
}

TEST_F(CliTest, PlanLocalExportAndPredictNameTheCommandForAnotherKind) {
  const testing::Finished plan =
      WithStdout({"plan", Path("run.textproto"), "--workers", "3", "--set", "allreduce { }"});
  EXPECT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_THAT(plan.err, HasSubstr("allreduce RING, 3 workers"));  // --workers reached the plan
  ExpectRedirect("plan", "compare.textproto", "compare");
  ExpectRedirect("plan", "predict.textproto", "predict");
  ExpectRedirect("local", "compare.textproto", "compare");
  ExpectRedirect("export-sagemaker", "predict.textproto", "predict");
  ExpectRedirect("predict", "compare.textproto", "compare");
}

TEST_F(CliTest, CheckValidatesEveryKind) {
  const std::vector<std::pair<std::string, std::string>> kinds = {
      {"run.textproto", "is a valid distsim.RunConfig"},
      {"compare.textproto", "is a valid distsim.CompareConfig \"pair\": 2 entries"},
      {"predict.textproto", "is a valid distsim.PredictConfig"}};
  for (const auto& [file, says] : kinds) {
    const testing::Finished done = WithStdout({"check", Path(file)});
    EXPECT_EQ(done.exit_code, 0) << file << ": " << done.err;
    EXPECT_THAT(done.err, HasSubstr(says)) << file;
  }
  const testing::Finished bad = WithStdout({"check", Path("run.textproto"), "--set", "workers: 0"});
  EXPECT_EQ(bad.exit_code, kExitConfig);
  EXPECT_THAT(bad.err, HasSubstr("workers"));
}

// Every subcommand `distsim --help` lists.
std::vector<std::string> Subcommands() {
  const testing::Finished help = WithStdout({"--help"});
  std::vector<std::string> names;
  bool in_list = false;
  std::istringstream lines(help.err);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("Subcommands:", 0) == 0) {
      in_list = true;
      continue;
    }
    if (in_list && line.empty()) break;
    if (!in_list || line.size() < 3 || line[0] != ' ' || line[2] == ' ') continue;
    names.push_back(line.substr(2, line.find(' ', 2) - 2));
  }
  return names;
}

TEST(CliHelpTest, EverySubcommandShowsAnExampleAndTheExitCodes) {
  const std::vector<std::string> names = Subcommands();
  EXPECT_GE(names.size(), 12u);
  for (const std::string& name : names) {
    const testing::Finished help = WithStdout({name, "--help"});
    EXPECT_EQ(help.exit_code, 0) << name;
    EXPECT_THAT(help.err, HasSubstr("Example:\n  ")) << name;
    EXPECT_THAT(help.err, HasSubstr("Exit codes: 0 done; 64")) << name;
    EXPECT_THAT(help.err, HasSubstr("Usage: distsim " + name)) << name;
  }
}

}  // namespace
}  // namespace distsim

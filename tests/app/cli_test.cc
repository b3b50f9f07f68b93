// The distsim binary at its edges, as a new user meets it: each subcommand given each kind of
// config file (a RunConfig, a CompareConfig, a PredictConfig; text and JSON) either does the
// right thing or names the subcommand that takes the file, never a raw parser error; and every
// subcommand's --help ends with an example and the exit codes, under the name `distsim`.
#include <filesystem>
#include <fstream>
#include <regex>
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

  // The binary with `args`, and --out for the subcommands that write results.
  testing::Finished Distsim(std::vector<std::string> args) const {
    const std::string& command = args.front();
    const bool writes = command != "plan" && command != "report" && command != "check" &&
                        command != "worker" && command != "server";
    args.insert(args.begin(), DISTSIM_BINARY);
    if (writes) args.insert(args.end(), {"--out", (dir_ / "out").string()});
    return testing::Run(args, 60);
  }

  // `command` refuses `file` with exit 78, naming the subcommand that takes it.
  void ExpectRedirect(const std::string& command, const std::string& file,
                      const std::string& use) const {
    std::vector<std::string> args = {command, Path(file)};
    if (command == "worker" || command == "server") {
      args = {command, "--config", Path(file), "--rank", "0", "--coordinator", "127.0.0.1:9"};
    }
    const testing::Finished done = Distsim(args);
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

// Every subcommand that reads a config, given a file of a kind it does not take, says which
// subcommand does (exit 78), never a parser error; `report` given a config says the same.
TEST_F(CliTest, EveryReaderOfAConfigNamesTheCommandForTheOtherKinds) {
  for (const char* command :
       {"run", "plan", "coordinator", "local", "export-sagemaker", "worker", "server", "report"}) {
    ExpectRedirect(command, "compare.textproto", "compare");
    ExpectRedirect(command, "predict.textproto", "predict");
    ExpectRedirect(command, "compare.json", "compare");
  }
  ExpectRedirect("report", "run.textproto", "run");
  ExpectRedirect("predict", "compare.json", "compare");
}

TEST_F(CliTest, PredictTakesARunConfigOrAPredictConfig) {
  for (const char* file : {"run.textproto", "predict.textproto"}) {
    const testing::Finished done =
        WithStdout({"predict", Path(file), "-q", "--no-checks", "--json", "--workers", "2,8",
                    "--out", (dir_ / "out").string()});
    EXPECT_EQ(done.exit_code, 0) << file << ": " << done.err;
    // --workers reached the rows: one per worker count per strategy, none of the default 256.
    EXPECT_THAT(done.err, HasSubstr("\"workers\": 8")) << file;
    EXPECT_THAT(done.err, Not(HasSubstr("\"workers\": 256"))) << file;
  }
}

// The number of times `needle` occurs in `text`.
int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// plan --json: the processes and the shard map agree with the flags and with the model's size
// (softmax on 28 x 28 inputs and 10 classes: 7850 parameters, 31400 bytes over the shards).
TEST_F(CliTest, PlanJsonHasTheProcessesShardsAndData) {
  const testing::Finished done =
      WithStdout({"plan", Path("run.textproto"), "--json", "--workers", "3", "--set",
                  "parameter_server { servers: 2 mode: SYNC }"});
  ASSERT_EQ(done.exit_code, 0) << done.err;
  const std::string& json = done.err;
  EXPECT_THAT(json, HasSubstr("\"parameters\":7850"));
  EXPECT_EQ(Count(json, "\"role\":\"worker\""), 3) << json;
  EXPECT_EQ(Count(json, "\"role\":\"server\""), 2) << json;
  EXPECT_THAT(json, HasSubstr("\"examples\":1200"));  // the synthetic training set
  int64_t shard_bytes = 0;
  const std::regex bytes("\"bytes\":([0-9]+)");
  for (std::sregex_iterator m(json.begin(), json.end(), bytes), end; m != end; ++m) {
    shard_bytes += std::stoll((*m)[1]);
  }
  EXPECT_EQ(shard_bytes, 7850 * 4);
  EXPECT_EQ(Count(json, "\n"), 1) << json;  // one line
}

// export-sagemaker --json lists the files it wrote (they are there) and the job's figures.
TEST_F(CliTest, ExportSagemakerJsonListsTheFilesWritten) {
  const std::string out = (dir_ / "sm").string();
  const testing::Finished done =
      WithStdout({"export-sagemaker", Path("run.textproto"), "--json", "--workers", "2", "--set",
                  "cluster { instance_type: \"ml.c4.xlarge\" } allreduce { }", "--out", out});
  ASSERT_EQ(done.exit_code, 0) << done.err;
  for (const char* file : {"create-training-job.json", "train_sagemaker.py", "export.txt"}) {
    EXPECT_TRUE(std::filesystem::exists(dir_ / "sm" / file)) << file;
    EXPECT_THAT(done.err, HasSubstr("/sm/" + std::string(file) + "\"")) << file;
  }
  EXPECT_THAT(done.err, HasSubstr("\"instance_count\":2"));
  EXPECT_THAT(done.err, HasSubstr("\"instance_type\":\"ml.c4.xlarge\""));
  const testing::Finished bare = WithStdout({"export-sagemaker", Path("run.textproto")});
  EXPECT_EQ(bare.exit_code, kExitConfig);
  EXPECT_THAT(bare.err, HasSubstr("cluster.instance_type"));
}

// coordinator --json: its first line on stdout holds the command of every role; started as
// printed (the token from the file it names), they train the run, whose result.json follows.
TEST_F(CliTest, CoordinatorJsonPrintsCommandsThatRunTheJob) {
  const testing::Finished local = Distsim({"coordinator", Path("run.textproto")});
  EXPECT_EQ(local.exit_code, kExitConfig);
  EXPECT_THAT(local.err, HasSubstr("the coordinator runs distributed configs"));
  const testing::Spawned coordinator = testing::Spawn(
      {"/bin/sh", "-c", "exec \"$0\" \"$@\" 1>&2", DISTSIM_BINARY, "coordinator",
       Path("run.textproto"), "--listen", "127.0.0.1:0", "--json", "--out",
       (dir_ / "out").string(), "--set", "parameter_server { mode: SYNC }", "--workers", "2"});
  // The JSON line comes first, flushed before the same in words (which holds no braces).
  const std::string announced = testing::ReadStderrUntil(coordinator, "}\n", 30);
  std::vector<std::string> commands;
  for (size_t at = announced.find("\"command\":\""); at != std::string::npos;
       at = announced.find("\"command\":\"", at + 1)) {
    const size_t start = at + 11;
    commands.push_back(announced.substr(start, announced.find('"', start) - start));
  }
  ASSERT_EQ(commands.size(), 3u) << announced;  // 1 server, 2 workers
  const std::string token_file = (dir_ / "out/tiny/token").string();
  EXPECT_THAT(announced, HasSubstr("\"token_file\":\"" + token_file + "\""));
  std::vector<testing::Spawned> roles;
  for (const std::string& command : commands) {
    ASSERT_EQ(command.rfind("distsim ", 0), 0u) << command;
    roles.push_back(testing::Spawn({"/bin/sh", "-c",
                                    "DISTSIM_TOKEN_FILE=" + token_file + " exec " +
                                        DISTSIM_BINARY + command.substr(7)}));
  }
  for (testing::Spawned& role : roles) EXPECT_EQ(testing::Wait(role, 60).exit_code, 0);
  const testing::Finished done = testing::Wait(coordinator, 60);
  EXPECT_EQ(done.exit_code, 0) << done.err;
  EXPECT_THAT(done.err, HasSubstr("\"final_test_accuracy\""));  // result.json at the end
  EXPECT_TRUE(std::filesystem::exists(dir_ / "out/tiny/result.json"));
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

#include "sim/cli/train_command.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "sim/app/train.h"
#include "sim/base/status.h"
#include "sim/cli/help.h"
#include "sim/cli/secrets.h"
#include "sim/cli/stop_signal.h"
#include "sim/config/hosts_file.h"

namespace distsim::cli {
namespace {

absl::StatusOr<node::HostTable> ReadHostsFile(const std::string& path) {
  if (path.empty()) return node::HostTable();
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT)
      return absl::NotFoundError(absl::StrCat("--hosts-file ", path, ": missing"));
    return IoError("cannot read --hosts-file", path, errno);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return config::ParseHostsFile(text.str(), path);
}

}  // namespace

CLI::App* AddTrain(CLI::App* app, TrainFlags* flags) {
  CLI::App* train = app->add_subcommand(
      "train",
      "The entry point of a SageMaker training container: reads ROOT/input/config/"
      "{resourceconfig,inputdataconfig,hyperparameters}.json and the channels ROOT/input/data/"
      "train and test (or validation), trains (one host alone; several hosts in SageMaker's "
      "TensorFlow parameter-server layout: a server on port 2223 and a worker on every host, "
      "the coordinator on the chief's port 2222), and writes ROOT/model, ROOT/output/data and "
      "ROOT/output/success, or ROOT/output/failure and a non-zero exit (66 missing file, 78 bad "
      "config or hyperparameter, 69 host unreachable, 77 no token; 143 on SIGTERM). The run "
      "token comes from $DISTSIM_TOKEN or $DISTSIM_TOKEN_FILE.");
  train->footer(HelpFooter(
      "two hosts on one machine: DISTSIM_TOKEN_FILE=job.token distsim train --root host1 "
      "--hosts-file hosts (and the same with --root host2), hosts holding '127.0.0.1 algo-1' and "
      "'127.0.0.2 algo-2', each resourceconfig.json naming network_interface_name \"lo\" "
      "(distsim local does all this for you)"));
  train->add_option("--root", flags->root, "SageMaker's tree (default /opt/ml)");
  train->add_option("--hosts-file", flags->hosts_file,
                    "Host names to addresses in /etc/hosts format, for hosts without a network "
                    "namespace of their own (default: the system's resolver)");
  train->add_flag("-q,--quiet", flags->quiet, "No progress lines");
  // SageMaker starts a training image as `docker run IMAGE train`; with the image's ENTRYPOINT
  // ["distsim", "train"] that word arrives here.
  train->add_option("word", flags->word, "The word `train` SageMaker appends (ignored)")
      ->check(CLI::IsMember({"train"}));
  return train;
}

int TrainCommand(const TrainFlags& flags) {
  const std::atomic<bool>* stop = InstallStopSignals();
  app::TrainOptions options;
  options.root = flags.root;
  options.token = RunTokenFromEnvironment();
  options.hosts = ReadHostsFile(flags.hosts_file);
  options.progress = flags.quiet ? nullptr : stderr;
  options.stop = stop;
  options.command_line = flags.command_line;
  const absl::Status status = app::RunTrain(options);
  if (status.ok()) return 0;
  std::fprintf(stderr, "distsim train: %s\n", std::string(status.message()).c_str());
  return ExitCodeAfterStop(status);
}

}  // namespace distsim::cli

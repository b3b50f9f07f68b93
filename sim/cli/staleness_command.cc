#include "sim/cli/staleness_command.h"

#include <cstdio>
#include <filesystem>
#include <string>

#include "sim/app/staleness.h"
#include "sim/base/status.h"
#include "sim/cli/help.h"
#include "sim/cli/stop_signal.h"
#include "sim/config/config_kind.h"
#include "sim/config/staleness.h"
#include "sim/report/result_io.h"

namespace distsim::cli {

CLI::App* AddStaleness(CLI::App* app, RunFlags* flags, uint32_t* threads) {
  CLI::App* cmd = app->add_subcommand(
      "staleness",
      "Train the staleness study of a StalenessStudyConfig (Dai et al., ICLR 2019): a simulated "
      "asynchronous parameter server in one process, each gradient computed on the parameters "
      "of Uniform{0..s} updates ago, for every optimizer, s, n and seed; print the updates and "
      "modelled time to the target accuracy and write out/<name>/staleness.json, staleness.csv, "
      "cells.csv and report.html.");
  cmd->add_option("config", flags->config_path,
                  "Staleness study config (.textproto or .json; schema: "
                  "proto/distsim/staleness.proto)")
      ->required();
  cmd->add_option("--set", flags->overrides,
                  "A text-format fragment applied to the study's base RunConfig, e.g. --set "
                  "'data { train_limit: 10000 }'. Repeatable; applied in order.");
  cmd->add_option("--data-dir", flags->data_dir, "Folder with the four IDX files");
  cmd->add_option("--out", flags->output_dir, "Results folder (default: output_dir, else out/)");
  cmd->add_option("--threads", *threads, "Cells trained at once (overrides the config's threads)")
      ->check(CLI::Range(1, 64));
  cmd->add_flag("-q,--quiet", flags->quiet, "No progress lines");
  cmd->add_flag("--json", flags->json, "Print staleness.json to stdout instead of the table");
  cmd->footer(
      HelpFooter("distsim staleness configs/staleness.textproto   (162 cells, 3 to 12 minutes on 2 "
                 "cores)"));
  return cmd;
}

absl::Status StalenessCommand(const RunFlags& flags, uint32_t threads) {
  DS_RETURN_IF_ERROR(
      config::ExpectConfigKind(flags.config_path, "staleness", {config::ConfigKind::kStaleness}));
  DS_ASSIGN_OR_RETURN(StalenessStudyConfig study,
                      config::LoadStalenessStudy(flags.config_path, flags.overrides));
  if (!flags.output_dir.empty()) study.set_output_dir(flags.output_dir);
  if (threads > 0) study.set_threads(threads);
  app::StalenessOptions options;
  options.data_dir = DataDirFor(config::StalenessCellConfig(study, 0, study.workers(0)), flags);
  options.out_dir = (std::filesystem::path(study.output_dir()) / study.name()).string();
  options.progress = flags.quiet ? nullptr : stderr;
  options.stop = InstallStopSignals();
  options.command_line = flags.command_line;
  DS_ASSIGN_OR_RETURN(const StalenessResult result, app::RunStalenessStudy(study, options));
  if (flags.json) {
    std::fputs(report::MessageToJson(result).c_str(), stdout);
    return absl::OkStatus();
  }
  std::printf("%s", app::FormatStaleness(result).c_str());
  std::printf(
      "wrote %s/report.html (open it in a browser), staleness.json, staleness.csv and "
      "cells.csv\n",
      options.out_dir.c_str());
  return absl::OkStatus();
}

}  // namespace distsim::cli

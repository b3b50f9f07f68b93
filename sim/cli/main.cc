// distsim: a simulator and benchmark of distributed training on one machine.
// main() alone turns a Status into an exit code and one line on stderr.
#include <cstdio>
#include <string>
#include <utility>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_join.h"
#include "sim/base/status.h"
#include "sim/cli/export_command.h"
#include "sim/cli/run_command.h"
#include "sim/cli/tf_config_env.h"
#include "sim/cli/local_command.h"
#include "sim/cli/train_command.h"
#include "sim/comm/tls.h"
#include "sim/node/build_info.h"

namespace {

void AddConfigFlags(CLI::App* cmd, distsim::cli::RunFlags* flags) {
  cmd->add_option("config", flags->config_path,
                  "Run config (.textproto or .json; schema: proto/distsim/config.proto)")
      ->required();
  cmd->add_option("--set", flags->overrides,
                  "Override config fields with a text-format fragment, e.g. --set 'train { steps: "
                  "100 }' --set 'seed: 7'. Repeatable; applied in order.");
  cmd->add_option("--data-dir", flags->data_dir,
                  "Folder with the four IDX files (default: data.dir, else $DISTSIM_DATA_DIR, "
                  "else the cache folder of scripts/get-mnist.sh)");
  cmd->add_option("--out", flags->output_dir, "Results folder (default: output_dir, else out/)");
}

// Everything the command line sets, and the subcommand each part belongs to.
struct Options {
  distsim::cli::RunFlags flags;
  std::string listen = "127.0.0.1:0";
  bool allow_remote = false;  // serve on an address other machines can reach
  distsim::comm::TlsFiles tls;  // the --tls-* paths (the CLI reads the files, secrets.h)
  distsim::node::RoleFlags role;
  distsim::cli::PredictFlags predict;
  std::string export_result;  // export-sagemaker --result
  distsim::cli::TrainFlags train;
  distsim::cli::LocalFlags local;
};

struct Subcommands {
  CLI::App* run = nullptr;
  CLI::App* local = nullptr;
  CLI::App* compare = nullptr;
  CLI::App* plan = nullptr;
  CLI::App* coordinator = nullptr;
  CLI::App* worker = nullptr;
  CLI::App* server = nullptr;
  CLI::App* predict = nullptr;
  CLI::App* export_sagemaker = nullptr;
  CLI::App* check = nullptr;
  CLI::App* report = nullptr;
  CLI::App* train = nullptr;
};

CLI::App* AddRun(CLI::App* app, distsim::cli::RunFlags* flags) {
  CLI::App* run = app->add_subcommand(
      "run",
      "Train one config and write out/<name>/result.json and steps.csv. Progress goes to "
      "stderr; a summary (or, with --json, result.json) to stdout.");
  AddConfigFlags(run, flags);
  run->add_flag("-q,--quiet", flags->quiet, "No progress lines");
  run->add_flag("--json", flags->json, "Print result.json to stdout instead of the summary");
  return run;
}

CLI::App* AddCompare(CLI::App* app, distsim::cli::RunFlags* flags) {
  CLI::App* compare = app->add_subcommand(
      "compare",
      "Run several configs side by side (a CompareConfig: runs, sweeps, repeats), print the "
      "table and write out/<name>/compare.json, compare.csv, report.html and each run's folder.");
  compare->add_option("config", flags->config_path, "Compare config (.textproto or .json)")
      ->required();
  compare->add_option("--data-dir", flags->data_dir, "Folder with the four IDX files");
  compare->add_option("--out", flags->output_dir,
                      "Results folder (default: output_dir, else out/)");
  compare->add_flag("-q,--quiet", flags->quiet, "No progress lines");
  return compare;
}

CLI::App* AddReport(CLI::App* app, distsim::cli::RunFlags* flags) {
  CLI::App* report = app->add_subcommand(
      "report",
      "Re-render an earlier comparison: recompute its rows, claims and findings from the runs "
      "in its compare.json and rewrite compare.json, compare.csv and report.html beside it. "
      "Trains nothing. Example: distsim report out/workshop");
  report->add_option("path", flags->config_path, "compare.json, or the folder holding it")
      ->required();
  return report;
}

CLI::App* AddPlan(CLI::App* app, distsim::cli::RunFlags* flags) {
  CLI::App* plan = app->add_subcommand(
      "plan",
      "Print what a run would start without running it: processes and hosts, the shard map "
      "with bytes per server, objects and examples per worker, expected bytes per step.");
  AddConfigFlags(plan, flags);
  return plan;
}

// HOST:PORT with a port of 0 (the kernel picks one) to 65535: anything else is a usage error
// (exit 64), never a port silently taken modulo 65536.
CLI::Validator HostPort() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        const size_t colon = value.rfind(':');
        int port = -1;
        if (colon == std::string::npos || colon == 0 ||
            !absl::SimpleAtoi(value.substr(colon + 1), &port) || port < 0 || port > 65535) {
          return "expected HOST:PORT with a port in [0, 65535] (0: any free port), got " + value;
        }
        return "";
      },
      "HOST:PORT");
}

void AddAllowRemote(CLI::App* cmd, Options* o) {
  cmd->add_flag("--allow-remote", o->allow_remote,
                "Serve on a non-loopback address (--listen / --bind): other machines can then "
                "reach this process; the run token keeps strangers out, and the traffic is "
                "unencrypted unless --tls-cert, --tls-key and --tls-ca are given");
}

// --tls-cert, --tls-key, --tls-ca: all three or none (else a usage error naming the one missing).
void AddTls(CLI::App* cmd, Options* o) {
  CLI::Option* cert = cmd->add_option(
      "--tls-cert", o->tls.cert_path,
      "PEM certificate chain (leaf first) this process serves and identifies itself with over "
      "TLS; it must name the host peers dial (a subjectAltName: IP:10.0.0.5, DNS:node3) and "
      "chain to --tls-ca. Every process of the run must then use TLS");
  CLI::Option* key = cmd->add_option(
      "--tls-key", o->tls.key_path,
      "PEM private key of --tls-cert, unencrypted, in a file readable by its owner alone "
      "(chmod 600)");
  CLI::Option* ca = cmd->add_option(
      "--tls-ca", o->tls.ca_path,
      "PEM root certificates every peer's certificate must chain to: clients check servers with "
      "them, servers check clients (mutual TLS)");
  for (CLI::Option* option : {cert, key, ca}) option->type_name("FILE");
  cert->needs(key)->needs(ca);
  key->needs(cert)->needs(ca);
  ca->needs(cert)->needs(key);
}

// Loopback: 127.0.0.0/8, ::1 and localhost. Anything else is reachable from other machines.
bool IsLoopback(const std::string& host) {
  return host.rfind("127.", 0) == 0 || host == "localhost" || host == "::1" || host == "[::1]";
}

// A non-loopback --listen or --bind without --allow-remote is a usage error (exit 64): serving
// unencrypted on every interface must be asked for.
int CheckRemote(const Subcommands& c, const Options& o) {
  std::string flag, host;
  if (c.coordinator->parsed()) {
    flag = "--listen " + o.listen;
    host = o.listen.substr(0, o.listen.rfind(':'));
  } else if (c.worker->parsed() || c.server->parsed()) {
    flag = "--bind " + o.role.bind_host;
    host = o.role.bind_host;
  } else {
    return 0;
  }
  if (IsLoopback(host) || o.allow_remote) return 0;
  std::fprintf(stderr,
               "%s: serves on an address other machines can reach; add --allow-remote if that "
               "is meant\n",
               flag.c_str());
  return distsim::kExitUsage;
}

// "distsim worker 2": who says a line on stderr.
std::string Who(const Subcommands& c, const Options& o) {
  if (c.worker->parsed()) return "distsim worker " + std::to_string(o.role.rank);
  if (c.server->parsed()) return "distsim server " + std::to_string(o.role.rank);
  if (c.coordinator->parsed()) return "distsim coordinator";
  return "distsim";
}

// Traffic that may cross the network (--allow-remote, or a role dialling a coordinator on another
// host) without TLS: one line on stderr (stdout carries results) says it is unencrypted.
void WarnIfUnencrypted(const Subcommands& c, const Options& o) {
  if (!o.tls.cert_path.empty()) return;
  const bool role = c.worker->parsed() || c.server->parsed();
  if (!role && !c.coordinator->parsed()) return;
  const std::string& coordinator = o.role.coordinator;
  const bool remote_coordinator =
      role && !IsLoopback(coordinator.substr(0, coordinator.rfind(':')));
  if (!o.allow_remote && !remote_coordinator) return;
  std::fprintf(stderr,
               "%s: warning: the run's traffic is unencrypted (the run token alone keeps "
               "strangers out); --tls-cert, --tls-key and --tls-ca encrypt it\n",
               Who(c, o).c_str());
}

CLI::App* AddCoordinator(CLI::App* app, Options* o) {
  CLI::App* coordinator = app->add_subcommand(
      "coordinator",
      "Run only the coordinator of a distributed config, for servers and workers started by "
      "hand (on this or other hosts). Prints the command line each role needs; the run token goes to "
      "a file only its owner can read (out/<name>/token), named by $DISTSIM_TOKEN_FILE.");
  AddConfigFlags(coordinator, &o->flags);
  coordinator->add_option("--listen", o->listen, "HOST:PORT to serve on (port 0: any free port)")
      ->check(HostPort());
  AddAllowRemote(coordinator, o);
  AddTls(coordinator, o);
  return coordinator;
}

// `distsim worker` and `distsim server` take the same options.
CLI::App* AddRole(CLI::App* app, const char* name, const char* help, Options* o) {
  distsim::node::RoleFlags* role = &o->role;
  CLI::App* cmd = app->add_subcommand(name, help);
  AddAllowRemote(cmd, o);
  cmd->add_option("--config", role->config_path, "The run's config (the coordinator prints it)")
      ->required();
  cmd->add_option("--rank", role->rank,
                  "This process's rank (required, with --coordinator, unless $TF_CONFIG, a "
                  "TensorFlow cluster spec, places the process: sim/config/tf_config.h)");
  cmd->add_option("--coordinator", role->coordinator, "HOST:PORT of the coordinator");
  cmd->add_option("--data-dir", role->data_dir, "Folder with the four IDX files");
  cmd->add_option("--channel", role->channel_dir,
                  "This host's data channels (train/, test/), read instead of --data-dir");
  cmd->add_option("--bind", role->bind_host, "Address this process serves on (default loopback)");
  cmd->add_option("--port", role->bind_port, "Port to serve on (default 0: any free port)")
      ->check(CLI::Range(0, 65535));
  AddTls(cmd, o);
  cmd->add_option("--parent-pid", role->parent_pid, "Exit when this process is not our parent")
      ->group("");  // set by the launcher, hidden from --help
  cmd->add_option("--run-start", role->run_start_unix, "Run clock start, Unix seconds")->group("");
  cmd->add_option("--nic", role->nic_path, "Shared NIC table of a shaped network")->group("");
  cmd->add_option("--report", role->report_path, "Write the last word here (JSON)")->group("");
  cmd->add_option("--model-dir", role->model_dir, "Worker 0: write the model here")->group("");
  return cmd;
}

CLI::App* AddPredict(CLI::App* app, Options* o) {
  CLI::App* predict = app->add_subcommand(
      "predict",
      "Calibrate the alpha-beta cost model on a short run, then predict step time, samples/s, "
      "scaling efficiency and cost per epoch of 1 to 256 workers (ring, parameter server SYNC "
      "and ASYNC) on the configured instance and network; with a PredictConfig, also run its "
      "held-out checks and show predicted against measured. Writes out/<name>/predict.html, "
      "predict.json, predict.csv, predict.txt.");
  AddConfigFlags(predict, &o->flags);
  predict->add_option("--workers", o->predict.workers,
                      "Worker counts to predict, comma-separated (default 1,2,4,...,256)");
  predict->add_option("--servers", o->predict.servers,
                      "Parameter-server shards for the PS rows (default 1)");
  predict->add_flag("--no-checks", o->predict.no_checks,
                    "Predict the held-out checks but do not run them");
  predict->add_flag("-q,--quiet", o->flags.quiet, "No progress lines");
  return predict;
}

CLI::App* AddExportSagemaker(CLI::App* app, Options* o) {
  CLI::App* cmd = app->add_subcommand(
      "export-sagemaker",
      "Write the SageMaker training job that runs the same experiment: a CreateTrainingJob "
      "request (create-training-job.json), the same job as a SageMaker Python SDK script "
      "(train_sagemaker.py) and export.txt (also printed): the modelled job time and cost, what "
      "SageMaker cannot express and how it was mapped, and the placeholders to fill in. "
      "MaxRuntimeInSeconds comes from --result's modelled job, else from a prediction without "
      "training. Example, for a run of the workshop's comparison (scripts/demo.sh): distsim "
      "export-sagemaker out/workshop/m2_sharded_r1/run_config.textproto --result "
      "out/workshop/m2_sharded_r1/result.json");
  cmd->add_option("config", o->flags.config_path, "Run config (.textproto or .json)")->required();
  cmd->add_option("--result", o->export_result,
                  "result.json of a run of this config: its modelled job sets the stopping "
                  "condition (default: predicted from the config and the data, no training)");
  cmd->add_option("--out", o->flags.output_dir,
                  "Folder for the three files (default: out/<name>/sagemaker)");
  cmd->add_option("--set", o->flags.overrides,
                  "Override config fields with a text-format fragment, as for run. Repeatable.");
  cmd->add_option("--data-dir", o->flags.data_dir,
                  "Folder with the four IDX files, for the prediction (as for run)");
  return cmd;
}

CLI::App* AddCheck(CLI::App* app, distsim::cli::RunFlags* flags) {
  CLI::App* check = app->add_subcommand(
      "check", "Validate a config and print it with every default filled in; trains nothing.");
  AddConfigFlags(check, flags);
  return check;
}

// Every subcommand, in the order --help lists them.
Subcommands AddSubcommands(CLI::App* app, Options* o) {
  Subcommands c;
  c.run = AddRun(app, &o->flags);
  c.compare = AddCompare(app, &o->flags);
  c.plan = AddPlan(app, &o->flags);
  c.coordinator = AddCoordinator(app, o);
  c.worker = AddRole(app, "worker",
                     "One worker of a distributed run (started by distsim run, "
                     "or by hand next to `distsim coordinator`)",
                     o);
  c.server = AddRole(app, "server", "One parameter-server shard of a distributed run", o);
  c.predict = AddPredict(app, o);
  c.export_sagemaker = AddExportSagemaker(app, o);
  c.check = AddCheck(app, &o->flags);
  c.report = AddReport(app, &o->flags);
  c.train = distsim::cli::AddTrain(app, &o->train);
  c.local = distsim::cli::AddLocal(app, &o->flags, &o->local);
  return c;
}

// Runs the parsed subcommand; the exit code, with one line on stderr for an error.
int Dispatch(const Subcommands& c, const Options& o) {
  absl::Status status;
  if (c.train->parsed()) {
    return distsim::cli::TrainCommand(o.train);
  } else if (c.local->parsed()) {
    return distsim::cli::LocalCommand(o.flags, o.local);
  } else if (c.run->parsed()) {
    status = distsim::cli::RunCommand(o.flags);
  } else if (c.check->parsed()) {
    status = distsim::cli::CheckCommand(o.flags);
  } else if (c.compare->parsed()) {
    status = distsim::cli::CompareCommand(o.flags);
  } else if (c.report->parsed()) {
    status = distsim::cli::ReportCommand(o.flags.config_path);
  } else if (c.predict->parsed()) {
    status = distsim::cli::PredictCommand(o.flags, o.predict);
  } else if (c.export_sagemaker->parsed()) {
    status = distsim::cli::ExportSagemakerCommand(o.flags, o.export_result);
  } else if (c.plan->parsed()) {
    status = distsim::cli::PlanCommand(o.flags);
  } else if (c.coordinator->parsed()) {
    status = distsim::cli::CoordinatorCommand(o.flags, o.listen, o.tls);
  } else if (c.worker->parsed() || c.server->parsed()) {
    distsim::node::RoleFlags role = o.role;
    role.tls = o.tls;
    status = distsim::cli::RoleCommand(c.server->parsed(), std::move(role));
    if (absl::IsAborted(status)) {
      return distsim::ExitCodeFor(status);  // the launcher reports why; stay quiet
    }
  }
  if (!status.ok()) {
    // The coordinator's errors keep the plain "distsim: " of every other subcommand.
    const std::string who = c.coordinator->parsed() ? "distsim" : Who(c, o);
    std::fprintf(stderr, "%s: %s\n", who.c_str(), std::string(status.message()).c_str());
    return distsim::ExitCodeFor(status);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's abseil checks every Mutex acquisition against a lock graph (deadlock detection):
  // with hundreds of processes on two cores that bookkeeping was about a twentieth of a PS
  // run's CPU.
  // The thread-safety annotations and the TSan build are what check the locking.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  CLI::App app{
      "distsim: compare distributed-training strategies on one machine.\n"
      "Real processes, real Eigen kernels, MNIST; results in out/<run-name>/."};
  app.require_subcommand(1);
  app.set_version_flag(
      "--version", std::string("distsim ") + DISTSIM_VERSION + " (" + DISTSIM_GIT_REVISION + ")");
  Options options;
  options.flags.command_line = absl::StrJoin(argv, argv + argc, " ");
  options.train.command_line = options.flags.command_line;
  const Subcommands commands = AddSubcommands(&app, &options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : distsim::kExitUsage;
  }
  if (commands.worker->parsed() || commands.server->parsed()) {
    CLI::App* role = commands.server->parsed() ? commands.server : commands.worker;
    const distsim::cli::GivenFlags given{role->count("--rank") > 0,
                                         role->count("--coordinator") > 0,
                                         role->count("--bind") > 0, role->count("--port") > 0};
    if (int code = distsim::cli::PlaceRole(commands.server->parsed(), given, &options.role)) {
      return code;
    }
  }
  if (int code = CheckRemote(commands, options); code != 0) return code;
  WarnIfUnencrypted(commands, options);
  return Dispatch(commands, options);
}

#include "sim/cli/subcommands.h"

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "sim/cli/help.h"
#include "sim/cli/local_command.h"
#include "sim/cli/staleness_command.h"
#include "sim/cli/train_command.h"

namespace distsim::cli {
namespace {

// `writes`: the subcommand writes results, so --out names their folder.
void AddConfigFlags(CLI::App* cmd, distsim::cli::RunFlags* flags, bool writes = true) {
  cmd->add_option("config", flags->config_path,
                  "Run config (.textproto or .json; schema: proto/distsim/config.proto)")
      ->required();
  cmd->add_option("--set", flags->overrides,
                  "Override config fields with a text-format fragment, e.g. --set 'train { steps: "
                  "100 }' --set 'seed: 7'. Repeatable; applied in order.");
  cmd->add_option("--data-dir", flags->data_dir,
                  "Data folder: the four IDX files, or where data.csv's relative paths start "
                  "(default: data.dir, else the config's folder for CSV, else $DISTSIM_DATA_DIR, "
                  "else the cache folder of scripts/get-mnist.sh)");
  if (!writes) return;
  cmd->add_option("--out", flags->output_dir, "Results folder (default: output_dir, else out/)");
}

// --workers N: the run's worker count, as --set 'workers: N' would say it.
void AddWorkers(CLI::App* cmd, RunFlags* flags) {
  cmd->add_option("--workers", flags->workers, "Workers (overrides the config's `workers`)")
      ->check(CLI::Range(1, 100000));
}

CLI::App* AddRun(CLI::App* app, distsim::cli::RunFlags* flags) {
  CLI::App* run = app->add_subcommand(
      "run",
      "Train one config and write out/<name>/result.json and steps.csv. Progress goes to "
      "stderr; a summary (or, with --json, result.json) to stdout.");
  AddConfigFlags(run, flags);
  AddWorkers(run, flags);
  run->add_flag("-q,--quiet", flags->quiet, "No progress lines");
  run->add_flag("--json", flags->json, "Print result.json to stdout instead of the summary");
  run->add_flag("--resume", flags->resume,
                "Continue from the newest good checkpoint in out/<name>/checkpoints "
                "(supervision.checkpoint_every_steps)");
  run->footer(HelpFooter(
      "distsim run configs/mnist_mlp.textproto --set 'train { epochs: 1 }'   (about 10 s)\n"
      "  distsim run configs/ps_sync_4w.textproto --resume   (after a crash or SIGTERM)"));
  return run;
}

CLI::App* AddCompare(CLI::App* app, distsim::cli::RunFlags* flags) {
  CLI::App* compare = app->add_subcommand(
      "compare",
      "Run several configs side by side (a CompareConfig: runs, sweeps, repeats), print the "
      "table and write out/<name>/compare.json, compare.csv, report.html and each run's folder.");
  compare->add_option("config", flags->config_path, "Compare config (.textproto or .json)")
      ->required();
  compare->add_option("--set", flags->overrides,
                      "A text-format fragment applied to EVERY run of the comparison after its "
                      "own settings, e.g. --set 'train { steps: 50 }' for a quick look. "
                      "Repeatable; applied in order.");
  AddWorkers(compare, flags);
  compare->add_option("--data-dir", flags->data_dir, "Folder with the four IDX files");
  compare->add_option("--out", flags->output_dir,
                      "Results folder (default: output_dir, else out/)");
  compare->add_flag("-q,--quiet", flags->quiet, "No progress lines");
  compare->add_flag("--json", flags->json, "Print compare.json to stdout instead of the table");
  compare->footer(HelpFooter(
      "distsim compare configs/workshop_quick.textproto   (the workshop's two modules, minutes)"));
  return compare;
}

CLI::App* AddReport(CLI::App* app, distsim::cli::RunFlags* flags) {
  CLI::App* report = app->add_subcommand(
      "report",
      "Re-render an earlier comparison: recompute its rows, claims and findings from the runs "
      "in its compare.json and rewrite compare.json, compare.csv and report.html beside it. "
      "Trains nothing.");
  report->footer(HelpFooter("distsim report out/workshop"));
  report->add_option("path", flags->config_path, "compare.json, or the folder holding it")
      ->required();
  report->add_flag("--json", flags->json, "Print the new compare.json instead of the table");
  return report;
}

CLI::App* AddPlan(CLI::App* app, distsim::cli::RunFlags* flags) {
  CLI::App* plan = app->add_subcommand(
      "plan",
      "Print what a run would start without running it: processes and hosts, the shard map "
      "with bytes per server, objects and examples per worker, expected bytes per step.");
  AddConfigFlags(plan, flags, /*writes=*/false);
  AddWorkers(plan, flags);
  plan->add_flag("--json", flags->json,
                 "Print the plan as one line of JSON (processes, shards, data per worker, bytes "
                 "per step) instead of the text");
  plan->footer(HelpFooter("distsim plan configs/ps_sharded_5w.textproto --workers 10"));
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

CLI::App* AddCoordinator(CLI::App* app, Options* o) {
  CLI::App* coordinator = app->add_subcommand(
      "coordinator",
      "Run only the coordinator of a distributed config, for servers and workers started by "
      "hand (on this or other hosts). Prints the command line each role needs; the run token goes "
      "to "
      "a file only its owner can read (out/<name>/token), named by $DISTSIM_TOKEN_FILE.");
  AddConfigFlags(coordinator, &o->flags);
  coordinator->add_option("--listen", o->listen, "HOST:PORT to serve on (port 0: any free port)")
      ->check(HostPort());
  AddWorkers(coordinator, &o->flags);
  coordinator->add_flag("--json", o->flags.json,
                        "On stdout, one line of JSON when the coordinator listens (its address, "
                        "the token file, each role's command line and channel), then result.json "
                        "at the end instead of the summary");
  AddAllowRemote(coordinator, o);
  AddTls(coordinator, o);
  coordinator->footer(HelpFooter(
      "distsim coordinator configs/ps_sync_4w.textproto --listen 127.0.0.1:5000   (then start "
      "the roles it prints)"));
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
  cmd->add_option("--checkpoint-dir", role->checkpoint_dir,
                  "Write supervision.checkpoint_every_steps checkpoints here")
      ->group("");
  cmd->add_option("--resume-step", role->resume_step, "Start from the checkpoint of this step")
      ->group("");
  cmd->add_option("--attempt", role->attempt, "Restarts of the run so far")->group("");
  cmd->add_flag("--rejoin", role->rejoin, "A worker started again alone: ask the shards")
      ->group("");
  cmd->footer(HelpFooter(absl::StrCat(
      "DISTSIM_TOKEN_FILE=out/ps_sync_4w/token distsim ", name,
      " --config out/ps_sync_4w/run_config.textproto --rank 0 --coordinator 127.0.0.1:5000   "
      "(the line `distsim coordinator` prints)")));
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
  predict
      ->add_option("--repeat", o->predict.repeat,
                   "Runs of each held-out check (default 3): predict.json keeps each run and "
                   "the median error; a check whose runs spread too far is marked too_busy")
      ->check(CLI::Range(1, 100));
  predict->add_flag("-q,--quiet", o->flags.quiet, "No progress lines");
  predict->add_flag("--json", o->flags.json, "Print predict.json to stdout instead of the table");
  predict->footer(HelpFooter(
      "distsim predict configs/predict_ps.textproto --repeat 3   (a few minutes; --repeat 1 "
      "for a quick look)"));
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
      "training.");
  cmd->footer(HelpFooter(
      "distsim export-sagemaker out/workshop/m2_sharded_r1/run_config.textproto --result "
      "out/workshop/m2_sharded_r1/result.json   (a run of scripts/demo.sh)"));
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
  AddWorkers(cmd, &o->flags);
  cmd->add_flag("--json", o->flags.json,
                "Print one line of JSON (the files written, instances, cost, MaxRuntimeInSeconds, "
                "the modelled job, hyperparameters, notes) instead of export.txt");
  return cmd;
}

CLI::App* AddCheck(CLI::App* app, distsim::cli::RunFlags* flags) {
  CLI::App* check = app->add_subcommand(
      "check",
      "Validate a config of any kind (a RunConfig, a CompareConfig with every run it expands to, "
      "a PredictConfig, a StalenessStudyConfig) and print it with every default filled in; "
      "for a RunConfig, also whether its data is there. Trains nothing.");
  check->add_option("config", flags->config_path, "Config (.textproto or .json)")->required();
  check->add_option("--set", flags->overrides,
                    "Text-format fragments merged in, as `run` or `compare` would. Repeatable.");
  AddWorkers(check, flags);
  check->add_option("--data-dir", flags->data_dir,
                    "The folder `run` would read the data from (check says whether it holds the "
                    "four IDX files, or reads data.csv's two files from it whole)");
  check->add_flag("--json", flags->json, "Print the config with its defaults as JSON");
  check->footer(HelpFooter("distsim check configs/workshop.textproto"));
  return check;
}

}  // namespace

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
  c.staleness = distsim::cli::AddStaleness(app, &o->flags, &o->staleness_threads);
  return c;
}

std::string HelpFooter(const std::string& example) {
  return absl::StrCat(
      "\nExample:\n  ", example,
      "\n\nExit codes: 0 done; 64 bad command line; 65 bad data (a file or a gradient); 66 a "
      "missing file; 69 a process or host lost; 70 a bug in distsim; 73 the results folder is "
      "another run's; 74 an I/O error; 77 no or a wrong run token; 78 a bad config; 130 Ctrl-C; "
      "143 SIGTERM.\n");
}

}  // namespace distsim::cli

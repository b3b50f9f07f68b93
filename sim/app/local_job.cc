#include "sim/app/local_job.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "google/protobuf/struct.pb.h"
#include "sim/app/local_trees.h"
#include "sim/app/sagemaker_export.h"
#include "sim/base/status.h"
#include "sim/data/channel.h"
#include "sim/data/object_store.h"
#include "sim/node/channels.h"
#include "sim/node/launcher.h"
#include "sim/node/netns.h"
#include "sim/node/role_common.h"
#include "sim/node/run_lock.h"
#include "sim/node/run_plan.h"
#include "sim/report/json_value.h"
#include "sim/report/result_io.h"

namespace distsim::app {
namespace {

namespace fs = std::filesystem;

// SageMaker gives a container 120 s between SIGTERM and SIGKILL; so does distsim local.
constexpr absl::Duration kStopGrace = absl::Seconds(120);

// Where the hosts run and how they find each other.
struct Placement {
  std::unique_ptr<node::HostNetwork> network;  // namespaces, or null on loopback
  std::vector<std::string> addresses;          // by name order
  std::string interface;                       // network_interface_name
  std::string hosts_file;                      // loopback: the --hosts-file every host reads
  std::string description;
};

absl::StatusOr<Placement> Place(const LocalOptions& options, int hosts,
                                const node::KernelShaping& shaping, const std::string& dir) {
  Placement p;
  const std::string why_not = node::NetnsUnavailableReason();
  if (why_not.empty() && options.network != LocalNetwork::kLoopback) {
    DS_ASSIGN_OR_RETURN(node::HostNetwork network, node::CreateHostNetwork(hosts, shaping));
    p.network = std::make_unique<node::HostNetwork>(std::move(network));
    for (const node::NetnsHost& h : p.network->hosts()) p.addresses.push_back(h.address);
    p.interface = "eth0";
    p.description = absl::StrCat("namespaces dsl-", p.network->tag(), "-1..", hosts);
    return p;
  }
  if (options.network == LocalNetwork::kNamespaces || shaping.enabled) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot put the hosts in network namespaces: ",
                     why_not.empty() ? "loopback asked" : why_not,
                     shaping.enabled ? " (kernel shaping shapes the namespaces' links)" : ""));
  }
  const int a = 1 + getpid() % 250, b = 1 + (getpid() / 250) % 250;
  std::string table = "# distsim local: the hosts on loopback aliases\n";
  for (int h = 1; h <= hosts; ++h) {
    p.addresses.push_back(absl::StrCat("127.", a, ".", b, ".", h));
    absl::StrAppend(&table, p.addresses.back(), " algo-", h, "\n");
  }
  p.hosts_file = dir + "/hosts";
  DS_RETURN_IF_ERROR(report::WriteFileAtomic(p.hosts_file, table));
  p.interface = "lo";
  p.description = absl::StrCat("loopback aliases 127.", a, ".", b, ".1..", hosts, " (",
                               why_not.empty() ? "asked" : why_not, ")");
  return p;
}

std::string ReadLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// The token file: 256 bits, 0600, written before anything can read it.
absl::StatusOr<std::string> WriteToken(const std::string& dir) {
  const std::string path = dir + "/token";
  const mode_t old = umask(077);
  absl::Status written = report::WriteFileAtomic(path, node::RandomHex(256) + "\n");
  umask(old);
  DS_RETURN_IF_ERROR(written);
  return path;
}

node::KernelShaping ShapingOf(const RunConfig& job, bool kernel) {
  node::KernelShaping s;
  s.enabled = kernel;
  const NetworkConfig& n = job.cluster().network();
  s.bandwidth_bps = n.bandwidth_gbps() * 1e9;
  s.latency_us = n.latency_us();
  s.jitter_us = n.jitter_us();
  s.loss = n.loss();
  return s;
}

// The chief's files and model, copied into the run's folder as local mode collects them.
void CollectChief(const std::string& root, const std::string& run_dir, LocalOutcome* outcome) {
  std::error_code ec;
  for (const char* file : {"result.json", "steps.csv", "trace.json"}) {
    const fs::path from = fs::path(root) / "output/data" / file;
    if (fs::exists(from, ec)) {
      fs::copy_file(from, fs::path(run_dir) / file, fs::copy_options::overwrite_existing, ec);
    }
  }
  fs::remove_all(fs::path(run_dir) / "model", ec);
  fs::copy(fs::path(root) / "model", fs::path(run_dir) / "model", fs::copy_options::recursive, ec);
  absl::StatusOr<RunResult> result = report::ReadResultJson(run_dir + "/result.json");
  if (result.ok()) outcome->result = *std::move(result);
}

}  // namespace

namespace {

// The train channel of the host of rank `rank`: the keys of the worker `distsim run` places on
// simulated host `rank` (none for a host without a worker).
std::vector<int64_t> KeysOfRank(const node::RunPlan& plan, int rank) {
  for (int w = 0; w < plan.shape.workers; ++w) {
    if (static_cast<int>(plan.shape.worker_host[w]) == rank) return node::HostKeys(plan, w);
  }
  return {};
}

// Starts every host (each at its delay) and waits for all of them; on *stop or past the
// timeout, sends every host SIGTERM and gives them SageMaker's grace before SIGKILL.
void RunHosts(const LocalOptions& options, const Placement& p, const std::string& token_path,
              LocalOutcome* outcome) {
  const int n = static_cast<int>(outcome->hosts.size());
  const std::string exe = options.executable.empty() ? node::SelfExecutable() : options.executable;
  const std::vector<std::string> env = {absl::StrCat(node::kTokenEnv, "="),
                                        absl::StrCat(node::kTokenFileEnv, "=", token_path)};
  node::ChildProcesses children;
  std::map<pid_t, int> host_of;
  std::vector<bool> started(n, false), ended(n, false);
  const absl::Time start = absl::Now();
  std::optional<absl::Time> kill_at;
  auto end = [&](int h, int code) {
    outcome->hosts[h].exit_code = code;
    ended[h] = true;
  };
  while (std::count(ended.begin(), ended.end(), true) < n) {
    const absl::Time now = absl::Now();
    for (int h = 0; h < n && !kill_at; ++h) {
      const double delay =
          h < static_cast<int>(options.start_delay_s.size()) ? options.start_delay_s[h] : 0;
      if (started[h] || now < start + absl::Seconds(delay)) continue;
      LocalHostOutcome& host = outcome->hosts[h];
      std::vector<std::string> argv = {exe, "train", "--root", host.root};
      if (!p.hosts_file.empty()) argv.insert(argv.end(), {"--hosts-file", p.hosts_file});
      if (p.network) argv = p.network->Exec(h, argv);
      absl::StatusOr<pid_t> pid = children.Spawn(argv, env, host.root + ".log");
      started[h] = true;
      if (!pid.ok()) {
        host.failure = std::string(pid.status().message());
        end(h, -1);
        continue;
      }
      host_of[*pid] = h;
      if (options.progress)
        std::fprintf(options.progress, "distsim local: %s started\n", host.name.c_str());
    }
    for (const node::ChildExit& e : children.Reap()) end(host_of[e.pid], e.exit_code);
    const bool stop = options.stop != nullptr && options.stop->load();
    if (!kill_at && (stop || now > start + options.timeout)) {
      outcome->stopped =
          stop ? "stopped by a signal"
               : absl::StrCat("past --timeout ", absl::FormatDuration(options.timeout));
      children.SignalAll(SIGTERM);
      kill_at = now + kStopGrace;
      for (int h = 0; h < n; ++h) {
        if (!started[h]) end(h, -1);
      }
    }
    if (kill_at && now > *kill_at) {
      for (const node::ChildExit& e : children.WaitAll(absl::ZeroDuration()))
        end(host_of[e.pid], -1);
      break;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
}

std::string OutcomeLine(const LocalHostOutcome& h) {
  return absl::StrCat(h.name, " (rank ", h.rank, ", ", h.address, h.netns.empty() ? "" : ", ",
                      h.netns, "): ", h.exit_code == 0 ? "trained to the end" : h.failure);
}

}  // namespace

namespace {

// The kernel shaping of `job` (see LocalOptions::kernel_shaping); clears distsim's own shaper,
// which distsim train refuses across real hosts.
node::KernelShaping ShapingFor(const LocalOptions& options, RunConfig* job) {
  const bool namespaces =
      options.network != LocalNetwork::kLoopback && node::NetnsUnavailableReason().empty();
  const bool shaped = job->cluster().network().shape();
  const node::KernelShaping shaping =
      ShapingOf(*job, options.kernel_shaping || (shaped && namespaces));
  if (shaped && !shaping.enabled && options.progress) {
    std::fprintf(options.progress,
                 "distsim local: cluster.network.shape: the hosts run unshaped (on loopback only "
                 "distsim's own shaper could shape them, and distsim train uses none)\n");
  }
  job->mutable_cluster()->mutable_network()->set_shape(false);
  return shaping;
}

// Every host's tree under `dir`, and its entry in outcome->hosts (by name order).
absl::Status WriteTrees(const RunConfig& job, const node::RunInputs& in,
                        const data::ObjectStore& store, const Placement& placement,
                        const LocalOptions& options, const std::string& dir,
                        LocalOutcome* outcome) {
  const int n = in.plan.shape.hosts;
  const std::vector<std::string> sorted = SortedHostNames(n);
  std::vector<std::string> notes;
  HostTreeSpec spec;
  spec.hosts = sorted;
  spec.interface = placement.interface;
  spec.instance_type = job.cluster().instance_type();
  spec.sharded = job.data().distribution() == DataConfig::SHARDED_BY_KEY;
  spec.hyperparameters =
      options.hyperparameters.empty() ? JobHyperparameters(job, &notes) : options.hyperparameters;
  spec.test_images = in.test.images_path();
  spec.test_labels = in.test.labels_path();
  for (int h = 0; h < n; ++h) {
    LocalHostOutcome host;
    host.name = data::HostName(h);
    host.rank =
        static_cast<int>(std::find(sorted.begin(), sorted.end(), host.name) - sorted.begin());
    host.address = placement.addresses[h];
    if (placement.network) host.netns = placement.network->hosts()[h].netns;
    host.root = absl::StrCat(dir, "/", host.name);
    spec.root = host.root;
    spec.current_host = host.name;
    spec.keys = KeysOfRank(in.plan, host.rank);
    for (int64_t k : spec.keys) host.channel_examples += store.ids[k].size();
    DS_RETURN_IF_ERROR(WriteHostTree(spec, store));
    outcome->hosts.push_back(std::move(host));
  }
  return absl::OkStatus();
}

// After the hosts ended: their failures, the chief's files, the network removed.
void Finish(const LocalOptions& options, Placement* placement, LocalOutcome* outcome) {
  outcome->succeeded = outcome->stopped.empty();
  for (LocalHostOutcome& host : outcome->hosts) {
    if (host.exit_code != 0 && host.failure.empty()) {
      host.failure = ReadLine(host.root + "/output/failure");
      if (host.failure.empty()) host.failure = absl::StrCat("exited with code ", host.exit_code);
    }
    outcome->succeeded = outcome->succeeded && host.exit_code == 0;
    if (host.rank == 0) CollectChief(host.root, options.run_dir, outcome);
    if (options.progress) {
      std::fprintf(options.progress, "distsim local: %s\n", OutcomeLine(host).c_str());
    }
  }
  if (placement->network) {
    const absl::Status removed = placement->network->Remove();
    if (!removed.ok() && options.progress) {
      std::fprintf(options.progress, "distsim local: warning: %s\n",
                   std::string(removed.message()).c_str());
    }
  }
}

}  // namespace

absl::StatusOr<LocalOutcome> RunLocalJob(const RunConfig& config, const LocalOptions& options) {
  std::vector<std::string> notes;
  DS_ASSIGN_OR_RETURN(RunConfig job, SageMakerLayoutConfig(config, &notes));
  const node::KernelShaping shaping = ShapingFor(options, &job);
  DS_ASSIGN_OR_RETURN(node::RunFolderLock lock, node::RunFolderLock::Acquire(options.run_dir));
  DS_ASSIGN_OR_RETURN(node::RunInputs in, node::OpenRun(job, options.data_dir));
  const std::string objects = options.objects_root.empty()
                                  ? node::DefaultObjectsRoot(options.run_dir)
                                  : options.objects_root;
  DS_ASSIGN_OR_RETURN(data::ObjectStore store, data::MakeObjectStore(in.train, in.plan.distribution,
                                                                     in.plan.data_seed, objects));
  const std::string dir = options.run_dir + "/local";
  std::error_code ec;
  fs::remove_all(dir, ec);
  DS_RETURN_IF_ERROR(report::EnsureDir(dir));
  DS_ASSIGN_OR_RETURN(Placement placement, Place(options, in.plan.shape.hosts, shaping, dir));
  DS_ASSIGN_OR_RETURN(const std::string token_path, WriteToken(dir));
  LocalOutcome outcome;
  outcome.network = placement.description;
  if (placement.network) outcome.tag = placement.network->tag();
  outcome.shaping = placement.network && shaping.enabled
                        ? absl::StrCat("kernel (", placement.network->shaping(), ")")
                        : "none";
  DS_RETURN_IF_ERROR(WriteTrees(job, in, store, placement, options, dir, &outcome));
  if (options.progress) {
    std::fprintf(options.progress, "distsim local: %d hosts on %s; shaping: %s; trees in %s\n",
                 in.plan.shape.hosts, placement.description.c_str(), outcome.shaping.c_str(),
                 dir.c_str());
  }
  const absl::Time start = absl::Now();
  RunHosts(options, placement, token_path, &outcome);
  outcome.wall_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  Finish(options, &placement, &outcome);
  DS_RETURN_IF_ERROR(
      report::WriteFileAtomic(options.run_dir + "/local.json", LocalOutcomeJson(outcome)));
  if (options.stop != nullptr && options.stop->load()) {
    return absl::CancelledError("stopped by a signal; every host was sent SIGTERM");
  }
  return outcome;
}

std::string LocalOutcomeJson(const LocalOutcome& o) {
  namespace pb = google::protobuf;
  const auto text = report::JsonText;
  const auto number = report::JsonNumber;
  pb::Struct out;
  auto& f = *out.mutable_fields();
  f["network"] = text(o.network);
  f["tag"] = text(o.tag);
  f["shaping"] = text(o.shaping);
  f["succeeded"].set_bool_value(o.succeeded);
  f["stopped"] = text(o.stopped);
  f["wall_seconds"] = number(o.wall_seconds);
  f["final_test_accuracy"] = number(o.result.final_test_accuracy());
  f["parameter_hash"] = text(o.result.parameter_hash());
  pb::ListValue* hosts = f["hosts"].mutable_list_value();
  for (const LocalHostOutcome& h : o.hosts) {
    auto& host = *hosts->add_values()->mutable_struct_value()->mutable_fields();
    host["name"] = text(h.name);
    host["rank"] = number(h.rank);
    host["address"] = text(h.address);
    host["netns"] = text(h.netns);
    host["exit_code"] = number(h.exit_code);
    host["failure"] = text(h.failure);
    host["channel_examples"] = number(static_cast<double>(h.channel_examples));
  }
  return report::MessageToJson(out);
}

}  // namespace distsim::app

#include "sim/node/netns.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "sim/base/status.h"

namespace distsim::node {
namespace {

namespace fs = std::filesystem;

constexpr char kStateDir[] = "/run/distsim/local";
constexpr char kNetnsDir[] = "/run/netns";  // where `ip netns add` keeps its namespaces
constexpr char kEtcNetns[] = "/etc/netns";  // per-namespace /etc overrides
constexpr char kNetDir[] = "/sys/class/net";
constexpr char kPrefix[] = "dsl";
constexpr absl::Duration kToolTimeout = absl::Seconds(20);

std::string FindTool(const std::string& name) {
  std::vector<std::string> dirs =
      absl::StrSplit(std::getenv("PATH") ? std::getenv("PATH") : "", ':', absl::SkipEmpty());
  for (const char* d : {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) dirs.emplace_back(d);
  for (const std::string& dir : dirs) {
    const std::string path = absl::StrCat(dir, "/", name);
    if (access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

// Runs `argv` (argv[0] a tool name) without a shell, its stdout and stderr captured, bounded by
// kToolTimeout. Unknown naming the command and what it printed when it fails.
absl::StatusOr<std::string> RunTool(std::vector<std::string> argv) {
  const std::string command = absl::StrJoin(argv, " ");
  argv[0] = FindTool(argv[0]);
  if (argv[0].empty()) return absl::FailedPreconditionError(absl::StrCat("no `", command, "`"));
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return IoError("cannot make a pipe for", command, errno);
  const pid_t pid = fork();
  if (pid < 0) return IoError("cannot fork for", command, errno);
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    dup2(out[1], STDERR_FILENO);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  std::string text;
  const absl::Time give_up = absl::Now() + kToolTimeout;
  char buffer[4096];
  for (;;) {
    pollfd p{out[0], POLLIN, 0};
    const int left = static_cast<int>(absl::ToInt64Milliseconds(give_up - absl::Now()));
    if (left <= 0 || poll(&p, 1, left) == 0) {
      kill(pid, SIGKILL);
      break;
    }
    const ssize_t n = read(out[0], buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return text;
  return absl::UnknownError(absl::StrCat(
      "`", command, "` failed (",
      WIFEXITED(status) ? absl::StrCat("exit ", WEXITSTATUS(status)) : std::string("killed"),
      "): ", absl::StripAsciiWhitespace(text)));
}

std::string NamespaceName(const std::string& tag, int i) {
  return absl::StrCat(kPrefix, "-", tag, "-", i);
}
std::string BridgeName(const std::string& tag) { return absl::StrCat(kPrefix, tag, "br"); }
std::string VethName(const std::string& tag, int i) { return absl::StrCat(kPrefix, tag, "h", i); }
std::string PeerName(const std::string& tag, int i) { return absl::StrCat(kPrefix, tag, "p", i); }
std::string StatePath(const std::string& tag) { return absl::StrCat(kStateDir, "/", tag); }

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

// The tag in a dsl name: "dsl-abcd-3" and "dslabcdh3" give "abcd"; "" for other names.
std::string TagOf(const std::string& name) {
  absl::string_view rest = name;
  if (!absl::ConsumePrefix(&rest, kPrefix)) return "";
  absl::ConsumePrefix(&rest, "-");
  if (rest.size() < 4) return "";
  const std::string tag(rest.substr(0, 4));
  for (char c : tag) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return "";
  }
  return tag;
}

// Removes everything of `tag`: namespaces (and what runs in them), links, hosts files, state.
absl::Status RemoveTag(const std::string& tag) {
  absl::Status first;
  auto note = [&first](const absl::Status& s) {
    if (first.ok() && !s.ok()) first = s;
  };
  for (const std::string& name : ListDir(kNetnsDir)) {
    if (TagOf(name) != tag || name[3] != '-') continue;
    KillNamespaceProcesses(name);
    note(RunTool({"ip", "netns", "del", name}).status());
  }
  for (const std::string& name : ListDir(kNetDir)) {
    if (TagOf(name) == tag && name[3] != '-') (void)RunTool({"ip", "link", "del", name});
  }
  std::error_code ec;
  for (const std::string& name : ListDir(kEtcNetns)) {
    if (TagOf(name) == tag && name[3] == '-')
      fs::remove_all(absl::StrCat(kEtcNetns, "/", name), ec);
  }
  fs::remove(StatePath(tag), ec);
  return first;
}

// Whether the launcher named in `tag`'s state file still runs.
bool Live(const std::string& tag) {
  std::ifstream in(StatePath(tag));
  int pid = 0;
  if (!(in >> pid) || pid <= 0) return false;
  return kill(pid, 0) == 0 || errno == EPERM;
}

std::set<std::string> AllTags() {
  std::set<std::string> tags;
  for (const char* dir : {kNetnsDir, kNetDir, kEtcNetns}) {
    for (const std::string& name : ListDir(dir)) {
      if (!TagOf(name).empty()) tags.insert(TagOf(name));
    }
  }
  for (const std::string& name : ListDir(kStateDir)) tags.insert(name);
  return tags;
}

// A tag no live or leftover job uses, its state file written (so that a concurrent sweep sees
// this launcher as live from the start).
absl::StatusOr<std::string> ClaimTag(int hosts) {
  std::error_code ec;
  fs::create_directories(kStateDir, ec);
  if (ec) return IoError("cannot create", kStateDir, ec.value());
  std::random_device device;
  for (int attempt = 0; attempt < 64; ++attempt) {
    const std::string tag = absl::StrFormat("%04x", device() & 0xffff);
    if (AllTags().count(tag) > 0) continue;
    const int fd = open(StatePath(tag).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) continue;
    const std::string text = absl::StrCat(getpid(), " ", hosts, "\n");
    const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    close(fd);
    if (!written) return IoError("cannot write", StatePath(tag), errno);
    return tag;
  }
  return absl::ResourceExhaustedError("no free job tag for the namespaces");
}

std::string Rate(double bps) { return absl::StrFormat("%.0fbit", bps); }
// A bucket of at least 64 KiB (a GSO packet on a veth) and 4 ms of traffic.
std::string Burst(double bps) {
  return absl::StrFormat("%.0f", std::max(65536.0, bps / 8 * 0.004));
}

// Shapes host i's links (see netns.h) and returns what the kernel does, in words. A kernel
// without netem (sch_netem) still gets the token buckets; the words say latency is not shaped.
absl::StatusOr<std::string> Shape(const std::string& tag, const NetnsHost& host, int i,
                                  const KernelShaping& s) {
  const std::vector<std::string> tbf = {
      "tbf", "rate", Rate(s.bandwidth_bps), "burst", Burst(s.bandwidth_bps), "latency", "500ms"};
  std::vector<std::string> netem = {"tc",     "-n",    host.netns,
                                    "qdisc",  "add",   "dev",
                                    "eth0",   "root",  "handle",
                                    "1:",     "netem", "limit",
                                    "100000", "delay", absl::StrFormat("%.0fus", s.latency_us)};
  if (s.jitter_us > 0) netem.push_back(absl::StrFormat("%.0fus", s.jitter_us));
  if (s.loss > 0) netem.insert(netem.end(), {"loss", absl::StrFormat("%.6f%%", 100 * s.loss)});
  std::string words = absl::StrFormat("tc tbf %.0f Mbit/s each way", s.bandwidth_bps / 1e6);
  std::vector<std::string> egress = {"tc", "-n", host.netns, "qdisc", "add", "dev", "eth0"};
  absl::StatusOr<std::string> delayed = RunTool(netem);
  if (delayed.ok()) {
    egress.insert(egress.end(), {"parent", "1:1", "handle", "10:"});
    absl::StrAppend(&words, ", netem ", s.latency_us, " us",
                    s.jitter_us > 0 ? absl::StrCat(" +", s.jitter_us, " us jitter") : "",
                    s.loss > 0 ? absl::StrCat(", loss ", s.loss) : "");
  } else if (absl::StrContains(delayed.status().message(), "unknown")) {
    egress.insert(egress.end(), {"root"});
    absl::StrAppend(&words,
                    "; latency, jitter and loss NOT shaped: this kernel has no netem "
                    "(sch_netem)");
  } else {
    return delayed.status();
  }
  egress.insert(egress.end(), tbf.begin(), tbf.end());
  DS_RETURN_IF_ERROR(RunTool(egress).status());
  std::vector<std::string> ingress = {"tc", "qdisc", "add", "dev", VethName(tag, i), "root"};
  ingress.insert(ingress.end(), tbf.begin(), tbf.end());
  DS_RETURN_IF_ERROR(RunTool(ingress).status());
  return words;
}

absl::Status WriteHostsFile(const NetnsHost& host, const std::vector<NetnsHost>& all) {
  const std::string dir = absl::StrCat(kEtcNetns, "/", host.netns);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return IoError("cannot create", dir, ec.value());
  std::string text =
      "# written by distsim local; removed with the namespace\n127.0.0.1 localhost\n";
  for (const NetnsHost& h : all) absl::StrAppend(&text, h.address, " ", h.name, "\n");
  std::ofstream(absl::StrCat(dir, "/hosts")) << text;
  return absl::OkStatus();
}

absl::Status MakeHost(const std::string& tag, int i, const NetnsHost& h) {
  DS_RETURN_IF_ERROR(RunTool({"ip", "netns", "add", h.netns}).status());
  DS_RETURN_IF_ERROR(RunTool({"ip", "link", "add", VethName(tag, i), "type", "veth", "peer", "name",
                              PeerName(tag, i)})
                         .status());
  DS_RETURN_IF_ERROR(RunTool({"ip", "link", "set", PeerName(tag, i), "netns", h.netns}).status());
  DS_RETURN_IF_ERROR(
      RunTool({"ip", "-n", h.netns, "link", "set", PeerName(tag, i), "name", "eth0"}).status());
  DS_RETURN_IF_ERROR(
      RunTool({"ip", "-n", h.netns, "addr", "add", h.address + "/24", "dev", "eth0"}).status());
  DS_RETURN_IF_ERROR(RunTool({"ip", "-n", h.netns, "link", "set", "eth0", "up"}).status());
  DS_RETURN_IF_ERROR(RunTool({"ip", "-n", h.netns, "link", "set", "lo", "up"}).status());
  DS_RETURN_IF_ERROR(
      RunTool({"ip", "link", "set", VethName(tag, i), "master", BridgeName(tag)}).status());
  return RunTool({"ip", "link", "set", VethName(tag, i), "up"}).status();
}

}  // namespace

HostNetwork::HostNetwork(HostNetwork&& other) noexcept
    : tag_(std::move(other.tag_)),
      hosts_(std::move(other.hosts_)),
      shaping_(std::move(other.shaping_)),
      live_(other.live_) {
  other.live_ = false;
}

HostNetwork::~HostNetwork() { (void)Remove(); }

std::vector<std::string> HostNetwork::Exec(int h, const std::vector<std::string>& argv) const {
  std::vector<std::string> out = {FindTool("ip"), "netns", "exec", hosts_[h].netns};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

absl::Status HostNetwork::Remove() {
  if (!live_) return absl::OkStatus();
  live_ = false;
  return RemoveTag(tag_);
}

int KillNamespaceProcesses(const std::string& netns) {
  struct stat target {};
  if (stat(absl::StrCat(kNetnsDir, "/", netns).c_str(), &target) != 0) return 0;
  int killed = 0;
  for (const std::string& entry : ListDir("/proc")) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry, &pid) || pid == getpid()) continue;
    struct stat ns {};
    if (stat(absl::StrCat("/proc/", entry, "/ns/net").c_str(), &ns) != 0) continue;
    if (ns.st_dev == target.st_dev && ns.st_ino == target.st_ino && kill(pid, SIGKILL) == 0) {
      ++killed;
    }
  }
  return killed;
}

std::string NetnsUnavailableReason() {
  if (geteuid() != 0) return "network namespaces need root, and this process is not root";
  if (FindTool("ip").empty()) return "no `ip` (Debian package iproute2)";
  return "";
}

absl::StatusOr<HostNetwork> CreateHostNetwork(int hosts, const KernelShaping& shaping) {
  if (const std::string why = NetnsUnavailableReason(); !why.empty()) {
    return absl::FailedPreconditionError(why);
  }
  if (hosts < 1 || hosts > 250) {
    return absl::InvalidArgumentError(absl::StrCat(hosts, " hosts: namespaces take 1 to 250"));
  }
  if (shaping.enabled && FindTool("tc").empty()) {
    return absl::FailedPreconditionError("kernel shaping needs `tc` (Debian package iproute2)");
  }
  SweepStaleNetworks();
  HostNetwork network;
  DS_ASSIGN_OR_RETURN(network.tag_, ClaimTag(hosts));
  network.live_ = true;  // from here on, a failure removes what was made
  const std::string& tag = network.tag_;
  const int subnet = 1 + static_cast<int>(std::strtol(tag.c_str(), nullptr, 16) % 250);
  for (int i = 1; i <= hosts; ++i) {
    network.hosts_.push_back(
        {absl::StrCat("algo-", i), NamespaceName(tag, i), absl::StrCat("10.213.", subnet, ".", i)});
  }
  DS_RETURN_IF_ERROR(RunTool({"ip", "link", "add", BridgeName(tag), "type", "bridge"}).status());
  DS_RETURN_IF_ERROR(RunTool({"ip", "link", "set", BridgeName(tag), "up"}).status());
  for (int i = 1; i <= hosts; ++i) {
    const NetnsHost& h = network.hosts_[i - 1];
    DS_RETURN_IF_ERROR(MakeHost(tag, i, h));
    DS_RETURN_IF_ERROR(WriteHostsFile(h, network.hosts_));
    if (shaping.enabled) {
      DS_ASSIGN_OR_RETURN(network.shaping_, Shape(tag, h, i, shaping));
    }
  }
  return network;
}

int SweepStaleNetworks() {
  int removed = 0;
  for (const std::string& tag : AllTags()) {
    if (Live(tag)) continue;
    (void)RemoveTag(tag);
    ++removed;
  }
  return removed;
}

std::vector<std::string> LeftoverNetworkResources(const std::string& tag) {
  std::vector<std::string> found;
  for (const char* dir : {kNetnsDir, kNetDir, kEtcNetns, kStateDir}) {
    for (const std::string& name : ListDir(dir)) {
      const std::string of = std::string(dir) == kStateDir ? name : TagOf(name);
      if (!of.empty() && (tag.empty() || of == tag)) found.push_back(absl::StrCat(dir, "/", name));
    }
  }
  return found;
}

}  // namespace distsim::node

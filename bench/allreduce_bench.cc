// Allreduce benchmarks: time per ring allreduce, algbw = S/t and busbw = algbw * 2(n-1)/n
// (GB/s = 1e9 B/s; docs/architecture.md, "Metrics") for buffers of S bytes, four ways in one run:
//   BM_RingGrpc       n ranks as separate PROCESSES over gRPC loopback (GrpcPeerLink);
//   BM_RingTcp        the same over plain loopback TCP (TcpPeerLink);
//   BM_TcpTwoWay      the ceiling of any TCP transport here: two processes streaming S bytes to
//                     each other in both directions at once over plain loopback TCP (Boost.Asio);
//                     dir_GBps is per direction, comparable with a 2-rank ring's busbw;
//   BM_RingInProcess  n ranks as threads over the in-process link: the algorithm's own cost.
// Worker processes are this binary re-executed with a hidden flag (--ring_worker,
// --tcp_ring_worker / --tcp_worker);
// the benchmark process itself never initialises gRPC, only controls the workers through pipes
// and reports the time they measured (mean over ranks of the mean per allreduce, after warm-up;
// t_max_s is the slowest rank). Workers die with the parent (PR_SET_PDEATHSIG) and are reaped at
// exit.
//
//   build-ring/bench/allreduce_bench --benchmark_counters_tabular=true
//   build-ring/bench/allreduce_bench --benchmark_filter='n:2/' --segment_bytes=262144
#include <benchmark/benchmark.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <barrier>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sim/base/clock.h"
#include "sim/comm/grpc_peer_link.h"
#include "sim/comm/grpc_util.h"
#include "sim/comm/frame_mailbox.h"
#include "sim/comm/inproc_peer_link.h"
#include "sim/comm/tcp_peer_link.h"
#include "sim/strategy/ring_allreduce.h"

namespace distsim {
namespace {

int64_t g_segment_bytes = 1 << 20;
constexpr int kWarmup = 3;

// Iterations per size: about 256 MiB moved in total, between 5 and 200 allreduces.
int64_t IterationsFor(int64_t bytes) {
  return std::max<int64_t>(5, std::min<int64_t>(200, (256LL << 20) / bytes));
}

std::string ReadLine(FILE* in) {
  char buffer[4096];
  if (fgets(buffer, sizeof(buffer), in) == nullptr) return "";
  std::string line(buffer);
  while (!line.empty() && line.back() == '\n') line.pop_back();
  return line;
}

void WriteLine(FILE* out, const std::string& line) {
  fprintf(out, "%s\n", line.c_str());
  fflush(out);
}

// ----------------------------------------------------------------------------------------------
// Worker processes. Protocol on stdin/stdout, one line per message.

// Reads the "peers a0 a1 ..." line.
std::vector<std::string> ReadPeers() {
  std::istringstream peers(ReadLine(stdin));
  std::string word, address;
  std::vector<std::string> addresses;
  peers >> word;
  while (peers >> address) addresses.push_back(address);
  return addresses;
}

// Runs the allreduces the controller asks for on a connected link.
int RingWorkerLoop(comm::PeerLink& link, absl::Status status, int rank, int64_t segment_bytes) {
  WriteLine(stdout, status.ok() ? "ready" : "error " + status.ToString());
  std::vector<float> data;
  uint64_t step = 0;
  for (std::string line = ReadLine(stdin); status.ok() && line.rfind("run ", 0) == 0;
       line = ReadLine(stdin)) {
    int64_t len = 0, iterations = 0;
    sscanf(line.c_str(), "run %ld %ld", &len, &iterations);
    data.assign(len, 1.0f + rank);
    strategy::RingAllreduceOptions options;
    options.segment_bytes = segment_bytes;
    options.stall_timeout = absl::Seconds(30);
    double seconds = 0;
    for (int64_t i = 0; i < kWarmup + iterations && status.ok(); ++i) {
      if (i == kWarmup) status = absl::OkStatus();
      Stopwatch clock;
      options.step = ++step;
      status = strategy::RingAllreduce(link, data, options);
      if (i >= kWarmup) seconds += clock.Seconds();
    }
    WriteLine(stdout, status.ok() ? "done " + std::to_string(seconds / iterations)
                                  : "error " + status.ToString());
  }
  return status.ok() ? 0 : 69;
}

int RingWorkerMain(int rank, int n, const std::string& token, int64_t segment_bytes) {
  comm::GrpcPeerLink link({.rank = rank, .size = n, .run_token = token,
                           .max_frame_bytes = segment_bytes});
  comm::ServerOptions server_options;
  server_options.max_message_bytes = comm::RingMaxMessageBytes(segment_bytes);
  server_options.max_threads = 4;
  auto server = comm::StartServer(server_options, {link.service()});
  if (!server.ok()) {
    WriteLine(stdout, "error " + server.status().ToString());
    return 69;
  }
  WriteLine(stdout, "addr " + server->address);
  std::vector<std::string> addresses = ReadPeers();
  absl::Status status = link.Connect(addresses, absl::Now() + absl::Seconds(10));
  const int code = RingWorkerLoop(link, status, rank, segment_bytes);
  link.Close(absl::Now() + absl::Seconds(2));
  server->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  return code;
}

int TcpRingWorkerMain(int rank, int n, const std::string& token, int64_t segment_bytes) {
  comm::TcpPeerLink link({.rank = rank, .size = n, .run_token = token,
                          .max_frame_bytes = segment_bytes, .bind_host = "127.0.0.1",
                          .spin_micros = comm::SpinMicrosFor(n)});
  absl::StatusOr<int> port = link.Listen();
  if (!port.ok()) {
    WriteLine(stdout, "error " + port.status().ToString());
    return 69;
  }
  WriteLine(stdout, "addr 127.0.0.1:" + std::to_string(*port));
  std::vector<std::string> addresses = ReadPeers();
  absl::Status status = link.Connect(addresses, absl::Now() + absl::Seconds(10));
  const int code = RingWorkerLoop(link, status, rank, segment_bytes);
  link.Close(absl::Now() + absl::Seconds(2));
  return code;
}

// Role 0 listens, role 1 connects; then both send and receive S bytes per iteration at once.
int TcpWorkerMain(int role) {
  namespace asio = boost::asio;
  using asio::ip::tcp;
  asio::io_context io;
  tcp::socket socket(io);
  boost::system::error_code error;
  if (role == 0) {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    WriteLine(stdout, "addr " + std::to_string(acceptor.local_endpoint().port()));
    ReadLine(stdin);  // "peer ..."
    acceptor.accept(socket, error);
  } else {
    WriteLine(stdout, "addr -");
    int port = 0;
    sscanf(ReadLine(stdin).c_str(), "peer %d", &port);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), error);
  }
  if (error) {
    WriteLine(stdout, "error " + error.message());
    return 69;
  }
  socket.set_option(tcp::no_delay(true));
  WriteLine(stdout, "ready");
  std::vector<char> out, in;
  for (std::string line = ReadLine(stdin); line.rfind("run ", 0) == 0; line = ReadLine(stdin)) {
    int64_t bytes = 0, iterations = 0;
    sscanf(line.c_str(), "run %ld %ld", &bytes, &iterations);
    out.assign(bytes, 'x');
    in.resize(bytes);
    double seconds = 0;
    for (int64_t i = 0; i < kWarmup + iterations && !error; ++i) {
      // Both directions at once on one thread: non-blocking socket, epoll, no per-op thread.
      Stopwatch clock;
      boost::system::error_code read_error, write_error;
      asio::async_read(socket, asio::buffer(in),
                       [&](const boost::system::error_code& e, size_t) { read_error = e; });
      asio::async_write(socket, asio::buffer(out),
                        [&](const boost::system::error_code& e, size_t) { write_error = e; });
      io.restart();
      io.run();
      error = read_error ? read_error : write_error;
      if (i >= kWarmup) seconds += clock.Seconds();
    }
    WriteLine(stdout, error ? "error " + error.message()
                            : "done " + std::to_string(seconds / iterations));
  }
  return 0;
}

// ----------------------------------------------------------------------------------------------
// The controlling side.

struct Worker {
  pid_t pid = -1;
  FILE* to = nullptr;
  FILE* from = nullptr;
};

Worker Spawn(const std::vector<std::string>& args) {
  int to_child[2], from_child[2];
  if (pipe(to_child) != 0 || pipe(from_child) != 0) abort();
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(70);
    dup2(to_child[0], 0);
    dup2(from_child[1], 1);
    close(to_child[1]);
    close(from_child[0]);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv("/proc/self/exe", argv.data());
    _exit(70);
  }
  close(to_child[0]);
  close(from_child[1]);
  return Worker{pid, fdopen(to_child[1], "w"), fdopen(from_child[0], "r")};
}

// A set of worker processes kept for the whole run (one per kind and n), ended at exit.
class Group {
 public:
  ~Group() { Stop(); }
  void Stop() {
    for (Worker& w : workers_) {
      if (w.to != nullptr) fclose(w.to);  // EOF: the worker leaves its loop
      w.to = nullptr;
    }
    for (Worker& w : workers_) {
      for (int i = 0; i < 50 && waitpid(w.pid, nullptr, WNOHANG) == 0; ++i) usleep(100000);
      if (waitpid(w.pid, nullptr, WNOHANG) == 0) {
        kill(w.pid, SIGKILL);
        waitpid(w.pid, nullptr, 0);
      }
      if (w.from != nullptr) fclose(w.from);
    }
    workers_.clear();
  }
  std::vector<Worker> workers_;
  std::string error;
};

std::map<std::string, std::unique_ptr<Group>> g_groups;

// Starts (once) the n ring workers or the 2 TCP workers and wires them up.
Group& GetGroup(const std::string& kind, int n) {
  const std::string key = kind + std::to_string(n);
  auto& group = g_groups[key];
  if (group != nullptr) return *group;
  group = std::make_unique<Group>();
  const std::string token = "bench-" + std::to_string(getpid());
  for (int r = 0; r < n; ++r) {
    std::vector<std::string> args = {"allreduce_bench"};
    if (kind == "ring" || kind == "tcpring") {
      args.push_back((kind == "ring" ? "--ring_worker=" : "--tcp_ring_worker=") +
                     std::to_string(r) + ":" + std::to_string(n) + ":" + token + ":" +
                     std::to_string(g_segment_bytes));
    } else {
      args.push_back("--tcp_worker=" + std::to_string(r));
    }
    group->workers_.push_back(Spawn(args));
  }
  std::string peers = "peers";
  for (Worker& w : group->workers_) {
    std::string line = ReadLine(w.from);
    if (line.rfind("addr ", 0) != 0) group->error = "worker said: " + line;
    peers += " " + line.substr(std::min<size_t>(5, line.size()));
  }
  for (Worker& w : group->workers_) {
    WriteLine(w.to, kind == "tcp" ? "peer " + peers.substr(6) : peers);
  }
  for (Worker& w : group->workers_) {
    std::string line = ReadLine(w.from);
    if (line != "ready" && group->error.empty()) group->error = "worker said: " + line;
  }
  return *group;
}

// Runs `iterations` timed operations of `amount` on every worker: mean and max seconds per op.
bool RunOnGroup(Group& group, int64_t amount, int64_t iterations, double* mean_s, double* max_s,
                std::string* error) {
  for (Worker& w : group.workers_) {
    WriteLine(w.to, "run " + std::to_string(amount) + " " + std::to_string(iterations));
  }
  *mean_s = 0;
  *max_s = 0;
  for (Worker& w : group.workers_) {
    std::string line = ReadLine(w.from);
    if (line.rfind("done ", 0) != 0) {
      *error = "worker said: " + line;
      return false;
    }
    const double s = std::stod(line.substr(5));
    *mean_s += s / group.workers_.size();
    *max_s = std::max(*max_s, s);
  }
  return true;
}

void SetCounters(benchmark::State& state, int n, int64_t bytes, double seconds, double max_s) {
  const double algbw = bytes / seconds / 1e9;
  state.counters["algbw_GBps"] = algbw;
  state.counters["busbw_GBps"] = algbw * 2.0 * (n - 1) / n;
  state.counters["t_us"] = seconds * 1e6;
  state.counters["t_max_us"] = max_s * 1e6;
  state.SetBytesProcessed(state.iterations() * bytes);
}

void RingOnProcesses(benchmark::State& state, const std::string& kind) {
  const int n = static_cast<int>(state.range(0));
  const int64_t bytes = state.range(1);
  Group& group = GetGroup(kind, n);
  if (!group.error.empty()) return state.SkipWithError(group.error.c_str());
  double mean_s = 0, max_s = 0;
  std::string error;
  if (!RunOnGroup(group, bytes / 4, state.max_iterations, &mean_s, &max_s, &error)) {
    return state.SkipWithError(error.c_str());
  }
  for (auto _ : state) state.SetIterationTime(mean_s);
  SetCounters(state, n, bytes, mean_s, max_s);
}

void BM_RingGrpc(benchmark::State& state) { RingOnProcesses(state, "ring"); }
void BM_RingTcp(benchmark::State& state) { RingOnProcesses(state, "tcpring"); }

void BM_TcpTwoWay(benchmark::State& state) {
  const int64_t bytes = state.range(0);
  Group& group = GetGroup("tcp", 2);
  if (!group.error.empty()) return state.SkipWithError(group.error.c_str());
  double mean_s = 0, max_s = 0;
  std::string error;
  if (!RunOnGroup(group, bytes, state.max_iterations, &mean_s, &max_s, &error)) {
    return state.SkipWithError(error.c_str());
  }
  for (auto _ : state) state.SetIterationTime(mean_s);
  state.counters["dir_GBps"] = bytes / mean_s / 1e9;
  state.counters["t_us"] = mean_s * 1e6;
  state.SetBytesProcessed(state.iterations() * bytes);
}

void BM_RingInProcess(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const int64_t bytes = state.range(1);
  auto links = comm::MakeInProcessLinks(n, comm::SpinMicrosFor(n));
  std::vector<std::vector<float>> data(n, std::vector<float>(bytes / 4, 1.0f));
  std::barrier sync(n);
  bool stop = false;
  uint64_t step = 0;
  auto one = [&](int r) {
    strategy::RingAllreduceOptions options;
    options.segment_bytes = g_segment_bytes;
    options.step = step;
    absl::Status s = strategy::RingAllreduce(*links[r], data[r], options);
    if (!s.ok()) abort();
  };
  std::vector<std::thread> helpers;
  for (int r = 1; r < n; ++r) {
    helpers.emplace_back([&, r] {
      while (true) {
        sync.arrive_and_wait();  // start of an allreduce (or stop)
        if (stop) return;
        one(r);
      }
    });
  }
  Stopwatch clock;
  double total = 0;
  for (auto _ : state) {
    ++step;
    clock.Restart();
    sync.arrive_and_wait();
    one(0);
    const double s = clock.Seconds();
    state.SetIterationTime(s);
    total += s;
  }
  stop = true;
  sync.arrive_and_wait();
  for (auto& t : helpers) t.join();
  SetCounters(state, n, bytes, total / state.iterations(), 0);
}

// Buffer sizes: 4 KiB .. 64 MiB by 4x, plus the softmax (7,850 floats) and MLP 784-128-10
// (101,770 floats) gradients.
std::vector<int64_t> Sizes() {
  std::vector<int64_t> sizes = {7850 * 4, 101770 * 4};
  for (int64_t s = 4 << 10; s <= (64 << 20); s *= 4) sizes.push_back(s);
  std::sort(sizes.begin(), sizes.end());
  return sizes;
}

void Register() {
  for (int64_t bytes : Sizes()) {
    benchmark::RegisterBenchmark("BM_TcpTwoWay", BM_TcpTwoWay)
        ->ArgNames({"bytes"})->Arg(bytes)->Iterations(IterationsFor(bytes))->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
  }
  for (int n : {2, 4}) {
    for (int64_t bytes : Sizes()) {
      benchmark::RegisterBenchmark("BM_RingGrpc", BM_RingGrpc)
          ->ArgNames({"n", "bytes"})->Args({n, bytes})->Iterations(IterationsFor(bytes))
          ->UseManualTime()->Unit(benchmark::kMicrosecond);
    }
  }
  for (int n : {2, 4}) {
    for (int64_t bytes : Sizes()) {
      benchmark::RegisterBenchmark("BM_RingTcp", BM_RingTcp)
          ->ArgNames({"n", "bytes"})->Args({n, bytes})->Iterations(IterationsFor(bytes))
          ->UseManualTime()->Unit(benchmark::kMicrosecond);
    }
  }
  for (int n : {2, 4}) {
    for (int64_t bytes : Sizes()) {
      benchmark::RegisterBenchmark("BM_RingInProcess", BM_RingInProcess)
          ->ArgNames({"n", "bytes"})->Args({n, bytes})->Iterations(IterationsFor(bytes))
          ->UseManualTime()->Unit(benchmark::kMicrosecond);
    }
  }
}

}  // namespace
}  // namespace distsim

int main(int argc, char** argv) {
  using namespace distsim;
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--ring_worker=", 0) == 0) {
      int rank = 0, n = 0;
      long long segment = 0;
      char token[256] = {0};
      sscanf(arg.c_str() + 14, "%d:%d:%255[^:]:%lld", &rank, &n, token, &segment);
      return RingWorkerMain(rank, n, token, segment);
    }
    if (arg.rfind("--tcp_ring_worker=", 0) == 0) {
      int rank = 0, n = 0;
      long long segment = 0;
      char token[256] = {0};
      sscanf(arg.c_str() + 18, "%d:%d:%255[^:]:%lld", &rank, &n, token, &segment);
      return TcpRingWorkerMain(rank, n, token, segment);
    }
    if (arg.rfind("--tcp_worker=", 0) == 0) return TcpWorkerMain(std::atoi(arg.c_str() + 13));
    if (arg.rfind("--segment_bytes=", 0) == 0) {
      g_segment_bytes = std::atoll(arg.c_str() + 16);
      continue;
    }
    rest.push_back(argv[i]);
  }
  signal(SIGPIPE, SIG_IGN);
  int rest_argc = static_cast<int>(rest.size());
  Register();
  benchmark::Initialize(&rest_argc, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  g_groups.clear();
  return 0;
}

// Parameter-server push+pull against parameter size, over gRPC to a server in another process and
// over the in-process transport, with the bare gRPC client-stream ceiling measured in the same run.
//
//   BM_GrpcPushPull/S/n   n worker threads (own channels each) against one ASYNC SGD shard of S
//                         bytes in a separate server process; one iteration = every worker
//                         pulls S and pushes S. bytes_per_second = 2S/t per worker.
//   BM_InProcPushPull/S/n the same against an in-process shard.
//   BM_GrpcStreamCeiling/S  one client stream of S bytes to the same kind of server process,
//                         read and discarded there: the transport ceiling, S/t.
//   BM_PushPullVsCeiling/S  one worker; every iteration a push+pull and then a ceiling stream on
//                         the same server process, timed apart: ratio = (2S/t_pp) / (S/t_c) with
//                         both measured under the same load (two shared cores are noisy).
// Chunks are 1 MiB (the config default). At exit a summary prints, per size, the one-worker gRPC
// push+pull bandwidth as a fraction of the ceiling (target: >= 60% at 16 MiB).
//
// The server process is this binary re-executed with a hidden flag (so gRPC is never initialised
// before a fork); it dies with its parent (PR_SET_PDEATHSIG) and exits when its stdin closes.
// Every child is reaped by the benchmark that spawned it.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "kernels/optimizer.h"
#include "sim/comm/grpc_ps.h"
#include "sim/comm/grpc_util.h"
#include "sim/comm/inproc_ps.h"
#include "sim/strategy/ps_shard.h"

extern char** environ;

namespace distsim {
namespace {

constexpr char kServerFlag[] = "--ps_bench_server";
constexpr char kToken[] = "bench-token";
constexpr int64_t kChunkBytes = 1 << 20;

std::unique_ptr<strategy::PsShard> MakeShard(int64_t elems, int workers) {
  strategy::PsShardOptions options;
  options.num_workers = workers;
  options.mode = strategy::PsMode::kAsync;
  options.chunk_bytes = kChunkBytes;
  std::vector<float> init(elems, 0.f);
  return std::make_unique<strategy::PsShard>(
      options, comm::ShardRanges{{0, elems}}, init,
      [](int64_t n) { return kernels::MakeSgd<float>(n, 1e-6f); });
}

// Child: serve one shard of `elems` floats for `workers` workers until stdin closes.
int ServeMain(int64_t elems, int workers, pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) return 1;  // the parent died before the line above
  auto shard = MakeShard(elems, workers);
  comm::PsService service(shard.get(), kToken);
  comm::ServerOptions options;
  options.max_message_bytes = comm::PsMaxMessageBytes(kChunkBytes);
  options.max_threads = comm::PsServerThreads(workers);
  auto started = comm::StartServer(options, {service.service()});
  if (!started.ok()) {
    std::fprintf(stderr, "ps_bench server: %s\n", std::string(started.status().message()).c_str());
    return 1;
  }
  std::printf("%d\n", started->port);
  std::fflush(stdout);
  char buffer[64];
  while (read(STDIN_FILENO, buffer, sizeof(buffer)) > 0) {
  }
  shard->Abort();
  started->server->Shutdown(comm::DeadlineIn(1));
  return 0;
}

// Parent side of a server process: spawned in the constructor, stopped and reaped in the
// destructor.
class ServerProcess {
 public:
  ServerProcess(int64_t elems, int workers) {
    int to_child[2], from_child[2];
    if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) std::abort();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
    const std::string e = std::to_string(elems), w = std::to_string(workers),
                      p = std::to_string(getpid());
    const char* argv[] = {"ps_bench", kServerFlag, e.c_str(), w.c_str(), p.c_str(), nullptr};
    if (posix_spawn(&pid_, "/proc/self/exe", &actions, nullptr, const_cast<char**>(argv),
                    environ) != 0) {
      std::perror("posix_spawn");
      std::abort();
    }
    posix_spawn_file_actions_destroy(&actions);
    close(to_child[0]);
    close(from_child[1]);
    stdin_ = to_child[1];
    char line[32] = {};
    ssize_t got = 0;
    while (got < static_cast<ssize_t>(sizeof(line)) - 1) {
      ssize_t n = read(from_child[0], line + got, 1);
      if (n <= 0 || line[got] == '\n') break;
      got += n;
    }
    close(from_child[0]);
    address_ = std::string("127.0.0.1:") + line;
    if (std::atoi(line) <= 0) {
      std::fprintf(stderr, "ps_bench: the server process did not report a port\n");
      std::abort();
    }
  }
  ~ServerProcess() {
    close(stdin_);  // the child shuts down and exits
    int status = 0;
    for (int i = 0; i < 300; ++i) {  // 3 s, then force
      if (waitpid(pid_, &status, WNOHANG) == pid_) return;
      usleep(10000);
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
  }
  const std::string& address() const { return address_; }

 private:
  pid_t pid_ = 0;
  int stdin_ = -1;
  std::string address_;
};

comm::PsClientOptions ClientOptions(int worker, int64_t elems) {
  comm::PsClientOptions options;
  options.worker = worker;
  options.total_elems = elems;
  options.shards = {{{0, elems}}};
  options.chunk_bytes = kChunkBytes;
  return options;
}

// Every timed run of each benchmark (repetitions included), for the summary: bytes/s.
std::map<std::string, std::vector<double>>& Results() {
  static auto* results = new std::map<std::string, std::vector<double>>;
  return *results;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

std::string Key(const char* kind, int64_t bytes, int workers) {
  return std::string(kind) + "/" + std::to_string(bytes) + "/" + std::to_string(workers);
}

// Runs `clients` (one thread each) through pull+push per benchmark iteration.
void RunPushPull(benchmark::State& state, std::vector<std::unique_ptr<comm::PsClient>>& clients,
                 int64_t elems, const char* kind) {
  const int n = static_cast<int>(clients.size());
  std::barrier sync(n + 1);
  bool stop = false;
  double pull_s = 0, push_s = 0;  // worker 0's, summed over iterations
  std::vector<std::thread> threads;
  for (int w = 0; w < n; ++w) {
    threads.emplace_back([&, w] {
      std::vector<float> params(elems), grads(elems, 1e-3f);
      uint64_t clock = 0;
      while (true) {
        sync.arrive_and_wait();
        if (stop) return;
        comm::PullResult pulled;
        comm::PushResult pushed;
        const auto t0 = std::chrono::steady_clock::now();
        absl::Status status = clients[w]->Pull(clock, params, &pulled);
        const auto t1 = std::chrono::steady_clock::now();
        if (status.ok()) status = clients[w]->Push(clock, grads, pulled.versions, &pushed);
        if (w == 0) {
          pull_s += std::chrono::duration<double>(t1 - t0).count();
          push_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
        }
        if (!status.ok()) {
          std::fprintf(stderr, "ps_bench: %s\n", std::string(status.message()).c_str());
          std::abort();
        }
        ++clock;
        sync.arrive_and_wait();
      }
    });
  }
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    sync.arrive_and_wait();  // go
    sync.arrive_and_wait();  // all done
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  stop = true;
  sync.arrive_and_wait();
  for (auto& t : threads) t.join();
  const int64_t bytes = elems * 4;
  state.SetBytesProcessed(state.iterations() * 2 * bytes);  // per worker: 2S per iteration
  state.counters["workers"] = n;
  state.counters["pull_ms"] = 1e3 * pull_s / state.iterations();
  state.counters["push_ms"] = 1e3 * push_s / state.iterations();
  state.counters["aggregate_GBps"] = 2.0 * bytes * n * state.iterations() / seconds / 1e9;
  if (state.iterations() > 1) {  // not Google Benchmark's one-iteration probe
    Results()[Key(kind, bytes, n)].push_back(2.0 * bytes * state.iterations() / seconds);
  }
}

void BM_GrpcPushPull(benchmark::State& state) {
  const int64_t bytes = state.range(0), elems = bytes / 4;
  const int workers = static_cast<int>(state.range(1));
  ServerProcess server(elems, workers);
  std::vector<std::unique_ptr<comm::PsClient>> clients;
  for (int w = 0; w < workers; ++w) {
    comm::GrpcPsClientOptions grpc_options;
    grpc_options.addresses = {server.address()};
    grpc_options.run_token = kToken;
    auto client = comm::MakeGrpcPsClient(ClientOptions(w, elems), grpc_options);
    if (!client.ok()) {
      state.SkipWithError(std::string(client.status().message()).c_str());
      return;
    }
    clients.push_back(std::move(*client));
  }
  RunPushPull(state, clients, elems, "grpc");
}

void BM_InProcPushPull(benchmark::State& state) {
  const int64_t bytes = state.range(0), elems = bytes / 4;
  const int workers = static_cast<int>(state.range(1));
  auto shard = MakeShard(elems, workers);
  std::vector<std::unique_ptr<comm::PsClient>> clients;
  for (int w = 0; w < workers; ++w) {
    clients.push_back(comm::MakeInProcessPsClient(ClientOptions(w, elems), {shard.get()}));
  }
  RunPushPull(state, clients, elems, "inproc");
}

void BM_GrpcStreamCeiling(benchmark::State& state) {
  const int64_t bytes = state.range(0);
  ServerProcess server(1, 1);
  // Connect (and warm up) outside the timed loop.
  if (!comm::StreamToDiscard(server.address(), kToken, kChunkBytes, kChunkBytes).ok()) {
    state.SkipWithError("ceiling stream failed");
    return;
  }
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    absl::Status status = comm::StreamToDiscard(server.address(), kToken, bytes, kChunkBytes);
    if (!status.ok()) {
      state.SkipWithError(std::string(status.message()).c_str());
      return;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  state.SetBytesProcessed(state.iterations() * bytes);
  if (state.iterations() > 1) {
    Results()[Key("ceiling", bytes, 1)].push_back(bytes * state.iterations() / seconds);
  }
}

// One worker against one server process; each iteration times a push+pull and then a ceiling
// stream of the same size on the same server, so both see the same machine load.
void BM_PushPullVsCeiling(benchmark::State& state) {
  const int64_t bytes = state.range(0), elems = bytes / 4;
  ServerProcess server(elems, 1);
  comm::GrpcPsClientOptions grpc_options;
  grpc_options.addresses = {server.address()};
  grpc_options.run_token = kToken;
  auto client = comm::MakeGrpcPsClient(ClientOptions(0, elems), grpc_options);
  if (!client.ok() ||
      !comm::StreamToDiscard(server.address(), kToken, kChunkBytes, kChunkBytes).ok()) {
    state.SkipWithError("cannot reach the server process");
    return;
  }
  std::vector<float> params(elems), grads(elems, 1e-3f);
  double push_pull_s = 0, ceiling_s = 0;
  uint64_t clock = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    comm::PullResult pulled;
    comm::PushResult pushed;
    absl::Status status = (*client)->Pull(clock, params, &pulled);
    if (status.ok()) status = (*client)->Push(clock++, grads, pulled.versions, &pushed);
    const auto t1 = std::chrono::steady_clock::now();
    if (status.ok()) status = comm::StreamToDiscard(server.address(), kToken, bytes, kChunkBytes);
    const auto t2 = std::chrono::steady_clock::now();
    if (!status.ok()) {
      state.SkipWithError(std::string(status.message()).c_str());
      return;
    }
    push_pull_s += std::chrono::duration<double>(t1 - t0).count();
    ceiling_s += std::chrono::duration<double>(t2 - t1).count();
  }
  const double it = static_cast<double>(state.iterations());
  state.counters["pushpull_GBps"] = 2.0 * bytes * it / push_pull_s / 1e9;
  state.counters["ceiling_GBps"] = bytes * it / ceiling_s / 1e9;
  state.counters["ratio"] = 2.0 * ceiling_s / push_pull_s;
}

void Sizes(benchmark::internal::Benchmark* b, bool workers) {
  for (int64_t bytes : {64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20}) {
    if (!workers) {
      b->Args({bytes});
      continue;
    }
    for (int n : {1, 2, 4}) b->Args({bytes, n});
  }
}

BENCHMARK(BM_GrpcStreamCeiling)
    ->Apply([](benchmark::internal::Benchmark* b) { Sizes(b, false); })
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PushPullVsCeiling)
    ->Apply([](benchmark::internal::Benchmark* b) { Sizes(b, false); })
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GrpcPushPull)
    ->Apply([](benchmark::internal::Benchmark* b) { Sizes(b, true); })
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_InProcPushPull)
    ->Apply([](benchmark::internal::Benchmark* b) { Sizes(b, true); })
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

void PrintSummary() {
  auto& r = Results();
  std::printf("\nMedians over repetitions. Per-worker push+pull bandwidth 2S/t (GB/s) and the\n"
              "plain gRPC client-stream ceiling S/t; ratio = one-worker gRPC 2S/t / ceiling.\n");
  std::printf("%10s %9s %9s %9s %9s %9s %9s %9s %7s\n", "bytes", "ceiling", "grpc n=1", "n=2",
              "n=4", "inproc 1", "n=2", "n=4", "ratio");
  auto get = [&](const std::string& key) {
    auto it = r.find(key);
    return it == r.end() ? 0.0 : Median(it->second) / 1e9;
  };
  for (int64_t bytes : {64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20}) {
    const double ceiling = get(Key("ceiling", bytes, 1)), one = get(Key("grpc", bytes, 1));
    std::printf("%10lld %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f %6.0f%%\n",
                static_cast<long long>(bytes), ceiling, one, get(Key("grpc", bytes, 2)),
                get(Key("grpc", bytes, 4)), get(Key("inproc", bytes, 1)),
                get(Key("inproc", bytes, 2)), get(Key("inproc", bytes, 4)),
                ceiling > 0 ? 100.0 * one / ceiling : 0.0);
  }
}

}  // namespace
}  // namespace distsim

int main(int argc, char** argv) {
  if (argc == 5 && std::strcmp(argv[1], distsim::kServerFlag) == 0) {
    return distsim::ServeMain(std::atoll(argv[2]), std::atoi(argv[3]),
                              static_cast<pid_t>(std::atoll(argv[4])));
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  distsim::PrintSummary();
  return 0;
}

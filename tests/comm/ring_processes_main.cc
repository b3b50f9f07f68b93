// Ring allreduce across real processes on loopback, over gRPC (each rank a forked process with
// its own server) or plain TCP (each rank listening on its own port): n ranks (n given). Every rank
// checks its result against the sum computed independently in double, ranks compare result hashes
// (all ranks identical bits), and every allreduce runs twice (same inputs, same bits). Exit 0 when
// every check holds. Usage: ring_processes_main N [grpc|tcp]
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "sim/comm/grpc_peer_link.h"
#include "sim/comm/rpc_server.h"
#include "sim/comm/tcp_peer_link.h"
#include "sim/strategy/ring_allreduce.h"

namespace {

float Input(int rank, int64_t i) {
  return static_cast<float>(std::sin(0.37 * (rank + 1) + 0.011 * static_cast<double>(i % 977)) *
                            (1.0 + rank));
}

uint64_t Hash(const std::vector<float>& v) {
  uint64_t h = 0xcbf29ce484222325ULL;
  const auto* b = reinterpret_cast<const unsigned char*>(v.data());
  for (size_t i = 0; i < v.size() * sizeof(float); ++i) h = (h ^ b[i]) * 0x100000001b3ULL;
  return h;
}

bool WriteAll(int fd, const std::string& s) {
  return write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size());
}

std::string ReadLine(int fd) {
  std::string out;
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n') out.push_back(c);
  return out;
}

// One rank: serve, learn the peers, run the allreduces, report hashes. Returns the exit code.
int Rank(int rank, int n, bool tcp, int to_parent, int from_parent) {
  using namespace distsim;
  constexpr char kToken[] = "ring-process-test";
  constexpr int64_t kMaxFrameBytes = 64 << 10;
  std::unique_ptr<comm::GrpcPeerLink> grpc_link;
  std::unique_ptr<comm::TcpPeerLink> tcp_link;
  std::unique_ptr<comm::ProcessServer> server;
  int port = 0;
  if (tcp) {
    tcp_link = std::make_unique<comm::TcpPeerLink>(comm::TcpPeerLinkOptions{
        .rank = rank, .size = n, .run_token = kToken, .max_frame_bytes = kMaxFrameBytes});
    absl::StatusOr<int> listening = tcp_link->Listen();
    if (!listening.ok()) return 2;
    port = *listening;
  } else {
    grpc_link = std::make_unique<comm::GrpcPeerLink>(comm::GrpcPeerLinkOptions{
        .rank = rank, .size = n, .run_token = kToken, .max_frame_bytes = kMaxFrameBytes});
    comm::ServerOptions server_options;
    server_options.max_message_bytes = comm::RingMaxMessageBytes(kMaxFrameBytes);
    auto started = comm::ProcessServer::Start(server_options, {grpc_link->service()});
    if (!started.ok()) return 2;
    server = std::move(*started);
    port = server->port();
  }
  comm::PeerLink& link = tcp ? static_cast<comm::PeerLink&>(*tcp_link) : *grpc_link;
  if (!WriteAll(to_parent, std::to_string(port) + "\n")) return 2;
  std::vector<std::string> peers = absl::StrSplit(ReadLine(from_parent), ',');
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  absl::Status connected =
      tcp ? tcp_link->Connect(peers, deadline) : grpc_link->Connect(peers, deadline);
  if (!connected.ok()) {
    std::fprintf(stderr, "rank %d: %s\n", rank, std::string(connected.message()).c_str());
    return 3;
  }
  const std::vector<int64_t> sizes = {1, 7, n - 1, 1000, (1 << 20) + 3};
  std::vector<std::string> hashes;
  uint64_t call = 0;
  int failures = 0;
  for (int64_t size : sizes) {
    std::vector<double> expected(size, 0.0);
    for (int r = 0; r < n; ++r) {
      for (int64_t i = 0; i < size; ++i) expected[i] += Input(r, i);
    }
    uint64_t first_hash = 0;
    for (int repeat = 0; repeat < 2; ++repeat) {
      std::vector<float> data(size);
      for (int64_t i = 0; i < size; ++i) data[i] = Input(rank, i);
      strategy::RingAllreduceOptions ring;
      ring.segment_bytes = 16 << 10;
      ring.average = false;
      ring.step = ++call;
      ring.stall_timeout = absl::Seconds(20);
      absl::Status s = strategy::RingAllreduce(link, std::span<float>(data), ring);
      if (!s.ok()) {
        std::fprintf(stderr, "rank %d size %lld: %s\n", rank, static_cast<long long>(size),
                     std::string(s.message()).c_str());
        return 4;
      }
      for (int64_t i = 0; i < size; ++i) {
        const double tolerance = 1e-5 * (std::abs(expected[i]) + n);
        if (std::abs(data[i] - expected[i]) > tolerance) {
          if (failures++ < 5) {
            std::fprintf(stderr, "rank %d size %lld [%lld]: %.9g, expected %.9g\n", rank,
                         static_cast<long long>(size), static_cast<long long>(i), data[i],
                         expected[i]);
          }
        }
      }
      const uint64_t h = Hash(data);
      if (repeat == 0) first_hash = h;
      if (repeat == 1 && h != first_hash) {
        std::fprintf(stderr, "rank %d size %lld: a repeated allreduce gave other bits\n", rank,
                     static_cast<long long>(size));
        ++failures;
      }
    }
    hashes.push_back(std::to_string(first_hash));
  }
  WriteAll(to_parent, absl::StrJoin(hashes, ",") + "\n");
  // Wait for the parent's word before closing, so no neighbour loses its last frames.
  ReadLine(from_parent);
  if (tcp) {
    tcp_link->Close(absl::Now() + absl::Seconds(1));
  } else {
    grpc_link->Close(absl::Now() + absl::Seconds(1));
    server->Shutdown(0.5);
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 3;
  const std::string transport = argc > 2 ? argv[2] : "grpc";
  if (n < 2 || n > 8 || (transport != "grpc" && transport != "tcp")) {
    std::fprintf(stderr, "usage: %s N (2..8) [grpc|tcp]\n", argv[0]);
    return 64;
  }
  std::vector<pid_t> pids(n);
  std::vector<int> from_child(n), to_child(n);
  for (int r = 0; r < n; ++r) {
    int up[2], down[2];
    if (pipe(up) != 0 || pipe(down) != 0) return 2;
    pid_t pid = fork();  // before this process touches gRPC
    if (pid == 0) {
      close(up[0]);
      close(down[1]);
      _exit(Rank(r, n, transport == "tcp", up[1], down[0]));
    }
    close(up[1]);
    close(down[0]);
    pids[r] = pid;
    from_child[r] = up[0];
    to_child[r] = down[1];
  }
  alarm(120);  // a hung ring must not hang the test: SIGALRM ends this process (and ctest sees it)
  std::vector<std::string> addresses;
  for (int r = 0; r < n; ++r) addresses.push_back("127.0.0.1:" + ReadLine(from_child[r]));
  for (int r = 0; r < n; ++r) WriteAll(to_child[r], absl::StrJoin(addresses, ",") + "\n");
  std::vector<std::string> hashes(n);
  for (int r = 0; r < n; ++r) hashes[r] = ReadLine(from_child[r]);
  for (int r = 0; r < n; ++r) WriteAll(to_child[r], "done\n");
  int failed = 0;
  for (int r = 0; r < n; ++r) {
    int status = 0;
    waitpid(pids[r], &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "rank %d failed (status %d)\n", r, status);
      ++failed;
    }
    if (hashes[r].empty() || hashes[r] != hashes[0]) {
      std::fprintf(stderr, "rank %d's results differ from rank 0's\n", r);
      ++failed;
    }
  }
  std::printf("ring allreduce over %d processes (%s): %s\n", n, transport.c_str(),
              failed ? "FAILED" : "every check held");
  return failed == 0 ? 0 : 1;
}

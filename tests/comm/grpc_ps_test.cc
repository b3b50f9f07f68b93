// The parameter-server transport over gRPC, servers and workers as threads of this process on
// loopback: bytes per step, SYNC maths over the wire, run tokens, missing servers, abort, stalls.
#include "sim/comm/grpc_ps.h"

#include <arpa/inet.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "kernels/model.h"
#include "kernels/optimizer.h"
#include "kernels/param_layout.h"
#include "sim/comm/grpc_util.h"
#include "sim/comm/nic.h"
#include "sim/comm/rpc_server.h"
#include "sim/comm/run_token.h"
#include "sim/strategy/partition.h"
#include "sim/strategy/ps_exchange.h"
#include "sim/strategy/ps_shard.h"

namespace distsim::comm {
namespace {

using strategy::PsMode;
using strategy::PsShard;

constexpr char kToken[] = "run-4f2a";

// k shards, each behind its own gRPC server on 127.0.0.1:0.
class GrpcCluster {
 public:
  // `max_threads` caps each server's gRPC thread quota (0: PsServerThreads(workers)).
  GrpcCluster(const kernels::ParamLayout& layout, const std::vector<float>& init, PsMode mode,
              int workers, int k, int64_t chunk_bytes, int max_threads = 0)
      : map_(strategy::PartitionBalanced(layout.size(), k)), chunk_bytes_(chunk_bytes) {
    for (int s = 0; s < k; ++s) {
      strategy::PsShardOptions options;
      options.shard_id = s;
      options.num_workers = workers;
      options.mode = mode;
      options.chunk_bytes = chunk_bytes;
      shards_.push_back(std::make_unique<PsShard>(options, map_.shards[s], init, [](int64_t n) {
        return kernels::MakeSgd<float>(n, 0.1f);
      }));
      services_.push_back(std::make_unique<PsService>(shards_.back().get(), kToken));
      ServerOptions server_options;
      server_options.max_message_bytes = PsMaxMessageBytes(chunk_bytes);
      server_options.max_threads = max_threads > 0 ? max_threads : PsServerThreads(workers);
      auto started = StartServer(server_options, {services_.back()->service()});
      EXPECT_TRUE(started.ok()) << started.status();
      addresses_.push_back(started->address);
      servers_.push_back(std::move(started->server));
    }
  }
  ~GrpcCluster() {
    for (auto& shard : shards_) shard->Abort();
    for (auto& server : servers_) server->Shutdown(DeadlineIn(2));
  }

  PsClientOptions ClientOptions(int worker) const {
    PsClientOptions options;
    options.worker = worker;
    options.total_elems = map_.total_elems;
    options.shards = map_.shards;
    options.chunk_bytes = chunk_bytes_;
    return options;
  }

  absl::StatusOr<std::unique_ptr<PsClient>> Client(int worker, std::string token = kToken,
                                                   absl::Duration stall = absl::Seconds(60)) {
    PsClientOptions options = ClientOptions(worker);
    options.stall_timeout = stall;
    GrpcPsClientOptions grpc_options;
    grpc_options.addresses = addresses_;
    grpc_options.run_token = token;
    grpc_options.connect_timeout = absl::Seconds(5);
    return MakeGrpcPsClient(options, grpc_options);
  }

  // A client whose traffic crosses the simulated NICs: this worker on nic->host(), shard s on
  // shard_host[s].
  absl::StatusOr<std::unique_ptr<PsClient>> ShapedClient(int worker, std::shared_ptr<NicPort> nic,
                                                         std::vector<int> shard_host) {
    GrpcPsClientOptions grpc_options;
    grpc_options.addresses = addresses_;
    grpc_options.run_token = kToken;
    grpc_options.connect_timeout = absl::Seconds(5);
    grpc_options.my_host = nic->host();
    grpc_options.nic = std::move(nic);
    grpc_options.shard_host = std::move(shard_host);
    return MakeGrpcPsClient(ClientOptions(worker), grpc_options);
  }

  std::vector<float> Params() const {
    std::vector<float> flat(map_.total_elems);
    for (const auto& shard : shards_) shard->CopyParamsTo(flat);
    return flat;
  }
  std::vector<std::unique_ptr<PsShard>>& shards() { return shards_; }
  PsService& service(int s) { return *services_[s]; }
  grpc::Server& server(int s) { return *servers_[s]; }
  const std::vector<std::string>& addresses() const { return addresses_; }

 private:
  strategy::ShardMap map_;
  int64_t chunk_bytes_;
  std::vector<std::unique_ptr<PsShard>> shards_;
  std::vector<std::unique_ptr<PsService>> services_;
  std::vector<std::unique_ptr<grpc::Server>> servers_;
  std::vector<std::string> addresses_;
};

TEST(GrpcPsTest, BytesPerWorkerStepAreTwiceTheModelBytes) {
  auto model = kernels::MakeMlp<float>();  // 784-128-10: 101,770 parameters
  std::vector<float> init(model->layout().size(), 0.f);
  const double model_bytes = init.size() * 4.0;
  for (int64_t chunk : {int64_t{64} << 10, int64_t{1} << 20}) {
    GrpcCluster cluster(model->layout(), init, PsMode::kAsync, 2, 2, chunk);
    std::vector<std::thread> workers;
    for (int w = 0; w < 2; ++w) {
      workers.emplace_back([&, w] {
        auto client = cluster.Client(w);
        ASSERT_TRUE(client.ok()) << client.status();
        strategy::PsExchange exchange(std::move(*client));
        std::vector<float> params(init.size()), grads(init.size(), 0.001f);
        for (uint64_t step = 1; step <= 5; ++step) {
          strategy::StepComm comm;
          ASSERT_TRUE(exchange.BeginStep(step, params, &comm).ok());
          ASSERT_TRUE(exchange.EndStep(step, grads, params, &comm).ok());
          const double per_step = comm.bytes_sent + comm.bytes_received;
          EXPECT_NEAR(per_step / (2 * model_bytes), 1.0, 0.01) << "chunk " << chunk;
          EXPECT_NEAR(comm.bytes_sent / model_bytes, 1.0, 0.01);
          EXPECT_NEAR(comm.bytes_received / model_bytes, 1.0, 0.01);
        }
        ASSERT_TRUE(exchange.Finish().ok());
      });
    }
    for (auto& t : workers) t.join();
  }
}

TEST(GrpcPsTest, SyncOverTheWireIsLocalWithTwiceTheBatch) {
  constexpr int kIn = 32, kB = 8, kSteps = 10;
  auto model = kernels::MakeMlp<float>({16}, kIn, 10);
  std::vector<float> init(model->layout().size());
  model->Init(3, init.data());
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<float> x(kSteps * 2 * kB * kIn);
  std::vector<int32_t> y(kSteps * 2 * kB);
  for (float& v : x) v = u(rng);
  for (int32_t& v : y) v = static_cast<int32_t>(rng() % 10);
  // Local reference.
  std::vector<float> local = init, grads(init.size());
  auto sgd = kernels::MakeSgd<float>(init.size(), 0.1f);
  for (int t = 0; t < kSteps; ++t) {
    model->TrainStep(local.data(), &x[t * 2 * kB * kIn], &y[t * 2 * kB], 2 * kB, 0, grads.data(),
                     nullptr);
    sgd->Step(local, grads);
  }
  GrpcCluster cluster(model->layout(), init, PsMode::kSync, 2, 2, 256);  // many small chunks
  std::vector<std::thread> workers;
  for (int w = 0; w < 2; ++w) {
    workers.emplace_back([&, w] {
      auto replica = kernels::MakeMlp<float>({16}, kIn, 10);
      auto client = cluster.Client(w);
      ASSERT_TRUE(client.ok()) << client.status();
      strategy::PsExchange exchange(std::move(*client));
      std::vector<float> params(init.size()), g(init.size());
      for (int t = 0; t < kSteps; ++t) {
        strategy::StepComm comm;
        ASSERT_TRUE(exchange.BeginStep(t + 1, params, &comm).ok());
        replica->TrainStep(params.data(), &x[(t * 2 + w) * kB * kIn], &y[(t * 2 + w) * kB], kB, 0,
                           g.data(), nullptr);
        ASSERT_TRUE(exchange.EndStep(t + 1, g, params, &comm).ok());
      }
      ASSERT_TRUE(exchange.Finish().ok());
    });
  }
  for (auto& t : workers) t.join();
  const std::vector<float> ps = cluster.Params();
  double diff = 0, norm = 0;
  for (size_t i = 0; i < ps.size(); ++i) {
    diff += (double(ps[i]) - local[i]) * (double(ps[i]) - local[i]);
    norm += double(local[i]) * local[i];
  }
  EXPECT_LT(std::sqrt(diff / norm), 1e-5);
}

TEST(GrpcPsTest, WrongTokenIsRefused) {
  auto model = kernels::MakeSoftmax<float>();
  std::vector<float> init(model->layout().size(), 0.f);
  GrpcCluster cluster(model->layout(), init, PsMode::kAsync, 1, 1, 1 << 20);
  auto client = cluster.Client(0, "another-run");
  ASSERT_TRUE(client.ok()) << client.status();  // connecting is fine; calls are refused
  std::vector<float> params(init.size());
  PullResult pulled;
  absl::Status status = (*client)->Pull(0, params, &pulled);
  EXPECT_TRUE(absl::IsPermissionDenied(status)) << status;
  EXPECT_NE(status.message().find("run token"), std::string::npos) << status;
  PushResult pushed;
  std::vector<uint64_t> versions = {0};
  EXPECT_TRUE(absl::IsPermissionDenied((*client)->Push(0, params, versions, &pushed)));
  EXPECT_EQ(cluster.shards()[0]->version(), 0u);
}

// A hand-made message larger than a chunk plus its margin (PsMaxMessageBytes): gRPC refuses it
// with RESOURCE_EXHAUSTED before the service reads it, so nothing is applied, and the server
// still answers the next call. 1 MiB against a limit of 64 KiB + 64 KiB, with the right token.
TEST(GrpcPsTest, AnOversizeMessageIsRefusedAndNothingIsApplied) {
  auto model = kernels::MakeSoftmax<float>();
  std::vector<float> init(model->layout().size(), 0.f);
  constexpr int64_t kChunk = 64 << 10;
  GrpcCluster cluster(model->layout(), init, PsMode::kAsync, 1, 1, kChunk);
  ASSERT_LT(PsMaxMessageBytes(kChunk), 1 << 20);
  auto channel = MakeChannel(cluster.addresses()[0], 4 << 20, TlsFiles());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  AttachRunToken(&context, kToken);
  context.AddMetadata(kRankMetadataKey, "0");
  context.set_deadline(DeadlineIn(10));
  std::string huge(1 << 20, '\x01');
  grpc::Slice slice(huge.data(), huge.size());
  grpc::ByteBuffer request(&slice, 1), reply;
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(&context, "/distsim.rpc.ParameterServer/Push", grpc::StubOptions(), &request,
                 &reply, [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(20)));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_EQ(cluster.shards()[0]->version(), 0u);
  auto client = cluster.Client(0);
  ASSERT_TRUE(client.ok()) << client.status();
  std::vector<float> params(init.size()), grads(init.size(), 1.f);
  PullResult pulled;
  ASSERT_TRUE((*client)->Pull(0, params, &pulled).ok());
  PushResult pushed;
  ASSERT_TRUE((*client)->Push(0, grads, pulled.versions, &pushed).ok());
  EXPECT_EQ(cluster.shards()[0]->version(), 1u) << "the server goes on serving";
}

// A socket bound to 127.0.0.1 on a port the kernel picks (returned in *port), or -1.
int BindLoopback(int* port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return -1;
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

// A port in use is one line of distsim's, naming the address, without gRPC's own multi-line
// error record beside it on stderr.
TEST(GrpcPsTest, APortInUseIsOneLineWithoutGrpcsLog) {
  int port = 0;
  const int fd = BindLoopback(&port);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(listen(fd, 1), 0);
  ServerOptions server;
  server.port = port;
  ::testing::internal::CaptureStderr();
  absl::StatusOr<std::unique_ptr<ProcessServer>> started = ProcessServer::Start(server, {});
  const std::string printed = ::testing::internal::GetCapturedStderr();
  close(fd);
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.status().message().find(absl::StrCat("127.0.0.1:", server.port)),
            std::string::npos)
      << started.status();
  EXPECT_EQ(printed, "") << "gRPC printed its own log";
}

TEST(GrpcPsTest, MissingServerIsUnavailableNamingIt) {
  // A port that was just free: bind a socket to 127.0.0.1:0, note the port, close it.
  int port = 0;
  const int fd = BindLoopback(&port);
  ASSERT_GE(fd, 0);
  close(fd);
  const std::string address = "127.0.0.1:" + std::to_string(port);
  PsClientOptions options;
  options.total_elems = 10;
  options.shards = {{{0, 10}}};
  GrpcPsClientOptions grpc_options;
  grpc_options.addresses = {address};
  grpc_options.run_token = kToken;
  grpc_options.connect_timeout = absl::Milliseconds(500);
  const auto start = std::chrono::steady_clock::now();
  auto client = MakeGrpcPsClient(options, grpc_options);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  ASSERT_FALSE(client.ok());
  EXPECT_TRUE(absl::IsUnavailable(client.status())) << client.status();
  EXPECT_NE(client.status().message().find("shard 0 (" + address + ")"), std::string::npos)
      << client.status();
}

// SYNC, two workers; worker 0 pushed step 0, worker 1 never pushes: worker 0's next pull waits.
struct Waiting {
  std::unique_ptr<GrpcCluster> cluster;
  std::unique_ptr<PsClient> client;
  std::vector<float> params;
};

Waiting StartWaiting(absl::Duration stall) {
  Waiting w;
  auto model = kernels::MakeSoftmax<float>();
  std::vector<float> init(model->layout().size(), 0.f);
  w.cluster = std::make_unique<GrpcCluster>(model->layout(), init, PsMode::kSync, 2, 2, 1 << 20);
  auto client = w.cluster->Client(0, kToken, stall);
  EXPECT_TRUE(client.ok()) << client.status();
  w.client = std::move(*client);
  w.params.resize(init.size());
  PullResult pulled;
  PushResult pushed;
  EXPECT_TRUE(w.client->Pull(0, w.params, &pulled).ok());
  EXPECT_TRUE(w.client->Push(0, w.params, pulled.versions, &pushed).ok());
  return w;
}

// Waits (polling, no fixed sleep) until shard 0 of `w` has a parked pull: its 500 ms polls are
// re-issued, so one is parked almost always. False if none parks within 30 s.
bool WaitParked(Waiting& w) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < give_up) {
    if (w.cluster->service(0).num_waiting_pulls() > 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

// The waiting tests set a 60 s stall timeout: a call that an abort, a cancel or a shutdown ends
// returns long before it, however loaded the machine.
constexpr auto kWellBeforeTheStall = std::chrono::seconds(20);

// Starts worker 0's pull of step 1 (which waits for worker 1) on a thread of its own.
std::thread PullInBackground(Waiting& w, absl::Status* status, PullResult* pulled) {
  return std::thread([&w, status, pulled] { *status = w.client->Pull(1, w.params, pulled); });
}

TEST(GrpcPsTest, ClientAbortUnblocksAWaiter) {
  Waiting w = StartWaiting(absl::Seconds(60));
  absl::Status status;
  PullResult pulled;
  std::thread puller = PullInBackground(w, &status, &pulled);
  EXPECT_TRUE(WaitParked(w));
  const auto start = std::chrono::steady_clock::now();
  w.client->Abort();
  puller.join();
  EXPECT_TRUE(absl::IsCancelled(status)) << status;
  EXPECT_LT(std::chrono::steady_clock::now() - start, kWellBeforeTheStall);
}

TEST(GrpcPsTest, ServerAbortUnblocksAWaiter) {
  Waiting w = StartWaiting(absl::Seconds(60));
  absl::Status status;
  PullResult pulled;
  std::thread puller = PullInBackground(w, &status, &pulled);
  EXPECT_TRUE(WaitParked(w));
  const auto start = std::chrono::steady_clock::now();
  for (auto& shard : w.cluster->shards()) shard->Abort();
  puller.join();
  EXPECT_TRUE(absl::IsCancelled(status)) << status;
  EXPECT_LT(std::chrono::steady_clock::now() - start, kWellBeforeTheStall);
}

TEST(GrpcPsTest, LongWaitIsReissuedAndStallNamesTheSilentRank) {
  Waiting w = StartWaiting(absl::Milliseconds(1500));  // > one 500 ms poll: several polls
  const auto start = std::chrono::steady_clock::now();
  PullResult pulled;
  absl::Status status = w.client->Pull(1, w.params, &pulled);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(absl::IsDeadlineExceeded(status)) << status;
  EXPECT_NE(status.message().find("rank 1"), std::string::npos) << status;
  EXPECT_GE(elapsed, std::chrono::milliseconds(1500));
  EXPECT_LT(elapsed, std::chrono::milliseconds(3500));
}

TEST(GrpcPsTest, DoneReleasesTheWaiter) {
  Waiting w = StartWaiting(absl::Seconds(60));
  absl::Status status;
  PullResult pulled;
  std::thread puller = PullInBackground(w, &status, &pulled);
  EXPECT_TRUE(WaitParked(w));
  auto other = w.cluster->Client(1);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->Done().ok());
  puller.join();
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(pulled.versions, (std::vector<uint64_t>{1, 1}));
  EXPECT_GT(pulled.wait_s, 0.0);
}

// Six SYNC workers wait at every step's barrier for a seventh that takes 1.5 s per step, against
// servers whose thread quota is 2: a waiting pull must hold no server thread (a synchronous
// server answers RESOURCE_EXHAUSTED or stalls here). Every wait spans several re-issued polls.
TEST(GrpcPsTest, ManyWaitersNeedNoServerThreads) {
  constexpr int kWorkers = 7, kSlow = 6, kSteps = 3;
  auto model = kernels::MakeSoftmax<float>();
  std::vector<float> init(model->layout().size(), 0.f);
  GrpcCluster cluster(model->layout(), init, PsMode::kSync, kWorkers, 2, 64 << 10,
                      /*max_threads=*/2);
  std::vector<absl::Status> statuses(kWorkers);
  std::vector<double> waited(kWorkers, 0.0);
  std::atomic<bool> finished{false};
  int most_parked = 0;  // on shard 0
  std::thread sampler([&] {
    while (!finished) {
      most_parked = std::max(most_parked, cluster.service(0).num_waiting_pulls());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      auto client = cluster.Client(w);
      if (!client.ok()) {
        statuses[w] = client.status();
        return;
      }
      std::vector<float> params(init.size());
      const std::vector<float> grads(init.size(), 0.01f * (w + 1));
      for (uint64_t t = 0; t < kSteps && statuses[w].ok(); ++t) {
        PullResult pulled;
        statuses[w] = (*client)->Pull(t, params, &pulled);
        if (!statuses[w].ok()) break;
        waited[w] += pulled.wait_s;
        if (pulled.versions != std::vector<uint64_t>{t, t}) {
          statuses[w] = absl::InternalError(absl::StrCat("worker ", w,
                                                         " read the wrong version "
                                                         "at step ",
                                                         t));
          break;
        }
        if (w == kSlow) std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        PushResult pushed;
        statuses[w] = (*client)->Push(t, grads, pulled.versions, &pushed);
      }
      if (statuses[w].ok()) statuses[w] = (*client)->Done();
    });
  }
  for (auto& t : workers) t.join();
  finished = true;
  sampler.join();
  EXPECT_EQ(most_parked, kWorkers - 1);  // every fast worker parked at once, on 2 threads
  EXPECT_EQ(cluster.service(0).num_waiting_pulls(), 0);
  for (int w = 0; w < kWorkers; ++w) {
    EXPECT_TRUE(statuses[w].ok()) << "worker " << w << ": " << statuses[w];
    if (w != kSlow) {
      EXPECT_GT(waited[w], 0.9 * (kSteps - 1) * 1.5) << "worker " << w;
    }
  }
  for (auto& shard : cluster.shards()) EXPECT_EQ(shard->version(), uint64_t{kSteps});
  // SGD(0.1) on the mean gradient 0.01 * (1 + ... + 7) / 7 = 0.04, kSteps times.
  for (float v : cluster.Params()) ASSERT_NEAR(v, -0.1f * 0.04f * kSteps, 1e-6f);
}

TEST(GrpcPsTest, ClientCancelUnparksTheWaiterAtOnce) {
  Waiting w = StartWaiting(absl::Seconds(60));
  absl::Status status;
  PullResult pulled;
  std::thread puller = PullInBackground(w, &status, &pulled);
  EXPECT_TRUE(WaitParked(w));
  const auto cancelled = std::chrono::steady_clock::now();
  w.client->Abort();
  // The cancelled call leaves the server (OnCancel unparks it), the pull returns Cancelled, and
  // both happen long before the stall timeout would have ended the wait.
  while (w.cluster->service(0).num_waiting_pulls() > 0 &&
         std::chrono::steady_clock::now() - cancelled < kWellBeforeTheStall) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(w.cluster->service(0).num_waiting_pulls(), 0);
  puller.join();
  EXPECT_TRUE(absl::IsCancelled(status)) << status;
  EXPECT_LT(std::chrono::steady_clock::now() - cancelled, kWellBeforeTheStall);
}

TEST(GrpcPsTest, ServerShutdownFinishesParkedPullsAtOnce) {
  Waiting w = StartWaiting(absl::Seconds(60));
  absl::Status status;
  PullResult pulled;
  std::thread puller = PullInBackground(w, &status, &pulled);
  EXPECT_TRUE(WaitParked(w));
  const auto start = std::chrono::steady_clock::now();
  // A shutdown with no grace cancels the parked pull: once it returns, nothing is parked (a
  // shutdown that waited for the pull's poll instead would still return, after up to 500 ms).
  w.cluster->server(0).Shutdown(DeadlineIn(0));
  EXPECT_EQ(w.cluster->service(0).num_waiting_pulls(), 0);
  w.cluster->shards()[1]->Abort();  // the pull of shard 1 would wait on
  puller.join();
  EXPECT_FALSE(status.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, kWellBeforeTheStall);
}

// A handler that cannot report changes (the default SetChangeListener): parked pulls are polled.
class SilentHandler final : public PsShardHandler {
 public:
  explicit SilentHandler(PsShard* shard) : shard_(shard) {}
  int shard_id() const override { return shard_->shard_id(); }
  int num_workers() const override { return shard_->num_workers(); }
  int64_t size() const override { return shard_->size(); }
  int64_t chunk_elems() const override { return shard_->chunk_elems(); }
  absl::StatusOr<PullGrant> WaitPull(int worker, uint64_t clock, absl::Duration max_wait) override {
    return shard_->WaitPull(worker, clock, max_wait);
  }
  absl::Status ReadChunk(int chunk, std::span<float> out) override {
    return shard_->ReadChunk(chunk, out);
  }
  absl::Status PushChunk(int worker, uint64_t clock, int chunk,
                         std::span<const float> grad) override {
    return shard_->PushChunk(worker, clock, chunk, grad);
  }
  absl::StatusOr<PushAck> FinishPush(int worker, uint64_t clock, uint64_t pulled_version) override {
    return shard_->FinishPush(worker, clock, pulled_version);
  }
  absl::Status WorkerDone(int worker) override { return shard_->WorkerDone(worker); }
  void Abort() override { shard_->Abort(); }

 private:
  PsShard* const shard_;
};

TEST(GrpcPsTest, HandlerWithoutChangeListenerStillReleasesWaitersPromptly) {
  const std::vector<float> init(1000, 0.f);
  strategy::PsShardOptions options;
  options.num_workers = 2;
  options.mode = PsMode::kSync;
  PsShard shard(options, {{0, 1000}}, init,
                [](int64_t n) { return kernels::MakeSgd<float>(n, 0.1f); });
  SilentHandler handler(&shard);
  PsService service(&handler, kToken);
  auto started = StartServer(ServerOptions{}, {service.service()});
  ASSERT_TRUE(started.ok()) << started.status();
  PsClientOptions client_options;
  client_options.total_elems = 1000;
  client_options.shards = {{{0, 1000}}};
  client_options.poll = absl::Seconds(1);
  GrpcPsClientOptions grpc_options;
  grpc_options.addresses = {started->address};
  grpc_options.run_token = kToken;
  auto client = MakeGrpcPsClient(client_options, grpc_options);
  ASSERT_TRUE(client.ok()) << client.status();
  std::vector<float> params(1000);
  PullResult pulled;
  PushResult pushed;
  ASSERT_TRUE((*client)->Pull(0, params, &pulled).ok());
  ASSERT_TRUE((*client)->Push(0, params, pulled.versions, &pushed).ok());
  std::chrono::steady_clock::time_point released, answered;
  absl::Status status;
  std::thread puller([&] {
    status = (*client)->Pull(1, params, &pulled);
    answered = std::chrono::steady_clock::now();
  });
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (service.num_waiting_pulls() == 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(service.num_waiting_pulls(), 1);  // parked: polled, no fixed sleep
  released = std::chrono::steady_clock::now();
  ASSERT_TRUE(shard.WorkerDone(1).ok());
  puller.join();
  ASSERT_TRUE(status.ok()) << status;
  // Released by the 5 ms re-check, not at the end of the 1 s poll the pull was parked for.
  EXPECT_LT(answered - released, std::chrono::milliseconds(800));
  EXPECT_EQ(pulled.versions, std::vector<uint64_t>{1});
  started->server->Shutdown(DeadlineIn(1));
}

// Runs fn(w) for both workers at once; returns each one's seconds from the common start.
template <typename Fn>
std::vector<double> BothAtOnce(Fn fn) {
  std::vector<double> took(2);
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      fn(w);
      took[w] = absl::ToDoubleSeconds(absl::Now() - start);
    });
  }
  for (auto& t : threads) t.join();
  return took;
}

TEST(GrpcPsTest, ShapedWorkersShareTheServerHostsNic) {
  // One shard on host 0; workers on hosts 1 and 2, each moving 2.5 MB per pull and per push over
  // 100 Mbit/s NICs: host 0's egress (pulls) and ingress (pushes) are the bottleneck, so each
  // transfer takes about twice 2.5 MB / bandwidth.
  constexpr int64_t kElems = 625'000;
  kernels::ParamLayout layout;
  layout.Add("w", {kElems});
  const std::vector<float> init(kElems, 0.f);
  GrpcCluster cluster(layout, init, PsMode::kAsync, 2, 1, 1 << 20);
  NicModel model;
  model.bytes_per_s = 12.5e6;
  auto table = NicTable::CreateLocal(3, model);
  std::vector<std::unique_ptr<PsClient>> clients;
  for (int w = 0; w < 2; ++w) {
    auto client = cluster.ShapedClient(w, std::make_shared<NicPort>(table, w + 1, 50 + w), {0});
    ASSERT_TRUE(client.ok()) << client.status();
    clients.push_back(std::move(*client));
  }
  const double ideal = 2 * kElems * 4.0 / model.bytes_per_s;  // 0.4 s
  std::vector<std::vector<float>> params(2, std::vector<float>(kElems));
  std::vector<PullResult> pulled(2);
  const std::vector<double> pull_s =
      BothAtOnce([&](int w) { EXPECT_TRUE(clients[w]->Pull(0, params[w], &pulled[w]).ok()); });
  const std::vector<float> grads(kElems, 0.5f);
  const std::vector<double> push_s = BothAtOnce([&](int w) {
    PushResult pushed;
    EXPECT_TRUE(clients[w]->Push(0, grads, pulled[w].versions, &pushed).ok());
  });
  std::printf(
      "shaped PS, 2 workers x 2.5 MB through one 100 Mbit/s server NIC (ideal %.3f s): "
      "pulls %.3f/%.3f s, pushes %.3f/%.3f s\n",
      ideal, pull_s[0], pull_s[1], push_s[0], push_s[1]);
  for (int w = 0; w < 2; ++w) {
    EXPECT_GE(pull_s[w], 0.85 * ideal) << "worker " << w;
    EXPECT_LE(pull_s[w], 1.5 * ideal) << "worker " << w;
    EXPECT_GE(push_s[w], 0.85 * ideal) << "worker " << w;
    EXPECT_LE(push_s[w], 1.5 * ideal) << "worker " << w;
    // Everything went to another host: the NIC counters match the transport's (the push ack is
    // counted too; only Done() is left out).
    EXPECT_EQ(clients[w]->nic_bytes_sent(), clients[w]->bytes_sent());
    EXPECT_EQ(clients[w]->nic_bytes_received(), clients[w]->bytes_received());
    EXPECT_GT(clients[w]->nic_bytes_received(), kElems * 4u);
  }
}

// Waits (polling, no fixed sleep) until `host`'s egress bucket has been reserved: a shaped
// transfer from it is under way. False if none starts within 30 s.
bool WaitUntilSending(const NicTable& table, int host) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < give_up) {
    if (table.egress_free(host) > absl::UnixEpoch()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

TEST(GrpcPsTest, AbortEndsAPushWaitingOnASlowNic) {
  kernels::ParamLayout layout;
  layout.Add("w", {250'000});  // 1 MB: 10 s at 100 kB/s
  const std::vector<float> init(layout.size(), 0.f);
  GrpcCluster cluster(layout, init, PsMode::kAsync, 1, 1, 1 << 20);
  auto table = NicTable::CreateLocal(2, NicModel{.bytes_per_s = 1e5});
  auto client = cluster.ShapedClient(0, std::make_shared<NicPort>(table, 1, 1), {0});
  ASSERT_TRUE(client.ok()) << client.status();
  absl::Status status;
  std::thread pusher([&] {
    PushResult pushed;
    status = (*client)->Push(0, init, std::vector<uint64_t>{0}, &pushed);
  });
  EXPECT_TRUE(WaitUntilSending(*table, 1));
  const auto start = std::chrono::steady_clock::now();
  (*client)->Abort();
  pusher.join();
  EXPECT_TRUE(absl::IsCancelled(status)) << status;
  // The push would take 10 s on the NIC: the abort ends it well before.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(GrpcPsTest, AShapedClientChecksItsHostTable) {
  auto model = kernels::MakeSoftmax<float>();
  std::vector<float> init(model->layout().size(), 0.f);
  GrpcCluster cluster(model->layout(), init, PsMode::kAsync, 1, 2, 1 << 20);
  auto table = NicTable::CreateLocal(2, NicModel{});
  auto client = cluster.ShapedClient(0, std::make_shared<NicPort>(table, 1, 1), {0});
  EXPECT_TRUE(absl::IsInvalidArgument(client.status())) << client.status();  // 2 shards
  client = cluster.ShapedClient(0, std::make_shared<NicPort>(table, 1, 1), {0, 2});
  EXPECT_TRUE(absl::IsInvalidArgument(client.status())) << client.status();  // no host 2
  EXPECT_NE(client.status().message().find("shard_host[1]"), std::string::npos) << client.status();
}

}  // namespace
}  // namespace distsim::comm

#include "sim/node/exchange_factory.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "sim/base/status.h"
#include "sim/comm/frame_mailbox.h"
#include "sim/comm/grpc_peer_link.h"
#include "sim/comm/grpc_ps.h"
#include "sim/comm/rpc_server.h"
#include "sim/comm/tcp_peer_link.h"
#include "sim/node/factory.h"
#include "sim/strategy/ps_exchange.h"
#include "sim/strategy/ring_exchange.h"

namespace distsim::node {
namespace {

// What every transport shares: the abort latch. Abort may come from the heartbeat thread at any
// time; the abortable object exists only after Connect.
class AbortLatch {
 public:
  void Abort() {
    absl::MutexLock lock(&mu_);
    aborted_ = true;
    if (abort_) abort_();
  }
  // Arms `abort` for later aborts, and runs it at once if an abort already came.
  void Arm(std::function<void()> abort) {
    absl::MutexLock lock(&mu_);
    abort_ = std::move(abort);
    if (aborted_) abort_();
  }

 private:
  absl::Mutex mu_;
  bool aborted_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void()> abort_ ABSL_GUARDED_BY(mu_);
};

std::vector<std::string> WorkerAddresses(const PeerTable& peers) {
  std::vector<std::string> out;
  for (const ProcessInfo& w : peers.workers()) out.push_back(w.address());
  return out;
}

std::unique_ptr<strategy::GradientExchange> MakeRingExchange(
    const RunPlan& plan, comm::PeerLink* link,
    std::unique_ptr<kernels::Optimizer<float>> optimizer) {
  strategy::RingAllreduceOptions ring;
  ring.segment_bytes = static_cast<int64_t>(plan.config.allreduce().segment_bytes());
  ring.stall_timeout = plan.timeouts.stall;
  return std::make_unique<strategy::RingExchange>(link, std::move(optimizer), ring,
                                                  LearningRateScheduleOf(plan.config.optimizer()));
}

// Ring allreduce over a link of type Link (TCP or gRPC): what both transports share.
template <typename Link, typename LinkOptions>
class RingTransport : public WorkerTransport {
 public:
  RingTransport(const RunPlan& plan, LinkOptions options)
      : plan_(plan), link_(std::move(options)) {}

  absl::StatusOr<std::unique_ptr<strategy::GradientExchange>> Connect(
      const PeerTable& peers, std::unique_ptr<kernels::Optimizer<float>> optimizer) override {
    DS_RETURN_IF_ERROR(link_.Connect(WorkerAddresses(peers), absl::Now() + plan_.timeouts.rpc));
    latch_.Arm([this] { link_.Abort(); });
    return MakeRingExchange(plan_, &link_, std::move(optimizer));
  }
  void Abort() override { latch_.Abort(); }
  bool serves_peers() const override { return true; }

 protected:
  const RunPlan& plan_;
  Link link_;

 private:
  AbortLatch latch_;
};

// Plain TCP: the link listens on its own socket.
class TcpRingTransport final : public RingTransport<comm::TcpPeerLink, comm::TcpPeerLinkOptions> {
 public:
  using RingTransport::RingTransport;

  absl::Status Listen(const std::string& host) {
    DS_ASSIGN_OR_RETURN(int port, link_.Listen());
    address_ = absl::StrCat(host, ":", port);
    return absl::OkStatus();
  }
  std::string address() const override { return address_; }
  void Close() override { link_.Close(absl::Now() + absl::Seconds(1)); }

 private:
  std::string address_;
};

// gRPC streams: the link's service runs on a server of this process.
class GrpcRingTransport final
    : public RingTransport<comm::GrpcPeerLink, comm::GrpcPeerLinkOptions> {
 public:
  using RingTransport::RingTransport;

  absl::Status Serve(const TransportFlags& flags) {
    comm::ServerOptions server;
    server.bind_host = flags.bind_host;
    server.port = flags.bind_port;
    server.max_message_bytes = comm::RingMaxMessageBytes(
        static_cast<int64_t>(plan_.config.allreduce().segment_bytes()));
    server.max_threads = 4 + 2 * plan_.shape.workers;
    server.tls = flags.tls;
    DS_ASSIGN_OR_RETURN(server_, comm::ProcessServer::Start(server, {link_.service()}));
    return absl::OkStatus();
  }
  std::string address() const override { return server_->address(); }
  void Close() override {
    link_.Close(absl::Now() + absl::Seconds(1));
    server_->Shutdown(0.5);
  }

 private:
  std::unique_ptr<comm::ProcessServer> server_;
};

// A parameter-server worker: serves nothing, connects a client to every shard.
class PsTransport final : public WorkerTransport {
 public:
  PsTransport(const RunPlan& plan, TransportFlags flags) : plan_(plan), flags_(std::move(flags)) {}

  std::string address() const override { return ""; }
  absl::StatusOr<std::unique_ptr<strategy::GradientExchange>> Connect(
      const PeerTable& peers, std::unique_ptr<kernels::Optimizer<float>>) override {
    std::vector<std::string> addresses;
    for (const ProcessInfo& s : peers.servers()) addresses.push_back(s.address());
    DS_ASSIGN_OR_RETURN(std::unique_ptr<comm::PsClient> client,
                        MakePsClient(plan_, flags_, addresses));
    comm::PsClient* raw = client.get();
    latch_.Arm([raw] { raw->Abort(); });
    return std::make_unique<strategy::PsExchange>(std::move(client));
  }
  void Abort() override { latch_.Abort(); }
  bool serves_peers() const override { return false; }
  void Close() override {}

 private:
  const RunPlan& plan_;
  const TransportFlags flags_;
  AbortLatch latch_;
};

// What both ring links take from the plan: this rank, the ring's size, the token, the frame cap.
template <typename LinkOptions>
LinkOptions RingLinkOptions(const RunPlan& plan, const TransportFlags& flags) {
  LinkOptions options;
  options.rank = static_cast<int>(flags.rank);
  options.size = plan.shape.workers;
  options.run_token = flags.token;
  options.max_frame_bytes = static_cast<int64_t>(plan.config.allreduce().segment_bytes());
  return options;
}

absl::StatusOr<std::unique_ptr<WorkerTransport>> StartTcpRing(const RunPlan& plan,
                                                              const TransportFlags& flags) {
  auto options = RingLinkOptions<comm::TcpPeerLinkOptions>(plan, flags);
  options.bind_host = flags.bind_host;
  // Spin briefly before sleeping in Recv when every worker of this machine has a core.
  options.spin_micros = comm::SpinMicrosFor(plan.shape.workers);
  if (flags.nic) {
    options.nic = flags.nic;
    options.rank_host.assign(plan.shape.worker_host.begin(), plan.shape.worker_host.end());
  }
  auto transport = std::make_unique<TcpRingTransport>(plan, std::move(options));
  DS_RETURN_IF_ERROR(transport->Listen(flags.bind_host));
  return transport;
}

absl::StatusOr<std::unique_ptr<WorkerTransport>> StartGrpcRing(const RunPlan& plan,
                                                               const TransportFlags& flags) {
  auto options = RingLinkOptions<comm::GrpcPeerLinkOptions>(plan, flags);
  options.tls = flags.tls;
  // No spinning here: gRPC's own threads deliver the frames and need the cores (spinning made a
  // 2-rank gRPC ring slower, 129 -> 199 us at 31 KiB).
  auto transport = std::make_unique<GrpcRingTransport>(plan, std::move(options));
  DS_RETURN_IF_ERROR(transport->Serve(flags));
  return transport;
}

}  // namespace

absl::Status CheckTlsTransport(const RunConfig& config, bool tls) {
  if (!tls || !config.has_allreduce() || config.allreduce().transport() != AllreduceStrategy::TCP) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      "allreduce.transport: TCP (the default) is plain sockets and cannot use TLS; set "
      "allreduce { transport: GRPC } to run this config with --tls-cert, --tls-key and --tls-ca");
}

absl::StatusOr<std::unique_ptr<WorkerTransport>> StartWorkerTransport(const RunPlan& plan,
                                                                      const TransportFlags& flags) {
  DS_RETURN_IF_ERROR(CheckTlsTransport(plan.config, flags.tls.enabled()));
  if (!plan.config.has_allreduce()) return std::make_unique<PsTransport>(plan, flags);
  if (plan.config.allreduce().transport() == AllreduceStrategy::TCP) {
    return StartTcpRing(plan, flags);
  }
  return StartGrpcRing(plan, flags);
}

absl::StatusOr<std::unique_ptr<comm::PsClient>> MakePsClient(
    const RunPlan& plan, const TransportFlags& flags, const std::vector<std::string>& addresses) {
  comm::PsClientOptions options;
  options.worker = static_cast<int>(flags.rank);
  options.total_elems = plan.parameters;
  options.shards = plan.shards.shards;
  options.chunk_bytes = static_cast<int64_t>(plan.config.parameter_server().chunk_bytes());
  options.stall_timeout = plan.timeouts.stall;
  comm::GrpcPsClientOptions grpc_options;
  grpc_options.addresses = addresses;
  grpc_options.run_token = flags.token;
  grpc_options.connect_timeout = plan.timeouts.rpc;
  grpc_options.rpc_timeout = plan.timeouts.rpc;
  grpc_options.tls = flags.tls;
  if (flags.nic) {
    grpc_options.nic = flags.nic;
    grpc_options.my_host = flags.nic->host();
    grpc_options.shard_host.assign(plan.shape.server_host.begin(), plan.shape.server_host.end());
  }
  return comm::MakeGrpcPsClient(options, grpc_options);
}

strategy::PsShardOptions PsShardOptionsOf(const RunPlan& plan, int rank) {
  const ParameterServerStrategy& ps = plan.config.parameter_server();
  strategy::PsShardOptions options;
  options.shard_id = rank;
  options.num_workers = plan.shape.workers;
  options.mode = ps.mode() == ParameterServerStrategy::SYNC  ? strategy::PsMode::kSync
                 : ps.mode() == ParameterServerStrategy::SSP ? strategy::PsMode::kSsp
                                                              : strategy::PsMode::kAsync;
  options.staleness = ps.staleness();
  options.chunk_bytes = static_cast<int64_t>(ps.chunk_bytes());
  options.learning_rate = LearningRateScheduleOf(plan.config.optimizer());
  options.skip_bad_gradients = ps.on_bad_gradient() == ParameterServerStrategy::SKIP;
  // trace.json's spans of this shard: a few hundred kilobytes in the summary at most.
  options.trace_capacity = 4096;
  return options;
}

}  // namespace distsim::node

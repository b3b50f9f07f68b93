// The one place where a run's strategy and transport are chosen: from the plan (and, once the
// coordinator handed it out, the peer table) to the transport a worker talks over and the
// GradientExchange its training loop drives, and to a parameter-server shard's options and
// server. Everything else in the roles is strategy-neutral.
#ifndef DISTSIM_SIM_NODE_EXCHANGE_FACTORY_H_
#define DISTSIM_SIM_NODE_EXCHANGE_FACTORY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "distsim/cluster.pb.h"
#include "kernels/optimizer.h"
#include "sim/comm/nic.h"
#include "sim/comm/ps_client.h"
#include "sim/comm/tls.h"
#include "sim/node/run_plan.h"
#include "sim/strategy/exchange.h"
#include "sim/strategy/ps_shard.h"

namespace distsim::node {

// What a process of the run brings to its transport besides the plan.
struct TransportFlags {
  uint32_t rank = 0;
  std::string token;                   // the run token
  std::string bind_host = "127.0.0.1";
  int bind_port = 0;                   // 0: any free port
  std::shared_ptr<comm::NicPort> nic;  // this process's simulated NIC (shaped networks), or null
  // TLS for every server and channel of the transport; empty: plaintext. Only the gRPC
  // transports carry it (CheckTlsTransport).
  comm::TlsFiles tls;
};

// InvalidArgument naming allreduce.transport when `tls` is on and the config's ring runs over
// plain TCP sockets, which cannot carry TLS (the gRPC ring and the parameter server can). The
// coordinator and every role check this before they serve anything.
absl::Status CheckTlsTransport(const RunConfig& config, bool tls);

// A worker's side of the exchange. Started before the worker registers (a ring rank must serve
// its link so that its address can go into the peer table), connected once the table is known.
class WorkerTransport {
 public:
  virtual ~WorkerTransport() = default;

  // "host:port" this worker serves for its peers; empty when it serves nothing (PS workers).
  virtual std::string address() const = 0;

  // Connects to the peers of `peers` by the plan's rpc deadline and returns the exchange over
  // them, which takes `optimizer` (the ring applies it in every replica; the PS ignores it).
  virtual absl::StatusOr<std::unique_ptr<strategy::GradientExchange>> Connect(
      const PeerTable& peers, std::unique_ptr<kernels::Optimizer<float>> optimizer) = 0;

  // Unblocks every pending and later call of the exchange. Thread-safe; before Connect it only
  // makes Connect's exchange start aborted.
  virtual void Abort() = 0;

  // Whether peers may still read this worker's last frames after its loop ended (the ring): the
  // worker then stays until the coordinator's shutdown before it calls Close.
  virtual bool serves_peers() const = 0;
  virtual void Close() = 0;
};

// Fails as CheckTlsTransport does for a TLS transport over the TCP ring.
absl::StatusOr<std::unique_ptr<WorkerTransport>> StartWorkerTransport(const RunPlan& plan,
                                                                      const TransportFlags& flags);

// A parameter-server client of worker `flags.rank` to the servers at `addresses` (one per shard,
// in shard order), with the plan's shard map, chunking and deadlines. The launcher uses it too, to
// evaluate for a dead chief.
absl::StatusOr<std::unique_ptr<comm::PsClient>> MakePsClient(
    const RunPlan& plan, const TransportFlags& flags, const std::vector<std::string>& addresses);

// The options of parameter-server shard `rank` under the plan (mode, staleness, chunking, the
// learning-rate schedule).
strategy::PsShardOptions PsShardOptionsOf(const RunPlan& plan, int rank);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_EXCHANGE_FACTORY_H_

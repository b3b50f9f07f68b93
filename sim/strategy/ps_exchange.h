// PsExchange: the parameter-server strategy seen from a worker's step loop.
//
//   BeginStep(step)  pulls every shard's parameters into `params`, after the wait the mode needs
//                    (SYNC: the averaged update of step - 1; SSP: the slowest worker within s).
//   EndStep(step)    pushes the gradient; returns once every shard applied (ASYNC/SSP) or
//                    accumulated (SYNC) it. `params` is left alone: the next BeginStep pulls.
//   Finish()         tells every shard this worker is done, so nobody waits for it.
// The worker's clock before step `step` (1-based) is step - 1.
//
// StepComm: pull_s and push_s are wall times EXCLUDING wait_s (the time spent in not-ready long
// polls), so compute + pull_s + push_s + wait_s adds up to the step; bytes come from the client's
// transport counters; staleness is the max over shards of the staleness the servers measured for
// the update this step's push produced.
//
// Thread safety: used by one worker thread (GradientExchange's contract). Owns the client.
#ifndef DISTSIM_SIM_STRATEGY_PS_EXCHANGE_H_
#define DISTSIM_SIM_STRATEGY_PS_EXCHANGE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "sim/comm/ps_client.h"
#include "sim/strategy/exchange.h"

namespace distsim::strategy {

class PsExchange final : public GradientExchange {
 public:
  explicit PsExchange(std::unique_ptr<comm::PsClient> client);

  absl::Status BeginStep(uint64_t step, std::span<float> params, StepComm* comm) override;
  absl::Status EndStep(uint64_t step, std::span<const float> grads, std::span<float> params,
                       StepComm* comm) override;
  absl::Status FetchLatest(std::span<float> params) override;
  void Abort() override;
  absl::Status Finish() override;
  // The smallest clock over the shards: a shard that finished the push of the step after takes
  // it again as a replay (PsShard::Rejoin).
  absl::StatusOr<uint64_t> Rejoin(uint64_t* redone) override;

  // The client, e.g. to Abort() it from another thread (PsClient::Abort is thread-safe).
  comm::PsClient* client() { return client_.get(); }
  // Versions (per shard) of the parameters the last BeginStep read.
  const std::vector<uint64_t>& versions() const { return pulled_.versions; }

 private:
  std::unique_ptr<comm::PsClient> client_;
  comm::PullResult pulled_;
  bool pulled_valid_ = false;
  uint64_t completed_ = 0;  // steps whose push succeeded: this worker's clock
};

}  // namespace distsim::strategy

#endif  // DISTSIM_SIM_STRATEGY_PS_EXCHANGE_H_

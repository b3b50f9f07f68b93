// FanOut: runs fn(0) ... fn(n - 1) at once, fn(0) on the caller's thread and the others on n - 1
// threads that live as long as the FanOut. A parameter-server client calls every shard twice per
// step; starting fresh threads for each call cost more CPU than the calls on a run with 8 shards
// and 64 workers on two cores.
#ifndef DISTSIM_SIM_COMM_FAN_OUT_H_
#define DISTSIM_SIM_COMM_FAN_OUT_H_

#include <functional>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace distsim::comm {

class FanOut {
 public:
  explicit FanOut(int n);
  ~FanOut();
  FanOut(const FanOut&) = delete;
  FanOut& operator=(const FanOut&) = delete;

  // Runs fn(i) for every i in [0, n) and returns when all have returned. Concurrent Runs take
  // turns.
  // Returns the first error, preferring any other code over Cancelled (usually a consequence).
  absl::Status Run(const std::function<absl::Status(int)>& fn);

  int size() const { return n_; }

 private:
  void Serve(int i);

  const int n_;
  absl::Mutex run_mu_;  // held through a Run
  absl::Mutex mu_;
  const std::function<absl::Status(int)>* job_ ABSL_GUARDED_BY(mu_) = nullptr;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // counts Runs; a thread runs each once
  int pending_ ABSL_GUARDED_BY(mu_) = 0;          // helper threads still in this Run's fn
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<absl::Status> statuses_;  // slot i is written by the thread that runs fn(i)
  std::vector<std::thread> threads_;
};

}  // namespace distsim::comm

#endif  // DISTSIM_SIM_COMM_FAN_OUT_H_

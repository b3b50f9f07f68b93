// TensorFlow's cluster spec (the TF_CONFIG variable Kubeflow's TFJob and SageMaker's TensorFlow
// containers set) mapped onto a distsim role, in this one place, so that the same binary runs as
// a TFJob's replicas:
//
//   {"cluster": {"chief": ["c0:2222"], "worker": ["w0:2222", "w1:2222"], "ps": ["p0:2222"]},
//    "task": {"type": "worker", "index": 1}}
//
//   - "master" is the legacy name of "chief" (SageMaker's legacy TensorFlow containers).
//   - distsim's workers are the chief, then TensorFlow's workers: chief -> worker 0, worker i ->
//     worker i + 1. Without a chief, TensorFlow's worker 0 is the chief: worker i -> worker i.
//   - ps i -> server i (a parameter-server shard).
//   - The coordinator listens on the chief's host (worker 0's without a chief) at port 2222,
//     TensorFlow's master port, where SageMaker's layout puts it too (`distsim train`).
//   - A server serves on its own cluster address (host and port); a worker on its host, at a
//     port the kernel picks (it registers the address it got).
//   - "evaluator" and any other task type have no distsim role.
// The CLI reads $TF_CONFIG (sim/cli) and calls RoleFromTfConfig only when --rank and
// --coordinator are not given.
#ifndef DISTSIM_SIM_CONFIG_TF_CONFIG_H_
#define DISTSIM_SIM_CONFIG_TF_CONFIG_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace distsim::config {

// TensorFlow's master port: the coordinator's, in the chief's host.
inline constexpr int kCoordinatorPort = 2222;
// The parameter-server port of SageMaker's TensorFlow layout (`distsim train`).
inline constexpr int kParameterServerPort = 2223;

struct TfRole {
  bool server = false;      // a ps task
  uint32_t rank = 0;        // distsim's rank of its role
  std::string coordinator;  // "<chief host>:2222"
  std::string bind_host;    // the task's own host
  int bind_port = 0;        // servers: the task's port; workers: 0 (any)
  uint32_t workers = 0;     // chief and workers, all together
  uint32_t servers = 0;     // ps tasks
};

// The role of TF_CONFIG's task. InvalidArgument (exit 78) naming "TF_CONFIG" and the key for
// malformed JSON, a missing cluster or task, a task type without a distsim role, an index
// outside its list, an address without a port, or more than one chief.
absl::StatusOr<TfRole> RoleFromTfConfig(std::string_view json);

}  // namespace distsim::config

#endif  // DISTSIM_SIM_CONFIG_TF_CONFIG_H_

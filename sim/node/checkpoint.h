// Coordinated checkpoints: every process of a synchronous run (parameter server SYNC, allreduce)
// writes its state for the same global step s, so that together the files are the whole run at s.
//
// Layout: <dir>/step-<s, 10 digits>/<role>-<rank>.ckpt, one file per server shard and per worker.
// A file is an 8-byte magic, the payload's length and checksum (8 bytes each, little-endian), and
// the payload: a CheckpointState proto holding the step and the config's fingerprint. Files are
// written durably (temp, fsync, rename, fsync of the folder: sim/base/durable_file.h).
//
// A set is good only when it is complete: every file the run's shape expects is there, whole
// (length and checksum agree) and of this config (fingerprint). Resuming takes the newest good
// set and names every newer one it passed over and why. Each process removes its own file of the
// set `kept` checkpoints back as it writes a new one, so the last `kept` sets stay.
#ifndef DISTSIM_SIM_NODE_CHECKPOINT_H_
#define DISTSIM_SIM_NODE_CHECKPOINT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "distsim/cluster.pb.h"
#include "distsim/config.pb.h"

namespace distsim::node {

// A hash of what decides a run's arithmetic: the config without its name, output folder,
// supervision, injected faults and logging. Two configs with the same fingerprint train the same
// parameters step for step.
uint64_t ConfigFingerprint(const RunConfig& config);

// <dir>/step-<step>
std::string CheckpointSetDir(const std::string& dir, uint64_t step);

// Writes one process's state (its role, rank and step inside) into its set, creating the set's
// folder. Errors name the path (exit 74; a full disk says so).
absl::Status WriteCheckpoint(const std::string& dir, const CheckpointState& state);

// Reads and checks the file of (role, rank) in the set of `step`: NotFound when missing;
// DataLoss (exit 65) when truncated or corrupt; InvalidArgument (exit 78) when it is another
// config's (fingerprint) or holds another step or process. Every message names the file.
absl::StatusOr<CheckpointState> ReadCheckpoint(const std::string& dir, uint64_t step,
                                               ProcessInfo::Role role, uint32_t rank,
                                               uint64_t fingerprint);

// Removes this process's file from the set `step` (and the set's folder once empty).
void RemoveCheckpoint(const std::string& dir, uint64_t step, ProcessInfo::Role role,
                      uint32_t rank);

// Steps of the sets under `dir`, newest first (folders named step-<digits>).
std::vector<uint64_t> CheckpointSteps(const std::string& dir);

struct ResumePoint {
  uint64_t step = 0;                 // the newest good set
  std::vector<std::string> skipped;  // newer sets passed over, one sentence each naming the file
};

// The newest good set for a run of `servers` shards and `workers` workers. When no set is good:
// NotFound if there is none at all; otherwise the error of the newest set (DataLoss when a file
// is corrupt, InvalidArgument when it is another config's), with every set's reason.
absl::StatusOr<ResumePoint> FindResumePoint(const std::string& dir, int servers, int workers,
                                            uint64_t fingerprint);

// Removes temporary files a crash left between write and rename.
void RemoveTempFiles(const std::string& dir);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_CHECKPOINT_H_

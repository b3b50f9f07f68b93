// What every run is told besides its config: where the data is and the results go, where progress
// is shown, how it is stopped.
#ifndef DISTSIM_SIM_NODE_RUN_OPTIONS_H_
#define DISTSIM_SIM_NODE_RUN_OPTIONS_H_

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

namespace distsim::node {

struct RunOptions {
  std::string data_dir;  // resolved folder of the four IDX files
  // The object cache (channels.h): where the training set's objects are written once and shared
  // by runs. Empty: <out_dir>/objects.
  std::string objects_dir;
  std::string out_dir;            // result.json, steps.csv, trace.json; local runs: empty writes
                                  // nothing
  std::FILE* progress = nullptr;  // progress lines; nullptr: silent
  uint64_t progress_every_steps = 0;
  std::string command_line;  // recorded in the provenance
  // Polled while the run goes; when it becomes true the run stops with a Cancelled status.
  const std::atomic<bool>* stop = nullptr;
  // Asked once `stop` is set: true when a run with checkpoints should go on to its next one
  // before stopping (SIGTERM), false to stop at once (Ctrl-C). Unset: at once.
  std::function<bool()> stop_at_next_checkpoint;
  std::string executable;  // distributed runs: the binary to spawn (default: this one)
  // `distsim run --resume`: continue from the newest good checkpoint in out_dir/checkpoints
  // (run_checkpoints.h) instead of starting afresh.
  bool resume = false;
};

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_RUN_OPTIONS_H_

// steps.csv: one row per training step of each worker, for plotting and for programs. One format
// for every strategy (the local run is worker 0):
//   worker,step,epoch,samples,wall_s,step_ms,data_ms,compute_ms,pull_ms,push_ms,wait_ms,reduce_ms,
//   update_ms,bytes_sent,bytes_received,loss,batch_accuracy,staleness,test_accuracy,test_loss
// test_accuracy and test_loss are empty except at evaluation points.
#ifndef DISTSIM_SIM_REPORT_STEPS_CSV_H_
#define DISTSIM_SIM_REPORT_STEPS_CSV_H_

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "distsim/cluster.pb.h"

namespace distsim::report {

struct StepRow {
  uint32_t worker = 0;
  uint64_t step = 0;     // 1-based: the step just completed
  double epoch = 0;      // training-set passes completed (fractional)
  uint64_t samples = 0;  // examples processed so far
  double wall_s = 0;     // since the run's clock started
  double step_ms = 0;    // whole step
  double data_ms = 0;    // reading the batch
  double compute_ms = 0; // forward + backward
  double pull_ms = 0;    // PS: receiving parameters
  double push_ms = 0;    // PS: sending gradients until applied
  double wait_ms = 0;    // blocked on other workers (inside pull/push)
  double reduce_ms = 0;  // allreduce
  double update_ms = 0;  // local optimizer
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  double loss = 0;
  double batch_accuracy = 0;
  uint64_t staleness = 0;
  std::optional<double> test_accuracy;
  std::optional<double> test_loss;
  double compute_cpu_ms = 0;    // forward + backward, thread CPU time
  double model_compute_ms = 0;  // the modelled clock's compute of this step (pause included)
  uint64_t nic_bytes_sent = 0;  // across the simulated NIC (shaped networks)
  uint64_t nic_bytes_received = 0;
  // Restarts before the step was recorded: 0, then 1, 2, ... after each restart or rejoin
  // (supervision.max_restarts). A restart from a checkpoint does steps again: the rows of an
  // earlier attempt past the step the next one started from were lost.
  uint32_t attempt = 0;
};

// The row of one worker's step record; `samples` and `epoch` are the caller's count.
StepRow StepRowFromRecord(uint32_t worker, const StepRecord& record, uint64_t samples,
                          double epoch);

// Writes rows as they come; buffered, flushed on Close() and destruction. Not thread-safe.
class StepsCsvWriter {
 public:
  static absl::StatusOr<StepsCsvWriter> Open(const std::string& path);
  StepsCsvWriter(StepsCsvWriter&& other) noexcept;
  StepsCsvWriter& operator=(StepsCsvWriter&&) = delete;
  ~StepsCsvWriter();

  // Writes one row. A failed write (a full disk) is kept as status() and ends the writing: the
  // caller stops the run at the first failure instead of finding out when the run is over.
  void Append(const StepRow& row);
  // Unknown (exit 74) naming the file after the first failed write; OK until then.
  const absl::Status& status() const { return status_; }
  // Flushes and closes; the first error of the file's life, if any.
  absl::Status Close();

 private:
  StepsCsvWriter(std::FILE* file, std::string path) : file_(file), path_(std::move(path)) {}
  // Records the first failure (errno of the failed call) and stops writing.
  void Fail(int err);
  std::FILE* file_ = nullptr;
  std::string path_;
  absl::Status status_;
};

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_STEPS_CSV_H_

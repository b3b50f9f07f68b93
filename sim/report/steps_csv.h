// steps.csv: one row per training step, for plotting and for programs.
// Columns: step,epoch,samples,wall_s,step_ms,data_ms,compute_ms,update_ms,loss,batch_accuracy,
//          test_accuracy,test_loss   (the last two are empty except at evaluation points).
#ifndef DISTSIM_SIM_REPORT_STEPS_CSV_H_
#define DISTSIM_SIM_REPORT_STEPS_CSV_H_

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace distsim::report {

struct StepRow {
  uint64_t step = 0;     // 1-based: the step just completed
  double epoch = 0;      // training-set passes completed (fractional)
  uint64_t samples = 0;  // examples processed so far
  double wall_s = 0;     // since the run's clock started
  double step_ms = 0;    // whole step
  double data_ms = 0;    // reading the batch
  double compute_ms = 0; // forward + backward
  double update_ms = 0;  // optimizer (or exchange + update in distributed runs)
  double loss = 0;
  double batch_accuracy = 0;
  std::optional<double> test_accuracy;
  std::optional<double> test_loss;
};

// Writes rows as they come; buffered, flushed on Close() and destruction. Not thread-safe.
class StepsCsvWriter {
 public:
  static absl::StatusOr<StepsCsvWriter> Open(const std::string& path);
  StepsCsvWriter(StepsCsvWriter&& other) noexcept;
  StepsCsvWriter& operator=(StepsCsvWriter&&) = delete;
  ~StepsCsvWriter();

  void Append(const StepRow& row);
  absl::Status Close();

 private:
  StepsCsvWriter(std::FILE* file, std::string path) : file_(file), path_(std::move(path)) {}
  std::FILE* file_ = nullptr;
  std::string path_;
};

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_STEPS_CSV_H_

#include "sim/report/steps_csv.h"

#include <cerrno>
#include <utility>

#include "sim/base/status.h"

namespace distsim::report {

StepRow StepRowFromRecord(uint32_t worker, const StepRecord& r, uint64_t samples, double epoch) {
  StepRow row;
  row.worker = worker;
  row.step = r.step();
  row.samples = samples;
  row.epoch = epoch;
  row.wall_s = r.end_s();
  row.step_ms = 1e3 * r.step_s();
  row.data_ms = 1e3 * r.data_s();
  row.compute_ms = 1e3 * r.compute_s();
  row.pull_ms = 1e3 * r.pull_s();
  row.push_ms = 1e3 * r.push_s();
  row.wait_ms = 1e3 * r.wait_s();
  row.reduce_ms = 1e3 * r.reduce_s();
  row.update_ms = 1e3 * r.update_s();
  row.bytes_sent = r.bytes_sent();
  row.bytes_received = r.bytes_received();
  row.loss = r.loss();
  row.batch_accuracy = r.batch_accuracy();
  row.staleness = r.staleness();
  row.compute_cpu_ms = 1e3 * r.compute_cpu_s();
  row.model_compute_ms = 1e3 * (r.model_compute_s() + r.model_pause_s());
  row.nic_bytes_sent = r.nic_bytes_sent();
  row.nic_bytes_received = r.nic_bytes_received();
  return row;
}

}  // namespace distsim::report

namespace distsim::report {

absl::StatusOr<StepsCsvWriter> StepsCsvWriter::Open(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) return IoError("cannot write", path, errno);
  const int header = std::fputs(
      "worker,step,epoch,samples,wall_s,step_ms,data_ms,compute_ms,pull_ms,push_ms,wait_ms,"
      "reduce_ms,update_ms,bytes_sent,bytes_received,loss,batch_accuracy,staleness,"
      "test_accuracy,test_loss,compute_cpu_ms,model_compute_ms,nic_bytes_sent,"
      "nic_bytes_received,attempt\n",
      file);
  if (header < 0 || std::fflush(file) != 0) {
    const int err = errno;
    std::fclose(file);
    return IoError("cannot write", path, err);
  }
  return StepsCsvWriter(file, path);
}

StepsCsvWriter::StepsCsvWriter(StepsCsvWriter&& other) noexcept
    : file_(std::exchange(other.file_, nullptr)),
      path_(std::move(other.path_)),
      status_(std::move(other.status_)) {}

void StepsCsvWriter::Fail(int err) {
  if (status_.ok()) status_ = IoError("cannot write", path_, err);
}

StepsCsvWriter::~StepsCsvWriter() { (void)Close(); }

void StepsCsvWriter::Append(const StepRow& row) {
  if (file_ == nullptr || !status_.ok()) return;
  int written = std::fprintf(file_,
               "%u,%llu,%.6f,%llu,%.6f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%llu,%llu,%.6g,%.4f,"
               "%llu,",
               row.worker, static_cast<unsigned long long>(row.step), row.epoch,
               static_cast<unsigned long long>(row.samples), row.wall_s, row.step_ms, row.data_ms,
               row.compute_ms, row.pull_ms, row.push_ms, row.wait_ms, row.reduce_ms,
               row.update_ms, static_cast<unsigned long long>(row.bytes_sent),
               static_cast<unsigned long long>(row.bytes_received), row.loss, row.batch_accuracy,
               static_cast<unsigned long long>(row.staleness));
  if (row.test_accuracy && written >= 0) written = std::fprintf(file_, "%.6f", *row.test_accuracy);
  if (written >= 0) written = std::fputc(',', file_);
  if (row.test_loss && written >= 0) written = std::fprintf(file_, "%.6g", *row.test_loss);
  if (written >= 0) {
    written = std::fprintf(file_, ",%.6f,%.6f,%llu,%llu,%u\n", row.compute_cpu_ms,
                           row.model_compute_ms,
                           static_cast<unsigned long long>(row.nic_bytes_sent),
                           static_cast<unsigned long long>(row.nic_bytes_received), row.attempt);
  }
  // stdio writes to the disk when its buffer fills: that write is the first to fail on a full
  // disk, and fprintf reports it.
  if (written < 0) Fail(errno);
}

absl::Status StepsCsvWriter::Close() {
  if (file_ == nullptr) return status_;
  const bool failed = std::ferror(file_) != 0;
  const int err = errno;
  if (std::fclose(file_) != 0 || failed) Fail(failed ? err : errno);
  file_ = nullptr;
  return status_;
}

}  // namespace distsim::report

#include "sim/report/steps_csv.h"

#include <cerrno>
#include <utility>

#include "sim/base/status.h"

namespace distsim::report {

absl::StatusOr<StepsCsvWriter> StepsCsvWriter::Open(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) return IoError("cannot write", path, errno);
  std::fputs(
      "step,epoch,samples,wall_s,step_ms,data_ms,compute_ms,update_ms,loss,batch_accuracy,"
      "test_accuracy,test_loss\n",
      file);
  return StepsCsvWriter(file, path);
}

StepsCsvWriter::StepsCsvWriter(StepsCsvWriter&& other) noexcept
    : file_(std::exchange(other.file_, nullptr)), path_(std::move(other.path_)) {}

StepsCsvWriter::~StepsCsvWriter() { (void)Close(); }

void StepsCsvWriter::Append(const StepRow& row) {
  if (file_ == nullptr) return;
  std::fprintf(file_, "%llu,%.6f,%llu,%.6f,%.4f,%.4f,%.4f,%.4f,%.6g,%.4f,",
               static_cast<unsigned long long>(row.step), row.epoch,
               static_cast<unsigned long long>(row.samples), row.wall_s, row.step_ms, row.data_ms,
               row.compute_ms, row.update_ms, row.loss, row.batch_accuracy);
  if (row.test_accuracy) std::fprintf(file_, "%.6f", *row.test_accuracy);
  std::fputc(',', file_);
  if (row.test_loss) std::fprintf(file_, "%.6g", *row.test_loss);
  std::fputc('\n', file_);
}

absl::Status StepsCsvWriter::Close() {
  if (file_ == nullptr) return absl::OkStatus();
  bool failed = std::ferror(file_) != 0;
  failed |= std::fclose(file_) != 0;
  file_ = nullptr;
  if (failed) return IoError("cannot write", path_, errno);
  return absl::OkStatus();
}

}  // namespace distsim::report

#include "sim/node/checkpoint.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "sim/base/durable_file.h"
#include "sim/base/status.h"
#include "sim/data/random.h"

namespace distsim::node {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'D', 'S', 'C', 'K', 'P', 'T', '0', '1'};
constexpr size_t kHeaderBytes = sizeof(kMagic) + 2 * sizeof(uint64_t);
constexpr std::string_view kSetPrefix = "step-";

// A 64-bit checksum of `bytes` (data::MixBytes): catches truncation and flipped bits; it is no
// defence against a forger.
uint64_t Checksum(std::string_view bytes) {
  return data::MixBytes(0x636b707473756d31ULL, reinterpret_cast<const uint8_t*>(bytes.data()),
                        bytes.size());
}

std::string FileName(ProcessInfo::Role role, uint32_t rank) {
  return absl::StrCat(role == ProcessInfo::SERVER ? "server-" : "worker-", rank, ".ckpt");
}

std::string Le64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(v >> (8 * i));
  return out;
}

uint64_t ReadLe64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

// The file's payload once its header checks out, else DataLoss naming `path`.
absl::StatusOr<std::string_view> Payload(const std::string& path, std::string_view bytes) {
  if (bytes.size() < kHeaderBytes || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return absl::DataLossError(absl::StrCat(path, ": not a distsim checkpoint (", bytes.size(),
                                            " bytes, no DSCKPT01 header)"));
  }
  const uint64_t length = ReadLe64(bytes.data() + 8);
  const uint64_t checksum = ReadLe64(bytes.data() + 16);
  std::string_view payload = bytes.substr(kHeaderBytes);
  if (payload.size() != length) {
    return absl::DataLossError(absl::StrCat(path, ": truncated: expected ", length + kHeaderBytes,
                                            " bytes, got ", bytes.size()));
  }
  if (Checksum(payload) != checksum) {
    return absl::DataLossError(absl::StrCat(path, ": checksum mismatch (corrupt)"));
  }
  return payload;
}

// Why the set of `step` is not good, or OK.
absl::Status CheckSet(const std::string& dir, uint64_t step, int servers, int workers,
                      uint64_t fingerprint) {
  for (int r = 0; r < servers + workers; ++r) {
    const bool server = r < servers;
    const uint32_t rank = static_cast<uint32_t>(server ? r : r - servers);
    absl::StatusOr<CheckpointState> state = ReadCheckpoint(
        dir, step, server ? ProcessInfo::SERVER : ProcessInfo::WORKER, rank, fingerprint);
    if (!state.ok()) return state.status();
  }
  return absl::OkStatus();
}

}  // namespace

uint64_t ConfigFingerprint(const RunConfig& config) {
  RunConfig maths = config;
  maths.clear_name();
  maths.clear_output_dir();
  maths.clear_supervision();
  maths.clear_cluster();  // the modelled cluster and injected faults change no parameter
  TrainConfig* train = maths.mutable_train();
  train->clear_length();  // a resumed run may train longer
  train->clear_eval_every_steps();
  train->clear_log_every_steps();
  train->clear_warmup_steps();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    maths.SerializeToCodedStream(&coded);
  }
  return Checksum(bytes);
}

std::string CheckpointSetDir(const std::string& dir, uint64_t step) {
  return (fs::path(dir) / absl::StrFormat("%s%010d", kSetPrefix, step)).string();
}

absl::Status WriteCheckpoint(const std::string& dir, const CheckpointState& state) {
  const std::string set = CheckpointSetDir(dir, state.step());
  std::error_code ec;
  const bool made = fs::create_directories(set, ec);
  if (ec) return IoError("cannot create the checkpoint folder", set, ec.value());
  if (made) DS_RETURN_IF_ERROR(SyncDir(dir));
  std::string payload;
  state.SerializeToString(&payload);
  std::string bytes(kMagic, sizeof(kMagic));
  absl::StrAppend(&bytes, Le64(payload.size()), Le64(Checksum(payload)), payload);
  return WriteFileDurably((fs::path(set) / FileName(state.role(), state.rank())).string(), bytes);
}

absl::StatusOr<CheckpointState> ReadCheckpoint(const std::string& dir, uint64_t step,
                                               ProcessInfo::Role role, uint32_t rank,
                                               uint64_t fingerprint) {
  const std::string path = (fs::path(CheckpointSetDir(dir, step)) / FileName(role, rank)).string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": missing (the set is incomplete)"));
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  DS_ASSIGN_OR_RETURN(std::string_view payload, Payload(path, bytes));
  CheckpointState state;
  if (!state.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::DataLossError(absl::StrCat(path, ": the payload does not parse"));
  }
  if (state.fingerprint() != fingerprint) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: written by another config (fingerprint %016x, this config's %016x)", path,
        state.fingerprint(), fingerprint));
  }
  if (state.step() != step || state.role() != role || state.rank() != rank) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": holds step ", state.step(), " of ",
                                                   FileName(state.role(), state.rank())));
  }
  return state;
}

void RemoveCheckpoint(const std::string& dir, uint64_t step, ProcessInfo::Role role,
                      uint32_t rank) {
  const fs::path set = CheckpointSetDir(dir, step);
  std::error_code ec;
  fs::remove(set / FileName(role, rank), ec);
  if (fs::is_empty(set, ec) && !ec) fs::remove(set, ec);
}

std::vector<uint64_t> CheckpointSteps(const std::string& dir) {
  std::vector<uint64_t> steps;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    uint64_t step = 0;
    if (name.rfind(kSetPrefix, 0) == 0 && absl::SimpleAtoi(name.substr(kSetPrefix.size()), &step)) {
      steps.push_back(step);
    }
  }
  std::sort(steps.rbegin(), steps.rend());
  return steps;
}

absl::StatusOr<ResumePoint> FindResumePoint(const std::string& dir, int servers, int workers,
                                            uint64_t fingerprint) {
  ResumePoint point;
  absl::Status newest_error;
  for (uint64_t step : CheckpointSteps(dir)) {
    absl::Status set = CheckSet(dir, step, servers, workers, fingerprint);
    if (set.ok()) {
      point.step = step;
      return point;
    }
    if (newest_error.ok()) newest_error = set;
    point.skipped.push_back(absl::StrCat("step ", step, ": ", set.message()));
  }
  if (newest_error.ok()) {
    return absl::NotFoundError(absl::StrCat("no checkpoint to resume from in ", dir));
  }
  const std::string all = absl::StrJoin(point.skipped, "; ");
  if (absl::IsNotFound(newest_error)) {  // incomplete sets only
    return absl::DataLossError(absl::StrCat("no complete checkpoint in ", dir, ": ", all));
  }
  return absl::Status(newest_error.code(),
                      absl::StrCat("no good checkpoint in ", dir, ": ", all));
}

void RemoveTempFiles(const std::string& dir) {
  std::error_code ec;
  std::vector<fs::path> temps;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(dir, ec)) {
    if (e.path().filename().string().find(kTempSuffix) != std::string::npos) {
      temps.push_back(e.path());
    }
  }
  for (const fs::path& p : temps) fs::remove(p, ec);
}

}  // namespace distsim::node

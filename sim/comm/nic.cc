#include "sim/comm/nic.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "kernels/random.h"
#include "sim/base/check.h"
#include "sim/base/status.h"

namespace distsim::comm {
namespace {

constexpr uint64_t kMagic = 0x31'43'49'4E'53'44ULL;  // the bytes "DSNIC1" (little-endian)
constexpr uint32_t kVersion = 1;
constexpr size_t kStateAlign = 64;

size_t StateOffset(size_t header_bytes) {
  return (header_bytes + kStateAlign - 1) / kStateAlign * kStateAlign;
}

// The splitmix64 sequence (kernels/random.h's mixer over a golden-ratio counter): a tiny,
// well-mixed generator; any seed works.
uint64_t SplitMix64(uint64_t* state) { return kernels::Mix64(*state += 0x9E3779B97F4A7C15ULL); }

// Uniform in [0, 1) from the top 53 bits.
double U01(uint64_t x) { return static_cast<double>(x >> 11) * 0x1.0p-53; }

}  // namespace

// The start of the mapping. Plain data only (it is shared between processes), so every field has
// a fixed size; the buckets follow at StateOffset(sizeof(Header)).
struct NicTable::Header {
  uint64_t magic;
  uint32_t version;
  uint32_t hosts;
  double bytes_per_s;
  int64_t latency_ns;
  int64_t jitter_ns;
  double loss;
  int32_t packet_bytes;
  uint32_t reserved;
  pthread_mutex_t mu;  // robust; process-shared in a file mapping
};

absl::Status ValidateNicModel(const NicModel& model) {
  if (!(model.bytes_per_s >= 0) || !std::isfinite(model.bytes_per_s)) {
    return absl::InvalidArgumentError(
        absl::StrCat("NIC bytes_per_s must be >= 0 (0: unlimited), got ", model.bytes_per_s));
  }
  if (model.latency < absl::ZeroDuration() || model.latency == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("NIC latency must be finite and >= 0, got ",
                                                   absl::FormatDuration(model.latency)));
  }
  if (model.jitter < absl::ZeroDuration() || model.jitter == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("NIC jitter must be finite and >= 0, got ",
                                                   absl::FormatDuration(model.jitter)));
  }
  if (!(model.loss >= 0 && model.loss <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat("NIC loss must be in [0, 1], got ", model.loss));
  }
  if (model.packet_bytes < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("NIC packet_bytes must be >= 1, got ", model.packet_bytes));
  }
  return absl::OkStatus();
}

size_t NicTable::MappingBytes(int hosts) {
  // Shared between processes as raw bytes: plain data only.
  static_assert(std::is_standard_layout_v<Header> && std::is_trivially_copyable_v<Header>);
  return StateOffset(sizeof(Header)) + 2 * static_cast<size_t>(hosts) * sizeof(int64_t);
}

void NicTable::Init(void* base, int hosts, const NicModel& model, bool process_shared) {
  auto* header = static_cast<Header*>(base);
  header->magic = kMagic;
  header->version = kVersion;
  header->hosts = static_cast<uint32_t>(hosts);
  header->bytes_per_s = model.bytes_per_s;
  header->latency_ns = absl::ToInt64Nanoseconds(model.latency);
  header->jitter_ns = absl::ToInt64Nanoseconds(model.jitter);
  header->loss = model.loss;
  header->packet_bytes = model.packet_bytes;
  header->reserved = 0;
  pthread_mutexattr_t attr;
  DS_CHECK(pthread_mutexattr_init(&attr) == 0);
  DS_CHECK(pthread_mutexattr_setpshared(
               &attr, process_shared ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE) == 0);
  DS_CHECK(pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST) == 0);
  DS_CHECK(pthread_mutex_init(&header->mu, &attr) == 0);
  pthread_mutexattr_destroy(&attr);
  // The buckets are zero (the mapping is): free since the epoch, i.e. empty.
}

NicTable::NicTable(void* base, size_t size, std::string path)
    : base_(base), size_(size), path_(std::move(path)), header_(static_cast<Header*>(base)) {
  hosts_ = static_cast<int>(header_->hosts);
  model_.bytes_per_s = header_->bytes_per_s;
  model_.latency = absl::Nanoseconds(header_->latency_ns);
  model_.jitter = absl::Nanoseconds(header_->jitter_ns);
  model_.loss = header_->loss;
  model_.packet_bytes = header_->packet_bytes;
}

NicTable::~NicTable() { munmap(base_, size_); }

std::shared_ptr<NicTable> NicTable::CreateLocal(int hosts, const NicModel& model) {
  DS_CHECK(hosts >= 1);
  DS_CHECK(ValidateNicModel(model).ok());
  const size_t size = MappingBytes(hosts);
  void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  DS_CHECK(base != MAP_FAILED);
  Init(base, hosts, model, /*process_shared=*/false);
  return std::shared_ptr<NicTable>(new NicTable(base, size, ""));
}

absl::StatusOr<std::shared_ptr<NicTable>> NicTable::CreateShared(const std::string& path, int hosts,
                                                                 const NicModel& model) {
  if (hosts < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("NIC table ", path, ": needs at least 1 host, got ", hosts));
  }
  if (absl::Status valid = ValidateNicModel(model); !valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("NIC table ", path, ": ", valid.message()));
  }
  // Built under a private name and renamed into place: an opener sees a whole table or none.
  static std::atomic<uint64_t> creations{0};
  const std::string temp = absl::StrCat(path, ".tmp.", getpid(), ".", creations++);
  const int fd = open(temp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot create NIC table", temp, errno);
  const size_t size = MappingBytes(hosts);
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
    const int error = errno;
    close(fd);
    unlink(temp.c_str());
    return IoError("cannot size NIC table", temp, error);
  }
  void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  const int map_error = errno;
  close(fd);  // the mapping keeps the file
  if (base == MAP_FAILED) {
    unlink(temp.c_str());
    return IoError("cannot map NIC table", temp, map_error);
  }
  Init(base, hosts, model, /*process_shared=*/true);
  if (rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    munmap(base, size);
    unlink(temp.c_str());
    return IoError("cannot move NIC table into place at", path, error);
  }
  return std::shared_ptr<NicTable>(new NicTable(base, size, path));
}

absl::StatusOr<std::shared_ptr<NicTable>> NicTable::OpenShared(const std::string& path) {
  const int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open NIC table", path, errno);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int error = errno;
    close(fd);
    return IoError("cannot stat NIC table", path, error);
  }
  const size_t size = static_cast<size_t>(st.st_size);
  if (size < sizeof(Header)) {
    close(fd);
    return absl::DataLossError(
        absl::StrCat("NIC table ", path, ": ", size, " bytes, too short for its header"));
  }
  void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  const int map_error = errno;
  close(fd);
  if (base == MAP_FAILED) return IoError("cannot map NIC table", path, map_error);
  const auto* header = static_cast<const Header*>(base);
  absl::Status bad;
  if (header->magic != kMagic) {
    bad = absl::DataLossError(absl::StrCat(path, " is not a NIC table (bad magic)"));
  } else if (header->version != kVersion) {
    bad = absl::DataLossError(absl::StrCat("NIC table ", path, " has version ", header->version,
                                           ", this build reads version ", kVersion));
  } else if (header->hosts < 1 || header->hosts > (1u << 24) ||
             MappingBytes(static_cast<int>(header->hosts)) != size) {
    bad = absl::DataLossError(absl::StrCat("NIC table ", path, ": ", size, " bytes for ",
                                           header->hosts, " hosts (truncated or corrupt)"));
  }
  if (!bad.ok()) {
    munmap(base, size);
    return bad;
  }
  auto table = std::shared_ptr<NicTable>(new NicTable(base, size, path));
  if (absl::Status valid = ValidateNicModel(table->model()); !valid.ok()) {
    return absl::DataLossError(absl::StrCat("NIC table ", path, ": ", valid.message()));
  }
  return table;
}

void NicTable::Lock() const {
  const int rc = pthread_mutex_lock(&header_->mu);
  // A process died holding it: the buckets hold whole int64 values (possibly one of a pair
  // updated), which is still a usable state.
  if (rc == EOWNERDEAD) {
    pthread_mutex_consistent(&header_->mu);
    return;
  }
  DS_CHECK(rc == 0);
}

void NicTable::Unlock() const { pthread_mutex_unlock(&header_->mu); }

int64_t* NicTable::free_ns() const {
  return reinterpret_cast<int64_t*>(static_cast<char*>(base_) + StateOffset(sizeof(Header)));
}

absl::Time NicTable::DeliveredAt(absl::Time sent, double jitter_u01, int lost_packets) const {
  return sent + model_.latency + jitter_u01 * model_.jitter + lost_packets * (2 * model_.latency);
}

TransferTimes NicTable::Reserve(int from_host, int to_host, uint64_t bytes, absl::Time now,
                                double jitter_u01, int lost_packets) {
  DS_CHECK(from_host >= 0 && from_host < hosts_ && to_host >= 0 && to_host < hosts_);
  DS_CHECK(lost_packets >= 0);
  if (from_host == to_host) return TransferTimes{now, now, false};
  const double total =
      static_cast<double>(bytes) + static_cast<double>(lost_packets) * model_.packet_bytes;
  const int64_t duration_ns =
      model_.bytes_per_s > 0 ? std::llround(total * 1e9 / model_.bytes_per_s) : 0;
  const int64_t now_ns = absl::ToUnixNanos(now);
  int64_t* egress = free_ns();
  int64_t* ingress = egress + hosts_;
  Lock();
  const int64_t start = std::max({now_ns, egress[from_host], ingress[to_host]});
  const int64_t end = start + duration_ns;
  egress[from_host] = end;
  ingress[to_host] = end;
  Unlock();
  TransferTimes times;
  times.sent = absl::FromUnixNanos(end);
  times.delivered = DeliveredAt(times.sent, jitter_u01, lost_packets);
  times.crossed_nic = true;
  return times;
}

absl::Time NicTable::egress_free(int host) const {
  DS_CHECK(host >= 0 && host < hosts_);
  Lock();
  const int64_t t = free_ns()[host];
  Unlock();
  return absl::FromUnixNanos(t);
}

absl::Time NicTable::ingress_free(int host) const {
  DS_CHECK(host >= 0 && host < hosts_);
  Lock();
  const int64_t t = free_ns()[hosts_ + host];
  Unlock();
  return absl::FromUnixNanos(t);
}

// ---------------------------------------------------------------------------------------------

NicPort::NicPort(std::shared_ptr<NicTable> table, int my_host, uint64_t seed)
    : table_(std::move(table)), my_host_(my_host), rng_state_(seed) {
  DS_CHECK(table_ != nullptr);
  DS_CHECK(my_host_ >= 0 && my_host_ < table_->hosts());
}

NicPort::Draw NicPort::NextDraw(uint64_t bytes) {
  const NicModel& model = table_->model();
  const uint64_t packets =
      (bytes + static_cast<uint64_t>(model.packet_bytes) - 1) / model.packet_bytes;
  Draw draw;
  absl::MutexLock lock(&rng_mu_);
  draw.jitter_u01 = U01(SplitMix64(&rng_state_));
  if (model.loss <= 0 || packets == 0) return draw;
  if (model.loss >= 1) {
    draw.lost_packets = static_cast<int>(std::min<uint64_t>(packets, INT32_MAX));
    return draw;
  }
  // Geometric skipping: the number of packets kept before the next loss is geometric,
  // P(skip >= k) = (1 - loss)^k, so a draw costs O(lost packets), not O(packets).
  const double log_keep = std::log1p(-model.loss);
  uint64_t next = 0;  // the first packet not decided yet
  while (next < packets && draw.lost_packets < INT32_MAX) {
    const double skip = std::floor(std::log1p(-U01(SplitMix64(&rng_state_))) / log_keep);
    if (skip >= static_cast<double>(packets - next)) break;
    next += static_cast<uint64_t>(skip) + 1;
    ++draw.lost_packets;
  }
  return draw;
}

TransferTimes NicPort::Transfer(int from_host, int to_host, uint64_t bytes, absl::Time now,
                                const std::atomic<bool>* cancel, std::atomic<uint64_t>* counter) {
  if (from_host == to_host) return TransferTimes{now, now, false};
  const Draw draw = NextDraw(bytes);
  const uint64_t resent =
      static_cast<uint64_t>(draw.lost_packets) * static_cast<uint64_t>(model().packet_bytes);
  const uint64_t total = bytes + resent;
  // Resent packets travel as ordinary quanta after the message; their extra round trips are
  // added to the delivery time below.
  TransferTimes last;
  bool pending = false;  // `last` is reserved but maybe not on the wire yet
  uint64_t reserved = 0;
  absl::Time at = now;
  do {
    const uint64_t piece = std::min(kNicQuantumBytes, total - reserved);
    const TransferTimes times = table_->Reserve(from_host, to_host, piece, at, 0.0, 0);
    reserved += piece;
    // One quantum ahead: wait for the previous quantum to be on the wire before reserving more.
    if (pending && !SleepUntil(last.sent, cancel)) {
      last = times;
      return last;
    }
    last = times;
    pending = true;
    at = absl::Now();
  } while (reserved < total);
  if (!SleepUntil(last.sent, cancel)) return last;
  last.delivered = table_->DeliveredAt(last.sent, draw.jitter_u01, draw.lost_packets);
  *counter += bytes;
  nic_bytes_resent_ += resent;
  return last;
}

TransferTimes NicPort::Send(int to_host, uint64_t bytes, const std::atomic<bool>* cancel) {
  return Transfer(my_host_, to_host, bytes, absl::Now(), cancel, &nic_bytes_sent_);
}

TransferTimes NicPort::Receive(int from_host, uint64_t bytes, absl::Time now,
                               const std::atomic<bool>* cancel) {
  return Transfer(from_host, my_host_, bytes, now, cancel, &nic_bytes_received_);
}

void NicPort::SleepUntil(absl::Time t) {
  const absl::Duration left = t - absl::Now();
  if (left > absl::ZeroDuration()) absl::SleepFor(left);
}

bool NicPort::SleepUntil(absl::Time t, const std::atomic<bool>* cancel) {
  if (cancel == nullptr) {
    SleepUntil(t);
    return true;
  }
  while (true) {
    if (cancel->load()) return false;
    const absl::Duration left = t - absl::Now();
    if (left <= absl::ZeroDuration()) return true;
    absl::SleepFor(std::min(left, absl::Milliseconds(5)));
  }
}

}  // namespace distsim::comm

#include "sim/data/object_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sim/base/status.h"
#include "sim/data/idx.h"

namespace distsim::data {
namespace {

constexpr char kMagic[] = "DSOBJ01\n";  // 8 bytes, without the terminating zero

uint64_t ReadBigEndian64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

void AppendBigEndian64(uint64_t v, std::vector<uint8_t>* out) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back((v >> shift) & 0xff);
}

// write() until every byte is out (a regular file may take fewer at a time).
bool WriteAll(int fd, const std::vector<uint8_t>& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

absl::StatusOr<ObjectSections> ParseObjectFile(std::string_view path_view,
                                               std::span<const uint8_t> bytes) {
  const std::string path(path_view);
  if (bytes.size() < static_cast<size_t>(kObjectHeaderBytes) ||
      std::memcmp(bytes.data(), kMagic, 8) != 0) {
    return absl::DataLossError(absl::StrCat(
        path, ": not a distsim object file (it must start with \"DSOBJ01\" and a 32-byte header)"));
  }
  uint64_t lengths[3];
  uint64_t total = kObjectHeaderBytes;
  for (int i = 0; i < 3; ++i) {
    lengths[i] = ReadBigEndian64(bytes.data() + 8 + 8 * i);
    if (lengths[i] > bytes.size()) total = UINT64_MAX;  // no overflow below
    if (total != UINT64_MAX) total += lengths[i];
  }
  if (total != bytes.size()) {
    return absl::DataLossError(absl::StrCat(
        path, ": the header's sections (", lengths[0], " + ", lengths[1], " + ", lengths[2],
        " bytes after ", kObjectHeaderBytes, ") do not fill its ", bytes.size(), " bytes"));
  }
  ObjectSections sections;
  size_t at = kObjectHeaderBytes;
  sections.images = bytes.subspan(at, lengths[0]);
  at += lengths[0];
  sections.labels = bytes.subspan(at, lengths[1]);
  at += lengths[1];
  sections.ids = bytes.subspan(at, lengths[2]);
  return sections;
}

absl::Status WriteObjectFile(const std::string& path, int rows, int cols,
                             std::span<const uint8_t> pixels, std::span<const uint8_t> labels,
                             std::span<const int64_t> ids, int value_bytes) {
  if (labels.size() != ids.size() || static_cast<int64_t>(pixels.size()) !=
                                         static_cast<int64_t>(ids.size()) * rows * cols *
                                             value_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", ids.size(), " ids, ", labels.size(),
                                                   " labels and ", pixels.size(),
                                                   " pixels do not make whole examples"));
  }
  DS_ASSIGN_OR_RETURN(std::vector<uint8_t> images, IdxImagesBytes(rows, cols, pixels, value_bytes));
  DS_ASSIGN_OR_RETURN(std::vector<uint8_t> label_bytes, IdxLabelsBytes(labels));
  DS_ASSIGN_OR_RETURN(std::vector<uint8_t> id_bytes, IdxIdsBytes(ids));
  std::vector<uint8_t> header(kMagic, kMagic + 8);
  for (const auto* section : {&images, &label_bytes, &id_bytes}) {
    AppendBigEndian64(section->size(), &header);
  }
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("cannot create", path, errno);
  bool ok = true;
  for (const auto* part : {&header, &images, &label_bytes, &id_bytes}) {
    ok = ok && WriteAll(fd, *part);
  }
  ok = ok && fsync(fd) == 0;
  const int err = errno;
  ok = close(fd) == 0 && ok;
  if (!ok) return IoError("cannot write", path, err);
  return absl::OkStatus();
}

double ObjectFileBytes(int64_t examples, int rows, int cols, int value_bytes) {
  const double n = static_cast<double>(examples);
  return kObjectHeaderBytes + (kIdxImagesHeaderBytes + n * rows * cols * value_bytes) +
         (kIdxLabelsHeaderBytes + n) + (8 + 4 * n);
}

}  // namespace distsim::data

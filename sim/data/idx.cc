#include "sim/data/idx.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "sim/base/status.h"

namespace distsim::data {
namespace {

// What one kind of IDX file must look like.
struct IdxKind {
  const char* noun;        // "images" / "labels"
  uint32_t magic;          // expected magic number
  uint32_t other_magic;    // the other kind's magic, to recognise a swapped pair
  const char* other_noun;  // the other kind's noun
  int ndims;
  int64_t header_bytes;
  const char* dims_text;  // what the dimensions are, for messages
};

constexpr IdxKind kImagesKind = {.noun = "images",
                                 .magic = kIdxImagesMagic,
                                 .other_magic = kIdxLabelsMagic,
                                 .other_noun = "labels",
                                 .ndims = 3,
                                 .header_bytes = kIdxImagesHeaderBytes,
                                 .dims_text = "count, rows, cols"};
constexpr IdxKind kLabelsKind = {.noun = "labels",
                                 .magic = kIdxLabelsMagic,
                                 .other_magic = kIdxImagesMagic,
                                 .other_noun = "images",
                                 .ndims = 1,
                                 .header_bytes = kIdxLabelsHeaderBytes,
                                 .dims_text = "count"};
// Float32 features: an images file in all but its magic.
constexpr IdxKind kFloatImagesKind = [] {
  IdxKind kind = kImagesKind;
  kind.magic = kIdxFloatImagesMagic;
  return kind;
}();

uint32_t ReadBigEndian32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

std::string HexMagic(uint32_t magic) {
  return absl::StrCat("0x", absl::Hex(magic, absl::kZeroPad8));
}

const char* IdxTypeName(uint8_t type) {
  switch (type) {
    case 0x08:
      return "unsigned byte";
    case 0x09:
      return "signed byte";
    case 0x0B:
      return "16-bit integer";
    case 0x0C:
      return "32-bit integer";
    case 0x0D:
      return "float";
    case 0x0E:
      return "double";
    default:
      return "not an IDX type";
  }
}

// The bytes of one file and its name for messages.
struct IdxBytes {
  IdxBytes(std::string_view p, std::span<const uint8_t> b) : path(p.data(), p.size()), bytes(b) {}
  absl::string_view path;
  std::span<const uint8_t> bytes;
  const uint8_t* data() const { return bytes.data(); }
  size_t size() const { return bytes.size(); }
};

absl::Status Malformed(const IdxBytes& file, absl::string_view what) {
  return absl::DataLossError(absl::StrCat(file.path, ": ", what));
}

// Checks everything up to and including the header: emptiness, compression, magic, type,
// dimension count and header length.
absl::Status CheckHeader(const IdxBytes& file, const IdxKind& kind) {
  const uint8_t* d = file.data();
  const int64_t size = static_cast<int64_t>(file.size());
  const std::string expected_magic = HexMagic(kind.magic);
  if (size == 0) {
    return Malformed(file,
                     absl::StrCat("file is empty; expected an IDX ", kind.noun, " file (",
                                  kind.header_bytes, "-byte header, magic ", expected_magic, ")"));
  }
  if (size >= 2 && d[0] == 0x1f && d[1] == 0x8b) {
    return Malformed(file,
                     "file is gzip-compressed; decompress it with gunzip first "
                     "(the reader takes raw IDX files)");
  }
  if (size < 4) {
    return Malformed(file, absl::StrCat("truncated: the magic number needs 4 bytes, found ", size,
                                        "; expected an IDX ", kind.noun, " file"));
  }
  const uint32_t magic = ReadBigEndian32(d);
  if (magic != kind.magic) {
    const std::string found = HexMagic(magic);
    if (d[0] != 0 || d[1] != 0) {
      return Malformed(
          file, absl::StrCat("bad magic number ", found, "; expected ", expected_magic,
                             " (IDX unsigned-byte ", kind.noun, "): this is not an IDX file"));
    }
    if (magic == kind.other_magic) {
      return Malformed(file,
                       absl::StrCat("magic number ", found, " is that of an IDX ", kind.other_noun,
                                    " file; expected ", expected_magic, " (IDX ", kind.noun,
                                    "): are the images and labels files swapped?"));
    }
    if (d[2] != kIdxUnsignedByte) {
      const bool images = kind.ndims == 3;  // which may also hold float32 (tabular features)
      return Malformed(
          file, absl::StrCat("magic number ", found, " has data type 0x",
                             absl::Hex(d[2], absl::kZeroPad2), " (", IdxTypeName(d[2]),
                             "); expected 0x08 (unsigned byte)", images ? " or 0x0d (float)" : "",
                             ", magic ", expected_magic,
                             images ? absl::StrCat(" or ", HexMagic(kIdxFloatImagesMagic)) : ""));
    }
    return Malformed(file,
                     absl::StrCat("magic number ", found, " declares ", int{d[3]},
                                  " dimensions; expected ", kind.ndims, " (", kind.dims_text,
                                  ") for an IDX ", kind.noun, " file, magic ", expected_magic));
  }
  if (size < kind.header_bytes) {
    return Malformed(file, absl::StrCat("truncated header: an IDX ", kind.noun, " header is ",
                                        kind.header_bytes, " bytes, found ", size));
  }
  return absl::OkStatus();
}

// Compares the file length with header + payload claimed by the header. `claim` describes the
// payload for messages ("60000 images of 28x28").
absl::Status CheckLength(const IdxBytes& file, const IdxKind& kind, uint64_t payload,
                         absl::string_view claim) {
  const uint64_t size = file.size();
  uint64_t expected;
  if (__builtin_add_overflow(payload, static_cast<uint64_t>(kind.header_bytes), &expected)) {
    return Malformed(file, absl::StrCat("header claims ", claim,
                                        ", a size that overflows 64 bits: corrupt header"));
  }
  const uint64_t found_payload = size - static_cast<uint64_t>(kind.header_bytes);
  if (size < expected && payload / 2 > found_payload) {
    // Far more than a truncated download: the header itself is wrong (or the wrong file).
    return Malformed(file, absl::StrCat("header claims ", claim, " (", payload,
                                        " bytes of data) but the file holds only ", found_payload,
                                        " bytes after its ", kind.header_bytes,
                                        "-byte header: corrupt header or truncated file"));
  }
  if (size < expected) {
    return Malformed(file, absl::StrCat("truncated: expected ", expected, " bytes (",
                                        kind.header_bytes, "-byte header + ", claim, "), found ",
                                        size, " (", expected - size, " missing)"));
  }
  if (size > expected) {
    return Malformed(file, absl::StrCat("has ", size - expected, " trailing bytes after the ",
                                        expected, " bytes its header describes (",
                                        kind.header_bytes, "-byte header + ", claim, ")"));
  }
  return absl::OkStatus();
}

// Every value of a float images file must be a number: a NaN or an infinity would poison training.
absl::Status CheckFinite(const IdxBytes& file, const IdxImages& images) {
  const int64_t dim = static_cast<int64_t>(images.rows) * images.cols;
  for (int64_t i = 0; i < images.count * dim; ++i) {
    if (!std::isfinite(ReadBigEndianFloat(images.pixels + 4 * i))) {
      return Malformed(file,
                       absl::StrCat("value ", i % dim, " of example ", i / dim, " (byte offset ",
                                    kIdxImagesHeaderBytes + 4 * i, ") is not a finite number"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<IdxImages> ParseIdxImages(std::string_view path, std::span<const uint8_t> bytes) {
  const IdxBytes file(path, bytes);
  const bool floats = bytes.size() >= 4 && ReadBigEndian32(bytes.data()) == kIdxFloatImagesMagic;
  const int value_bytes = floats ? 4 : 1;
  DS_RETURN_IF_ERROR(CheckHeader(file, floats ? kFloatImagesKind : kImagesKind));
  const uint8_t* d = file.data();
  const uint32_t count = ReadBigEndian32(d + 4);
  const uint32_t rows = ReadBigEndian32(d + 8);
  const uint32_t cols = ReadBigEndian32(d + 12);
  if (rows == 0 || cols == 0 || rows > kIdxMaxSide || cols > kIdxMaxSide) {
    return Malformed(file, absl::StrCat("image size ", rows, "x", cols, " is out of range; ",
                                        "expected rows and cols in [1, ", kIdxMaxSide, "]"));
  }
  if (count == 0) {
    return Malformed(file, "header claims 0 images; expected at least one");
  }
  uint64_t payload;
  if (__builtin_mul_overflow(uint64_t{count}, uint64_t{rows} * cols * value_bytes, &payload)) {
    return Malformed(file, absl::StrCat("header claims ", count, " images of ", rows, "x", cols,
                                        ", a size that overflows 64 bits: corrupt header"));
  }
  DS_RETURN_IF_ERROR(
      CheckLength(file, kImagesKind, payload, absl::StrCat(count, " images of ", rows, "x", cols)));
  IdxImages images;
  images.count = count;
  images.rows = static_cast<int>(rows);
  images.cols = static_cast<int>(cols);
  images.value_bytes = value_bytes;
  images.pixels = d + kIdxImagesHeaderBytes;
  if (floats) DS_RETURN_IF_ERROR(CheckFinite(file, images));
  return images;
}

absl::StatusOr<IdxLabels> ParseIdxLabels(std::string_view path, std::span<const uint8_t> bytes,
                                         int num_classes) {
  const IdxBytes file(path, bytes);
  if (num_classes < 1 || num_classes > 256) {
    return absl::InvalidArgumentError(
        absl::StrCat("num_classes ", num_classes,
                     " is out of range [1, 256] for unsigned-byte labels (", file.path, ")"));
  }
  DS_RETURN_IF_ERROR(CheckHeader(file, kLabelsKind));
  const uint8_t* d = file.data();
  const uint32_t count = ReadBigEndian32(d + 4);
  if (count == 0) {
    return Malformed(file, "header claims 0 labels; expected at least one");
  }
  DS_RETURN_IF_ERROR(CheckLength(file, kLabelsKind, count, absl::StrCat(count, " labels")));
  const uint8_t* labels = d + kIdxLabelsHeaderBytes;
  for (uint32_t i = 0; i < count; ++i) {
    if (labels[i] >= num_classes) {
      return Malformed(file,
                       absl::StrCat("label ", int{labels[i]}, " at index ", i, " (byte offset ",
                                    kIdxLabelsHeaderBytes + i, ") is out of range; expected 0..",
                                    num_classes - 1, " for ", num_classes, " classes"));
    }
  }
  IdxLabels result;
  result.count = count;
  result.labels = labels;
  return result;
}

absl::StatusOr<IdxImages> ParseIdxImages(const MappedFile& file) {
  return ParseIdxImages(file.path(), file.bytes());
}

absl::StatusOr<IdxLabels> ParseIdxLabels(const MappedFile& file, int num_classes) {
  return ParseIdxLabels(file.path(), file.bytes(), num_classes);
}

namespace {

// The bytes of an IDX file of any element type (0x08 unsigned byte: 1 byte each; 0x0C int32: 4
// bytes, already big-endian in `payload`); `what` names it in messages.
absl::StatusOr<std::vector<uint8_t>> EncodeIdx(const std::string& what, uint8_t type,
                                               std::span<const uint32_t> dims,
                                               std::span<const uint8_t> payload) {
  if (dims.empty() || dims.size() > 4) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", dims.size(), " dimensions, expected 1 to 4"));
  }
  uint64_t elements = type == kIdxUnsignedByte ? 1 : 4;  // bytes per element
  for (uint32_t dim : dims) elements *= dim;
  if (elements != payload.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": dimensions hold ", elements, " bytes, payload has ", payload.size()));
  }
  std::vector<uint8_t> bytes = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t dim : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back((dim >> shift) & 0xff);
  }
  bytes.insert(bytes.end(), payload.begin(), payload.end());
  return bytes;
}

absl::StatusOr<std::vector<uint32_t>> ImageDims(const std::string& what, int rows, int cols,
                                                std::span<const uint8_t> pixels,
                                                int value_bytes = 1) {
  if (rows <= 0 || cols <= 0 ||
      pixels.size() % (static_cast<size_t>(rows) * cols * value_bytes) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": ", pixels.size(), " pixels are not whole images of ", rows, "x", cols));
  }
  return std::vector<uint32_t>{
      static_cast<uint32_t>(pixels.size() / (static_cast<size_t>(rows) * cols * value_bytes)),
      static_cast<uint32_t>(rows), static_cast<uint32_t>(cols)};
}

}  // namespace

absl::Status WriteIdxFile(const std::string& path, std::span<const uint32_t> dims,
                          std::span<const uint8_t> payload) {
  DS_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, EncodeIdx(absl::StrCat("WriteIdxFile ", path),
                                                            kIdxUnsignedByte, dims, payload));
  return WriteIdxBytes(path, bytes);
}

absl::StatusOr<std::vector<uint8_t>> IdxImagesBytes(int rows, int cols,
                                                    std::span<const uint8_t> pixels,
                                                    int value_bytes) {
  DS_ASSIGN_OR_RETURN(std::vector<uint32_t> dims,
                      ImageDims("IdxImagesBytes", rows, cols, pixels, value_bytes));
  return EncodeIdx("IdxImagesBytes", value_bytes == 4 ? kIdxFloat : kIdxUnsignedByte, dims, pixels);
}

absl::StatusOr<std::vector<uint8_t>> IdxLabelsBytes(std::span<const uint8_t> labels) {
  const uint32_t dims[] = {static_cast<uint32_t>(labels.size())};
  return EncodeIdx("IdxLabelsBytes", kIdxUnsignedByte, dims, labels);
}

absl::Status WriteIdxImages(const std::string& path, int rows, int cols,
                            std::span<const uint8_t> pixels) {
  DS_ASSIGN_OR_RETURN(std::vector<uint32_t> dims,
                      ImageDims(absl::StrCat("WriteIdxImages ", path), rows, cols, pixels));
  return WriteIdxFile(path, dims, pixels);
}

absl::Status WriteIdxLabels(const std::string& path, std::span<const uint8_t> labels) {
  const uint32_t dims[] = {static_cast<uint32_t>(labels.size())};
  return WriteIdxFile(path, dims, labels);
}

absl::StatusOr<std::vector<uint8_t>> IdxIdsBytes(std::span<const int64_t> ids) {
  std::vector<uint8_t> payload;
  payload.reserve(4 * ids.size());
  for (int64_t id : ids) {
    if (id < 0 || id >= (int64_t{1} << 31)) {
      return absl::InvalidArgumentError(
          absl::StrCat("IdxIdsBytes: id ", id, " is out of range [0, 2^31)"));
    }
    for (int shift = 24; shift >= 0; shift -= 8) payload.push_back((id >> shift) & 0xff);
  }
  const uint32_t dims[] = {static_cast<uint32_t>(ids.size())};
  return EncodeIdx("IdxIdsBytes", 0x0C, dims, payload);
}

absl::StatusOr<std::vector<int64_t>> ParseIdxIds(std::string_view path_view,
                                                 std::span<const uint8_t> bytes) {
  const std::string path(path_view);
  const uint8_t* p = bytes.data();
  if (bytes.size() < 8 || ReadBigEndian32(p) != kIdxIdsMagic) {
    return absl::DataLossError(
        absl::StrCat(path, ": not IDX ids (expected magic ", HexMagic(kIdxIdsMagic), ", ",
                     bytes.size() < 4 ? "too short" : HexMagic(ReadBigEndian32(p)), ")"));
  }
  const uint64_t count = ReadBigEndian32(p + 4);
  if (bytes.size() != 8 + 4 * count) {
    return absl::DataLossError(absl::StrCat(path, ": the ids header says ", count, " ids (",
                                            8 + 4 * count, " bytes) but there are ", bytes.size(),
                                            " bytes"));
  }
  std::vector<int64_t> ids(count);
  for (uint64_t i = 0; i < count; ++i) {
    const uint32_t v = ReadBigEndian32(p + 8 + 4 * i);
    if (v >= (uint32_t{1} << 31)) {
      return absl::DataLossError(
          absl::StrCat(path, ": id ", i, " (byte offset ", 8 + 4 * i, " of the ids) is negative"));
    }
    ids[i] = v;
  }
  return ids;
}

absl::Status WriteIdxBytes(const std::string& path, std::span<const uint8_t> bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return IoError("cannot create", path, errno);
  bool ok = bytes.empty() || std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  int err = errno;
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) return IoError("cannot write", path, err);
  return absl::OkStatus();
}

}  // namespace distsim::data

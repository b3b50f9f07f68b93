#include "sim/data/csv.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "sim/base/status.h"
#include "sim/data/mapped_file.h"

namespace distsim::data {
namespace {

// absl::StrCat of this abseil takes absl::string_view, not std::string_view.
absl::string_view A(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::Status BadCsv(std::string_view path, int64_t line, int64_t column, std::string_view what) {
  return absl::DataLossError(absl::StrCat(A(path), ":", line, ":", column, ": ", A(what)));
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// The fields of one line, split at `delimiter` and trimmed.
std::vector<std::string_view> Split(std::string_view line, char delimiter) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    const size_t end = line.find(delimiter, start);
    fields.push_back(Trim(line.substr(start, end == std::string_view::npos ? end : end - start)));
    if (end == std::string_view::npos) return fields;
    start = end + 1;
  }
}

// The columns (from 0) of the features: the options' list, or every column but the label's.
std::vector<int> FeatureColumns(const CsvOptions& options, int columns) {
  std::vector<int> out;
  if (!options.feature_columns.empty()) {
    for (int c : options.feature_columns) out.push_back(c - 1);
    return out;
  }
  for (int c = 0; c < columns; ++c) {
    if (c != options.label_column - 1) out.push_back(c);
  }
  return out;
}

// Where parsing is: the file, and the line being read.
struct Cursor {
  std::string_view path;
  int64_t line = 0;
};

absl::StatusOr<float> ParseFeature(const Cursor& at, int column, std::string_view field) {
  if (field.empty()) return BadCsv(at.path, at.line, column + 1, "empty field; expected a number");
  double v = 0;
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
  if (ec != std::errc() || end != field.data() + field.size() || !std::isfinite(v)) {
    return BadCsv(at.path, at.line, column + 1,
                  absl::StrCat("\"", A(field), "\" is not a number (a feature must be a finite ",
                               "real number such as 3, -0.5 or 1e-3)"));
  }
  if (std::fabs(v) > std::numeric_limits<float>::max()) {
    return BadCsv(at.path, at.line, column + 1,
                  absl::StrCat(A(field), " is beyond float's range (about 3.4e38)"));
  }
  return static_cast<float>(v);
}

absl::StatusOr<uint8_t> ParseLabel(const Cursor& at, int column, std::string_view field,
                                   int num_classes) {
  int64_t v = -1;
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
  if (field.empty() || ec != std::errc() || end != field.data() + field.size()) {
    return BadCsv(at.path, at.line, column + 1,
                  absl::StrCat("label \"", A(field), "\" is not an integer; labels are classes 0..",
                               num_classes - 1));
  }
  if (v < 0 || v >= num_classes) {
    return BadCsv(at.path, at.line, column + 1,
                  absl::StrCat("label ", v, " is out of range; expected 0..", num_classes - 1,
                               " for data.num_classes ", num_classes));
  }
  return static_cast<uint8_t>(v);
}

absl::Status CheckOptions(std::string_view path, const CsvOptions& options) {
  if (options.num_classes < 1 || options.num_classes > 256 || options.label_column < 1) {
    return absl::InvalidArgumentError(absl::StrCat(A(path), ": num_classes ", options.num_classes,
                                                   " or label column ", options.label_column,
                                                   " out of range"));
  }
  return absl::OkStatus();
}

// Checks that the first line (`fields`, at line `at.line`) has every column the options name.
absl::Status CheckColumns(const Cursor& at, const CsvOptions& options, int columns,
                          const std::vector<int>& features) {
  auto missing = [&](int column, std::string_view what) {
    return BadCsv(at.path, at.line, columns + 1,
                  absl::StrCat("missing column ", column, " (", A(what), "): the line has ", columns,
                               " columns"));
  };
  if (options.label_column > columns) return missing(options.label_column, "the label");
  for (int c : features) {
    if (c >= columns) return missing(c + 1, "a feature");
  }
  if (features.empty()) return BadCsv(at.path, at.line, 1, "no feature columns");
  return absl::OkStatus();
}

// Parses one data line's `fields` into `table`.
absl::Status ParseLine(const Cursor& at, const std::vector<std::string_view>& fields,
                       const CsvOptions& options, const std::vector<int>& features,
                       CsvTable* table) {
  for (int c : features) {
    DS_ASSIGN_OR_RETURN(float v, ParseFeature(at, c, fields[c]));
    table->values.push_back(v);
  }
  const int label = options.label_column - 1;
  DS_ASSIGN_OR_RETURN(uint8_t y, ParseLabel(at, label, fields[label], options.num_classes));
  table->labels.push_back(y);
  ++table->examples;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CsvTable> ParseCsv(std::string_view path, std::string_view text,
                                  const CsvOptions& options) {
  DS_RETURN_IF_ERROR(CheckOptions(path, options));
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a UTF-8 byte-order mark
  Cursor at{path, 0};
  CsvTable table;
  int columns = -1;  // of the first line
  std::vector<int> features;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++at.line;
    if (Trim(line).empty()) continue;
    const std::vector<std::string_view> fields = Split(line, options.delimiter);
    const int n = static_cast<int>(fields.size());
    if (columns < 0) {
      columns = n;
      features = FeatureColumns(options, columns);
      table.features = static_cast<int>(features.size());
      DS_RETURN_IF_ERROR(CheckColumns(at, options, columns, features));
      if (options.header) continue;
    } else if (n != columns) {
      return BadCsv(path, at.line, std::min(n, columns) + 1,
                    absl::StrCat("ragged line: ", n, " fields, but the first line has ", columns,
                                 n < columns ? " (a column is missing)" : " (an extra field)"));
    }
    DS_RETURN_IF_ERROR(ParseLine(at, fields, options, features, &table));
  }
  if (table.examples == 0) {
    return BadCsv(path, at.line + 1, 1,
                  columns < 0 ? "the file is empty; expected one example a line"
                              : "no examples after the header line");
  }
  return table;
}

absl::StatusOr<CsvTable> ReadCsv(const std::string& path, const CsvOptions& options) {
  DS_ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  const std::span<const uint8_t> bytes = file.bytes();
  return ParseCsv(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                  options);
}

}  // namespace distsim::data

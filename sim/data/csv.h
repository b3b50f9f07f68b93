// The user's own tabular data: a training and a test CSV file, read and checked whole, then
// turned into the IDX representation the rest of distsim reads (a folder of the four standard
// IDX files, dataset.h), so every strategy, distribution and the object store take it unchanged.
//
// Why float features: a Dataset of images holds unsigned-byte pixels scaled to [0, 1], but CSV
// features are real numbers of any range (and z-scores are negative). Squeezing them into 0..255
// would lose precision and forbid normalisation NONE, so the examples are stored as IDX float32
// images (idx.h, kIdxFloatImagesMagic) of 1 x d values, which Dataset::Gather passes on as they
// are. Labels stay unsigned bytes: integers 0..C-1 (C = num_classes <= 256); label strings are
// not mapped to classes, so a file's classes mean the same in every file and every process.
//
// The format: one example a line ("\n" or "\r\n"), fields split at `delimiter` with no quoting,
// spaces around a field ignored, blank lines skipped; every line has as many fields as the first
// (the header, when there is one). Every error is DataLoss "<file>:<line>:<column>: <what>",
// lines and columns counted from 1.
#ifndef DISTSIM_SIM_DATA_CSV_H_
#define DISTSIM_SIM_DATA_CSV_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace distsim::data {

enum class Normalization {
  kNone,    // features as they are
  kMinMax,  // (x - min) / (max - min) per feature, from the training file; a constant feature: 0
  kZScore,  // (x - mean) / standard deviation per feature, from the training file; constant: 0
};

struct CsvOptions {
  int label_column = 1;              // from 1
  std::vector<int> feature_columns;  // from 1, in this order; empty: every other column
  bool header = false;               // skip the first line (the columns' names)
  char delimiter = ',';
  int num_classes = 10;  // every label must be an integer in [0, num_classes)
  Normalization normalization = Normalization::kNone;
};

// A CSV file's examples: features row-major, `features` values per example.
struct CsvTable {
  int64_t examples = 0;
  int features = 0;
  std::vector<float> values;     // examples x features
  std::vector<uint8_t> labels;   // examples
};

// Parses `text`, the contents of the file `path` (which only names it in messages). DataLoss for
// an empty file or one with no examples, a ragged line, a column the options name but the file
// lacks, an empty field, a feature that is not a finite number within float's range, a label
// that is not an integer in [0, num_classes). InvalidArgument for options out of range.
absl::StatusOr<CsvTable> ParseCsv(std::string_view path, std::string_view text,
                                  const CsvOptions& options);

// Reads and parses the file `path` (NotFound when missing).
absl::StatusOr<CsvTable> ReadCsv(const std::string& path, const CsvOptions& options);

// Normalises `train` and `test` by `normalization` with the statistics of `train` alone.
void Normalize(Normalization normalization, CsvTable* train, CsvTable* test);

// Reads both files, normalises them, and writes them as a folder of the four standard IDX files
// (float32 images of 1 x features, unsigned-byte labels) under `cache_root` (created if
// missing), named by the fingerprint of what it holds; an existing folder is reused. Written into
// a temporary folder then renamed, so a folder that exists is complete. Returns the folder.
// Errors: those of ReadCsv; DataLoss when the two files have different feature counts; Unknown
// naming the path for a failed write.
absl::StatusOr<std::string> ConvertCsvToIdx(const std::string& train_path,
                                            const std::string& test_path,
                                            const CsvOptions& options,
                                            const std::string& cache_root);

}  // namespace distsim::data

#endif  // DISTSIM_SIM_DATA_CSV_H_

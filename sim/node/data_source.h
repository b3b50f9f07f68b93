// Where a run's data is read from: the IDX folder of MNIST, Fashion-MNIST and IDX configs, or,
// for dataset CSV, the IDX folder its two CSV files are turned into (sim/data/csv.h).
#ifndef DISTSIM_SIM_NODE_DATA_SOURCE_H_
#define DISTSIM_SIM_NODE_DATA_SOURCE_H_

#include <string>

#include "absl/status/statusor.h"
#include "distsim/config.pb.h"
#include "sim/data/csv.h"

namespace distsim::node {

// data.csv as the reader's options.
data::CsvOptions CsvOptionsOf(const DataConfig& data);

// The two CSV files of `config` (data.csv.train and .test) with relative paths taken from
// `data_dir`, as IdxDirOf reads them.
struct CsvPaths {
  std::string train;
  std::string test;
};
CsvPaths CsvPathsOf(const RunConfig& config, const std::string& data_dir);

// The folder of the four IDX files `config` trains on. `data_dir` is the resolved data folder
// (config::ResolveDataDir): for CSV the folder the files' relative paths start from. A CSV pair
// is read and checked whole, then converted once into "<the training file's folder>/.distsim-csv/
// <fingerprint>" (reused while the files and options are unchanged). Errors: ConvertCsvToIdx's.
absl::StatusOr<std::string> IdxDirOf(const RunConfig& config, const std::string& data_dir);

}  // namespace distsim::node

#endif  // DISTSIM_SIM_NODE_DATA_SOURCE_H_

#include "sim/node/data_source.h"

#include <filesystem>

namespace distsim::node {
namespace {

std::string InDataDir(const std::string& data_dir, const std::string& path) {
  const std::filesystem::path p(path);
  if (p.is_absolute() || data_dir.empty()) return p.lexically_normal().string();
  return (std::filesystem::path(data_dir) / p).lexically_normal().string();
}

data::Normalization NormalizationOf(CsvConfig::Normalization n) {
  switch (n) {
    case CsvConfig::MIN_MAX:
      return data::Normalization::kMinMax;
    case CsvConfig::Z_SCORE:
      return data::Normalization::kZScore;
    default:
      return data::Normalization::kNone;
  }
}

}  // namespace

data::CsvOptions CsvOptionsOf(const DataConfig& data) {
  const CsvConfig& csv = data.csv();
  data::CsvOptions options;
  options.label_column = csv.label_column() == 0 ? 1 : static_cast<int>(csv.label_column());
  for (uint32_t c : csv.feature_columns()) options.feature_columns.push_back(static_cast<int>(c));
  options.header = csv.header();
  options.delimiter = csv.delimiter().empty() ? ',' : csv.delimiter()[0];
  options.num_classes = data.num_classes() == 0 ? 10 : static_cast<int>(data.num_classes());
  options.normalization = NormalizationOf(csv.normalization());
  return options;
}

CsvPaths CsvPathsOf(const RunConfig& config, const std::string& data_dir) {
  return {InDataDir(data_dir, config.data().csv().train()),
          InDataDir(data_dir, config.data().csv().test())};
}

absl::StatusOr<std::string> IdxDirOf(const RunConfig& config, const std::string& data_dir) {
  const DataConfig& data = config.data();
  if (data.dataset() != DataConfig::CSV && !data.has_csv()) return data_dir;
  const auto [train, test] = CsvPathsOf(config, data_dir);
  const std::string cache =
      (std::filesystem::path(train).parent_path() / ".distsim-csv").lexically_normal().string();
  return data::ConvertCsvToIdx(train, test, CsvOptionsOf(data), cache);
}

}  // namespace distsim::node

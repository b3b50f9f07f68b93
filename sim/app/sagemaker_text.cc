// export.txt: the modelled job beside what was exported, the notes and the placeholders.
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "sim/app/sagemaker_export.h"
#include "sim/data/idx.h"
#include "sim/data/object_store.h"

namespace distsim::app {
namespace {

std::string Megabytes(double bytes) { return absl::StrFormat("%.1f MB", bytes / 1e6); }

// `text` in lines of at most 96 columns, broken at spaces: the first after `first`, the others
// after `next`; a word longer than a line stands alone.
std::string Wrapped(const std::string& text, const std::string& first, const std::string& next) {
  constexpr size_t kWidth = 96;
  std::string out = first, line;
  size_t room = kWidth - first.size();
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (!line.empty() && line.size() + 1 + word.size() > room) {
      absl::StrAppend(&out, line, "\n", next);
      line.clear();
      room = kWidth - next.size();
    }
    absl::StrAppend(&line, line.empty() ? "" : " ", word);
  }
  return absl::StrCat(out, line, "\n");
}

// What the job is: its name, instances, layout and channels.
std::string JobText(const SagemakerExport& e) {
  const RunConfig& c = e.config;
  std::string layout = "one worker on every host";
  if (e.parameter_server) layout = "a parameter-server shard and a worker on every host";
  if (e.instance_count == 1) layout = "one host";
  return absl::StrFormat(
      "distsim export-sagemaker %s: the SageMaker training job %s\n"
      "  %d x %s ($%.3f per hour each), %s\n"
      "  train channel %s (%u objects), test channel FullyReplicated, File mode\n",
      c.name(), e.job_name, e.instance_count, e.instance_type, e.price_per_hour_usd, layout,
      e.sharded ? "ShardedByS3Key" : "FullyReplicated", c.data().objects());
}

// The modelled job, where it came from, and its cost.
std::string ModelledText(const SagemakerExport& e) {
  const ExportJob& j = e.job;
  return absl::StrFormat(
      "\nmodelled job: download %.2f s + training %.2f s + upload %.2f s = %.2f s\n%s"
      "  start-up before it (provisioning, not billed): %.0f s\n"
      "  cost: %d x $%.3f/h x %.2f s = $%.4f\n",
      j.download_s, j.training_s, j.upload_s, j.job_s, Wrapped("from " + j.source, "  ", "  "),
      j.startup_s, e.instance_count, e.price_per_hour_usd, j.job_s, e.cost_usd);
}

// The settings derived from the modelled job, with their reasons.
std::string ExportedText(const SagemakerExport& e) {
  std::string out = absl::StrFormat(
      "\nexported:\n"
      "  MaxRuntimeInSeconds %d: %g x %.2f s (the modelled job) + %.0f s (the start-up) = %.1f s,\n"
      "    rounded up, at least %d and at most 28 days.\n"
      "    The margin: the modelled job leaves out the evaluations, the container's start and\n"
      "    S3's and the network's variance, and the speeds behind it are estimates; %g times it\n"
      "    still stops a hung job at a few times its expected bill. The start-up profile is\n"
      "    added in case SageMaker's clock counts it.\n"
      "  VolumeSizeInGB %d: the largest host downloads %s (at least twice that, and %d)\n"
      "  HyperParameters: %d, distsim_config carrying the whole config (`distsim train` reads\n"
      "    them back)%s\n",
      e.max_runtime_s, kRuntimeMargin, e.job.job_s, e.job.startup_s,
      kRuntimeMargin * e.job.job_s + e.job.startup_s, kMinRuntimeSeconds, kRuntimeMargin,
      e.volume_gb, Megabytes(e.job.largest_download_bytes), kMinVolumeGb,
      static_cast<int>(e.hyperparameters.size()),
      e.parameter_server ? ", sagemaker_parameter_server_enabled \"true\" among them" : "");
  return out;
}

// Every placeholder of the two job files and what goes there.
std::string PlaceholdersText(const SagemakerExport& e) {
  const uint32_t k = e.config.data().objects();
  const std::string first = data::ObjectFileName(0, k);
  const std::pair<std::string, std::string> entries[] = {
      {absl::StrCat("TrainingImage, IMAGE_URI: ", kImagePlaceholder),
       "the distsim container image, pushed to your Amazon ECR"},
      {absl::StrCat("RoleArn, ROLE: ", kRolePlaceholder),
       "the role SageMaker assumes: S3 read of the channels, write of the output"},
      {absl::StrCat("train channel, TRAIN_S3: ", kTrainS3Placeholder),
       absl::StrFormat("the %u objects distsim cut, one file each (%s, ...); a run "
                       "lays them out under out/<run>/hosts/algo-<i>/input/data/train",
                       k, first)},
      {absl::StrCat("test channel, TEST_S3: ", kTestS3Placeholder),
       absl::StrCat("the test set: ", data::kTestImages, " and ", data::kTestLabels)},
      {absl::StrCat("S3OutputPath, OUTPUT_PATH: ", kOutputS3Placeholder), "where the model goes"},
      {absl::StrCat("Environment DISTSIM_TOKEN: ", kTokenPlaceholder),
       "a marker, never a value: the run token must come from a secret in AWS Secrets Manager "
       "that the container reads as it starts (the role needs secretsmanager:GetSecretValue on "
       "it). Never put the token in HyperParameters or Environment: DescribeTrainingJob shows "
       "both to anyone allowed to describe the job"},
      {absl::StrCat("TrainingJobName: ", e.job_name),
       "unique in the account and region: add a suffix to create it again (the script's "
       "base_job_name gets a timestamp from the SDK)"},
  };
  std::string out =
      "\nfill in before creating the job (create-training-job.json and train_sagemaker.py "
      "alike):\n";
  for (const auto& [what, where] : entries) {
    absl::StrAppend(&out, "  ", what, "\n", Wrapped(where, "    ", "    "));
  }
  return out;
}

}  // namespace

std::string ExportText(const SagemakerExport& e, const std::string& out_dir) {
  std::string out = JobText(e) + ModelledText(e) + ExportedText(e);
  if (!e.notes.empty()) absl::StrAppend(&out, "\nnotes (what SageMaker cannot say, and how):\n");
  for (const std::string& note : e.notes) absl::StrAppend(&out, Wrapped(note, "  - ", "    "));
  absl::StrAppend(&out, PlaceholdersText(e));
  absl::StrAppendFormat(
      &out, "\nfiles in %s: create-training-job.json, train_sagemaker.py, export.txt\n", out_dir);
  return out;
}

}  // namespace distsim::app

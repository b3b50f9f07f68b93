// Loading, defaulting and validating a RunConfig (proto/distsim/config.proto).
//
// The CLI makes one call:
//   DS_ASSIGN_OR_RETURN(RunConfig config, config::LoadAndValidate(path, overrides));
// which reads the file, merges the --set overrides, fills the defaults named in the schema's
// comments and checks every value. Each step is also available on its own for tests and tools.
//
// Status codes follow sim/base/status.h: InvalidArgument (exit 78) for anything wrong with the
// config's content (syntax, unknown field or enum value, out-of-range value, bad extension),
// NotFound (exit 66) for a missing file, Unknown (exit 74) for other OS read errors.
//
// Nothing here reads environment variables or global state: callers pass in what depends on the
// machine (the default dataset folders). All functions are thread-compatible and thread-safe when
// called on distinct objects.
#ifndef DISTSIM_SIM_CONFIG_CONFIG_H_
#define DISTSIM_SIM_CONFIG_CONFIG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "distsim/config.pb.h"

namespace distsim::config {

// Largest config file accepted; anything bigger is surely not a config.
inline constexpr size_t kMaxConfigFileBytes = 1 << 20;

// Upper bound of optimizer.warmup_steps and sweep.warmup_steps.
inline constexpr uint32_t kMaxWarmupSteps = 1000000;

// Reads the config at `path`, choosing the syntax from the extension (case-insensitive):
//   .textproto, .txtpb, .pbtxt   protobuf text format
//   .json                        protobuf JSON mapping of the same schema
// Unknown fields and unknown enum values (by name or by number) are refused. No defaults are
// filled and no ranges are checked: see WithDefaults and ValidateRunConfig.
// Errors: InvalidArgument "<path>:<line>:<column>: <parser message>" for text syntax errors
// (1-based line and column, as protobuf 3.21 reports them: for an unknown field or enum name, the
// position of the token just after the name; a tab advances the column to a multiple of 8),
// "<path>: invalid JSON config: <parser message>" for JSON (protobuf 3.21 gives no position),
// "<path>: <field.path>: <n> is not a value of <enum>" for unknown enum numbers, and an
// unsupported-extension message; NotFound naming the path if the file does not exist; Unknown
// for other read errors.
absl::StatusOr<RunConfig> LoadRunConfig(const std::string& path);

// Parses any config message (RunConfig, CompareConfig) from `path` by its extension, with the
// same rules and error messages as LoadRunConfig.
absl::Status LoadMessage(const std::string& path, google::protobuf::Message* message);

// The two syntaxes of a config's text.
enum class ConfigSyntax { kText, kJson };

// What LoadMessage does once it has read the file: parses `content`, a config's text in
// `syntax`, into `message` (replacing what it held), with the same rules, and the same messages
// with `origin` (the file's path, or any name) where they name the path. Reads no file and has
// no size limit of its own. The fuzz targets fuzz/fuzz_config_text.cc and fuzz_config_json.cc
// call it.
absl::Status ParseMessage(std::string_view content, ConfigSyntax syntax, const std::string& origin,
                          google::protobuf::Message* message);

// Merges `overrides` into `config`: fields set in `overrides` replace the config's (lists
// included; a oneof member set there switches the oneof). Proto3 scalars left at zero in
// `overrides` keep the config's value.
void MergeOverrides(const RunConfig& overrides, RunConfig* config);

// Merges a text-format fragment such as `train { steps: 50 }` or `seed: 7` into `*config`
// (the value of a `--set` flag). Semantics: every scalar named in the fragment replaces the
// current value (even a zero), submessages merge field by field, setting a oneof member switches
// the oneof to it, and a repeated field named in the fragment replaces the whole list
// (`model { mlp { hidden: [256, 256] } }` gives exactly two layers).
// Errors: InvalidArgument "override \"<text>\":<line>:<column>: <parser message>" (1-based), and
// "override \"<text>\": ..." for an empty fragment or an unknown enum number. A field given twice
// within one fragment is refused. On error `*config` is left unchanged.
absl::Status ApplyOverride(RunConfig* config, std::string_view text);

// Returns `config` with every default named in the schema's comments filled in, so that the
// result echoes the configuration actually used:
//   output_dir "out"; workers 1; data.dataset MNIST, data.distribution FULLY_REPLICATED,
//   data.objects 10, data.grouping SHUFFLED; mlp hidden [128] when empty; cnn conv1_channels 32,
//   conv2_channels 64, dense_units 1024, dropout 0.4; momentum 0.9; adam beta1 0.9, beta2 0.999,
//   epsilon 1e-8; train.warmup_steps 10, train.threads 1, train.shuffle true; supervision
//   on_worker_failure ABORT, heartbeat_timeout_s 5, stall_timeout_s 120, rpc_deadline_s 10;
//   strategy local; parameter_server mode ASYNC, placement DEDICATED, servers 1 (COLOCATED:
//   workers), partitioning BALANCED_RANGES, chunk_bytes 1 MiB; allreduce algorithm RING,
//   segment_bytes 1 MiB.
// Only fields left at zero / unset are touched; defaults of a model, optimizer or strategy kind
// are filled only when that kind is the one selected (supervision is always filled). Required
// values (learning rate, batch size, run length, model and optimizer kinds) get no default.
// Idempotent.
RunConfig WithDefaults(RunConfig config);

// Checks every value of `config` and reports ALL problems at once, one per line, each as
// "<field.path>: <what is wrong>; <what is allowed>", e.g.
//   "train.batch_size: 0 is out of range; must be in [1, 65536]".
// Expects a config that went through WithDefaults: fields whose zero means "default" (cnn
// channels, data.dataset, output_dir, mlp.hidden, workers, data.objects, the strategies' and
// supervision's enums and sizes, ...) are refused when still zero or empty (exception:
// parameter_server.servers 0 is accepted with placement COLOCATED, where it means `workers`).
// Besides every range of the schema, the rules between fields:
//   workers must be 1 with strategy local;
//   train.global_steps only with strategy parameter_server;
//   data.objects >= workers under SHARDED_BY_KEY (objects are never split);
//   data.objects <= data.train_limit when a limit is set (no empty object);
//   parameter_server.servers 0 or equal to workers with placement COLOCATED;
//   parameter_server.staleness 0 unless mode is SSP.
// Returns OK or InvalidArgument. The message carries no file name: LoadAndValidate adds it.
absl::Status ValidateRunConfig(const RunConfig& config);

// Advice about a valid config that is not an error, one line each in the same
// "<field.path>: ..." form (empty when there is nothing to say). Today: a synchronous strategy
// (allreduce, or parameter_server SYNC) on more than one worker without GLOBAL_BATCH_SLICE, which
// alone makes the run the same computation as one worker with n times the batch. The CLI prints
// these as notes; expects a config that went through WithDefaults.
std::vector<std::string> Advice(const RunConfig& config);

// LoadRunConfig(path), then ApplyOverride for each of `overrides` in order, then WithDefaults,
// then ValidateRunConfig. Validation errors are prefixed with "<path>: " on every line.
absl::StatusOr<RunConfig> LoadAndValidate(const std::string& path,
                                          const std::vector<std::string>& overrides = {});

// The folder holding the dataset's IDX files:
//   data.dir absolute        -> data.dir
//   data.dir relative        -> relative to the folder of `config_path` (lexically normalised;
//                               a config path without a folder leaves it relative to the cwd)
//   data.dir empty           -> `default_mnist_dir` for MNIST (and UNSPECIFIED, whose default is
//                               MNIST), `default_fashion_dir` for FASHION_MNIST, "" for IDX
//                               (ValidateRunConfig refuses IDX without a dir).
// Pure string manipulation: touches no file system and reads no environment variable.
std::string ResolveDataDir(const RunConfig& config, const std::string& config_path,
                           const std::string& default_mnist_dir,
                           const std::string& default_fashion_dir);

}  // namespace distsim::config

#endif  // DISTSIM_SIM_CONFIG_CONFIG_H_

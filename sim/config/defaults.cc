// WithDefaults and ResolveDataDir: what a config means once the schema's defaults apply.
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>

#include "sim/config/config.h"
#include "sim/config/instances.h"

namespace distsim::config {

namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

void FillParameterServer(uint32_t workers, ParameterServerStrategy* ps) {
  if (ps->mode() == ParameterServerStrategy::MODE_UNSPECIFIED) {
    ps->set_mode(ParameterServerStrategy::ASYNC);
  }
  if (ps->placement() == ParameterServerStrategy::PLACEMENT_UNSPECIFIED) {
    ps->set_placement(ParameterServerStrategy::DEDICATED);
  }
  if (ps->servers() == 0) {
    ps->set_servers(ps->placement() == ParameterServerStrategy::COLOCATED ? workers : 1);
  }
  if (ps->partitioning() == ParameterServerStrategy::PARTITIONING_UNSPECIFIED) {
    ps->set_partitioning(ParameterServerStrategy::BALANCED_RANGES);
  }
  if (ps->chunk_bytes() == 0) ps->set_chunk_bytes(kMiB);
  if (ps->on_bad_gradient() == ParameterServerStrategy::ON_BAD_GRADIENT_UNSPECIFIED) {
    ps->set_on_bad_gradient(ParameterServerStrategy::STOP);
  }
}

void FillAllreduce(AllreduceStrategy* allreduce) {
  if (allreduce->algorithm() == AllreduceStrategy::ALGORITHM_UNSPECIFIED) {
    allreduce->set_algorithm(AllreduceStrategy::RING);
  }
  if (allreduce->segment_bytes() == 0) allreduce->set_segment_bytes(kMiB);
  if (allreduce->transport() == AllreduceStrategy::TRANSPORT_UNSPECIFIED) {
    allreduce->set_transport(AllreduceStrategy::TCP);  // faster than GRPC at every size measured
  }
}

// The instance's figures first (an unknown type is left for the validator to report), then the
// schema's defaults.
void FillCluster(ClusterConfig* cluster) {
  NetworkConfig* network = cluster->mutable_network();
  if (!cluster->instance_type().empty()) {
    absl::StatusOr<InstanceProfile> instance = FindInstance(cluster->instance_type());
    if (instance.ok()) {
      if (network->bandwidth_gbps() == 0) network->set_bandwidth_gbps(instance->network_gbps());
      if (cluster->gemm_gflops() == 0) cluster->set_gemm_gflops(instance->gemm_gflops());
    }
  }
  if (network->bandwidth_gbps() == 0) network->set_bandwidth_gbps(10);
  if (!network->has_latency_us()) network->set_latency_us(50);
  if (cluster->clock() == ClusterConfig::CLOCK_MODE_UNSPECIFIED) {
    cluster->set_clock(ClusterConfig::CPU_TIME);
  }
  if (cluster->start_stagger_s() > 0 && cluster->start_stagger_max_s() == 0) {
    cluster->set_start_stagger_max_s(60);  // tf.estimator's cap
  }
}

void FillSupervision(SupervisionConfig* supervision) {
  if (supervision->on_worker_failure() == SupervisionConfig::ON_WORKER_FAILURE_UNSPECIFIED) {
    supervision->set_on_worker_failure(SupervisionConfig::ABORT);
  }
  if (supervision->heartbeat_timeout_s() == 0) supervision->set_heartbeat_timeout_s(5);
  if (supervision->stall_timeout_s() == 0) supervision->set_stall_timeout_s(120);
  if (supervision->rpc_deadline_s() == 0) supervision->set_rpc_deadline_s(10);
  if (supervision->checkpoints_kept() == 0) supervision->set_checkpoints_kept(3);
}

void FillCsv(CsvConfig* csv) {
  if (csv->label_column() == 0) csv->set_label_column(1);
  if (csv->delimiter().empty()) csv->set_delimiter(",");
  if (csv->normalization() == CsvConfig::NORMALIZATION_UNSPECIFIED) {
    csv->set_normalization(CsvConfig::NONE);
  }
}

void FillData(DataConfig* data) {
  if (data->dataset() == DataConfig::DATASET_UNSPECIFIED && data->has_csv()) {
    data->set_dataset(DataConfig::CSV);
  }
  if (data->dataset() == DataConfig::DATASET_UNSPECIFIED) data->set_dataset(DataConfig::MNIST);
  if (data->dataset() == DataConfig::CSV) FillCsv(data->mutable_csv());
  if (data->num_classes() == 0) data->set_num_classes(10);
  if (data->distribution() == DataConfig::DISTRIBUTION_UNSPECIFIED) {
    data->set_distribution(DataConfig::FULLY_REPLICATED);
  }
  if (data->objects() == 0) data->set_objects(10);
  if (data->grouping() == DataConfig::GROUPING_UNSPECIFIED) {
    data->set_grouping(DataConfig::SHUFFLED);
  }
  if (data->grouping() == DataConfig::DIRICHLET && data->dirichlet_alpha() == 0) {
    data->set_dirichlet_alpha(1.0);
  }
}

void FillModel(ModelConfig* model) {
  if (model->has_mlp()) {
    if (model->mlp().hidden_size() == 0) model->mutable_mlp()->add_hidden(128);
  } else if (model->has_cnn()) {
    CnnModel* cnn = model->mutable_cnn();
    if (cnn->conv1_channels() == 0) cnn->set_conv1_channels(32);
    if (cnn->conv2_channels() == 0) cnn->set_conv2_channels(64);
    if (cnn->dense_units() == 0) cnn->set_dense_units(1024);
    if (!cnn->has_dropout()) cnn->set_dropout(0.4f);
  }
}

void FillOptimizer(OptimizerConfig* optimizer) {
  if (optimizer->has_momentum()) {
    MomentumOptimizer* m = optimizer->mutable_momentum();
    if (!m->has_momentum()) m->set_momentum(0.9f);
  } else if (optimizer->has_adam()) {
    AdamOptimizer* a = optimizer->mutable_adam();
    if (!a->has_beta1()) a->set_beta1(0.9f);
    if (!a->has_beta2()) a->set_beta2(0.999f);
    if (!a->has_epsilon()) a->set_epsilon(1e-8f);
  }
}

}  // namespace

RunConfig WithDefaults(RunConfig config) {
  if (config.output_dir().empty()) config.set_output_dir("out");
  if (!config.has_workers()) config.set_workers(1);  // an explicit 0 stays, for the validator

  FillData(config.mutable_data());
  FillModel(config.mutable_model());
  FillOptimizer(config.mutable_optimizer());

  TrainConfig* train = config.mutable_train();
  if (!train->has_warmup_steps()) train->set_warmup_steps(10);
  if (train->threads() == 0) train->set_threads(1);
  if (!train->has_shuffle()) train->set_shuffle(true);

  FillSupervision(config.mutable_supervision());
  FillCluster(config.mutable_cluster());

  switch (config.strategy_case()) {
    case RunConfig::STRATEGY_NOT_SET:
      config.mutable_local();
      break;
    case RunConfig::kParameterServer:
      FillParameterServer(config.workers(), config.mutable_parameter_server());
      break;
    case RunConfig::kAllreduce:
      FillAllreduce(config.mutable_allreduce());
      break;
    case RunConfig::kLocal:
      break;
  }
  return config;
}

std::string ResolveDataDir(const RunConfig& config, const std::string& config_path,
                           const std::string& default_mnist_dir,
                           const std::string& default_fashion_dir) {
  const DataConfig& data = config.data();
  if (data.dir().empty()) {
    switch (data.has_csv() ? DataConfig::CSV : data.dataset()) {
      case DataConfig::DATASET_UNSPECIFIED:
      case DataConfig::MNIST:
        return default_mnist_dir;
      case DataConfig::FASHION_MNIST:
        return default_fashion_dir;
      case DataConfig::CSV:  // the CSV paths start from the config file's folder
        return std::filesystem::path(config_path).parent_path().lexically_normal().string();
      default:
        return "";
    }
  }
  std::filesystem::path dir(data.dir());
  if (dir.is_absolute()) return dir.lexically_normal().string();
  std::filesystem::path folder = std::filesystem::path(config_path).parent_path();
  return (folder / dir).lexically_normal().string();
}

}  // namespace distsim::config

// `distsim worker` and `distsim server` placed by a TensorFlow cluster spec ($TF_CONFIG, as
// Kubeflow's TFJob sets it): read here, at the program's edge, and mapped by
// config::RoleFromTfConfig (sim/config/tf_config.h, the one place the mapping is written down).
#ifndef DISTSIM_SIM_CLI_TF_CONFIG_ENV_H_
#define DISTSIM_SIM_CLI_TF_CONFIG_ENV_H_

#include "sim/node/roles.h"

namespace distsim::cli {

// Which of the placing flags the command line gave.
struct GivenFlags {
  bool rank = false;
  bool coordinator = false;
  bool bind = false;
  bool port = false;
};

// When --rank and --coordinator are both given, nothing to do. When neither is and $TF_CONFIG
// is set, fills the rank, the coordinator, where to serve (--bind and --port unless given) and
// the cluster's counts into `role`. Returns 0, or an exit code after one line on stderr: 64 when
// neither the flags nor $TF_CONFIG place the role (or only one of the two flags is given), 78
// for a TF_CONFIG that does not parse or whose task is the other role.
int PlaceRole(bool server, const GivenFlags& given, node::RoleFlags* role);

}  // namespace distsim::cli

#endif  // DISTSIM_SIM_CLI_TF_CONFIG_ENV_H_

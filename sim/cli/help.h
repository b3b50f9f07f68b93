// The end of every subcommand's --help, so that each shows an example and the exit codes.
#ifndef DISTSIM_SIM_CLI_HELP_H_
#define DISTSIM_SIM_CLI_HELP_H_

#include <string>

namespace distsim::cli {

// "Example:" and `example`, then every exit code distsim uses and what it means.
std::string HelpFooter(const std::string& example);

}  // namespace distsim::cli

#endif  // DISTSIM_SIM_CLI_HELP_H_

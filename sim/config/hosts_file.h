// A hosts file (/etc/hosts's format), for `distsim train --hosts-file`: the job's host names
// mapped to addresses without a network namespace of their own (several hosts on one machine,
// each on a loopback alias 127.0.0.2, 127.0.0.3, ...). The CLI reads the file; this parses it.
//
//   # comment
//   127.0.0.1   algo-1
//   127.0.0.2   algo-2  algo-2.local     (aliases allowed)
#ifndef DISTSIM_SIM_CONFIG_HOSTS_FILE_H_
#define DISTSIM_SIM_CONFIG_HOSTS_FILE_H_

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace distsim::config {

// Name -> address, every name and alias of every line (the first line naming a host wins, as in
// /etc/hosts). IPv6 lines are skipped (distsim's hosts talk IPv4). InvalidArgument naming `path`
// and the line for a line with an address and no name, or an IPv4 address that does not parse.
absl::StatusOr<std::map<std::string, std::string>> ParseHostsFile(std::string_view text,
                                                                 const std::string& path);

}  // namespace distsim::config

#endif  // DISTSIM_SIM_CONFIG_HOSTS_FILE_H_

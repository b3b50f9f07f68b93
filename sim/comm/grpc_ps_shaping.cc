// The shaping options of a gRPC parameter-server client (grpc_ps.h), checked before it connects.
#include "absl/strings/str_cat.h"
#include "sim/comm/grpc_ps.h"
#include "sim/comm/nic.h"

namespace distsim::comm {

// With a NIC: my_host is the NIC port's, and shard_host lists a valid host for every shard.
absl::Status CheckPsClientShaping(const PsClientOptions& options,
                                  const GrpcPsClientOptions& grpc_options) {
  const NicPort& nic = *grpc_options.nic;
  const std::string self = absl::StrCat("parameter server client of worker ", options.worker);
  if (grpc_options.my_host != nic.host()) {
    return absl::InvalidArgumentError(absl::StrCat(self, ": my_host is ", grpc_options.my_host,
                                                   " but the NIC port is on host ", nic.host()));
  }
  if (grpc_options.shard_host.size() != grpc_options.addresses.size()) {
    return absl::InvalidArgumentError(absl::StrCat(self, ": shard_host has ",
                                                   grpc_options.shard_host.size(), " entries for ",
                                                   grpc_options.addresses.size(), " shards"));
  }
  for (size_t s = 0; s < grpc_options.shard_host.size(); ++s) {
    const int host = grpc_options.shard_host[s];
    if (host < 0 || host >= nic.table().hosts()) {
      return absl::InvalidArgumentError(absl::StrCat(self, ": shard_host[", s, "] = ", host,
                                                     " is not a host of the NIC table (",
                                                     nic.table().hosts(), " hosts)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace distsim::comm

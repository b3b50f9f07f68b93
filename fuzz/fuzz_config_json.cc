// fuzz_config_json: the config loader on arbitrary JSON (protobuf's JSON mapping of the same
// schema), as a RunConfig and as a CompareConfig (see config_fuzzing.h). Seeds: shipped configs
// converted to JSON.
#include <cstddef>
#include <cstdint>

#include "fuzz/config_fuzzing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  distsim::fuzz::FuzzConfigText(data, size, distsim::config::ConfigSyntax::kJson, "fuzz.json");
  return 0;
}

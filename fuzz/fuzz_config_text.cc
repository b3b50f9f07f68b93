// fuzz_config_text: the config loader on arbitrary protobuf text format, as a RunConfig and as a
// CompareConfig (see config_fuzzing.h for what runs and what is checked). Seeds: shipped configs.
#include <cstddef>
#include <cstdint>

#include "fuzz/config_fuzzing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  distsim::fuzz::FuzzConfigText(data, size, distsim::config::ConfigSyntax::kText, "fuzz.textproto");
  return 0;
}

// Writing a file so that a crash at any instant leaves either the old file or the whole new one:
// the bytes go to a temporary file beside it, which is fsynced, renamed over the target, and the
// folder fsynced so that the rename itself survives a power cut (Pillai et al., OSDI 2014).
#ifndef DISTSIM_SIM_BASE_DURABLE_FILE_H_
#define DISTSIM_SIM_BASE_DURABLE_FILE_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace distsim {

// The temporary file's suffix: "<path>.tmp.<pid>". A crash between write and rename leaves one;
// readers ignore such files and RemoveTempFiles clears them.
inline constexpr std::string_view kTempSuffix = ".tmp.";

// Writes `bytes` to `path` durably (above), mode 0644 less the umask. On failure no temporary file is left and
// the error names the path (IoError: exit 74; ENOSPC says "No space left on device").
absl::Status WriteFileDurably(const std::string& path, std::string_view bytes);

// fsync of a folder, so that the entries created or renamed in it are on disk.
absl::Status SyncDir(const std::string& dir);

}  // namespace distsim

#endif  // DISTSIM_SIM_BASE_DURABLE_FILE_H_

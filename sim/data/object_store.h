// The training set as K object files in the data cache, like the S3 keys of a SageMaker channel
// (docs/architecture.md, "Data").
//
// Object k of K is one file (object_file.h: its images, labels, and the ids of its examples in the
// whole training set), "train-<k>-of-<K>.dsobj" (both numbers five digits, k from 0, so that
// names sort in key order). An object holds the examples MakeObjects lists for it, in that order. A store is one folder
// named by the fingerprint of what it holds (the training examples' bytes, the cut and its seed).
// It is written once, into a temporary folder that is synced and then renamed into place, so a
// store folder that exists is complete, and runs that cut the same set the same way share it.
#ifndef DISTSIM_SIM_DATA_OBJECT_STORE_H_
#define DISTSIM_SIM_DATA_OBJECT_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/data/dataset.h"
#include "sim/data/distribution.h"
#include "sim/data/object_file.h"

namespace distsim::data {

// "train-00003-of-00010" for object 3 of 10.
std::string ObjectKey(int64_t k, int64_t objects);

// The file name of object k of K: "train-00003-of-00010.dsobj".
std::string ObjectFileName(int64_t k, int64_t objects);

struct ObjectStore {
  std::string dir;                        // <root>/<fingerprint>
  std::vector<std::vector<int64_t>> ids;  // per object, in key order: its examples' ids
  std::vector<double> bytes;              // per object: its file
};

// 16 hex digits naming what `train` cut by `spec` with `seed` holds (MakeObjects' arguments and
// the bytes of every training example): equal for equal inputs, different when a byte differs.
std::string ObjectsFingerprint(const Dataset& train, const DistributionSpec& spec, uint64_t seed);

// The objects of `train` (dense ids, Dataset::Open) cut by MakeObjects(spec, seed), in the store
// under `root` (created if missing): written when absent, else reused (its use time refreshed).
// Stores unused for over a day are removed, the 16 most recently used excepted. Errors:
// MakeObjects' (InvalidArgument), and Unknown naming the path for a failed write.
absl::StatusOr<ObjectStore> MakeObjectStore(const Dataset& train, const DistributionSpec& spec,
                                            uint64_t seed, const std::string& root);

}  // namespace distsim::data

#endif  // DISTSIM_SIM_DATA_OBJECT_STORE_H_

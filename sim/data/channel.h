// A simulated host's data as SageMaker's File mode hands it out (docs/architecture.md, "Data"):
// before training, each host "downloads" the objects of its channels into its own folder, and its
// worker reads only that folder. The layout is SageMaker's, under the run's results folder:
//
//   <run_dir>/hosts/algo-<h+1>/input/data/train/<object files>   the objects of host h
//   <run_dir>/hosts/algo-<h+1>/input/data/test/<two IDX files>   the test set (FullyReplicated)
//
// The files are links into the object store (object_store.h) and the data folder: hard links
// where the file systems allow, else symbolic links; never copies.
#ifndef DISTSIM_SIM_DATA_CHANNEL_H_
#define DISTSIM_SIM_DATA_CHANNEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/data/dataset.h"
#include "sim/data/object_store.h"

namespace distsim::data {

// SageMaker's name of simulated host `host` (from 0): "algo-1", "algo-2", ...
std::string HostName(int host);

// <run_dir>/hosts/algo-<host+1>/input/data: the folder holding the host's channel folders.
std::string HostDataDir(const std::string& run_dir, int host);

// Lays out the channels of one host under `data_dir` (HostDataDir): `train` with the files of
// objects `keys` of `store`, `test` with the two test files. Replaces whatever the folder held.
// Returns the bytes of the files it linked (what the host downloads). Unknown naming the path
// when a link cannot be made.
absl::StatusOr<double> LayChannels(const ObjectStore& store, const std::vector<int64_t>& keys,
                                   const std::string& test_images, const std::string& test_labels,
                                   const std::string& data_dir);

// A worker's training data: the objects its train channel holds.
struct Channel {
  Dataset data;                           // every example of every object (ids as stored)
  std::vector<int64_t> keys;              // object numbers k, ascending
  std::vector<std::vector<int64_t>> ids;  // per object, in key order: its examples' ids
  std::string dir;
};

// Opens every object in the train channel folder `train_dir`: its "*.images.idx" files with the
// ".labels.idx" and ".ids.idx" of the same key, in key order. NotFound for a missing folder or one
// without objects; DataLoss naming the file for a key without its other files, or bad files.
absl::StatusOr<Channel> OpenTrainChannel(const std::string& train_dir, int num_classes = 10);

// Opens the test channel folder `test_dir` (the standard test file names), cut to `limit`, its
// labels checked against `num_classes`.
absl::StatusOr<Dataset> OpenTestChannel(const std::string& test_dir, int64_t limit,
                                        int num_classes = 10);

}  // namespace distsim::data

#endif  // DISTSIM_SIM_DATA_CHANNEL_H_

// The modelled job around the training: SageMaker's File mode downloads each host's objects before
// training starts and uploads the model after it ends, and bills every host from the start of the
// download to the end of the upload (the provisioning start-up before it is reported apart, not
// billed). Pure arithmetic; no config, no protos.
//
// A host's download: its bytes / the download rate + a fixed cost per object (each object is one
// request; AWS's File-mode guidance: many small files download slower than a few large ones).
// Training starts when the slowest host has its data (the workers of a distributed job wait for
// each other at start), so a host with less data waits; after training, the chief uploads the
// model (one object). A host is busy downloading and until its worker's last step; the rest of the
// job it is idle, and idle time is billed like busy time.
#ifndef DISTSIM_SIM_MODEL_JOB_TIME_H_
#define DISTSIM_SIM_MODEL_JOB_TIME_H_

#include <cstdint>
#include <vector>

namespace distsim::model {

struct FileModeLink {
  double bytes_per_s = 0;  // download (and upload) rate of one host, > 0
  double object_s = 0;     // fixed cost per object, >= 0
};

struct JobHost {
  double download_bytes = 0;
  int64_t download_objects = 0;
  // When its work ends, from the start of training (its worker's last step); 0 for a host that
  // only serves (its server is busy to the end: pass the training time) or an idle host.
  double busy_until_s = 0;
  bool uploads = false;  // the chief's host: it uploads the model (busy for the upload too)
};

struct JobTime {
  std::vector<double> download_s;  // per host
  double download_s_max = 0;       // the slowest host's: training starts then
  double training_s = 0;
  double upload_s = 0;             // the model, one object, from the chief's host
  double job_s = 0;                // download_s_max + training_s + upload_s
  double idle_host_s = 0;          // summed over hosts: job_s minus each host's busy time
  double billed_host_s = 0;        // hosts x job_s
  double cost_usd = 0;             // billed_host_s x price / 3600
  double idle_cost_usd = 0;        // idle_host_s x price / 3600
};

// The job of `hosts` around `training_s` seconds of training, uploading `model_bytes` at the end,
// at `price_per_host_hour` (0: no cost). A host's busy time is its download plus busy_until_s
// (capped at training_s), plus the upload where it uploads.
JobTime ModelJobTime(const std::vector<JobHost>& hosts, const FileModeLink& link,
                     double training_s, double model_bytes, double price_per_host_hour);

}  // namespace distsim::model

#endif  // DISTSIM_SIM_MODEL_JOB_TIME_H_

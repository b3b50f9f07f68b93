#include "sim/model/job_time.h"

#include <algorithm>

#include "sim/base/check.h"

namespace distsim::model {
namespace {

double TransferSeconds(double bytes, int64_t objects, const FileModeLink& link) {
  if (bytes <= 0 && objects == 0) return 0;
  return bytes / link.bytes_per_s + static_cast<double>(objects) * link.object_s;
}

}  // namespace

JobTime ModelJobTime(const std::vector<JobHost>& hosts, const FileModeLink& link,
                     double training_s, double model_bytes, double price_per_host_hour) {
  DS_CHECK(link.bytes_per_s > 0 && link.object_s >= 0 && training_s >= 0);
  JobTime job;
  for (const JobHost& host : hosts) {
    const double s = TransferSeconds(host.download_bytes, host.download_objects, link);
    job.download_s.push_back(s);
    job.download_s_max = std::max(job.download_s_max, s);
  }
  job.training_s = training_s;
  job.upload_s = TransferSeconds(model_bytes, 1, link);
  job.job_s = job.download_s_max + training_s + job.upload_s;
  for (size_t h = 0; h < hosts.size(); ++h) {
    const double busy = job.download_s[h] + std::clamp(hosts[h].busy_until_s, 0.0, training_s) +
                        (hosts[h].uploads ? job.upload_s : 0.0);
    job.idle_host_s += std::max(0.0, job.job_s - busy);
  }
  job.billed_host_s = static_cast<double>(hosts.size()) * job.job_s;
  job.cost_usd = job.billed_host_s * price_per_host_hour / 3600;
  job.idle_cost_usd = job.idle_host_s * price_per_host_hour / 3600;
  return job;
}

}  // namespace distsim::model

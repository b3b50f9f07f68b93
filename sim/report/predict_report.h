// predict.html of `distsim predict`: one self-contained page showing a PredictResult: the
// calibration, scaling efficiency and throughput against the worker count for each strategy
// (charts "efficiency-vs-workers" and "throughput-vs-workers": one series per strategy,
// data-strategy = PredictRow.strategy, points (workers, efficiency | samples_per_second) with the
// worker axis in powers of two), the table of rows, and the held-out checks with predicted and
// measured step time side by side and the error. predict.json is embedded verbatim in
// <script type="application/json" id="predict-data">.
#ifndef DISTSIM_SIM_REPORT_PREDICT_REPORT_H_
#define DISTSIM_SIM_REPORT_PREDICT_REPORT_H_

#include <string>

#include "distsim/result.pb.h"

namespace distsim::report {

std::string RenderPredictReport(const PredictResult& result);

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_PREDICT_REPORT_H_

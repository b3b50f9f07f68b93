// The held-out checks of `distsim predict` run several times (`--repeat K`): the median over the
// repeats, how far the repeats spread, and the decision that a check was measured on a machine
// too busy to judge the model with (`too_busy`). Pure functions on the result protos.
#ifndef DISTSIM_SIM_APP_PREDICT_REPEATS_H_
#define DISTSIM_SIM_APP_PREDICT_REPEATS_H_

#include <string>
#include <vector>

#include "distsim/result.pb.h"

namespace distsim::app {

// Runs of each held-out check unless `--repeat` says otherwise: the fewest with a median that
// one outlier cannot move.
inline constexpr int kDefaultRepeats = 3;

// Sends of the link probe's set of messages (4 KiB to 1 MiB): an odd count, so the median is a
// time that was measured, and enough that two delayed sends of a size cannot reach it.
inline constexpr int kProbeRepeats = 7;

// The largest (p90 - p10) / median of a check's measured step times over its repeats that still
// judges the model. The bar for the worst check is 10%: when repeats of the same run
// differ among themselves by more than that, the machine moved the measurement by more than the
// error the check is there to detect, and its median cannot tell a model error from load.
inline constexpr double kMaxCheckSpread = 0.10;

// The largest interquartile range over the median, (p75 - p25) / median, of one message size's
// time in the calibration's link probe (node::LinkProbe::spread). alpha and beta are fitted on
// the medians of kProbeRepeats sends; for times spread like a normal distribution the IQR is
// 1.35 sigma and the median of 7 has a standard error of 1.25 sigma / sqrt(7) = 0.35 IQR. A spread
// of 0.15 keeps that standard error near 5% of the median (the bar for the median check);
// beyond it the fitted link, and every check predicted from it, carry the load.
inline constexpr double kMaxProbeSpread = 0.15;

// (p90 - p10) / median of `values` (report::Quantile's interpolation); 0 for fewer than 2 values
// or a median of 0.
double RelativeSpread(const std::vector<double>& values);

// Why a check cannot judge the model: its repeats spread beyond kMaxCheckSpread, or the
// calibration's probe beyond kMaxProbeSpread (both named with their figures); "" if it can.
std::string TooBusyReason(double check_spread, double probe_spread);

// Fills a check's predicted_step_ms and measured_step_ms (medians over c->repeats()), error
// (the median of the repeats' errors), spread and too_busy from its repeats. A check without
// measured repeats keeps its prediction and gets no error.
void SummarizeRepeats(double probe_spread, PredictCheck* c);

// The held-out checks as text: predicted, measured, median error, spread and too_busy, then a
// line per check marked too_busy with its reason; "" without checks.
std::string ChecksText(const PredictResult& result);

}  // namespace distsim::app

#endif  // DISTSIM_SIM_APP_PREDICT_REPEATS_H_

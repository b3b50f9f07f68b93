// The text helpers of the report pages and their charts: HTML escaping, numbers that parse back
// exactly, and the short forms of numbers, bytes, percentages, rates and durations the tables,
// ticks and tooltips print. Pure functions; thread-compatible.
#ifndef DISTSIM_SIM_REPORT_CHART_TEXT_H_
#define DISTSIM_SIM_REPORT_CHART_TEXT_H_

#include <string>
#include <string_view>

namespace distsim::report {

// Text for HTML content and attribute values: & < > " ' become entities.
std::string EscapeHtml(std::string_view text);

// The shortest decimal text that parses back to exactly `value` (integers without exponent up to
// 1e15). Non-finite values print as "NaN", "Inf", "-Inf".
std::string FormatNumber(double value);

// Short SI form for tick labels: 950, 1.2k, 45k, 1.5M, 2G ("decimals" digits at most after the
// point, trailing zeros dropped).
std::string FormatSi(double value, int decimals = 1);

// Bytes in decimal units with three significant digits: "0 B", "812 B", "1.23 kB", "4.5 MB".
std::string FormatBytes(double bytes);

// Table and tooltip formats: "97.31%" (fraction 0.9731, 2 decimals); "1,234,567"; samples/s
// ("1,234" from 100 up, else "12.3"); seconds ("12.3 s", "123 s", "12 min 05 s").
std::string FormatPercent(double fraction, int decimals);
std::string FormatGrouped(double value);
std::string FormatRate(double per_second);
std::string FormatSeconds(double seconds);

// A string cut to at most `max_chars` characters (UTF-8 aware), ending in "…" when cut.
std::string Ellipsize(std::string_view text, int max_chars);

}  // namespace distsim::report

#endif  // DISTSIM_SIM_REPORT_CHART_TEXT_H_

#include "sim/report/chart_text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace distsim::report {

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const char* entity = c == '&'    ? "&amp;"
                         : c == '<'  ? "&lt;"
                         : c == '>'  ? "&gt;"
                         : c == '"'  ? "&quot;"
                         : c == '\'' ? "&#39;"
                                     : nullptr;
    if (entity != nullptr) {
      out += entity;
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Inf" : "-Inf";
  if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    return absl::StrFormat("%.0f", value == 0 ? 0.0 : value);
  }
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, end);
}

std::string FormatSi(double value, int decimals) {
  static constexpr struct {
    double scale;
    const char* suffix;
  } kUnits[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
  double scaled = value;
  const char* suffix = "";
  for (const auto& unit : kUnits) {
    if (std::fabs(value) >= unit.scale) {
      scaled = value / unit.scale;
      suffix = unit.suffix;
      // Ticks 500 apart print as 1.5k: keep the decimals the step needs in the new unit.
      decimals = std::max(0, decimals - static_cast<int>(std::lround(std::log10(unit.scale))));
      decimals = std::max(decimals, 1);
      break;
    }
  }
  std::string text = absl::StrFormat("%.*f", std::clamp(decimals, 0, 9), scaled);
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  if (text == "-0") text = "0";
  return absl::StrCat(text, suffix);
}

std::string FormatBytes(double bytes) {
  static constexpr struct {
    double scale;
    const char* suffix;
  } kUnits[] = {{1e12, "TB"}, {1e9, "GB"}, {1e6, "MB"}, {1e3, "kB"}};
  for (const auto& unit : kUnits) {
    if (std::fabs(bytes) >= unit.scale) {
      const double scaled = bytes / unit.scale;
      const int decimals = scaled >= 100 ? 0 : scaled >= 10 ? 1 : 2;
      return absl::StrFormat("%.*f %s", decimals, scaled, unit.suffix);
    }
  }
  return absl::StrFormat("%.0f B", bytes);
}

std::string FormatPercent(double fraction, int decimals) {
  return absl::StrFormat("%.*f%%", decimals, 100 * fraction);
}

std::string FormatGrouped(double value) {
  const std::string digits = absl::StrFormat("%.0f", std::fabs(value));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value <= -0.5 ? absl::StrCat("-", out) : out;
}

std::string FormatRate(double per_second) {
  return per_second >= 100 ? FormatGrouped(per_second) : absl::StrFormat("%.1f", per_second);
}

std::string FormatSeconds(double s) {
  if (s >= 600) {
    const double minutes = std::floor(s / 60);
    return absl::StrFormat("%.0f min %02.0f s", minutes, std::floor(s - 60 * minutes));
  }
  return absl::StrFormat(s >= 100 ? "%.0f s" : "%.1f s", s);
}

std::string Ellipsize(std::string_view text, int max_chars) {
  if (max_chars < 1) max_chars = 1;
  int chars = 0;
  size_t cut = text.size();
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (chars == max_chars - 1 && cut == text.size()) cut = i;
    if (++chars > max_chars) return absl::StrCat(std::string(text.substr(0, cut)), "…");
  }
  return std::string(text);
}

}  // namespace distsim::report

#include "tests/report/html_scan.h"

#include <cstdlib>
#include <regex>

#include "absl/strings/str_replace.h"

namespace distsim::testing {

std::string Unescape(std::string s) {
  return absl::StrReplaceAll(
      s, {{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}});
}

std::map<std::string, std::string> Attributes(const std::string& tag) {
  static const std::regex kAttr("([a-zA-Z-]+)=\"([^\"]*)\"");
  std::map<std::string, std::string> out;
  for (auto it = std::sregex_iterator(tag.begin(), tag.end(), kAttr); it != std::sregex_iterator();
       ++it) {
    out[(*it)[1]] = Unescape((*it)[2]);
  }
  return out;
}

std::vector<Element> Find(const std::string& text, const std::string& opening,
                          const std::string& closing) {
  std::vector<Element> out;
  for (size_t at = text.find(opening); at != std::string::npos; at = text.find(opening, at + 1)) {
    const size_t tag_end = text.find('>', at);
    const size_t end = text.find(closing, tag_end);
    out.push_back({Attributes(text.substr(at, tag_end - at)),
                   text.substr(tag_end + 1, end == std::string::npos ? 0 : end - tag_end - 1)});
  }
  return out;
}

std::vector<Element> SeriesOf(const std::string& html, const std::string& chart) {
  std::vector<Element> out;
  for (Element& e : Find(html, "<g class=\"series\"", "</g>")) {
    if (e.attrs["data-chart"] == chart) out.push_back(std::move(e));
  }
  return out;
}

std::vector<std::pair<double, double>> Points(const Element& series) {
  std::vector<std::pair<double, double>> out;
  for (Element& c : Find(series.inner, "<circle class=\"point\"", "</circle>")) {
    out.emplace_back(std::strtod(c.attrs["data-x"].c_str(), nullptr),
                     std::strtod(c.attrs["data-y"].c_str(), nullptr));
  }
  return out;
}

std::map<std::string, double> Bars(const Element& series) {
  std::map<std::string, double> out;
  for (Element& r : Find(series.inner, "<rect class=\"bar\"", "</rect>")) {
    out[r.attrs["data-part"]] = std::strtod(r.attrs["data-value"].c_str(), nullptr);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> GroupSections(const std::string& html) {
  std::vector<std::pair<std::string, std::string>> out;
  for (Element& e : Find(html, "<section class=\"group\"", "</section>")) {
    out.emplace_back(e.attrs["data-group"], std::move(e.inner));
  }
  return out;
}

}  // namespace distsim::testing

// Reading report.html back in the tests with plain string scanning: elements by their opening
// text, their attributes (unescaped), the points of a line-chart series and the segments of a
// bar. The page's conventions are html_report.h's.
#ifndef DISTSIM_TESTS_REPORT_HTML_SCAN_H_
#define DISTSIM_TESTS_REPORT_HTML_SCAN_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace distsim::testing {

std::string Unescape(std::string s);

// The attributes of the tag starting at `tag` (unescaped values).
std::map<std::string, std::string> Attributes(const std::string& tag);

struct Element {
  std::map<std::string, std::string> attrs;
  std::string inner;
};

// Every element opened by `opening` (e.g. "<circle class=\"point\"") within `text`; its inner
// text runs to the first `closing` after it.
std::vector<Element> Find(const std::string& text, const std::string& opening,
                          const std::string& closing);

// The series (<g class="series">) of `chart` within `html`.
std::vector<Element> SeriesOf(const std::string& html, const std::string& chart);

// The (data-x, data-y) of a series' points, in order.
std::vector<std::pair<double, double>> Points(const Element& series);

// data-part -> data-value of a series' bar segments.
std::map<std::string, double> Bars(const Element& series);

// The <section class="group"> elements of a page, by data-group, in page order.
std::vector<std::pair<std::string, std::string>> GroupSections(const std::string& html);

}  // namespace distsim::testing

#endif  // DISTSIM_TESTS_REPORT_HTML_SCAN_H_

#include "tests/report/trace_events.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace distsim::testing {

using google::protobuf::Struct;
using google::protobuf::Value;

namespace {

TraceEvent EventOf(const Struct& s) {
  const auto& f = s.fields();
  TraceEvent e;
  auto text = [&f](const char* key) {
    return f.contains(key) ? f.at(key).string_value() : std::string();
  };
  auto number = [&f](const char* key) { return f.contains(key) ? f.at(key).number_value() : 0; };
  e.ph = text("ph");
  e.name = text("name");
  e.cat = text("cat");
  e.bp = text("bp");
  e.ts = number("ts");
  e.dur = number("dur");
  e.pid = static_cast<int64_t>(number("pid"));
  e.tid = static_cast<int64_t>(number("tid"));
  if (f.contains("id")) e.id = absl::StrCat(static_cast<int64_t>(f.at("id").number_value()));
  if (f.contains("args")) e.args = f.at("args").struct_value();
  return e;
}

using ThreadKey = std::pair<int64_t, int64_t>;

std::map<ThreadKey, std::vector<TraceEvent>> SlicesByThread(
    const std::vector<TraceEvent>& events) {
  std::map<ThreadKey, std::vector<TraceEvent>> threads;
  for (const TraceEvent& e : events) {
    if (e.ph == "X") threads[{e.pid, e.tid}].push_back(e);
  }
  for (auto& [key, slices] : threads) {
    std::sort(slices.begin(), slices.end(), [](const TraceEvent& a, const TraceEvent& b) {
      return a.ts != b.ts ? a.ts < b.ts : a.dur > b.dur;
    });
  }
  return threads;
}

}  // namespace

std::vector<TraceEvent> ParseTrace(const std::string& json) {
  Struct root;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &root);
  EXPECT_TRUE(status.ok()) << status.ToString();
  std::vector<TraceEvent> events;
  if (!root.fields().contains("traceEvents")) {
    ADD_FAILURE() << "no traceEvents";
    return events;
  }
  EXPECT_EQ(root.fields().at("displayTimeUnit").string_value(), "ms");
  for (const Value& value : root.fields().at("traceEvents").list_value().values()) {
    events.push_back(EventOf(value.struct_value()));
  }
  return events;
}

std::vector<TraceEvent> SelectEvents(const std::vector<TraceEvent>& events, const std::string& ph,
                                     const std::string& name_or_cat) {
  std::vector<TraceEvent> out;
  for (const TraceEvent& e : events) {
    if (e.ph == ph && (e.name == name_or_cat || e.cat == name_or_cat)) out.push_back(e);
  }
  return out;
}

double EventArg(const TraceEvent& e, const std::string& key) {
  EXPECT_TRUE(e.args.fields().contains(key)) << e.name << " has no arg " << key;
  if (!e.args.fields().contains(key)) return 0;
  return e.args.fields().at(key).number_value();
}

std::string ProcessNameOf(const std::vector<TraceEvent>& events, int64_t pid) {
  for (const TraceEvent& e : events) {
    if (e.ph == "M" && e.name == "process_name" && e.pid == pid) {
      return e.args.fields().at("name").string_value();
    }
  }
  return "";
}

std::vector<std::string> SiblingOverlaps(const std::vector<TraceEvent>& events) {
  std::vector<std::string> problems;
  for (const auto& [key, slices] : SlicesByThread(events)) {
    std::vector<const TraceEvent*> open;  // the slices enclosing the current one, outermost first
    for (const TraceEvent& e : slices) {
      while (!open.empty() && open.back()->ts + open.back()->dur <= e.ts) open.pop_back();
      if (!open.empty() && e.ts + e.dur > open.back()->ts + open.back()->dur) {
        problems.push_back(absl::StrCat("pid ", key.first, " tid ", key.second, ": ", e.name,
                                        " at ", e.ts, " overlaps ", open.back()->name, " at ",
                                        open.back()->ts, " (dur ", open.back()->dur, ")"));
        continue;
      }
      open.push_back(&e);
    }
  }
  return problems;
}

std::vector<std::string> FlowProblems(const std::vector<TraceEvent>& events) {
  std::vector<std::string> problems;
  std::map<std::string, std::pair<int, int>> ends;  // id -> (starts, finishes)
  const auto threads = SlicesByThread(events);
  for (const TraceEvent& e : events) {
    if (e.ph != "s" && e.ph != "f") continue;
    ++(e.ph == "s" ? ends[e.id].first : ends[e.id].second);
    const auto thread = threads.find({e.pid, e.tid});
    const bool inside =
        thread != threads.end() &&
        std::any_of(thread->second.begin(), thread->second.end(), [&e](const TraceEvent& x) {
          return x.ts <= e.ts && e.ts <= x.ts + x.dur;
        });
    if (!inside) problems.push_back(absl::StrCat("flow ", e.id, " ", e.ph, " binds no slice"));
  }
  for (const auto& [id, count] : ends) {
    if (count.first != 1 || count.second != 1) {
      problems.push_back(absl::StrCat("flow ", id, ": ", count.first, " starts, ", count.second,
                                      " finishes"));
    }
  }
  return problems;
}

}  // namespace distsim::testing

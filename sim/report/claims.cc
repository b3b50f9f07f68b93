#include "sim/report/claims.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace distsim::report {
namespace {

// a / b, or 0 when either is not a positive figure.
double Ratio(double a, double b) { return a > 0 && b > 0 ? a / b : 0; }

std::string Times(double x) { return absl::StrFormat(x >= 10 ? "%.0fx" : "%.1fx", x); }

// "medians of 3", "medians of 3 and 2", "one run each".
std::string Repeats(const CompareRow& run, const CompareRow& other) {
  const int a = run.run_names_size(), b = other.run_names_size();
  if (a <= 1 && b <= 1) return "one run each";
  if (a == b) return absl::StrCat("medians of ", a);
  return absl::StrCat("medians of ", a, " and ", b);
}

// `workshop: "their words" (4x)`: who says what, and their figure when they gave one.
std::string Said(const Claim& claim) {
  const std::string who = claim.source().empty() ? std::string("claimed") : claim.source();
  std::string what = claim.text();
  if (what.empty()) {
    what = claim.measure() == Claim::SPEEDUP
               ? absl::StrCat(claim.run(), " is faster than ", claim.other())
               : absl::StrCat(claim.other(), " is more accurate than ", claim.run());
  }
  std::string out = absl::StrCat(who, ": \"", what, "\"");
  if (claim.value() > 0) {
    absl::StrAppend(
        &out, claim.measure() == Claim::SPEEDUP
                  ? absl::StrFormat(" (%gx)", claim.value())
                  : absl::StrFormat(" (%g point%s)", claim.value(), claim.value() == 1 ? "" : "s"));
  }
  return out;
}

}  // namespace

ClaimCheck CheckClaim(const Claim& claim, const CompareRow& run, const CompareRow& other) {
  ClaimCheck check;
  *check.mutable_claim() = claim;
  std::string here;
  if (claim.measure() == Claim::ACCURACY_GAP) {
    const double gap =
        100 * (other.final_test_accuracy().median() - run.final_test_accuracy().median());
    check.set_modelled(gap);
    check.set_measured(gap);
    check.set_holds(gap > 0);
    here = absl::StrFormat("%+.1f points", gap);
  } else {
    check.set_modelled(
        Ratio(other.modelled_job_seconds().median(), run.modelled_job_seconds().median()));
    check.set_measured(Ratio(other.wall_seconds().median(), run.wall_seconds().median()));
    check.set_holds(check.modelled() > 1);
    here = absl::StrCat(check.modelled() > 0 ? Times(check.modelled()) : "not", " modelled, ",
                        check.measured() > 0 ? Times(check.measured()) : "not", " measured");
  }
  check.set_summary(absl::StrCat(Said(claim), "; here: ", here, " (", Repeats(run, other), ")"));
  return check;
}

std::vector<ClaimCheck> CheckClaims(const CompareResult& result) {
  auto find = [&result](const std::string& name) -> const CompareRow* {
    for (const CompareRow& row : result.rows()) {
      if (row.name() == name) return &row;
    }
    return nullptr;
  };
  std::vector<ClaimCheck> out;
  for (const Claim& claim : result.config().claims()) {
    const CompareRow* run = find(claim.run());
    const CompareRow* other = find(claim.other());
    if (run != nullptr && other != nullptr) {
      out.push_back(CheckClaim(claim, *run, *other));
      continue;
    }
    ClaimCheck check;
    *check.mutable_claim() = claim;
    check.set_summary(absl::StrCat(Said(claim), "; here: no row named \"",
                                   run == nullptr ? claim.run() : claim.other(), "\""));
    out.push_back(std::move(check));
  }
  return out;
}

std::string ClaimGroup(const CompareResult& result, const ClaimCheck& check) {
  if (!check.claim().group().empty()) return check.claim().group();
  for (const CompareRow& row : result.rows()) {
    if (row.name() == check.claim().run()) return row.group();
  }
  return "";
}

std::string FormatClaims(const CompareResult& result) {
  if (result.claims_size() == 0) return "";
  std::string out = "claims, checked here (speed-ups on the modelled job time):\n";
  for (const ClaimCheck& check : result.claims()) {
    absl::StrAppend(&out, check.holds() ? "  holds     " : "  not here  ", check.summary(), "\n");
  }
  return out;
}

}  // namespace distsim::report

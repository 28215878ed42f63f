#include "testing/fault_injector.h"

namespace spotbatch {

Status InjectedNoSpace() {
  return ResourceExhausted("injected: No space left on device (ENOSPC)");
}
Status InjectedDataLoss() { return DataLoss("injected: data lost"); }
Status InjectedTimeout() { return {StatusCode::kDeadlineExceeded, "injected: timed out"}; }
Status InjectedUnavailable() { return Unavailable("injected: service unavailable"); }

void FaultInjector::Add(FaultRule rule) {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.push_back({std::move(rule)});
}

void FaultInjector::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.clear();
}

Fault FaultInjector::Check(std::string_view method, std::string_view subject) {
  std::lock_guard<std::mutex> lock(mu_);
  ++total_calls_;
  auto it = calls_.find(method);
  if (it == calls_.end()) it = calls_.emplace(std::string(method), 0).first;
  ++it->second;
  const FaultCall call{method, subject};
  // Every matching rule counts the call, whichever fires: "the nth Put" means the nth Put.
  Active* chosen = nullptr;
  for (Active& a : rules_) {
    const FaultRule& r = a.rule;
    if (!r.method.empty() && r.method != method) continue;
    if (!r.subject_part.empty() && subject.find(r.subject_part) == std::string_view::npos) continue;
    ++a.matched;
    if (chosen != nullptr || (r.max_failures >= 0 && a.fired >= r.max_failures)) continue;
    const bool always = r.nth <= 0 && r.share <= 0 && !r.predicate;
    bool fire = always || (r.nth > 0 && a.matched == r.nth);
    if (!fire && r.share > 0) fire = std::uniform_real_distribution<double>(0, 1)(rng_) < r.share;
    if (!fire && r.predicate) fire = r.predicate(call);
    if (fire) chosen = &a;
  }
  if (chosen == nullptr) return {};
  ++chosen->fired;
  ++failures_;
  return {chosen->rule.status, chosen->rule.after_effect};
}

int64_t FaultInjector::calls(std::string_view method) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (method.empty()) return total_calls_;
  auto it = calls_.find(method);
  return it == calls_.end() ? 0 : it->second;
}

int64_t FaultInjector::failures() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failures_;
}

}  // namespace spotbatch

// FaultInjector: decides which calls through a fault-injecting port wrapper fail, and how.
//
// The wrappers (faulty_ports.h) ask Check() before every call they forward. A rule fails the
// Nth matching call, a random share of matching calls, or calls its predicate picks (with
// none of these, every matching call), with the status it names; the first rule that fires
// wins. Every call is counted by method, so a test
// can also assert how often a port was used (a read that should not grow with history).
// Thread-safe: workers in several threads may share one injector. Randomness is seeded.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "spotbatch/status.h"

namespace spotbatch {

// One call as a rule sees it: the port's method ("CommitTask", "PutFile") and its main
// argument (a key, a queue, a task id).
struct FaultCall {
  std::string_view method;
  std::string_view subject;
};

struct FaultRule {
  std::string method;        // "" matches every method
  std::string subject_part;  // "" matches every subject; else the subject must contain it
  int64_t nth = 0;           // > 0: fail the nth matching call (1-based) only
  double share = 0;          // > 0: fail this share of matching calls (seeded draws)
  std::function<bool(const FaultCall&)> predicate;  // set: fail when it returns true
  int64_t max_failures = -1;                        // stop after this many; -1: never
  Status status = Unavailable("injected fault");
  // False: the call fails before it reaches the port (nothing happens). True: the call is
  // carried out and then reported failed, as when a reply is lost after the write landed.
  bool after_effect = false;
};

// What Check() decided for one call.
struct Fault {
  Status status;              // OK: let the call through untouched
  bool after_effect = false;  // with a failure: carry the call out first, then report it
  bool fails() const { return !status.ok(); }
};

// Statuses a rule typically injects, as the real adapters report those faults.
Status InjectedNoSpace();     // a full disk: kResourceExhausted, as the adapters report ENOSPC
Status InjectedDataLoss();     // kDataLoss
Status InjectedTimeout();      // kDeadlineExceeded
Status InjectedUnavailable();  // kUnavailable

class FaultInjector {
 public:
  explicit FaultInjector(uint64_t seed = 1) : rng_(seed) {}

  void Add(FaultRule rule);
  void Clear();
  // The injected failure for this call, or OK to let it through. Counts the call.
  Fault Check(std::string_view method, std::string_view subject);
  // Calls seen of `method` ("" for all), and failures injected so far.
  int64_t calls(std::string_view method = "") const;
  int64_t failures() const;

 private:
  struct Active {
    FaultRule rule;
    int64_t matched = 0;
    int64_t fired = 0;
  };
  mutable std::mutex mu_;
  std::vector<Active> rules_;
  std::map<std::string, int64_t, std::less<>> calls_;
  int64_t total_calls_ = 0;
  int64_t failures_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace spotbatch

// The config parser (apps/config.h): a config it accepts keeps every rule the parser
// enforces, reads the same for every command (kPipeline and kMarket), and reads the same again
// when its TOML is written out anew (so acceptance depends on the values, not on how the file
// is laid out); a refusal names the file and a line of it.
//
// The config is read as /<temporary folder>/sb.toml, a folder holding a small capacity trace
// (trace.json) and price series (prices.txt) that seeds can name.
#include <toml++/toml.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "apps/config.h"
#include "core/command_template.h"
#include "core/object_key.h"
#include "fuzz_check.h"

namespace spotbatch {
namespace {

std::string* g_config_path = nullptr;

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// Every field, for comparing two parses.
std::string Summary(const Config& c) {
  std::ostringstream o;
  o << c.file << '|' << c.store_path << '|' << c.state_db << '|' << c.state_fsync_every_commit
    << '|' << c.has_pipeline << '|' << c.workers << '|' << Num(c.time_scale) << '|'
    << Num(c.notice_seconds) << '|' << Num(c.metadata_poll_seconds) << '|'
    << Num(c.interruption_grace_seconds) << '|' << c.drain_on_rebalance << '|'
    << Num(c.lease_seconds) << '|' << Num(c.heartbeat_seconds) << '|' << Num(c.kill_grace_seconds)
    << '|' << c.work_dir << '|' << Num(c.watch_interval_seconds) << '|' << c.server_listen << '|'
    << c.token_file << "\npipeline|";
  const PipelineSpec& p = c.pipeline;
  o << p.input_prefix << '|' << p.output_prefix << '|' << p.timeout_millis << '|'
    << p.retry.max_attempts << '|' << p.retry.max_interruptions << '|' << p.retry.max_lost << '|'
    << p.retry.max_releases << '|' << p.retry.backoff.base_millis << '|'
    << p.retry.backoff.max_millis << '|' << p.retry.on_demand_after_interruptions << '|' << p.queue
    << '|' << p.priority << '|' << p.config_dir;
  for (const std::string& a : p.command) o << "|arg:" << a.size() << ':' << a;
  for (const PoolConfig& pool : c.pools) {
    o << "\npool|" << pool.name << '|' << pool.spot << '|' << pool.instance_type << '|'
      << Num(pool.price_per_hour) << '|' << pool.price_trace << '|'
      << pool.price_series.usd_per_hour.size() << '|' << Num(pool.on_demand_price_per_hour) << '|'
      << pool.trace << '|' << pool.capacity.values.size() << '|' << Num(pool.trace_offset_seconds)
      << '|' << pool.max_instances;
  }
  const SimulateConfig& s = c.simulate;
  o << "\nsimulate|" << s.runs << '|' << s.seed << '|' << s.kind << '|' << Num(s.job_hours) << '|'
    << Num(s.deadline_hours) << '|' << Num(s.changeover_hours) << '|' << Num(s.checkpoint_hours)
    << '|' << s.tasks << '|' << Num(s.task_hours) << '|' << Num(s.task_hours_cv) << '|'
    << s.instances << '|' << s.task_seconds.size();
  for (double v : s.task_seconds) o << "|task:" << Num(v);
  for (const std::string& n : s.policies) o << "|policy:" << n;
  return o.str();
}

bool Finite(double v, double lo) { return std::isfinite(v) && v >= lo && v <= 1e9; }

bool CleanPath(const std::string& p) {
  return !p.empty() && p.front() == '/' && p.find('\0') == std::string::npos;
}

// The rules a loaded config keeps (apps/config.h and README's configuration table).
void CheckRules(const Config& c) {
  FUZZ_CHECK(c.file == *g_config_path);
  FUZZ_CHECK(CleanPath(c.store_path) && CleanPath(c.state_db) && CleanPath(c.work_dir) &&
             CleanPath(c.token_file));
  FUZZ_CHECK(c.workers >= 1 && c.workers <= 256);
  FUZZ_CHECK(Finite(c.lease_seconds, 1) && Finite(c.heartbeat_seconds, 0.05));
  FUZZ_CHECK(c.heartbeat_seconds * 2 <= c.lease_seconds);
  FUZZ_CHECK(Finite(c.kill_grace_seconds, 0) && Finite(c.interruption_grace_seconds, 0));
  FUZZ_CHECK(Finite(c.metadata_poll_seconds, 0.01) && Finite(c.watch_interval_seconds, 0.01));
  FUZZ_CHECK(Finite(c.time_scale, 0.001) && Finite(c.notice_seconds, 0));
  if (!c.server_listen.empty()) {
    const size_t colon = c.server_listen.rfind(':');
    FUZZ_CHECK(colon != std::string::npos && colon > 0);
    FUZZ_CHECK(std::stoul(c.server_listen.substr(colon + 1)) <= 65535);
  }
  if (c.has_pipeline) {
    const PipelineSpec& p = c.pipeline;
    for (const std::string* prefix : {&p.input_prefix, &p.output_prefix}) {
      FUZZ_CHECK(prefix->size() >= 2 && prefix->back() == '/');
      FUZZ_CHECK(ValidateKeyPrefix(*prefix).ok() &&
                 ValidateObjectKey(prefix->substr(0, prefix->size() - 1)).ok());
    }
    FUZZ_CHECK(!p.input_prefix.starts_with(p.output_prefix) &&
               !p.output_prefix.starts_with(p.input_prefix));
    FUZZ_CHECK(!p.command.empty() && CommandTemplate::Parse(p.command).ok());
    // Commands are exec'd as argv: a NUL would silently cut an argument short.
    for (const std::string& a : p.command) FUZZ_CHECK(a.find('\0') == std::string::npos);
    FUZZ_CHECK(p.timeout_millis >= 1);
    FUZZ_CHECK(p.retry.max_attempts >= 1 && p.retry.max_lost >= 1);
    FUZZ_CHECK(p.retry.backoff.base_millis >= 0 &&
               p.retry.backoff.max_millis >= p.retry.backoff.base_millis);
    FUZZ_CHECK(!p.queue.empty());
    if (p.retry.on_demand_after_interruptions >= 0 && !c.pools.empty()) {
      bool on_demand = false;
      for (const PoolConfig& pool : c.pools) on_demand = on_demand || !pool.spot;
      FUZZ_CHECK(on_demand);
    }
  }
  std::set<std::string> names;
  for (const PoolConfig& pool : c.pools) {
    FUZZ_CHECK(!pool.name.empty() && pool.name.size() <= 64);
    FUZZ_CHECK(names.insert(pool.name).second);
    FUZZ_CHECK_MSG(Finite(pool.price_per_hour, 0), Num(pool.price_per_hour));
    FUZZ_CHECK_MSG(Finite(pool.on_demand_price_per_hour, 0), Num(pool.on_demand_price_per_hour));
    FUZZ_CHECK(pool.max_instances >= 1 && pool.max_instances <= 256);
    FUZZ_CHECK(Finite(pool.trace_offset_seconds, 0));
    FUZZ_CHECK(pool.trace.empty() == pool.capacity.values.empty());
    FUZZ_CHECK(pool.trace.empty() || (pool.spot && pool.capacity.gap_millis > 0));
    FUZZ_CHECK(pool.price_trace.empty() == pool.price_series.usd_per_hour.empty());
  }
  const SimulateConfig& s = c.simulate;
  FUZZ_CHECK(s.runs >= 1 && s.tasks >= 1 && s.instances >= 1);
  // Given tasks may be shorter than the drawn ones' least mean (a second): any positive length.
  FUZZ_CHECK(Finite(s.job_hours, 0.001) &&
             Finite(s.task_hours, s.task_seconds.empty() ? 0.0003 : 0) && s.task_hours > 0);
  FUZZ_CHECK(s.task_seconds.empty() || s.tasks == static_cast<int>(s.task_seconds.size()));
  for (double v : s.task_seconds) FUZZ_CHECK_MSG(v > 0 && Finite(v, 0), Num(v));
  FUZZ_CHECK(Finite(s.deadline_hours, 0) && Finite(s.changeover_hours, 0));
}

// "FILE:LINE: ..." with a line of the text (or 1 for the file as a whole).
void CheckRefusal(const Status& s, std::string_view text) {
  FUZZ_CHECK_MSG(s.code() == StatusCode::kInvalidArgument, s.ToString());
  const std::string head = *g_config_path + ":";
  FUZZ_CHECK_MSG(s.message().starts_with(head), s.message());
  const std::string rest = s.message().substr(head.size());
  const size_t colon = rest.find(": ");
  FUZZ_CHECK_MSG(
      colon != std::string::npos && colon > 0 && rest.find_first_not_of("0123456789") == colon,
      s.message());
  const long line = std::stol(rest.substr(0, colon));
  long lines = 1;
  for (const char ch : text) lines += ch == '\n';
  FUZZ_CHECK_MSG(line >= 1 && line <= lines, s.message());
}

}  // namespace
}  // namespace spotbatch

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char dir[] = "/tmp/spotbatch-config-fuzz-XXXXXX";
  if (mkdtemp(dir) == nullptr) std::abort();
  std::ofstream(std::string(dir) + "/trace.json")
      << R"({"metadata": {"gap_seconds": 600}, "data": [1, 0, 1, 1, 2]})";
  std::ofstream(std::string(dir) + "/prices.txt") << "x\n0.31\n0.29\n0.35\n";
  spotbatch::g_config_path = new std::string(std::string(dir) + "/sb.toml");
  // libFuzzer ends by exit(): leave no folder behind per run.
  static std::string folder = dir;
  std::atexit([] { std::filesystem::remove_all(folder); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spotbatch;
  if (size > 64 * 1024) return -1;
  const std::string_view text = fuzz::AsText(data, size);
  const std::string& path = *g_config_path;
  const Result<Config> pipeline = ParseConfig(text, path, ConfigUse::kPipeline);
  const Result<Config> market = ParseConfig(text, path, ConfigUse::kMarket);
  if (!pipeline.ok()) CheckRefusal(pipeline.status(), text);
  if (!market.ok()) {
    CheckRefusal(market.status(), text);
    FUZZ_CHECK(!pipeline.ok());  // kMarket asks for less
    return 0;
  }
  CheckRules(*market);
  if (pipeline.ok()) {
    CheckRules(*pipeline);
    FUZZ_CHECK(pipeline->has_pipeline);
    FUZZ_CHECK(Summary(*pipeline) == Summary(*market));
  } else {
    FUZZ_CHECK(!market->has_pipeline);
  }
  // The same values laid out anew by toml++ read the same. (Only when toml++ itself reads
  // back what it wrote: a bug of its formatter is not one of this parser.)
  toml::table root;
  try {
    root = toml::parse(text);
  } catch (const toml::parse_error&) {
    FUZZ_CHECK(false);  // ParseConfig accepted it
  }
  std::ostringstream out;
  out << toml::toml_formatter(root);
  toml::table reread;
  try {
    reread = toml::parse(out.str());
  } catch (const toml::parse_error&) {
    return 0;
  }
  if (!(reread == root)) return 0;
  const Result<Config> again = ParseConfig(out.str(), path, ConfigUse::kMarket);
  FUZZ_CHECK_MSG(again.ok(), again.status().message() + "\n" + out.str());
  FUZZ_CHECK_MSG(Summary(*again) == Summary(*market), out.str());
  return 0;
}

#include "apps/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "adapters/local/market_data.h"
#include "adapters/local/trace_file.h"
#include "apps/config_parser.h"
#include "core/command_template.h"
#include "core/object_key.h"
#include "core/on_demand_prices.h"
#include "core/task_order.h"
#include "sim/scenario.h"

namespace spotbatch {
namespace {

namespace fs = std::filesystem;
using config_internal::Parser;

// Why a pool of `instance_type` has no listed price: not in the shipped table and, when
// `or_pool`, not the type of an on-demand pool of the fleet either.
std::string NotListed(const std::string& instance_type, bool or_pool) {
  if (instance_type.empty()) return "the pool has no instance_type to look its price up by";
  const std::string table =
      "the shipped on-demand price table (" + std::string(kDefaultPriceRegion) + " Linux prices)";
  return "instance_type \"" + instance_type + "\" is " +
         (or_pool ? "neither in " + table + " nor the type of an on-demand pool"
                  : "not in " + table);
}

// The scaling keys of [fleet]: they size a fleet of pools, so they need [[fleet.pool]].
constexpr const char* kScalingKeys[] = {"on_demand_base",
                                        "max_instances",
                                        "latency_target_seconds",
                                        "on_demand_step",
                                        "on_demand_cooldown_seconds",
                                        "scale_in_grace_seconds",
                                        "reclaim_quarantine_seconds",
                                        "replace_on_rebalance"};

Status ParseScaling(const Parser& p, const toml::table* fleet, Config* c) {
  if (fleet == nullptr) return Status::Ok();
  ScalingOptions& s = c->scaling;
  for (const char* key : kScalingKeys) {
    if (fleet->get(key) != nullptr && c->pools.empty()) {
      return p.Error(fleet->get(key), std::string("fleet.") + key, "needs [[fleet.pool]] entries");
    }
  }
  SB_RETURN_IF_ERROR(p.Int(fleet, "fleet", "on_demand_base", 0, 10'000, &s.on_demand_base));
  SB_RETURN_IF_ERROR(p.Int(fleet, "fleet", "max_instances", 1, 10'000, &s.max_instances));
  if (s.on_demand_base > s.max_instances) {
    return p.Error(fleet->get("on_demand_base"), "fleet.on_demand_base",
                   "must be at most fleet.max_instances (" + std::to_string(s.max_instances) + ")");
  }
  SB_RETURN_IF_ERROR(p.Int(fleet, "fleet", "on_demand_step", 1, 10'000, &s.on_demand_step));
  SB_RETURN_IF_ERROR(
      p.Seconds(fleet, "fleet", "latency_target_seconds", 1, &s.latency_target_seconds));
  auto millis = [&](const char* key, int64_t* out) -> Status {
    double seconds = static_cast<double>(*out) / 1000;
    SB_RETURN_IF_ERROR(p.Seconds(fleet, "fleet", key, 0, &seconds));
    *out = static_cast<int64_t>(seconds * 1000);
    return Status::Ok();
  };
  SB_RETURN_IF_ERROR(millis("on_demand_cooldown_seconds", &s.on_demand_cooldown_millis));
  SB_RETURN_IF_ERROR(millis("scale_in_grace_seconds", &s.scale_in_grace_millis));
  SB_RETURN_IF_ERROR(millis("reclaim_quarantine_seconds", &s.reclaim_quarantine_millis));
  return p.Bool(fleet, "fleet", "replace_on_rebalance", &s.replace_on_rebalance);
}

// A [[fleet.pool]] with provider = "ec2": an Auto Scaling group over instance types and zones,
// priced by the market on EC2 (no price, trace or instance_type of its own).
Status ParseEc2Pool(const Parser& p, const toml::table& t, const toml::node& node,
                    const std::string& section, PoolConfig* pool) {
  for (const char* key :
       {"instance_type", "price_per_hour", "price_trace", "trace", "trace_offset_seconds"}) {
    if (t.get(key) != nullptr) {
      return p.Error(t.get(key), section + "." + key,
                     "is for local pools; an EC2 pool names instance_types and is priced by EC2");
    }
  }
  if (t.get("instance_types") == nullptr) {
    return p.Error(&node, section + ".instance_types",
                   "missing (the EC2 instance types the group may launch)");
  }
  SB_RETURN_IF_ERROR(p.Names(&t, section, "instance_types", 1, 20, &pool->instance_types));
  SB_RETURN_IF_ERROR(p.Names(&t, section, "zones", 0, 20, &pool->zones));
  pool->instance_type = pool->instance_types.front();
  pool->group = "spotbatch-" + pool->name;
  SB_RETURN_IF_ERROR(p.String(&t, section, "group", &pool->group));
  bool printable = !pool->group.empty() && pool->group.size() <= 255;
  for (char ch : pool->group) printable = printable && ch > 0x20 && ch < 0x7f;
  if (!printable) {
    return p.Error(t.get("group"), section + ".group",
                   "must be 1-255 printable characters without spaces (an Auto Scaling group)");
  }
  pool->on_demand_price_per_hour = -1;
  SB_RETURN_IF_ERROR(
      p.Seconds(&t, section, "on_demand_price_per_hour", 0, &pool->on_demand_price_per_hour));
  pool->on_demand_price_given = pool->on_demand_price_per_hour > 0;
  int64_t max = 1;
  SB_RETURN_IF_ERROR(p.Int(&t, section, "max_instances", 1, 10'000, &max));
  pool->max_instances = static_cast<int>(max);
  return Status::Ok();
}

// [[fleet.pool]] entries and [fleet.market].
Status ParsePools(const Parser& p, const toml::table* fleet, Config* c) {
  const toml::node* pools = fleet ? fleet->get("pool") : nullptr;
  if (pools == nullptr) {
    if (fleet != nullptr && fleet->get("market") != nullptr) {
      return p.Error(fleet->get("market"), "fleet.market", "needs [[fleet.pool]] entries");
    }
    return Status::Ok();
  }
  if (!pools->is_array_of_tables() || pools->as_array()->empty()) {
    return p.Error(pools, "fleet.pool", "must be [[fleet.pool]] tables");
  }
  if (fleet->get("workers") != nullptr) {
    return p.Error(fleet->get("workers"), "fleet.workers",
                   "give either fleet.workers or [[fleet.pool]] entries, not both");
  }
  std::map<std::string, double> on_demand_price;  // instance type -> price of on-demand pools
  int index = 0;
  for (const toml::node& node : *pools->as_array()) {
    const toml::table& t = *node.as_table();
    const std::string section = "fleet.pool[" + std::to_string(index++) + "]";
    SB_RETURN_IF_ERROR(
        p.OnlyKnown(t, section,
                    {"name", "market", "instance_type", "price_per_hour", "price_trace",
                     "on_demand_price_per_hour", "trace", "trace_offset_seconds", "max_instances",
                     "provider", "instance_types", "zones", "group"}));
    PoolConfig pool;
    SB_RETURN_IF_ERROR(p.String(&t, section, "name", &pool.name));
    if (pool.name.empty() || pool.name.size() > 64 ||
        pool.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789._-") != std::string::npos) {
      return p.Error(t.get("name") ? t.get("name") : &node, section + ".name",
                     "must be 1-64 letters, digits, '.', '_' or '-'");
    }
    for (const PoolConfig& other : c->pools) {
      if (other.name == pool.name) {
        return p.Error(t.get("name"), section + ".name", "\"" + pool.name + "\" is used twice");
      }
    }
    std::string market = "spot";
    SB_RETURN_IF_ERROR(p.String(&t, section, "market", &market));
    if (market != "spot" && market != "on-demand") {
      return p.Error(t.get("market"), section + ".market", "must be \"spot\" or \"on-demand\"");
    }
    pool.spot = market == "spot";
    std::string provider = "local";
    SB_RETURN_IF_ERROR(p.String(&t, section, "provider", &provider));
    if (provider != "local" && provider != "ec2") {
      return p.Error(t.get("provider"), section + ".provider", "must be \"local\" or \"ec2\"");
    }
    pool.ec2 = provider == "ec2";
    if (!c->pools.empty() && c->pools.front().ec2 != pool.ec2) {
      return p.Error(&node, section + ".provider",
                     "a fleet's pools are all local or all on EC2, not both");
    }
    if (pool.ec2) {
      SB_RETURN_IF_ERROR(ParseEc2Pool(p, t, node, section, &pool));
      c->pools.push_back(std::move(pool));
      continue;
    }
    for (const char* key : {"instance_types", "zones", "group"}) {
      if (t.get(key) != nullptr) {
        return p.Error(t.get(key), section + "." + key, "is for pools with provider = \"ec2\"");
      }
    }
    SB_RETURN_IF_ERROR(p.String(&t, section, "instance_type", &pool.instance_type));
    SB_RETURN_IF_ERROR(p.String(&t, section, "price_trace", &pool.price_trace));
    if (t.get("price_per_hour") == nullptr && pool.price_trace.empty()) {
      // An on-demand hour costs what the provider lists, so the shipped table can price it; a
      // spot price has no such list (it is what the config says the pool pays).
      const std::optional<double> listed =
          pool.spot ? std::nullopt : ShippedOnDemandPrice(pool.instance_type);
      if (!listed) {
        return p.Error(&node, section + ".price_per_hour",
                       pool.spot ? "missing (dollars per instance-hour, or a price_trace)"
                                 : "missing, and " + NotListed(pool.instance_type, false) +
                                       "; set price_per_hour");
      }
      pool.price_per_hour = *listed;
    }
    if (t.get("price_per_hour") != nullptr && !pool.price_trace.empty()) {
      return p.Error(t.get("price_trace"), section + ".price_trace",
                     "a pool has price_per_hour or price_trace, not both");
    }
    SB_RETURN_IF_ERROR(p.Seconds(&t, section, "price_per_hour", 0, &pool.price_per_hour));
    if (!pool.price_trace.empty()) {
      pool.price_trace = p.Path(pool.price_trace);
      auto series = LoadPriceSeries(pool.price_trace);
      if (!series.ok()) {
        return p.Error(t.get("price_trace"), section + ".price_trace", series.status().message());
      }
      pool.price_series = std::move(*series);
      pool.price_per_hour = pool.price_series.Mean();
    }
    pool.on_demand_price_per_hour = -1;
    SB_RETURN_IF_ERROR(
        p.Seconds(&t, section, "on_demand_price_per_hour", 0, &pool.on_demand_price_per_hour));
    int64_t max = 1;
    SB_RETURN_IF_ERROR(p.Int(&t, section, "max_instances", 1, 256, &max));
    pool.max_instances = static_cast<int>(max);
    SB_RETURN_IF_ERROR(
        p.Seconds(&t, section, "trace_offset_seconds", 0, &pool.trace_offset_seconds));
    SB_RETURN_IF_ERROR(p.String(&t, section, "trace", &pool.trace));
    if (!pool.trace.empty()) {
      if (!pool.spot) {
        return p.Error(t.get("trace"), section + ".trace", "on-demand pools are always available");
      }
      pool.trace = p.Path(pool.trace);
      auto trace = LoadCapacityTrace(pool.trace);
      if (!trace.ok()) return p.Error(t.get("trace"), section + ".trace", trace.status().message());
      pool.capacity = std::move(*trace);
    }
    if (!pool.spot) {
      if (pool.on_demand_price_per_hour < 0) pool.on_demand_price_per_hour = pool.price_per_hour;
      on_demand_price.emplace(pool.instance_type, pool.price_per_hour);
    }
    c->pools.push_back(std::move(pool));
  }
  // A spot pool's savings are measured against the on-demand price of its instance type: the
  // one the config gives, else what an on-demand pool of that type in this fleet pays, else the
  // price the shipped table lists (so that a spot pool alone needs no price).
  index = 0;
  for (PoolConfig& pool : c->pools) {
    const toml::node& node = (*pools->as_array())[static_cast<size_t>(index)];
    const std::string section = "fleet.pool[" + std::to_string(index++) + "]";
    if (pool.on_demand_price_per_hour >= 0) continue;
    if (pool.ec2) {  // the market on EC2 prices its types from the shipped table
      pool.on_demand_price_per_hour = ShippedOnDemandPrice(pool.instance_type).value_or(0);
      continue;
    }
    if (auto it = on_demand_price.find(pool.instance_type); it != on_demand_price.end()) {
      pool.on_demand_price_per_hour = it->second;
    } else if (const std::optional<double> listed = ShippedOnDemandPrice(pool.instance_type)) {
      pool.on_demand_price_per_hour = *listed;
    } else {
      return p.Error(&node, section + ".on_demand_price_per_hour",
                     "missing, and " + NotListed(pool.instance_type, true) +
                         "; set on_demand_price_per_hour (needed to report savings)");
    }
  }

  SB_ASSIGN_OR_RETURN(const toml::table* market, p.Table(*fleet, "market"));
  if (c->ec2_pools()) {
    Config::Ec2Market& m = c->ec2_market;
    SB_RETURN_IF_ERROR(market ? p.OnlyKnown(*market, "fleet.market",
                                            {"advisor", "placement_scores", "min_placement_score",
                                             "price_refresh_seconds"})
                              : Status::Ok());
    SB_RETURN_IF_ERROR(p.String(market, "fleet.market", "advisor", &m.advisor));
    if (!m.advisor.empty() && !m.advisor.starts_with("http://") &&
        !m.advisor.starts_with("https://")) {
      m.advisor = p.Path(m.advisor);
    }
    SB_RETURN_IF_ERROR(p.Bool(market, "fleet.market", "placement_scores", &m.placement_scores));
    SB_RETURN_IF_ERROR(
        p.Int(market, "fleet.market", "min_placement_score", 1, 10, &m.min_placement_score));
    SB_RETURN_IF_ERROR(
        p.Seconds(market, "fleet.market", "price_refresh_seconds", 10, &m.price_refresh_seconds));
    return Status::Ok();
  }
  SB_RETURN_IF_ERROR(market ? p.OnlyKnown(*market, "fleet.market", {"time_scale", "notice_seconds"})
                            : Status::Ok());
  SB_RETURN_IF_ERROR(p.Seconds(market, "fleet.market", "time_scale", 0.001, &c->time_scale));
  SB_RETURN_IF_ERROR(p.Seconds(market, "fleet.market", "notice_seconds", 0, &c->notice_seconds));
  return Status::Ok();
}

// [pipeline]: what runs on each input.
Status ParsePipeline(const Parser& p, const toml::table& pipeline_table, Config* c) {
  const toml::table* pipeline = &pipeline_table;
  SB_RETURN_IF_ERROR(p.OnlyKnown(
      pipeline_table, "pipeline",
      {"input", "output", "command", "timeout_seconds", "max_attempts", "max_interruptions",
       "max_lost_attempts", "max_releases", "retry_backoff_seconds", "retry_backoff_max_seconds",
       "priority", "queue", "watch_interval_seconds", "on_demand_after_interruptions",
       "deadline_hours", "order"}));
  PipelineSpec& ps = c->pipeline;
  SB_RETURN_IF_ERROR(p.Prefix(pipeline, "pipeline", "input", &ps.input_prefix));
  SB_RETURN_IF_ERROR(p.Prefix(pipeline, "pipeline", "output", &ps.output_prefix));
  if (ps.input_prefix.rfind(ps.output_prefix, 0) == 0 ||
      ps.output_prefix.rfind(ps.input_prefix, 0) == 0) {
    return p.Error(pipeline->get("output"), "pipeline.output",
                   "must not overlap pipeline.input (outputs would start new jobs)");
  }
  const toml::node* command = pipeline->get("command");
  if (command == nullptr)
    return p.Error(pipeline, "pipeline.command", "missing (the command to run on each input)");
  if (!command->is_array() || command->as_array()->empty()) {
    return p.Error(command, "pipeline.command", "must be a non-empty array of strings");
  }
  for (const toml::node& arg : *command->as_array()) {
    if (!arg.is_string())
      return p.Error(&arg, "pipeline.command", "every element must be a string");
    // Arguments go to exec as C strings: a NUL would cut one short without a word.
    if (arg.as_string()->get().find('\0') != std::string::npos) {
      return p.Error(&arg, "pipeline.command[" + std::to_string(ps.command.size()) + "]",
                     "must not contain a NUL character");
    }
    ps.command.push_back(arg.as_string()->get());
  }
  size_t bad = 0;
  if (auto parsed = CommandTemplate::Parse(ps.command, &bad); !parsed.ok()) {
    const std::string& m = parsed.status().message();  // "[bad]: problem"
    return p.Error(command->as_array()->get(bad), "pipeline.command[" + std::to_string(bad) + "]",
                   m.substr(m.find(": ") + 2));
  }
  double timeout = 3600, backoff = 1, backoff_max = 60;
  SB_RETURN_IF_ERROR(p.Seconds(pipeline, "pipeline", "timeout_seconds", 0.001, &timeout));
  SB_RETURN_IF_ERROR(p.Seconds(pipeline, "pipeline", "retry_backoff_seconds", 0, &backoff));
  SB_RETURN_IF_ERROR(p.Seconds(pipeline, "pipeline", "retry_backoff_max_seconds", 0, &backoff_max));
  ps.timeout_millis = static_cast<int64_t>(timeout * 1000);
  ps.retry.backoff.base_millis = static_cast<int64_t>(backoff * 1000);
  ps.retry.backoff.max_millis =
      std::max(ps.retry.backoff.base_millis, static_cast<int64_t>(backoff_max * 1000));
  SB_RETURN_IF_ERROR(p.Int(pipeline, "pipeline", "max_attempts", 1, 1000, &ps.retry.max_attempts));
  SB_RETURN_IF_ERROR(
      p.Int(pipeline, "pipeline", "max_interruptions", -1, 1000000, &ps.retry.max_interruptions));
  SB_RETURN_IF_ERROR(
      p.Int(pipeline, "pipeline", "max_lost_attempts", 1, 1000000, &ps.retry.max_lost));
  SB_RETURN_IF_ERROR(
      p.Int(pipeline, "pipeline", "max_releases", -1, 1000000, &ps.retry.max_releases));
  SB_RETURN_IF_ERROR(p.Int(pipeline, "pipeline", "on_demand_after_interruptions", -1, 1000000,
                           &ps.retry.on_demand_after_interruptions));
  SB_RETURN_IF_ERROR(p.Int(pipeline, "pipeline", "priority", -kMaxPipelinePriority,
                           kMaxPipelinePriority, &ps.priority));
  SB_RETURN_IF_ERROR(p.Order(pipeline, "pipeline", &ps.order));
  SB_RETURN_IF_ERROR(p.String(pipeline, "pipeline", "queue", &ps.queue));
  if (ps.queue.empty()) return p.Error(pipeline->get("queue"), "pipeline.queue", "is empty");
  SB_RETURN_IF_ERROR(
      p.Seconds(pipeline, "pipeline", "watch_interval_seconds", 0.01, &c->watch_interval_seconds));
  SB_RETURN_IF_ERROR(
      p.Seconds(pipeline, "pipeline", "deadline_hours", 0.001, &c->deadline_hours, "hours"));

  return Status::Ok();
}

// [simulate.workload] task_seconds: a bag given task by task (so that a test can simulate
// exactly the tasks a live run executes). It lists every task, so the keys that describe
// drawn tasks may not come with it; tasks and task_hours follow from it.
Status ParseTaskSeconds(const Parser& p, const toml::table& work, SimulateConfig* s) {
  const toml::node* list = work.get("task_seconds");
  if (list == nullptr) return Status::Ok();
  constexpr const char* kKey = "simulate.workload.task_seconds";
  constexpr size_t kMaxTasks = 1'000'000;
  if (!list->is_array() || list->as_array()->empty()) {
    return p.Error(list, kKey, "must be a non-empty array of task durations in seconds");
  }
  if (list->as_array()->size() > kMaxTasks) {
    return p.Error(list, kKey, "lists more than 1000000 tasks");
  }
  for (const char* drawn : {"tasks", "task_hours", "task_hours_cv"}) {
    if (const toml::node* n = work.get(drawn)) {
      return p.Error(n, std::string("simulate.workload.") + drawn,
                     "cannot be given with task_seconds, which lists every task");
    }
  }
  std::vector<double> seconds;
  double sum = 0;
  for (const toml::node& n : *list->as_array()) {
    const std::string key = std::string(kKey) + "[" + std::to_string(seconds.size()) + "]";
    if (!n.is_integer() && !n.is_floating_point()) {
      return p.Error(&n, key, "must be a number of seconds");
    }
    const double v =
        n.is_integer() ? static_cast<double>(n.as_integer()->get()) : n.as_floating_point()->get();
    if (!(v > 0) || v > 1e9) return p.Error(&n, key, "must be more than 0 (and at most 1e9)");
    seconds.push_back(v);
    sum += v;
  }
  s->tasks = static_cast<int>(seconds.size());
  s->task_hours = sum / 3600 / static_cast<double>(seconds.size());
  s->task_hours_cv = 0;
  s->task_seconds = std::move(seconds);
  return Status::Ok();
}

// [simulate] and [simulate.workload]: what `spotbatch simulate` compares.
Status ParseSimulate(const Parser& p, const toml::table& root, Config* c) {
  SB_ASSIGN_OR_RETURN(const toml::table* sim, p.Table(root, "simulate"));
  SimulateConfig& s = c->simulate;
  if (sim == nullptr) return Status::Ok();
  SB_RETURN_IF_ERROR(
      p.OnlyKnown(*sim, "simulate", {"policies", "runs", "seed", "workload", "start_at_offset"}));
  SB_RETURN_IF_ERROR(p.Bool(sim, "simulate", "start_at_offset", &s.start_at_offset));
  SB_RETURN_IF_ERROR(p.Int(sim, "simulate", "runs", 1, 100000, &s.runs));
  int64_t seed = static_cast<int64_t>(s.seed);
  SB_RETURN_IF_ERROR(p.Int(sim, "simulate", "seed", 0, INT64_MAX, &seed));
  s.seed = static_cast<uint64_t>(seed);
  SB_ASSIGN_OR_RETURN(const toml::table* work, p.Table(*sim, "workload"));
  WorkloadKind kind = WorkloadKind::kDeadlineJob;
  if (work != nullptr) {
    SB_RETURN_IF_ERROR(p.OnlyKnown(
        *work, "simulate.workload",
        {"kind", "job_hours", "deadline_hours", "changeover_hours", "checkpoint_hours", "tasks",
         "task_hours", "task_hours_cv", "instances", "task_seconds", "order", "prediction_cv"}));
    SB_RETURN_IF_ERROR(p.String(work, "simulate.workload", "kind", &s.kind));
    if (s.kind != "deadline-job" && s.kind != "bag-of-tasks") {
      return p.Error(work->get("kind"), "simulate.workload.kind",
                     "must be \"deadline-job\" or \"bag-of-tasks\"");
    }
    kind = s.kind == "bag-of-tasks" ? WorkloadKind::kBagOfTasks : WorkloadKind::kDeadlineJob;
    // Keys of the other kind are mistakes, not settings to ignore.
    const std::vector<const char*> other =
        kind == WorkloadKind::kBagOfTasks
            ? std::vector<const char*>{"job_hours"}
            : std::vector<const char*>{"tasks",        "task_hours", "task_hours_cv", "instances",
                                       "task_seconds", "order",      "prediction_cv"};
    for (const char* key : other) {
      if (const toml::node* n = work->get(key)) {
        return p.Error(n, std::string("simulate.workload.") + key, "is not a key of a " + s.kind);
      }
    }
    if (kind == WorkloadKind::kBagOfTasks) s.deadline_hours = 0;  // none unless given
    SB_RETURN_IF_ERROR(p.Seconds(work, "simulate.workload", "job_hours", 0.001, &s.job_hours));
    SB_RETURN_IF_ERROR(
        p.Seconds(work, "simulate.workload", "deadline_hours", 0, &s.deadline_hours));
    SB_RETURN_IF_ERROR(
        p.Seconds(work, "simulate.workload", "changeover_hours", 0, &s.changeover_hours));
    SB_RETURN_IF_ERROR(
        p.Seconds(work, "simulate.workload", "checkpoint_hours", 0, &s.checkpoint_hours));
    SB_RETURN_IF_ERROR(p.Int(work, "simulate.workload", "tasks", 1, 1'000'000, &s.tasks));
    SB_RETURN_IF_ERROR(p.Int(work, "simulate.workload", "instances", 1, 10'000, &s.instances));
    SB_RETURN_IF_ERROR(p.Seconds(work, "simulate.workload", "task_hours", 0.0003, &s.task_hours));
    SB_RETURN_IF_ERROR(p.Seconds(work, "simulate.workload", "task_hours_cv", 0, &s.task_hours_cv));
    SB_RETURN_IF_ERROR(ParseTaskSeconds(p, *work, &s));
    SB_RETURN_IF_ERROR(p.Order(work, "simulate.workload", &s.order));
    SB_RETURN_IF_ERROR(
        p.Seconds(work, "simulate.workload", "prediction_cv", 0, &s.prediction_cv, "cv"));
    const toml::node* cv = work->get("prediction_cv");
    if (cv != nullptr && s.order != TaskOrder::kLargestFirst) {
      return p.Error(cv, "simulate.workload.prediction_cv",
                     "needs order = \"largest_first\" (predictions only order the tasks)");
    }
  }
  const toml::node* deadline = work ? work->get("deadline_hours") : nullptr;
  if (kind == WorkloadKind::kDeadlineJob && s.deadline_hours < s.job_hours + s.changeover_hours) {
    return p.Error(deadline ? deadline : sim, "simulate.workload.deadline_hours",
                   "is shorter than the job and one changeover: no policy can meet it");
  }
  if (kind == WorkloadKind::kBagOfTasks && s.deadline_hours > 0 &&
      s.deadline_hours < s.tasks * s.task_hours / s.instances + s.changeover_hours) {
    return p.Error(deadline, "simulate.workload.deadline_hours",
                   "is shorter than the work spread over every instance: no policy can meet it");
  }
  if (const toml::node* list = sim->get("policies")) {
    if (!list->is_array() || list->as_array()->empty()) {
      return p.Error(list, "simulate.policies", "must be a non-empty array of policy names");
    }
    const std::vector<std::string>& known = KnownPolicies(kind);
    for (const toml::node& n : *list->as_array()) {
      if (!n.is_string()) return p.Error(&n, "simulate.policies", "every element must be a string");
      const std::string name = n.as_string()->get();
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        std::string names;
        for (const std::string& k : known) names += (names.empty() ? "" : ", ") + k;
        return p.Error(
            &n, "simulate.policies",
            "unknown policy \"" + name + "\" for a " + s.kind + " (known: " + names + ")");
      }
      if (std::find(s.policies.begin(), s.policies.end(), name) != s.policies.end()) {
        return p.Error(&n, "simulate.policies", "\"" + name + "\" is listed twice");
      }
      s.policies.push_back(name);
    }
  }
  if (c->pools.empty() ||
      std::none_of(c->pools.begin(), c->pools.end(), [](const PoolConfig& x) { return !x.spot; })) {
    return p.Error(sim, "fleet.pool",
                   "simulate needs [[fleet.pool]] entries, one of them on-demand (the fallback "
                   "that every deadline needs)");
  }
  return Status::Ok();
}

}  // namespace

Result<Config> LoadConfig(const std::string& path, ConfigUse use) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return NotFound("config file " + path + " does not exist");
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("config file " + path + " cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  return ParseConfig(text.str(), path, use);
}

Result<Config> ParseConfig(std::string_view text, const std::string& path, ConfigUse use) {
  std::error_code ec;
  const std::string file = fs::absolute(path, ec).lexically_normal().string();
  const std::string dir = fs::path(file).parent_path().string();
  Parser p(path, dir);
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    return InvalidArgument(path + ":" + std::to_string(e.source().begin.line) +
                           ": syntax error: " + std::string(e.description()));
  }
  SB_RETURN_IF_ERROR(p.OnlyKnown(root, "",
                                 {"store", "state", "queue", "ingest", "aws", "pipeline", "fleet",
                                  "worker", "server", "simulate"}));
  Config c;
  c.file = file;

  SB_ASSIGN_OR_RETURN(const toml::table* store, p.Table(root, "store"));
  SB_RETURN_IF_ERROR(store ? p.OnlyKnown(*store, "store", {"path", "url", "work_bucket"})
                           : Status::Ok());
  std::string store_path = "data";
  SB_RETURN_IF_ERROR(p.String(store, "store", "path", &store_path));
  c.store_path = p.Path(store_path);

  SB_ASSIGN_OR_RETURN(const toml::table* state, p.Table(root, "state"));
  SB_RETURN_IF_ERROR(state ? p.OnlyKnown(*state, "state", {"path", "durability", "url"})
                           : Status::Ok());
  std::string state_path = ".spotbatch/spotbatch.db";
  SB_RETURN_IF_ERROR(p.String(state, "state", "path", &state_path));
  c.state_db = p.Path(state_path);
  std::string durability = "power-loss";
  SB_RETURN_IF_ERROR(p.String(state, "state", "durability", &durability));
  if (durability != "power-loss" && durability != "process-crash") {
    return p.Error(state->get("durability"), "state.durability",
                   "must be \"power-loss\" (fsync every commit) or \"process-crash\"");
  }
  c.state_fsync_every_commit = durability == "power-loss";

  SB_ASSIGN_OR_RETURN(const toml::table* pipeline, p.Table(root, "pipeline"));
  if (pipeline != nullptr) {
    SB_RETURN_IF_ERROR(ParsePipeline(p, *pipeline, &c));
  } else if (use == ConfigUse::kPipeline) {
    return p.Error(nullptr, "pipeline", "missing section [pipeline]");
  }
  c.has_pipeline = pipeline != nullptr;
  PipelineSpec& ps = c.pipeline;
  SB_RETURN_IF_ERROR(config_internal::ParseServices(p, root, &c));

  SB_ASSIGN_OR_RETURN(const toml::table* fleet, p.Table(root, "fleet"));
  std::set<std::string> fleet_keys = {"workers", "pool", "market"};
  fleet_keys.insert(std::begin(kScalingKeys), std::end(kScalingKeys));
  SB_RETURN_IF_ERROR(fleet ? p.OnlyKnown(*fleet, "fleet", fleet_keys) : Status::Ok());
  SB_RETURN_IF_ERROR(p.Int(fleet, "fleet", "workers", 1, 256, &c.workers));
  SB_RETURN_IF_ERROR(ParsePools(p, fleet, &c));
  if (c.ec2_pools() && c.has_pipeline &&
      (!c.store_on_s3 || c.sqs_queue.empty() || c.dynamodb_table.empty())) {
    // The workers run on the instances: they reach objects, queue and state only on AWS.
    return p.Error(fleet->get("pool"), "fleet.pool",
                   "EC2 pools need the pipeline on AWS: [store] url = \"s3://\", [queue] url = "
                   "\"sqs://NAME\" and [state] url = \"dynamodb://TABLE\"");
  }
  SB_RETURN_IF_ERROR(ParseScaling(p, fleet, &c));

  SB_RETURN_IF_ERROR(ParseSimulate(p, root, &c));

  SB_ASSIGN_OR_RETURN(const toml::table* worker, p.Table(root, "worker"));
  SB_RETURN_IF_ERROR(
      worker ? p.OnlyKnown(*worker, "worker",
                           {"lease_seconds", "heartbeat_seconds", "kill_grace_seconds", "work_dir",
                            "metadata_poll_seconds", "interruption_grace_seconds",
                            "drain_on_rebalance", "poll_wait_seconds"})
             : Status::Ok());
  SB_RETURN_IF_ERROR(
      p.Seconds(worker, "worker", "metadata_poll_seconds", 0.01, &c.metadata_poll_seconds));
  SB_RETURN_IF_ERROR(
      p.Seconds(worker, "worker", "interruption_grace_seconds", 0, &c.interruption_grace_seconds));
  SB_RETURN_IF_ERROR(p.Bool(worker, "worker", "drain_on_rebalance", &c.drain_on_rebalance));
  SB_RETURN_IF_ERROR(p.Seconds(worker, "worker", "lease_seconds", 1, &c.lease_seconds));
  SB_RETURN_IF_ERROR(p.Seconds(worker, "worker", "heartbeat_seconds", 0.05, &c.heartbeat_seconds));
  SB_RETURN_IF_ERROR(p.Seconds(worker, "worker", "kill_grace_seconds", 0, &c.kill_grace_seconds));
  SB_RETURN_IF_ERROR(p.Seconds(worker, "worker", "poll_wait_seconds", 0, &c.poll_wait_seconds));
  if (c.poll_wait_seconds > 20) {
    return p.Error(worker ? worker->get("poll_wait_seconds") : nullptr, "worker.poll_wait_seconds",
                   "must be at most 20 (SQS waits no longer)");
  }
  if (c.heartbeat_seconds * 2 > c.lease_seconds) {
    return p.Error(worker ? worker->get("heartbeat_seconds") : nullptr, "worker.heartbeat_seconds",
                   "must be at most half of worker.lease_seconds, or leases expire between beats");
  }
  SB_ASSIGN_OR_RETURN(const toml::table* server, p.Table(root, "server"));
  SB_RETURN_IF_ERROR(server ? p.OnlyKnown(*server, "server", {"listen", "token_file"})
                            : Status::Ok());
  SB_RETURN_IF_ERROR(p.String(server, "server", "listen", &c.server_listen));
  const size_t colon = c.server_listen.rfind(':');
  if (!c.server_listen.empty() &&
      (colon == std::string::npos || colon == 0 ||
       c.server_listen.find_first_not_of("0123456789", colon + 1) != std::string::npos ||
       colon + 1 == c.server_listen.size() || c.server_listen.size() - colon - 1 > 5 ||
       std::stoul(c.server_listen.substr(colon + 1)) > 65535)) {
    return p.Error(server->get("listen"), "server.listen", "must be \"host:port\" (port 0-65535)");
  }
  std::string token_file = "api.token";
  SB_RETURN_IF_ERROR(p.String(server, "server", "token_file", &token_file));
  c.token_file = p.Path(token_file);

  if (c.has_pipeline && ps.retry.on_demand_after_interruptions >= 0 && !c.pools.empty() &&
      std::none_of(c.pools.begin(), c.pools.end(), [](const PoolConfig& x) { return !x.spot; })) {
    return p.Error(pipeline->get("on_demand_after_interruptions"),
                   "pipeline.on_demand_after_interruptions",
                   "needs an on-demand [[fleet.pool]] to run the tasks it moves there");
  }
  if (c.has_pipeline && c.deadline_hours > 0 && c.pools.empty()) {
    return p.Error(pipeline->get("deadline_hours"), "pipeline.deadline_hours",
                   "needs [[fleet.pool]] entries (plain workers have no spot to trade for time)");
  }
  ps.config_dir = dir;

  std::string work_dir = ".spotbatch/work";
  SB_RETURN_IF_ERROR(p.String(worker, "worker", "work_dir", &work_dir));
  c.work_dir = p.Path(work_dir);
  return c;
}

}  // namespace spotbatch

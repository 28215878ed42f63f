// The TOML configuration (README.md, "Configuration"): parsed, validated, paths resolved
// against the config file's folder. Every error names the file, the line and the key.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/pipeline_spec.h"
#include "core/backlog_scaling.h"
#include "core/capacity_trace.h"
#include "core/market.h"
#include "core/task_order.h"
#include "spotbatch/status.h"

namespace spotbatch {

// [[fleet.pool]]: a group of local "instances" (worker processes) with a market and a price.
struct PoolConfig {
  std::string name;
  bool spot = true;  // market = "spot" | "on-demand"
  // provider = "ec2": an Auto Scaling group of EC2 instances (adapters/aws/asg_fleet.h)
  // priced by the market on EC2, rather than local worker processes following a trace.
  bool ec2 = false;
  std::vector<std::string> instance_types;  // ec2: 1..20, in the group's order of preference
  std::vector<std::string> zones;           // ec2: 0..20 (none: every zone of the region)
  std::string group;                        // ec2: the group's name ("spotbatch-" + name)
  std::string instance_type;                // local: the type; ec2: the first of the types
  // What an instance-hour costs (a series: its mean). An on-demand pool without one gets its
  // type's price from the shipped table (core/on_demand_prices.h).
  double price_per_hour = 0;
  std::string price_trace;   // price series file (absolute path); empty: constant
  PriceSeries price_series;  // loaded from `price_trace`
  // The same hour on demand (for savings); when not given: the price of an on-demand pool of
  // the same type, else the shipped table's.
  double on_demand_price_per_hour = 0;
  bool on_demand_price_given = false;  // the key was set (an EC2 pool's market then uses it)
  std::string trace;                   // capacity trace (absolute path); empty: always available
  CapacityTrace capacity;              // loaded from `trace`
  double trace_offset_seconds = 0;     // where in the trace the run starts
  int max_instances = 1;
};

// [simulate] and [simulate.workload] (docs/simulator.md): `spotbatch simulate` only.
struct SimulateConfig {
  std::vector<std::string> policies;  // empty: every policy of the kind (KnownPolicies)
  int runs = 20;
  uint64_t seed = 1;
  // Every run starts where `run` does (each pool's trace_offset_seconds) rather than spread
  // over the traces: to predict one live run.
  bool start_at_offset = false;
  std::string kind = "deadline-job";  // or "bag-of-tasks"
  double job_hours = 48;              // deadline-job
  double deadline_hours = 60;         // bag-of-tasks: 0 (none) unless given
  double changeover_hours = 0.2;
  double checkpoint_hours = 0;  // 0: progress survives interruptions
  int tasks = 1000;             // bag-of-tasks
  double task_hours = 0.5;      // mean
  double task_hours_cv = 0;     // spread (lognormal); 0: all equal
  int instances = 10;           // the fleet's size
  // bag-of-tasks: every task's duration, when given (then tasks and task_hours follow)
  std::vector<double> task_seconds;
  // bag-of-tasks: the order tasks start in, and under largest_first the coefficient of
  // variation of the error of each predicted length (0: known exactly; Scenario).
  TaskOrder order = TaskOrder::kFifo;
  double prediction_cv = 0;
};

// [aws]: where the AWS adapters send their requests, and as whom.
struct AwsConfig {
  // [aws] region; empty: $AWS_REGION, else $AWS_DEFAULT_REGION, when an adapter is opened.
  std::string region;
  std::string profile;  // [aws] profile (credentials_chain.h); empty: $AWS_PROFILE, "default"
  // [aws.endpoints]: service ("s3", "sqs", "dynamodb", ...) -> "http[s]://host[:port]", for
  // S3-compatible stores and emulators; a service not listed uses its AWS regional endpoint.
  std::map<std::string, std::string> endpoints;
  // [aws] s3_addressing = "virtual" (bucket.host, S3's default) | "path" (host/bucket, what
  // emulators and most S3-compatible stores want); default: "path" when endpoints.s3 is set.
  bool s3_path_style = false;
  // [aws.worker]: what `spotbatch aws deploy` gives each instance of the EC2 pools.
  struct Worker {
    // ami: "ami-<8..17 hex>" or "resolve:ssm:<parameter>" (EC2 resolves it at each launch,
    // e.g. the latest Debian image); empty: deploy refuses EC2 pools.
    std::string ami;
    std::string instance_profile = "spotbatch-worker";  // and its role, made by deploy
    std::vector<std::string> subnets;          // "subnet-..."; none: the default VPC's zones
    std::vector<std::string> security_groups;  // "sg-..."; none: the VPC's default
    // Shell lines cloud-init runs before the worker starts (installing spotbatch where the
    // image has it not), in order; at most 32 of 1024 printable characters.
    std::vector<std::string> install;
    std::string spotbatch = "/usr/local/bin/spotbatch";  // the binary on the instance
  } worker;
};

struct Config {
  std::string file;  // the config file, absolute
  // [store] url = "s3://": objects on S3, a key's first segment its bucket; empty: the
  // directory of [store] path.
  bool store_on_s3 = false;
  // [store] work_bucket, on S3: the bucket of spotbatch's own keys (staging, checkpoints);
  // default: the bucket of [pipeline] output.
  std::string work_bucket;
  // [queue] url = "sqs://NAME": the pipeline's queue is the SQS queue NAME (its on-demand queue
  // NAME-on-demand, dead-letter queues -dlq); empty: the embedded SQLite queue.
  std::string sqs_queue;
  // [state] url = "dynamodb://TABLE": jobs and tasks in that DynamoDB table; empty: SQLite.
  std::string dynamodb_table;
  // [ingest] events = "sqs://NAME": the SQS queue the input bucket notifies of uploads, which
  // `spotbatch up` consumes (needs the store on S3); empty: inputs are found by listing.
  std::string events_queue;
  AwsConfig aws;
  bool uses_aws() const {
    return store_on_s3 || !sqs_queue.empty() || !dynamodb_table.empty() || !events_queue.empty();
  }
  std::string store_path;                // [store] path
  std::string state_db;                  // [state] path: the SQLite file holding queue and state
  bool state_fsync_every_commit = true;  // [state] durability = "power-loss" | "process-crash"
  bool has_pipeline = true;              // false only in a file read for kMarket
  PipelineSpec pipeline;
  int workers = 4;                // [fleet] workers (when there are no pools)
  std::vector<PoolConfig> pools;  // [[fleet.pool]]
  double time_scale = 1;          // [fleet.market] time_scale: trace seconds per second
  double notice_seconds = 120;    // [fleet.market] notice_seconds (trace seconds)
  // [fleet.market] with EC2 pools (adapters/aws/ec2_market.h): where the Spot Instance
  // Advisor's feed is read (a URL or a file; default the AWS feed), whether placement scores
  // are asked for and the least a launch needs, how often prices are read.
  struct Ec2Market {
    std::string advisor;  // empty: kSpotAdvisorFeedUrl
    bool placement_scores = true;
    int min_placement_score = 3;
    double price_refresh_seconds = 300;
  } ec2_market;
  bool ec2_pools() const { return !pools.empty() && pools.front().ec2; }
  // [fleet] on_demand_base, max_instances, latency_target_seconds, on_demand_step,
  // on_demand_cooldown_seconds, scale_in_grace_seconds, reclaim_quarantine_seconds,
  // replace_on_rebalance: the fleet manager's scaling (trace seconds), with pools only.
  ScalingOptions scaling;
  double metadata_poll_seconds = 5;        // [worker] metadata_poll_seconds
  double interruption_grace_seconds = 60;  // [worker] interruption_grace_seconds
  bool drain_on_rebalance = true;          // [worker] drain_on_rebalance
  double lease_seconds = 60;               // [worker] lease_seconds
  double heartbeat_seconds = 15;           // [worker] heartbeat_seconds
  double kill_grace_seconds = 5;           // [worker] kill_grace_seconds
  double poll_wait_seconds = 2;            // [worker] poll_wait_seconds
  std::string work_dir;                    // [worker] work_dir
  double watch_interval_seconds = 1;       // [pipeline] watch_interval_seconds (spotbatch up)
  // [pipeline] deadline_hours (or `run --deadline`): the batch should be done this many trace
  // hours after `run` starts; the fleet manager buys on-demand when spot cannot make it. 0: none.
  double deadline_hours = 0;
  std::string server_listen;  // [server] listen "host:port"; empty: no HTTP API
  std::string token_file;     // [server] token_file: bearer token for changes
  SimulateConfig simulate;
};

// kInvalidArgument with "FILE:LINE: key: problem" on any error; kNotFound for a missing file.
// What the file is read for: kPipeline (every command that runs jobs) needs [pipeline];
// kMarket (`simulate`, `market`) needs only [[fleet.pool]] entries.
enum class ConfigUse { kPipeline, kMarket };
Result<Config> LoadConfig(const std::string& path, ConfigUse use = ConfigUse::kPipeline);
// The same for TOML `text` already in memory, as if read from the file `path` (named in
// errors; relative paths in it resolve against its folder). LoadConfig reads the file and
// calls this.
Result<Config> ParseConfig(std::string_view text, const std::string& path,
                           ConfigUse use = ConfigUse::kPipeline);

}  // namespace spotbatch

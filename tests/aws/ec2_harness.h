// EC2 as moto does not play it, for tests: a loopback server in front of moto that answers
// the market's reads from recorded real data and passes every other request on to moto
// unchanged (docs/moto-ec2-autoscaling.md says what moto lacks).
//
//   - DescribeSpotPriceHistory: the recorded changes (a DescribeSpotPriceHistory dump, its
//     zone ids named as moto names them) of the asked types and product in [StartTime,
//     EndTime], with the last one before StartTime of each (zone, type, product), newest
//     first, MaxResults to a page with a NextToken, as EC2 answers; moto answers one constant
//     price.
//   - GetSpotPlacementScores (moto: not implemented): per zone id of the asked region, the
//     best recorded score (a SpotLake snapshot, one score per type and zone) of the asked
//     types, or what the test set with SetScore; the top 10, best first.
//   - FailNext makes the next calls of an action fail with an EC2 error document.
// Every request the harness answers or passes on is counted per action.
#pragma once

#include <httplib.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "adapters/aws/aws_query_client.h"
#include "adapters/aws/ec2_market_reads.h"
#include "adapters/local/market_data.h"
#include "aws/local_http_server.h"
#include "aws/static_credentials.h"
#include "common/time_format.h"

namespace spotbatch::testing {

class Ec2Harness {
 public:
  // `moto`: the endpoint requests the harness does not answer go to. `prices` and `scores`:
  // the recorded data (market_data.h loaders); only `region`'s rows are served.
  Ec2Harness(std::string moto, std::string region, const std::vector<SpotPriceRecord>& prices,
             const std::vector<SpotLakePool>& scores)
      : moto_(std::move(moto)), region_(std::move(region)), forward_(moto_) {
    // moto's zone names for the recorded zone ids, as the market will read them from moto.
    auto ec2 = AwsQueryClient::New({.endpoint = moto_, .region = region_}, credentials_, SystemClock());
    if (ec2.ok()) {
      if (auto zones = DescribeAvailabilityZones(**ec2); zones.ok()) {
        for (const AvailabilityZone& z : *zones) zone_names_[z.id] = z.name;
      }
    }
    for (const SpotPriceRecord& r : prices) {
      auto name = zone_names_.find(r.zone_id);
      if (name == zone_names_.end()) continue;  // another region
      prices_.push_back({name->second, r.instance_type, r.product, r.usd_per_hour, r.unix_millis});
    }
    std::sort(prices_.begin(), prices_.end(),
              [](const SpotPriceChange& a, const SpotPriceChange& b) {
                return a.unix_millis > b.unix_millis;  // newest first, as EC2 sends them
              });
    for (const SpotLakePool& s : scores) {
      if (s.region == region_) scores_[{s.zone_id, s.instance_type}] = s.placement_score;
    }
    server_.server().Post(
        "/", [this](const httplib::Request& req, httplib::Response& res) { Serve(req, res); });
  }

  std::string endpoint() const { return server_.endpoint(); }
  // How many zone ids the recorded prices could be named by (0: moto was not reached).
  size_t zones_known() const { return zone_names_.size(); }

  // From now on zone `zone_id` scores `score` whatever is asked (0: the recorded scores again).
  void SetScore(const std::string& zone_id, int score) {
    std::lock_guard lock(mu_);
    if (score == 0) {
      set_scores_.erase(zone_id);
    } else {
      set_scores_[zone_id] = score;
    }
  }
  // The next `times` calls of `action` answer HTTP `http_status` with error `code`.
  void FailNext(const std::string& action, int times, int http_status, const std::string& code) {
    std::lock_guard lock(mu_);
    failures_[action] = {times, http_status, code};
  }
  int Calls(const std::string& action) {
    std::lock_guard lock(mu_);
    return calls_[action];
  }
  // The forms of every call of `action`, in order.
  std::vector<httplib::Params> Requests(const std::string& action) {
    std::lock_guard lock(mu_);
    return requests_[action];
  }

 private:
  struct Failure {
    int times = 0;
    int http_status = 0;
    std::string code;
  };

  static std::string Value(const httplib::Params& form, const std::string& key) {
    auto it = form.find(key);
    return it == form.end() ? "" : it->second;
  }
  static std::set<std::string> Members(const httplib::Params& form, const std::string& prefix) {
    std::set<std::string> out;
    for (int i = 1;; ++i) {
      auto it = form.find(prefix + "." + std::to_string(i));
      if (it == form.end()) return out;
      out.insert(it->second);
    }
  }

  void Serve(const httplib::Request& req, httplib::Response& res) {
    httplib::Params form;
    httplib::detail::parse_query_text(req.body, form);
    const std::string action = Value(form, "Action");
    {
      std::lock_guard lock(mu_);
      ++calls_[action];
      requests_[action].push_back(form);
      if (auto f = failures_.find(action); f != failures_.end() && f->second.times > 0) {
        --f->second.times;
        res.status = f->second.http_status;
        res.set_content("<Response><Errors><Error><Code>" + f->second.code +
                            "</Code><Message>the harness said " + f->second.code +
                            "</Message></Error></Errors><RequestID>harness</RequestID></Response>",
                        "text/xml;charset=UTF-8");
        return;
      }
    }
    if (action == "DescribeSpotPriceHistory") return Prices(form, res);
    if (action == "GetSpotPlacementScores") return Scores(form, res);
    Forward(req, res);
  }

  void Forward(const httplib::Request& req, httplib::Response& res) {
    httplib::Headers headers;
    for (const auto& [k, v] : req.headers) {
      if (k != "Host" && k != "Content-Length" && k != "REMOTE_ADDR" && k != "REMOTE_PORT" &&
          k != "LOCAL_ADDR" && k != "LOCAL_PORT") {
        headers.emplace(k, v);
      }
    }
    std::lock_guard lock(forward_mu_);
    auto r = forward_.Post("/", headers, req.body, req.get_header_value("Content-Type").c_str());
    if (!r) {
      res.status = 502;
      return;
    }
    res.status = r->status;
    res.set_content(r->body, r->get_header_value("Content-Type").c_str());
  }

  void Prices(const httplib::Params& form, httplib::Response& res) {
    const std::set<std::string> types = Members(form, "InstanceType");
    const std::set<std::string> products = Members(form, "ProductDescription");
    const int64_t start = ParseUtcTimestamp(Value(form, "StartTime")).value_or(0);
    const int64_t end = ParseUtcTimestamp(Value(form, "EndTime")).value_or(INT64_MAX);
    const size_t page =
        Value(form, "MaxResults").empty() ? 1000 : std::stoul(Value(form, "MaxResults"));
    const size_t from = Value(form, "NextToken").empty() ? 0 : std::stoul(Value(form, "NextToken"));
    std::vector<const SpotPriceChange*> answer;
    std::set<std::string> before_start;  // (zone, type, product) whose last earlier change is in
    for (const SpotPriceChange& c : prices_) {  // newest first
      if (!types.empty() && !types.count(c.instance_type)) continue;
      if (!products.empty() && !products.count(c.product)) continue;
      if (c.unix_millis > end) continue;
      if (c.unix_millis < start &&
          !before_start.insert(c.zone + "\n" + c.instance_type + "\n" + c.product).second) {
        continue;
      }
      answer.push_back(&c);
    }
    std::string items;
    for (size_t i = from; i < answer.size() && i < from + page; ++i) {
      const SpotPriceChange& c = *answer[i];
      char price[32];
      std::snprintf(price, sizeof price, "%.6f", c.usd_per_hour);
      items += "<item><instanceType>" + c.instance_type + "</instanceType><productDescription>" +
               c.product + "</productDescription><spotPrice>" + price + "</spotPrice><timestamp>" +
               FormatUtcTimestamp(c.unix_millis, true) + "</timestamp><availabilityZone>" + c.zone +
               "</availabilityZone></item>";
    }
    const std::string token = from + page < answer.size() ? std::to_string(from + page) : "";
    res.set_content(
        "<DescribeSpotPriceHistoryResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
        "<requestId>harness</requestId><spotPriceHistorySet>" +
            items + "</spotPriceHistorySet><nextToken>" + token +
            "</nextToken></DescribeSpotPriceHistoryResponse>",
        "text/xml;charset=UTF-8");
  }

  void Scores(const httplib::Params& form, httplib::Response& res) {
    const std::set<std::string> types = Members(form, "InstanceType");
    const std::set<std::string> regions = Members(form, "RegionName");
    std::map<std::string, int> by_zone;
    if (regions.empty() || regions.count(region_)) {
      for (const auto& [key, score] : scores_) {
        if (types.count(key.second)) by_zone[key.first] = std::max(by_zone[key.first], score);
      }
      std::lock_guard lock(mu_);
      for (const auto& [zone, score] : set_scores_) by_zone[zone] = score;
    }
    std::vector<std::pair<int, std::string>> ranked;
    for (const auto& [zone, score] : by_zone) ranked.push_back({score, zone});
    std::sort(ranked.rbegin(), ranked.rend());
    if (ranked.size() > 10) ranked.resize(10);
    std::string items;
    for (const auto& [score, zone] : ranked) {
      items += "<item><region>" + region_ + "</region><availabilityZoneId>" + zone +
               "</availabilityZoneId><score>" + std::to_string(score) + "</score></item>";
    }
    res.set_content(
        "<GetSpotPlacementScoresResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
        "<requestId>harness</requestId><spotPlacementScoreSet>" +
            items + "</spotPlacementScoreSet></GetSpotPlacementScoresResponse>",
        "text/xml;charset=UTF-8");
  }

  const std::string moto_;
  const std::string region_;
  StaticCredentials credentials_;
  std::map<std::string, std::string> zone_names_;              // id -> name, moto's
  std::vector<SpotPriceChange> prices_;                        // newest first
  std::map<std::pair<std::string, std::string>, int> scores_;  // (zone id, type) -> score
  std::mutex forward_mu_;
  httplib::Client forward_;
  std::mutex mu_;
  std::map<std::string, int> set_scores_;
  std::map<std::string, Failure> failures_;
  std::map<std::string, int> calls_;
  std::map<std::string, std::vector<httplib::Params>> requests_;
  LocalHttpServer server_;  // last: destroyed (and stopped) first
};

}  // namespace spotbatch::testing

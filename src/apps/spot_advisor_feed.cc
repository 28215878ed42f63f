#include "apps/spot_advisor_feed.h"

#include <memory>

#include "adapters/local/market_data.h"
#include "common/control_bytes.h"

namespace spotbatch {
namespace {

Result<std::string> Get(std::string_view url, HttpClientOptions http) {
  const size_t scheme = url.find("://");
  const size_t path = url.find('/', scheme + 3);
  const std::string endpoint(url.substr(0, path));
  http.max_response_bytes = std::min(http.max_response_bytes, kMaxSpotAdvisorFeedBytes);
  SB_ASSIGN_OR_RETURN(std::unique_ptr<HttpClient> client, HttpClient::New(endpoint, http));
  HttpRequest request;
  request.method = "GET";
  request.path = path == std::string_view::npos ? "/" : std::string(url.substr(path));
  Result<HttpResponse> response = client->Send(request);
  if (!response.ok()) {
    return Status(response.status().code(), "the Spot Instance Advisor feed at " +
                                                Quotable(url, 200) + ": " +
                                                response.status().message());
  }
  if (response->status != 200) {
    return Unavailable("the Spot Instance Advisor feed at " + Quotable(url, 200) +
                       " answered HTTP " + std::to_string(response->status));
  }
  return std::move(response->body);
}

}  // namespace

Result<std::map<std::string, int>> ReadSpotAdvisorBands(std::string_view source,
                                                        std::string_view region,
                                                        HttpClientOptions http) {
  SpotAdvisor feed;
  if (source.starts_with("http://") || source.starts_with("https://")) {
    SB_ASSIGN_OR_RETURN(const std::string body, Get(source, http));
    SB_ASSIGN_OR_RETURN(feed, ParseSpotAdvisor(body, std::string(source)));
  } else if (!source.empty() && source.find("://") == std::string_view::npos) {
    SB_ASSIGN_OR_RETURN(feed, LoadSpotAdvisor(std::string(source)));
  } else {
    return InvalidArgument(
        "the Spot Instance Advisor feed is read from an http(s) URL or a "
        "file, not \"" +
        Quotable(source, 200) + "\"");
  }
  std::map<std::string, int> bands;
  for (const AdvisorEntry& e : feed.entries) {
    if (e.region == region && e.os == "Linux") bands[e.instance_type] = e.band;
  }
  if (bands.empty()) {
    return NotFound("the Spot Instance Advisor feed " + Quotable(source, 200) +
                    " lists no Linux instance type in " + Quotable(region, 64));
  }
  return bands;
}

}  // namespace spotbatch

// The HTTP face of `spotbatch up`: a JSON API, a dashboard at /, Prometheus metrics at
// /metrics. Calls that change anything need "Authorization: Bearer <token>".
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "apps/config.h"
#include "spotbatch/status.h"

namespace spotbatch {

class HttpApi {
 public:
  // Opens its own connections to the config's stores and listens on config.server_listen
  // (port 0: any free port). The token is read from config.token_file, which is created
  // with a random token (mode 0600) when missing.
  static Result<std::unique_ptr<HttpApi>> Start(const Config& config);
  ~HttpApi();  // stops listening and joins the server thread
  int port() const;
  // What GET /api/fleet serves from now on (WorkerFleet::FleetStatus); thread-safe.
  void PublishFleet(nlohmann::json status);
  const std::string& token_file() const;

  class Impl;

 private:
  explicit HttpApi(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace spotbatch

#include "apps/http_api.h"

#include <fcntl.h>
#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "agent/ingest.h"
#include "agent/job_actions.h"
#include "apps/job_json.h"
#include "apps/wiring.h"
#include "common/ids.h"
#include "core/object_key.h"
#include "core/task_machine.h"

namespace spotbatch {
namespace {

constexpr const char* kDashboard = R"html(<!doctype html>
<html><head><meta charset="utf-8"><title>spotbatch</title>
<style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse}
td,th{padding:2px 10px;border-bottom:1px solid #ddd;text-align:left}
.SUCCEEDED{color:#080}.FAILED{color:#b00}.RUNNING{color:#06c}</style></head>
<body><h1>spotbatch</h1><p id="counts"></p><table><thead><tr><th>job</th><th>state</th>
<th>attempts</th><th>interruptions</th><th>input</th><th>error</th></tr></thead>
<tbody id="jobs"></tbody></table>
<script>
function esc(s){return String(s).replace(/[&<>"]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]))}
async function refresh(){
  const r=await fetch('/api/jobs');const d=await r.json();const counts={};
  let rows='';for(const j of d.jobs){counts[j.state]=(counts[j.state]||0)+1;
    rows+=`<tr><td>${esc(j.id)}</td><td class="${esc(j.state)}">${esc(j.state)}</td><td>${j.attempts}</td>`+
          `<td>${j.interruptions}</td><td>${esc(j.input)}</td><td>${esc(j.error)}</td></tr>`;}
  document.getElementById('jobs').innerHTML=rows;
  document.getElementById('counts').textContent=Object.entries(counts).map(([k,v])=>k+': '+v).join(', ')||'no jobs';
}
refresh();setInterval(refresh,2000);
</script></body></html>)html";

Result<std::string> LoadOrCreateToken(const std::string& path) {
  std::ifstream in(path);
  if (in) {
    std::string token;
    std::getline(in, token);
    if (token.empty()) return InvalidArgument("token file " + path + " is empty");
    return token;
  }
  const std::string token = RandomHex(24);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Internal("cannot create token file " + path);
  const std::string line = token + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!ok) return Internal("cannot write token file " + path);
  return token;
}

int HttpStatus(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAborted:
      return 409;
    case StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

void SendError(httplib::Response& res, const Status& s) {
  res.status = HttpStatus(s);
  res.set_content(DumpJson({{"error", s.message()}, {"code", StatusCodeName(s.code())}}),
                  "application/json");
}

void SendJson(httplib::Response& res, const nlohmann::json& body) {
  res.set_content(DumpJson(body), "application/json");
}

}  // namespace

class HttpApi::Impl {
 public:
  Impl(const Config& config, Services services, std::string token)
      : config_(config),
        services_(std::move(services)),
        ingest_(IngestFor(config_, services_)),
        token_(std::move(token)) {
    Routes();
  }

  Status Listen() {
    const size_t colon = config_.server_listen.rfind(':');
    const std::string host = config_.server_listen.substr(0, colon);
    const int want = std::stoi(config_.server_listen.substr(colon + 1));
    port_ =
        want == 0 ? server_.bind_to_any_port(host) : (server_.bind_to_port(host, want) ? want : -1);
    if (port_ <= 0) return Unavailable("cannot listen on " + config_.server_listen);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    return Status::Ok();
  }

  ~Impl() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  int port() const { return port_; }
  void PublishFleet(nlohmann::json status) {
    std::lock_guard<std::mutex> lock(fleet_mu_);
    fleet_ = std::move(status);
  }
  const std::string& token_file() const { return config_.token_file; }

 private:
  bool Authorized(const httplib::Request& req, httplib::Response& res) const {
    if (req.get_header_value("Authorization") == "Bearer " + token_) return true;
    res.status = 401;
    res.set_header("WWW-Authenticate", "Bearer");
    SendJson(res, {{"error", "this call changes state: send Authorization: Bearer <token from " +
                                 config_.token_file + ">"}});
    return false;
  }

  void Routes() {
    // The stores serve one call at a time: the server's threads take turns here.
    auto locked = [this](auto handler) {
      return [this, handler](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard<std::mutex> lock(mu_);
        handler(req, res);
      };
    };
    server_.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok\n", "text/plain");
    });
    server_.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(kDashboard, "text/html; charset=utf-8");
    });
    server_.Get("/api/fleet", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(fleet_mu_);
      SendJson(res, fleet_);
    });
    server_.Get("/api/jobs", locked([this](const httplib::Request&, httplib::Response& res) {
                  auto jobs = services_.state->ListJobs();
                  if (!jobs.ok()) return SendError(res, jobs.status());
                  nlohmann::json out = nlohmann::json::array();
                  for (const JobView& v : *jobs) out.push_back(JobJson(v));
                  SendJson(res, {{"jobs", out}});
                }));
    server_.Get(R"(/api/jobs/([0-9a-f]+))",
                locked([this](const httplib::Request& req, httplib::Response& res) {
                  auto job = services_.state->GetJob(req.matches[1].str());
                  if (!job.ok()) return SendError(res, job.status());
                  nlohmann::json out = JobJson(*job);
                  nlohmann::json attempts = nlohmann::json::array();
                  for (const TaskRecord& t : job->tasks) {
                    auto list = services_.state->ListAttempts(t.id);
                    if (!list.ok()) return SendError(res, list.status());
                    for (const AttemptRecord& a : *list) attempts.push_back(AttemptJson(a));
                  }
                  out["attempt_log"] = attempts;
                  SendJson(res, out);
                }));
    server_.Post(R"(/api/jobs/([0-9a-f]+)/(cancel|retry))",
                 locked([this](const httplib::Request& req, httplib::Response& res) {
                   if (!Authorized(req, res)) return;
                   const std::string id = req.matches[1].str();
                   Status s =
                       req.matches[2].str() == "cancel"
                           ? CancelJob(*services_.state, SystemClock(), config_.pipeline.retry, id)
                           : RetryJob(ingest_, *services_.state, SystemClock(),
                                      config_.pipeline.retry, id);
                   if (!s.ok()) return SendError(res, s);
                   SendJson(res, {{"id", id}, {"ok", true}});
                 }));
    server_.Put(R"(/api/objects/(.+))",
                locked([this](const httplib::Request& req, httplib::Response& res) {
                  if (!Authorized(req, res)) return;
                  const std::string key = req.matches[1].str();
                  Status valid = ValidateObjectKey(key);
                  if (!valid.ok()) return SendError(res, valid);
                  auto info = services_.store->Put(key, req.body);
                  if (!info.ok()) return SendError(res, info.status());
                  nlohmann::json out = {{"key", key}, {"etag", info->etag}, {"size", info->size}};
                  if (key.rfind(config_.pipeline.input_prefix, 0) == 0) {
                    bool created = false;
                    auto job = ingest_.IngestObject(*info, &created);
                    if (!job.ok()) return SendError(res, job.status());
                    out["job"] = *job;
                  }
                  res.status = 201;
                  SendJson(res, out);
                }));
    server_.Get(R"(/api/objects/(.+))",
                locked([this](const httplib::Request& req, httplib::Response& res) {
                  const std::string key = req.matches[1].str();
                  Status valid = ValidateInternalKey(key);
                  if (!valid.ok()) return SendError(res, valid);
                  auto data = services_.store->Get(key);
                  if (!data.ok()) return SendError(res, data.status());
                  res.set_content(std::move(*data), "application/octet-stream");
                }));
    server_.Get("/metrics", locked([this](const httplib::Request&, httplib::Response& res) {
                  auto jobs = services_.state->ListJobs();
                  auto depth = services_.queue->Depth(config_.pipeline.queue);
                  auto dead = services_.queue->Depth(config_.pipeline.queue + "-dlq");
                  if (!jobs.ok()) return SendError(res, jobs.status());
                  if (!depth.ok()) return SendError(res, depth.status());
                  if (!dead.ok()) return SendError(res, dead.status());
                  std::map<std::string, int64_t> by_state;
                  for (const char* s : {"QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"})
                    by_state[s] = 0;
                  int64_t attempts = 0, interruptions = 0, lost = 0;
                  for (const JobView& v : *jobs) {
                    ++by_state[JobStateName(DeriveJobState(v.tasks))];
                    for (const TaskRecord& t : v.tasks) {
                      attempts += t.attempts;
                      interruptions += t.interruptions;
                      lost += t.lost;
                    }
                  }
                  std::ostringstream m;
                  m << "# HELP spotbatch_jobs Jobs by state.\n# TYPE spotbatch_jobs gauge\n";
                  for (const auto& [state, n] : by_state)
                    m << "spotbatch_jobs{state=\"" << state << "\"} " << n << "\n";
                  m << "# HELP spotbatch_queue_messages Messages in the task queue.\n# TYPE "
                       "spotbatch_queue_messages gauge\n"
                    << "spotbatch_queue_messages{kind=\"visible\"} " << depth->visible << "\n"
                    << "spotbatch_queue_messages{kind=\"in_flight\"} " << depth->in_flight << "\n"
                    << "spotbatch_queue_messages{kind=\"delayed\"} " << depth->delayed << "\n"
                    << "# HELP spotbatch_dead_letters Messages of tasks that failed for good.\n# "
                       "TYPE spotbatch_dead_letters gauge\n"
                    << "spotbatch_dead_letters " << dead->visible + dead->in_flight + dead->delayed
                    << "\n"
                    << "# HELP spotbatch_attempts Attempts started, over all tasks.\n# TYPE "
                       "spotbatch_attempts counter\n"
                    << "spotbatch_attempts_total " << attempts << "\n"
                    << "# TYPE spotbatch_interruptions counter\nspotbatch_interruptions_total "
                    << interruptions << "\n"
                    << "# TYPE spotbatch_lost_attempts counter\nspotbatch_lost_attempts_total "
                    << lost << "\n";
                  res.set_content(m.str(), "text/plain; version=0.0.4");
                }));
  }

  const Config& config_;
  Services services_;
  Ingest ingest_;
  std::string token_;
  httplib::Server server_;
  std::mutex mu_;
  std::mutex fleet_mu_;  // apart from mu_: publishing never waits for a slow store read
  nlohmann::json fleet_ = {{"pools", nlohmann::json::array()}};
  std::thread thread_;
  int port_ = -1;
};

Result<std::unique_ptr<HttpApi>> HttpApi::Start(const Config& config) {
  SB_ASSIGN_OR_RETURN(std::string token, LoadOrCreateToken(config.token_file));
  SB_ASSIGN_OR_RETURN(Services services, OpenServices(config));
  auto impl = std::make_unique<Impl>(config, std::move(services), std::move(token));
  SB_RETURN_IF_ERROR(impl->Listen());
  return std::unique_ptr<HttpApi>(new HttpApi(std::move(impl)));
}

HttpApi::HttpApi(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpApi::~HttpApi() = default;
int HttpApi::port() const { return impl_->port(); }
const std::string& HttpApi::token_file() const { return impl_->token_file(); }
void HttpApi::PublishFleet(nlohmann::json status) { impl_->PublishFleet(std::move(status)); }

}  // namespace spotbatch

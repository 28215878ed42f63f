#include "adapters/aws/http_client.h"

#include <curl/curl.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "adapters/aws/uri_encode.h"
#include "common/control_bytes.h"

namespace spotbatch {
namespace {

// What an exchange gathers as curl calls back.
struct Exchange {
  HttpResponse response;
  size_t max_body = 0;
  bool too_large = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* x = static_cast<Exchange*>(user);
  const size_t n = size * count;
  if (x->response.body.size() + n > x->max_body) {
    x->too_large = true;
    return 0;  // curl stops with CURLE_WRITE_ERROR
  }
  x->response.body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* x = static_cast<Exchange*>(user);
  const size_t n = size * count;
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    x->response.headers.clear();  // a new status line (after 100 Continue): its own headers
    return n;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;  // the blank line that ends them
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ')) {
      s.remove_suffix(1);
    }
    return s;
  };
  x->response.headers.emplace(std::string(line.substr(0, colon)),
                              std::string(trim(line.substr(colon + 1))));
  return n;
}

Status CurlStatus(CURLcode code, const Exchange& x, const char* detail) {
  const std::string what = std::string(curl_easy_strerror(code)) + (*detail ? ": " : "") + detail;
  if (x.too_large) {
    return ResourceExhausted("HTTP response longer than " + std::to_string(x.max_body) + " bytes");
  }
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return {StatusCode::kDeadlineExceeded, "HTTP: " + what};
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
      return Unavailable("HTTP: " + what);
    default:
      return Internal("HTTP: " + what);
  }
}

class CurlHttpClient final : public HttpClient {
 public:
  CurlHttpClient(std::string endpoint, HttpClientOptions options)
      : endpoint_(std::move(endpoint)), options_(options) {}
  ~CurlHttpClient() override {
    for (CURL* h : idle_) curl_easy_cleanup(h);
  }

  Result<HttpResponse> Send(const HttpRequest& request) override {
    if (request.method.empty() || HasControlByte(request.method)) {
      return InvalidArgument("HTTP method is empty or has a control character");
    }
    if (!request.path.starts_with('/') || HasControlByte(request.path)) {
      return InvalidArgument("HTTP path must start with '/' and have no control character");
    }
    curl_slist* headers = nullptr;
    // No "Expect: 100-continue" round trip before a body, no compressed answer (its size
    // would not be the body's), and no header curl adds that the signature did not cover.
    for (const char* h : {"Expect:", "Accept:", "Accept-Encoding:"}) {
      headers = curl_slist_append(headers, h);
    }
    // Nor curl's form content type for a body sent without one of its own.
    if (request.headers.find("Content-Type") == request.headers.end()) {
      headers = curl_slist_append(headers, "Content-Type:");
    }
    for (const auto& [name, value] : request.headers) {
      if (name.empty() || HasControlByte(name) || name.find(':') != std::string::npos ||
          HasControlByte(value)) {
        curl_slist_free_all(headers);
        return InvalidArgument("HTTP header \"" + name.substr(0, 64) +
                               "\" has a control character or a bad name");
      }
      // "Name;" sends a header with an empty value ("Name:" would remove it).
      headers =
          curl_slist_append(headers, (value.empty() ? name + ";" : name + ": " + value).c_str());
    }
    CURL* h = Take();
    Exchange x;
    x.max_body = options_.max_response_bytes;
    std::string url = endpoint_ + request.path;
    if (!request.query.empty()) url += "?" + UriEncodeQuery(request.query);
    char error[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM (threads)
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout_millis));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_millis));
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
    const bool sends_body =
        !request.body.empty() || request.method == "PUT" || request.method == "POST";
    if (sends_body) {  // with its Content-Length, even 0; curl then sends a POST
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
    if (request.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (request.method != (sends_body ? "POST" : "GET")) {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    const CURLcode code = curl_easy_perform(h);
    long status = 0, connects = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
    connections_ += connects;
    curl_slist_free_all(headers);
    Give(h);
    if (code != CURLE_OK) return CurlStatus(code, x, error);
    x.response.status = static_cast<int>(status);
    return std::move(x.response);
  }

  int64_t connections_opened() const override { return connections_.load(); }

 private:
  // An idle handle (reset: its options go, its open connections stay), or a new one.
  CURL* Take() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        CURL* h = idle_.back();
        idle_.pop_back();
        curl_easy_reset(h);
        return h;
      }
    }
    return curl_easy_init();
  }
  void Give(CURL* h) {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < options_.max_idle_handles) {
      idle_.push_back(h);
    } else {
      curl_easy_cleanup(h);
    }
  }

  const std::string endpoint_;
  const HttpClientOptions options_;
  std::mutex mu_;
  std::vector<CURL*> idle_;
  std::atomic<int64_t> connections_{0};
};

}  // namespace

Result<std::unique_ptr<HttpClient>> HttpClient::New(std::string endpoint,
                                                    HttpClientOptions options) {
  const bool scheme = endpoint.starts_with("http://") || endpoint.starts_with("https://");
  const size_t host_at = endpoint.find("://") + 3;
  if (!scheme || endpoint.size() <= host_at ||
      endpoint.find_first_of("/?#@ ", host_at) != std::string::npos || HasControlByte(endpoint)) {
    return InvalidArgument("HTTP endpoint must be http[s]://host[:port], not \"" +
                           endpoint.substr(0, 200) + "\"");
  }
  if (options.connect_timeout_millis <= 0 || options.timeout_millis <= 0 ||
      options.max_response_bytes == 0) {
    return InvalidArgument("HTTP timeouts and the response bound must be positive");
  }
  // Once per process, before any thread makes a handle (curl_global_init is not thread-safe).
  static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (init != CURLE_OK) return Internal("curl_global_init failed");
  return std::unique_ptr<HttpClient>(new CurlHttpClient(std::move(endpoint), options));
}

}  // namespace spotbatch

// The HTTP layer against a real HTTP server on loopback (cpp-httplib, an implementation of
// its own): what goes on the wire, keep-alive, timeouts, bounds and broken connections.
#include "adapters/aws/http_client.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "adapters/aws/http_retry.h"
#include "aws/local_http_server.h"

namespace spotbatch {
namespace {

using HttpServer = testing::LocalHttpServer;

std::unique_ptr<HttpClient> Client(const std::string& endpoint, HttpClientOptions options = {}) {
  auto c = HttpClient::New(endpoint, options);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return std::move(*c);
}

HttpRequest Request(std::string method, std::string path) {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.headers.emplace("Host", "127.0.0.1");
  return r;
}

TEST(HttpClient, SendsTheRequestAsBuiltAndReadsTheAnswer) {
  HttpServer s;
  std::string seen_path, seen_body, seen_query, seen_header, seen_content_type, seen_expect;
  s.server().Put("/bucket/.*", [&](const httplib::Request& req, httplib::Response& res) {
    seen_path = req.path;  // httplib decodes it
    seen_body = req.body;
    seen_query = req.get_param_value("partNumber") + "," + req.get_param_value("uploadId");
    seen_header = req.get_header_value("x-amz-date");
    seen_content_type = req.get_header_value("Content-Type");
    seen_expect = req.get_header_value("Expect");
    res.set_header("ETag", "\"abc\"");
    res.set_content("done", "text/plain");
  });
  auto client = Client(s.endpoint());
  HttpRequest r = Request("PUT", "/bucket/a%20b");
  r.query = {{"partNumber", "3"}, {"uploadId", "u/1+2"}};
  r.headers.emplace("X-Amz-Date", "20261201T102030Z");
  r.body = std::string(100'000, 'x');  // large enough for curl to ask "Expect: 100-continue"
  auto response = client->Send(r);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "done");
  EXPECT_EQ(response->Header("etag"), "\"abc\"") << "header names in any case";
  EXPECT_EQ(seen_path, "/bucket/a b");
  EXPECT_EQ(seen_body.size(), 100'000u);
  EXPECT_EQ(seen_query, "3,u/1+2") << "the query decodes back to what was sent";
  EXPECT_EQ(seen_header, "20261201T102030Z");
  EXPECT_EQ(seen_content_type, "") << "no form content type of curl's own";
  EXPECT_EQ(seen_expect, "");
}

TEST(HttpClient, MethodsAndStatusesPassThrough) {
  HttpServer s;
  s.server().Delete("/gone", [](const httplib::Request& req, httplib::Response& res) {
    res.status = req.body.empty() ? 204 : 400;
  });
  s.server().Get("/missing", [](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_content("<Error><Code>NoSuchKey</Code></Error>", "application/xml");
  });
  s.server().Get("/object", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("0123456789", "application/octet-stream");
  });
  auto client = Client(s.endpoint());
  EXPECT_EQ(client->Send(Request("DELETE", "/gone"))->status, 204);
  auto missing = client->Send(Request("GET", "/missing"));
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
  EXPECT_NE(missing->body.find("NoSuchKey"), std::string::npos);
  auto head = client->Send(Request("HEAD", "/object"));
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->body, "");
  EXPECT_EQ(head->Header("Content-Length"), "10");
}

TEST(HttpClient, ConnectionsAreKeptAliveAcrossRequestsAndThreads) {
  HttpServer s;
  std::mutex mu;
  std::set<int> client_ports;
  s.server().Get("/ping", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    client_ports.insert(req.remote_port);
    res.set_content("pong", "text/plain");
  });
  auto client = Client(s.endpoint());
  for (int i = 0; i < 50; ++i) ASSERT_EQ(client->Send(Request("GET", "/ping"))->status, 200);
  EXPECT_EQ(client->connections_opened(), 1);
  EXPECT_EQ(client_ports.size(), 1u);
  // Four threads at once: at most one connection each, reused.
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) ok += client->Send(Request("GET", "/ping"))->status == 200;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 100);
  EXPECT_LE(client->connections_opened(), 4);
}

TEST(HttpClient, ASlowServerCostsTheTimeoutOnly) {
  HttpServer s;
  std::atomic<bool> release{false};
  s.server().Get("/slow", [&](const httplib::Request&, httplib::Response& res) {
    for (int i = 0; i < 300 && !release.load(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    res.set_content("late", "text/plain");
  });
  auto client = Client(s.endpoint(), {.timeout_millis = 200});
  const auto start = std::chrono::steady_clock::now();
  auto r = client->Send(Request("GET", "/slow"));
  const auto took = std::chrono::steady_clock::now() - start;
  release = true;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  EXPECT_TRUE(r.status().retryable());
  EXPECT_LT(took, std::chrono::milliseconds(1500));
}

TEST(HttpClient, ALongerAnswerThanTheBoundIsRefused) {
  HttpServer s;
  s.server().Get("/big", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(2 << 20, 'b'), "application/octet-stream");
  });
  auto client = Client(s.endpoint(), {.max_response_bytes = 1 << 20});
  auto r = client->Send(Request("GET", "/big"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted) << r.status().ToString();
  // The next exchange on the same client works.
  s.server().Get("/small", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("s", "text/plain");
  });
  EXPECT_EQ(client->Send(Request("GET", "/small"))->body, "s");
}

TEST(HttpClient, NoServerIsUnavailable) {
  int port = 0;
  {
    HttpServer gone;  // a port that was just free and is closed again
    port = std::stoi(gone.endpoint().substr(gone.endpoint().rfind(':') + 1));
  }
  auto client = Client("http://127.0.0.1:" + std::to_string(port));
  auto r = client->Send(Request("GET", "/"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
}

TEST(HttpClient, HeaderInjectionAndBadEndpointsAreRefused) {
  HttpServer s;
  auto client = Client(s.endpoint());
  HttpRequest r = Request("GET", "/");
  r.headers.emplace("X-Amz-Meta-Note", "a\r\nX-Injected: 1");
  EXPECT_EQ(client->Send(r).status().code(), StatusCode::kInvalidArgument);
  HttpRequest name = Request("GET", "/");
  name.headers.emplace("Bad:Name", "v");
  EXPECT_EQ(client->Send(name).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(client->Send(Request("GET", "no-slash")).status().code(), StatusCode::kInvalidArgument);
  for (const char* e : {"ftp://127.0.0.1", "http://", "http://h/path", "127.0.0.1:80",
                        "http://user@h", "file:///etc/passwd"}) {
    EXPECT_FALSE(HttpClient::New(e).ok()) << e;
  }
}

TEST(HttpRetry, ThrottlingIsRetriedSignedAnewUntilItPasses) {
  HttpServer s;
  std::atomic<int> calls{0};
  std::vector<std::string> dates;
  std::mutex mu;
  s.server().Post("/", [&](const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard<std::mutex> lock(mu);
      dates.push_back(req.get_header_value("X-Attempt"));
    }
    if (++calls <= 2) {
      res.status = 503;
      res.set_header("Retry-After", "0");
      return;
    }
    res.set_content("{}", "application/x-amz-json-1.0");
  });
  auto client = Client(s.endpoint());
  int signed_times = 0;
  auto sign = [&](HttpRequest& r) {
    r.headers.erase("X-Attempt");
    r.headers.emplace("X-Attempt", std::to_string(++signed_times));
    return Status::Ok();
  };
  auto classify = [](const HttpResponse& r) { return StatusOfHttp(r.status, "SQS"); };
  auto r = SendWithRetries(*client, Request("POST", "/"), sign, classify,
                           {.max_attempts = 5, .base_delay_millis = 1, .max_delay_millis = 5},
                           SystemClock(), [] { return 0.5; });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "{}");
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(dates, (std::vector<std::string>{"1", "2", "3"})) << "each attempt signed anew";
}

}  // namespace
}  // namespace spotbatch

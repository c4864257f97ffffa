#include "http/server.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>

#include "core/log.h"
#include "http/http_client.h"

using namespace kiosk;
using test::HttpClient;
using test::TestKiosk;

namespace {

void checkSecurityHeaders(const test::HttpResponse& r) {
  CHECK(r.header("content-security-policy").find("default-src 'self'") != std::string::npos);
  CHECK(r.header("content-security-policy").find("frame-ancestors 'none'") != std::string::npos);
  CHECK(r.header("content-security-policy").find("unsafe-inline") == std::string::npos);
  CHECK(r.header("x-content-type-options") == "nosniff");
  CHECK(r.header("referrer-policy") == "no-referrer");
  CHECK(r.header("cache-control") == "no-store");
  CHECK(r.headers.count("access-control-allow-origin") == 0);
}

}  // namespace

TEST_CASE("every response carries the security headers and no CORS grant", "[http]") {
  TestKiosk kiosk;
  HttpClient c = kiosk.client();
  for (const char* path : {"/", "/healthz", "/api/session", "/api/nothing-here", "/metrics"}) {
    INFO(path);
    checkSecurityHeaders(c.get(path));
  }
  auto login = c.loginProfessional("RSSMRA80A01H501U", "12345678");
  checkSecurityHeaders(login);
  checkSecurityHeaders(c.get("/api/contacts"));
}

TEST_CASE("an unknown route is a JSON 404 and a wrong method a 405", "[http]") {
  TestKiosk kiosk;
  HttpClient c = kiosk.client();
  auto missing = c.get("/api/nothing-here");
  CHECK(missing.status == 404);
  CHECK(missing.errorCode() == "not_found");
  CHECK(missing.header("content-type").starts_with("application/json"));
  auto wrong = c.request("PATCH", "/api/session");
  CHECK(wrong.status == 405);
  CHECK(wrong.header("allow").find("POST") != std::string::npos);
  // No files are served from disk: no document root, no listing.
  CHECK(c.get("/etc/passwd").status == 404);
  CHECK(c.get("/../CMakeLists.txt").status == 404);
}

TEST_CASE("a body over the cap answers 413 and is not read", "[http]") {
  TestKiosk kiosk({.configure = [](config::Config& c) { c.max_json_bytes = 2048; }});
  HttpClient c = kiosk.client();
  auto r =
      c.request("POST", "/api/session", std::string(4096, 'x'), {"Content-Type: application/json"});
  CHECK(r.status == 413);
  CHECK(r.errorCode() == "payload_too_large");
  // A chunked body has no length up front: it is counted as it arrives.
  auto chunked = c.request("POST", "/api/session", std::string(4096, 'x'),
                           {"Content-Type: application/json", "Transfer-Encoding: chunked"});
  CHECK(chunked.status == 413);
}

TEST_CASE("an urlencoded body, even one holding a NUL byte, gets a 415 at once", "[http]") {
  // CivetWeb's form parser spins forever on such a body (upstream #1348): the
  // kiosk never hands it a non-multipart form.
  TestKiosk kiosk;
  HttpClient c = kiosk.client();
  REQUIRE(c.loginStaff("sportello", "sportello-demo").status == 200);
  const std::string nul_body("a=1\0b=2", 7);
  for (const char* path : {"/api/session", "/api/staff/professionals/RSSMRA80A01H501U/unlock"}) {
    INFO(path);
    auto r = c.request(
        "POST", path, nul_body,
        {"Content-Type: application/x-www-form-urlencoded", "X-CSRF-Token: " + c.csrf_token});
    CHECK(r.status != 0);
    CHECK(r.status != 500);
  }
  auto login = c.request("POST", "/api/session", nul_body,
                         {"Content-Type: application/x-www-form-urlencoded"});
  CHECK(login.status == 415);
  CHECK(login.errorCode() == "unsupported_media_type");
}

TEST_CASE("healthz answers ok while the database answers", "[http]") {
  TestKiosk kiosk;
  auto r = kiosk.client().get("/healthz");
  REQUIRE(r.status == 200);
  CHECK(r.json()["status"] == "ok");
}

TEST_CASE("metrics count requests by route and status, logins and locks", "[http]") {
  TestKiosk kiosk;
  HttpClient c = kiosk.client();
  (void)c.get("/api/contacts");
  (void)c.loginProfessional("RSSMRA80A01H501U", "00000000");
  (void)c.loginProfessional("RSSMRA80A01H501U", "12345678");
  auto m = c.get("/metrics");
  REQUIRE(m.status == 200);
  CHECK(m.header("content-type").starts_with("text/plain"));
  CHECK(m.body.find("kiosk_http_requests_total{method=\"GET\",route=\"/api/contacts\","
                    "status=\"401\"} 1") != std::string::npos);
  CHECK(m.body.find("kiosk_logins_total{result=\"ok\",role=\"professional\"} 1") !=
        std::string::npos);
  CHECK(m.body.find("kiosk_logins_total{result=\"failed\",role=\"any\"} 1") != std::string::npos);
  CHECK(m.body.find("kiosk_http_request_duration_seconds_count") != std::string::npos);
  CHECK(m.body.find("kiosk_accounts_locked 0") != std::string::npos);
  // The path of a route with a codice fiscale never shows, only its pattern.
  CHECK(m.body.find("RSSMRA80A01H501U") == std::string::npos);
}

TEST_CASE("an exception in a handler becomes a JSON 500", "[http]") {
  log::setQuiet(true);
  http::Router router;
  router.add("GET", "/boom",
             [](http::Request&) -> http::Response { throw std::runtime_error("boom"); });
  http::Metrics metrics;
  http::Server server({.listen = "127.0.0.1:0", .threads = 2}, router, metrics);
  REQUIRE(server.start());
  HttpClient c(server.port());
  auto r = c.get("/boom");
  CHECK(r.status == 500);
  CHECK(r.errorCode() == "internal");
  CHECK(r.body.find("boom") == std::string::npos);  // the detail stays in the log
  checkSecurityHeaders(r);
  CHECK(c.get("/boom").status == 500);  // the server lives on
}

TEST_CASE("stopping the server lets a request in flight finish", "[http]") {
  log::setQuiet(true);
  http::Router router;
  std::promise<void> started;
  router.add("GET", "/slow", [&](http::Request&) {
    started.set_value();  // the request is in flight now
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    return http::Response::json(200, {{"done", true}});
  });
  http::Metrics metrics;
  http::Server server({.listen = "127.0.0.1:0", .threads = 2}, router, metrics);
  REQUIRE(server.start());
  HttpClient c(server.port());
  auto pending = std::async(std::launch::async, [&] { return c.get("/slow"); });
  REQUIRE(started.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  server.stop();
  auto r = pending.get();
  CHECK(r.status == 200);
  CHECK(r.json()["done"] == true);
}

TEST_CASE("assets: cached for a year only under the current bundle hash, the page never",
          "[http]") {
  TestKiosk kiosk;
  HttpClient c = kiosk.client();
  auto page = c.get("/");
  REQUIRE(page.status == 200);
  CHECK(page.header("cache-control") == "no-store");  // a new bundle is seen at the next load
  const auto at = page.body.find("/assets/");
  REQUIRE(at != std::string::npos);
  const auto hash = page.body.substr(at + 8, page.body.find('/', at + 8) - (at + 8));
  REQUIRE(hash.size() >= 8);
  auto current = c.get("/assets/" + hash + "/app/js/app.js");
  REQUIRE(current.status == 200);
  CHECK(current.header("cache-control") == "public, max-age=31536000, immutable");
  CHECK(current.header("content-type").find("javascript") != std::string::npos);
  // An old page asking with another hash gets today's file, not cached: else
  // the browser would keep today's bytes under yesterday's name for a year.
  auto stale = c.get("/assets/0123456789abcdef/app/js/app.js");
  REQUIRE(stale.status == 200);
  CHECK(stale.header("cache-control") == "no-store");
  CHECK(c.get("/assets/" + hash + "/app/js/nope.js").status == 404);
  CHECK(c.get("/assets/" + hash + "/../../etc/passwd").status == 404);
}

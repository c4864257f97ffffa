// A small HTTP client for the tests, and TestKiosk: a real kiosk on a
// loopback port with a fresh database and the demo accounts. The client
// speaks HTTP through libcurl to the port, or (TestKiosk::direct) hands each
// request to the kiosk's router without a socket: the handler tests use the
// latter, the server's own tests the former.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/kiosk_app.h"
#include "core/clock.h"
#include "http/router.h"
#include "support/temp_dir.h"
#include "support/test_database.h"

namespace kiosk::test {

struct HttpResponse {
  long status = 0;
  std::string body;
  std::multimap<std::string, std::string> headers;  // names lower-cased

  std::string header(const std::string& lower_name) const;
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
  std::string errorCode() const;
};

// Keeps the session cookie and the CSRF token like the web UI does.
class HttpClient {
 public:
  explicit HttpClient(int port) : port_(port) {}
  // Without a socket: each request goes to `router` as the server would
  // pass it (from loopback, the kiosk's own screen).
  explicit HttpClient(const http::Router& router) : router_(&router) {}

  HttpResponse request(const std::string& method,
                       const std::string& path,
                       const std::string& body = "",
                       std::vector<std::string> headers = {});
  // The same with a curl_mime body (postForm).
  HttpResponse perform(const std::string& method,
                       const std::string& path,
                       const std::string* body,
                       void* mime,
                       std::vector<std::string> headers);
  HttpResponse get(const std::string& path) { return request("GET", path); }
  // JSON body, with the CSRF token when one is known.
  HttpResponse send(const std::string& method, const std::string& path, const nlohmann::json& body);

  struct File {
    std::string filename;
    std::string data;
    std::string field = "attachments";
  };
  // multipart/form-data, with the CSRF token when one is known.
  HttpResponse postForm(const std::string& path,
                        const std::vector<std::pair<std::string, std::string>>& fields,
                        const std::vector<File>& files = {});

  HttpResponse loginProfessional(const std::string& cf, const std::string& pin);
  HttpResponse loginStaff(const std::string& user, const std::string& password);

  // The same session over the loopback socket, for what the server itself
  // adds (security headers, body checks).
  HttpClient viaSocket(int port) const {
    HttpClient c(port);
    c.cookie = cookie;
    c.csrf_token = csrf_token;
    return c;
  }

  std::string cookie;      // "kiosk_session=…" or empty
  std::string csrf_token;  // from the last login

 private:
  HttpResponse direct(const std::string& method,
                      const std::string& path,
                      const std::string& body,
                      const std::vector<std::string>& headers,
                      const http::Form* form);
  void keepCookie(const HttpResponse& res);

  int port_ = 0;
  const http::Router* router_ = nullptr;
};

struct TestKioskOptions {
  std::function<void(config::Config&)> configure;  // tweak the config before start
  const Clock* clock = nullptr;                    // default: the system clock
  // Wraps the store before the kiosk gets it (a fault-injecting disk).
  std::function<std::unique_ptr<domain::Store>(std::unique_ptr<domain::Store>)> wrap_store;
};

class TestKiosk {
 public:
  explicit TestKiosk(TestKioskOptions options = {});
  ~TestKiosk();
  int port() const { return app_->port(); }
  HttpClient client() const { return HttpClient(port()); }
  HttpClient direct() const { return HttpClient(app_->router()); }
  app::KioskApp& app() { return *app_; }
  // Adds a professional with contacts (PEC may be empty) and a PIN.
  void addProfessional(const std::string& cf,
                       const std::string& name,
                       const std::string& pec,
                       const std::string& pin = "12345678");
  // One number from the database, read outside the kiosk ("SELECT count(*) FROM …").
  std::int64_t count(const std::string& sql) const;
  // Runs SQL on the database outside the kiosk; the engine's error, or empty.
  std::string exec(const std::string& sql) const;

 private:
  TempDir dir_;
  TestDatabase db_;  // SQLite, or PostgreSQL under tests/storage/pg_suite.sh
  SystemClock system_clock_;
  std::unique_ptr<app::KioskApp> app_;
};

}  // namespace kiosk::test

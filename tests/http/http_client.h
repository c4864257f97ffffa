// A small HTTP client for the tests (libcurl), and TestKiosk: a real kiosk on
// a loopback port with a fresh SQLite file and the demo accounts.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/kiosk_app.h"
#include "core/clock.h"
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

  std::string cookie;      // "kiosk_session=…" or empty
  std::string csrf_token;  // from the last login

 private:
  int port_;
};

struct TestKioskOptions {
  std::function<void(config::Config&)> configure;  // tweak the config before start
  const Clock* clock = nullptr;                    // default: the system clock
};

class TestKiosk {
 public:
  explicit TestKiosk(TestKioskOptions options = {});
  ~TestKiosk();
  int port() const { return app_->port(); }
  HttpClient client() const { return HttpClient(port()); }
  app::KioskApp& app() { return *app_; }
  // Adds a professional with contacts (PEC may be empty) and a PIN.
  void addProfessional(const std::string& cf,
                       const std::string& name,
                       const std::string& pec,
                       const std::string& pin = "12345678");
  // One number from the database, read outside the kiosk ("SELECT count(*) FROM …").
  std::int64_t count(const std::string& sql) const;

 private:
  TempDir dir_;
  TestDatabase db_;  // SQLite, or PostgreSQL under tests/storage/pg_suite.sh
  SystemClock system_clock_;
  std::unique_ptr<app::KioskApp> app_;
};

}  // namespace kiosk::test

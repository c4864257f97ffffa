#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "http/http_client.h"
#include "support/read_file.h"

using namespace kiosk;
using test::HttpClient;
using test::TestKiosk;

namespace {
const std::string kFiles = KIOSK_TEST_FILES_DIR;
}

TEST_CASE("scanning through the API gives a JPEG or a PDF to attach", "[http]") {
  test::TempDir sane;
  std::ofstream(sane.file("dll.conf")) << "test\n";
  ::setenv("SANE_CONFIG_DIR", sane.path().c_str(), 1);
  TestKiosk kiosk({.configure = [](config::Config& c) { c.scanner.device = "test"; }});
  HttpClient c = kiosk.direct();
  REQUIRE(c.loginProfessional("RSSMRA80A01H501U", "12345678").status == 200);
  CHECK(c.get("/api/devices").json()["scanner"]["status"] == "ready");
  auto one = c.send("POST", "/api/scan", {{"pages", 1}});
  REQUIRE(one.status == 200);
  CHECK(one.header("content-type") == "image/jpeg");
  CHECK(one.body.size() <= 1024 * 1024);
  auto three = c.send("POST", "/api/scan", {{"pages", 3}});
  REQUIRE(three.status == 200);
  CHECK(three.header("content-type") == "application/pdf");
  CHECK(three.header("x-scan-pages") == "3");
  CHECK(c.send("POST", "/api/scan", {{"pages", 11}}).errorCode() == "invalid_pages");
  // The scan is an attachment like any other.
  auto sent = c.postForm("/api/communications",
                         {{"topic", "anagrafica"}, {"subject", "Modulo"}, {"body", "Allego"}},
                         {{"scansione.pdf", three.body}});
  CHECK(sent.status == 201);
  HttpClient tech = kiosk.direct();
  REQUIRE(tech.loginStaff("tecnico", "tecnico-demo").status == 200);
  CHECK(tech.send("POST", "/api/scan", {{"pages", 1}}).status == 403);
}

namespace {
// Waits until the scan asks "Pagina successiva?" with `pages` scanned.
bool waitForQuestion(HttpClient& c, int pages) {
  for (int i = 0; i < 200; ++i) {
    auto p = c.get("/api/scan/progress").json();
    if (p["waiting"] == true && p["pages"] == pages) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}
}  // namespace

TEST_CASE("a flatbed scan asks for the next page between sheets", "[http]") {
  test::TempDir sane;
  std::ofstream(sane.file("dll.conf")) << "test\n";
  ::setenv("SANE_CONFIG_DIR", sane.path().c_str(), 1);
  TestKiosk kiosk({.configure = [](config::Config& c) { c.scanner.device = "test"; }});
  HttpClient c = kiosk.direct();
  REQUIRE(c.loginProfessional("RSSMRA80A01H501U", "12345678").status == 200);
  CHECK(c.send("POST", "/api/scan/next", nlohmann::json::object()).errorCode() ==
        "scan_not_waiting");

  // Two sheets, then "no more": a PDF of two pages.
  HttpClient scanning = c;
  auto doc = std::async(std::launch::async, [&] {
    return scanning.send("POST", "/api/scan", {{"pages", 10}, {"ask", true}});
  });
  REQUIRE(waitForQuestion(c, 1));
  CHECK(c.send("POST", "/api/scan/next", nlohmann::json::object()).status == 202);
  REQUIRE(waitForQuestion(c, 2));
  // Only one scan at a time, also while it waits for the person.
  CHECK(c.send("POST", "/api/scan", {{"pages", 1}}).errorCode() == "scanner_busy");
  CHECK(c.send("POST", "/api/scan/finish", nlohmann::json::object()).status == 202);
  auto two = doc.get();
  REQUIRE(two.status == 200);
  CHECK(two.header("content-type") == "application/pdf");
  CHECK(two.header("x-scan-pages") == "2");
  CHECK(c.get("/api/scan/progress").json()["scanning"] == false);

  // One sheet and done: a JPEG. Cancelling while it waits ends it too.
  auto single = std::async(std::launch::async, [&] {
    return scanning.send("POST", "/api/scan", {{"pages", 10}, {"ask", true}});
  });
  REQUIRE(waitForQuestion(c, 1));
  CHECK(c.send("POST", "/api/scan/finish", nlohmann::json::object()).status == 202);
  CHECK(single.get().header("content-type") == "image/jpeg");
  auto cancelled = std::async(std::launch::async, [&] {
    return scanning.send("POST", "/api/scan", {{"pages", 10}, {"ask", true}});
  });
  REQUIRE(waitForQuestion(c, 1));
  CHECK(c.send("POST", "/api/scan/cancel", nlohmann::json::object()).status == 202);
  CHECK(cancelled.get().errorCode() == "scan_cancelled");

  // Logging out while the scan waits ends it: the next person finds the
  // scanner free, not busy for the minutes the question would wait.
  auto left = std::async(std::launch::async, [&] {
    return scanning.send("POST", "/api/scan", {{"pages", 10}, {"ask", true}});
  });
  REQUIRE(waitForQuestion(c, 1));
  REQUIRE(c.send("DELETE", "/api/session", nlohmann::json::object()).status == 200);
  CHECK(left.get().errorCode() == "scan_cancelled");
  HttpClient next = kiosk.direct();
  REQUIRE(next.loginProfessional("RSSMRA80A01H501U", "12345678").status == 200);
  CHECK(next.get("/api/scan/progress").json()["scanning"] == false);
}

TEST_CASE("stopping the kiosk ends a scan that waits for the next sheet", "[http]") {
  test::TempDir sane;
  std::ofstream(sane.file("dll.conf")) << "test\n";
  ::setenv("SANE_CONFIG_DIR", sane.path().c_str(), 1);
  std::future<test::HttpResponse> waiting;
  {
    TestKiosk kiosk({.configure = [](config::Config& c) { c.scanner.device = "test"; }});
    HttpClient c = kiosk.direct();
    REQUIRE(c.loginProfessional("RSSMRA80A01H501U", "12345678").status == 200);
    HttpClient scanning = c;
    waiting = std::async(std::launch::async, [scanning]() mutable {
      return scanning.send("POST", "/api/scan", {{"pages", 10}, {"ask", true}});
    });
    REQUIRE(waitForQuestion(c, 1));
    kiosk.app().stop();  // what SIGTERM does; before the fix it waited for the answer (3 min)
    CHECK(waiting.get().errorCode() == "scan_cancelled");
  }
}

TEST_CASE("the USB routes serve allowed files only and list refused ones with the reason",
          "[http]") {
  test::TempDir stick;
  const std::string mount = stick.path().string();
  TestKiosk kiosk({.configure = [mount](config::Config& c) { c.usb_mount = mount; }});
  HttpClient c = kiosk.direct();
  REQUIRE(c.loginProfessional("RSSMRA80A01H501U", "12345678").status == 200);
  // The stick is put in after the login (one already there is someone else's).
  std::filesystem::copy_file(kFiles + "/documento.pdf", stick.file("modulo.pdf"));
  std::filesystem::copy_file(kFiles + "/script.sh", stick.file("script.sh"));
  std::filesystem::create_symlink("/etc/passwd", stick.path() / "passwd.txt");
  auto list = c.get("/api/usb/files");
  REQUIRE(list.status == 200);
  REQUIRE(list.json()["items"].size() == 2);
  CHECK(list.json()["items"][0]["name"] == "modulo.pdf");
  CHECK(list.json()["items"][0]["content_type"] == "application/pdf");
  CHECK(list.json()["items"][0]["refused"].is_null());
  CHECK(list.json()["items"][1]["name"] == "script.sh");
  CHECK(list.json()["items"][1]["refused"] == "type_not_allowed");
  CHECK(list.json()["items"][1]["reason"].get<std::string>().starts_with(
      "Tipo di documento non ammesso"));
  auto file = c.get("/api/usb/files/modulo.pdf");
  CHECK(file.status == 200);
  CHECK(file.body == test::readFile(kFiles + "/documento.pdf"));
  CHECK(c.get("/api/usb/files/passwd.txt").status == 404);
  CHECK(c.get("/api/usb/files/script.sh").status == 404);
  CHECK(c.get("/api/usb/files/../../etc/passwd").status == 404);
  CHECK(kiosk.direct().get("/api/usb/files").status == 401);
}

TEST_CASE("the kiosk's scanner, stick and printer answer its own screen only, never a branch PC",
          "[http]") {
  test::TempDir stick;
  const std::string mount = stick.path().string();
  TestKiosk kiosk({.configure = [mount](config::Config& c) {
    c.usb_mount = mount;
    c.scanner.device = "test";
  }});
  // A professional's thread with an attachment, to print.
  HttpClient pro = kiosk.direct();
  REQUIRE(pro.loginProfessional("RSSMRA80A01H501U", "12345678").status == 200);
  auto sent = pro.postForm("/api/communications",
                           {{"topic", "rimborso"}, {"subject", "Prova"}, {"body", "Testo"}},
                           {{"documento.pdf", test::readFile(kFiles + "/documento.pdf")}});
  REQUIRE(sent.status == 201);
  std::filesystem::copy_file(kFiles + "/documento.pdf", stick.file("modulo.pdf"));  // put in now
  const std::string id = std::to_string(sent.json()["id"].get<std::int64_t>());
  const std::string att = std::to_string(pro.get("/api/communications/" + id)
                                             .json()["messages"][0]["attachments"][0]["id"]
                                             .get<std::int64_t>());
  // A clerk on a branch PC, through the TLS proxy.
  HttpClient clerk = kiosk.direct();
  REQUIRE(clerk.loginStaff("sportello", "sportello-demo").status == 200);
  const std::vector<std::string> lan = {"X-Forwarded-For: 10.20.30.40",
                                        "X-CSRF-Token: " + clerk.csrf_token,
                                        "Content-Type: application/json"};
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/api/scan"},
           {"GET", "/api/scan/progress"},
           {"POST", "/api/scan/cancel"},
           {"GET", "/api/usb/files"},
           {"GET", "/api/usb/files/modulo.pdf"},
           {"POST", "/api/attachments/" + att + "/print"},
           {"POST", "/api/staff/communications/" + id + "/print"}}) {
    auto r = clerk.request(method, path, method == "POST" ? "{}" : "", lan);
    INFO(method << " " << path);
    CHECK(r.status == 403);
    CHECK(r.errorCode() == "kiosk_screen_only");
  }
  // The kiosk's own screen still has them.
  CHECK(pro.get("/api/usb/files").status == 200);
  CHECK(pro.get("/api/usb/files/modulo.pdf").status == 200);
}

TEST_CASE("a stick left in the kiosk is not shown to the next person until put in again",
          "[http]") {
  test::TempDir base;
  const std::filesystem::path mount = base.path() / "stick";
  const auto insert = [&] {
    std::filesystem::create_directory(mount);
    std::filesystem::copy_file(kFiles + "/documento.pdf", mount / "modulo.pdf");
  };
  const auto remove = [&] { std::filesystem::remove_all(mount); };
  const std::string at = mount.string();
  TestKiosk kiosk({.configure = [at](config::Config& c) { c.usb_mount = at; }});
  kiosk.addProfessional("GRCFNC70D52L219G", "Francesca", "f@pec.example.com");
  // The first person puts a stick in during their session: it is theirs.
  HttpClient first = kiosk.direct();
  REQUIRE(first.loginProfessional("RSSMRA80A01H501U", "12345678").status == 200);
  insert();
  CHECK(first.get("/api/usb/files").status == 200);
  REQUIRE(first.send("DELETE", "/api/session", nlohmann::json::object()).status == 200);
  // They leave it behind: the next person does not see its files.
  HttpClient next = kiosk.direct();
  REQUIRE(next.loginProfessional("GRCFNC70D52L219G", "12345678").status == 200);
  auto hidden = next.get("/api/usb/files");
  CHECK(hidden.status == 409);
  CHECK(hidden.errorCode() == "usb_inserted_before_login");
  CHECK(hidden.json()["error"]["message"].get<std::string>().find("la tolga e la inserisca") !=
        std::string::npos);
  CHECK(next.get("/api/usb/files/modulo.pdf").status == 409);
  // Taken out and put in again during this session: shown.
  remove();
  CHECK(next.get("/api/usb/files").json()["items"].empty());
  insert();
  CHECK(next.get("/api/usb/files").status == 200);
  CHECK(next.get("/api/usb/files/modulo.pdf").status == 200);
}

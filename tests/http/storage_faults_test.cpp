// A full disk and a disk below the reserve, through a fault-injecting disk
// (support/fault_disk: SQLite's writes fail with SQLITE_FULL, the store
// reports the free bytes the test sets), so no root and no tmpfs are needed.
#include <catch2/catch.hpp>

#include "http/http_client.h"
#include "support/fault_disk.h"
#include "support/read_file.h"

using namespace kiosk;
using test::FaultDisk;
using test::HttpClient;
using test::TestKiosk;

namespace {

const std::string kFiles = KIOSK_TEST_FILES_DIR;

using Fields = std::vector<std::pair<std::string, std::string>>;
Fields valid(const std::string& subject) {
  return {{"topic", "rimborso"}, {"subject", subject}, {"body", "Chiedo il rimborso."}};
}

}  // namespace

TEST_CASE("a full disk: sends get 507 storage_full, reads and open sessions go on, and it recovers",
          "[http][storage]") {
  FaultDisk disk;  // outlives the kiosk
  test::TempDir dir;
  TestKiosk kiosk({.configure =
                       [&](config::Config& c) {
                         c.db = dir.file("kiosk.db");  // the kiosk's own disk
                         c.min_free_mb = 0;
                       },
                   .wrap_store = [&](auto store) { return disk.wrap(std::move(store)); }});
  HttpClient c = kiosk.client();
  REQUIRE(c.loginProfessional("RSSMRA80A01H501U", "12345678").status == 200);
  const HttpClient::File pdf{"documento.pdf", test::readFile(kFiles + "/documento.pdf")};
  REQUIRE(c.postForm("/api/communications", valid("Prima"), {pdf}).status == 201);

  disk.setFull(true);
  disk.setFreeBytes(0);
  const HttpClient::File big{"grande.txt", std::string(1000 * 1000, 'a')};
  auto refused = c.postForm("/api/communications", valid("Seconda"), {big, big});
  CHECK(refused.status == 507);
  CHECK(refused.errorCode() == "storage_full");
  CHECK(refused.json()["error"]["message"].get<std::string>().find("spazio") != std::string::npos);
  // Nothing half-stored, and reading goes on with the session already open.
  auto list = c.get("/api/communications?box=sent");
  CHECK(list.status == 200);
  CHECK(list.json()["items"].size() == 1);
  CHECK(c.get("/api/contacts").status == 200);
  auto health = c.get("/healthz");
  CHECK(health.status == 503);
  CHECK(health.json()["storage"] == "storage_full");
  CHECK(disk.refused() > 0);  // the writes really reached the full disk

  disk.setFull(false);
  disk.setFreeBytes(std::nullopt);
  CHECK(c.get("/healthz").status == 200);
  CHECK(c.postForm("/api/communications", valid("Terza"), {pdf}).status == 201);
  CHECK(c.request("DELETE", "/api/session", "", {"X-CSRF-Token: " + c.csrf_token}).status < 300);
}

TEST_CASE("below the reserve new sends are refused before the disk is full", "[http][storage]") {
  FaultDisk disk;
  test::TempDir dir;
  TestKiosk kiosk({.configure =
                       [&](config::Config& c) {
                         c.db = dir.file("kiosk.db");
                         c.min_free_mb = 4;
                       },
                   .wrap_store = [&](auto store) { return disk.wrap(std::move(store)); }});
  HttpClient c = kiosk.client();
  REQUIRE(c.loginProfessional("RSSMRA80A01H501U", "12345678").status == 200);
  REQUIRE(c.postForm("/api/communications", valid("Prima"), {}).status == 201);
  disk.setFreeBytes(3 * 1024 * 1024);  // 3 MiB left: the disk works, the reserve is breached
  auto refused = c.postForm("/api/communications", valid("Seconda"), {});
  CHECK(refused.status == 507);
  CHECK(refused.errorCode() == "storage_full");
  CHECK(c.get("/healthz").status == 503);
  auto list = c.get("/api/communications?box=sent");
  CHECK(list.status == 200);
  CHECK(list.json()["items"].size() == 1);
  disk.setFreeBytes(std::nullopt);
  CHECK(c.postForm("/api/communications", valid("Terza"), {}).status == 201);
}

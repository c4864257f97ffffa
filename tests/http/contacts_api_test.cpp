#include <catch2/catch.hpp>

#include "http/http_client.h"

using namespace kiosk;
using nlohmann::json;
using test::HttpClient;
using test::TestKiosk;

namespace {

HttpClient loggedIn(TestKiosk& kiosk) {
  HttpClient c = kiosk.direct();
  REQUIRE(c.loginProfessional("RSSMRA80A01H501U", "12345678").status == 200);
  return c;
}

}  // namespace

TEST_CASE("a professional reads the contacts prefilled from the archive", "[http]") {
  TestKiosk kiosk;
  HttpClient c = loggedIn(kiosk);
  auto r = c.get("/api/contacts");
  REQUIRE(r.status == 200);
  auto body = r.json();
  CHECK(body["pec"] == "mario.rossi@pec.example.com");
  CHECK(body["mobile"] == "+393331234567");
  CHECK(body["notify"] == json({"pec", "email", "sms"}));
  CHECK(body["version"] == 1);
}

TEST_CASE("changing contacts returns the new version", "[http]") {
  TestKiosk kiosk;
  HttpClient c = loggedIn(kiosk);
  auto r = c.send("PUT", "/api/contacts",
                  {{"pec", "studio@pec.example.it"},
                   {"email", ""},
                   {"mobile", "347 000 1111"},
                   {"phone", "06 123456"},
                   {"fax", ""},
                   {"notify", {"pec", "sms"}},
                   {"version", 1}});
  REQUIRE(r.status == 200);
  CHECK(r.json()["version"] == 2);
  CHECK(r.json()["mobile"] == "+393470001111");
  auto again = c.get("/api/contacts").json();
  CHECK(again["pec"] == "studio@pec.example.it");
  CHECK(again["notify"] == json({"pec", "sms"}));
}

TEST_CASE("contacts without PEC are refused with 422 pec_required and nothing changes", "[http]") {
  TestKiosk kiosk;
  HttpClient c = loggedIn(kiosk);
  auto r = c.send("PUT", "/api/contacts", {{"pec", ""}, {"email", "a@b.it"}});
  CHECK(r.status == 422);
  CHECK(r.errorCode() == "pec_required");
  CHECK(c.get("/api/contacts").json()["version"] == 1);
}

TEST_CASE("each invalid contact answers its own 422 code", "[http]") {
  TestKiosk kiosk;
  HttpClient c = loggedIn(kiosk);
  CHECK(c.send("PUT", "/api/contacts", {{"pec", "nope"}}).errorCode() == "invalid_pec");
  CHECK(c.send("PUT", "/api/contacts", {{"pec", "a@pec.it"}, {"email", "x"}}).errorCode() ==
        "invalid_email");
  CHECK(c.send("PUT", "/api/contacts", {{"pec", "a@pec.it"}, {"mobile", "0612345"}}).errorCode() ==
        "invalid_mobile");
  CHECK(c.send("PUT", "/api/contacts", {{"pec", "a@pec.it"}, {"notify", {"sms"}}}).errorCode() ==
        "invalid_notify");
}

TEST_CASE("a change based on an old version answers 409 version_conflict", "[http]") {
  TestKiosk kiosk;
  HttpClient c = loggedIn(kiosk);
  REQUIRE(c.send("PUT", "/api/contacts", {{"pec", "a@pec.it"}, {"version", 1}}).status == 200);
  auto stale = c.send("PUT", "/api/contacts", {{"pec", "b@pec.it"}, {"version", 1}});
  CHECK(stale.status == 409);
  CHECK(stale.errorCode() == "version_conflict");
}

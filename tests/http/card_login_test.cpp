// Card login over HTTP: the identity cards of tests/card/make_cards.sh in
// the test reader (SoftHSM2 behind tests/card/fake_reader.c), on SQLite and
// (pg_suite.sh) on PostgreSQL, with the audit rows checked.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "card/card_desk.h"
#include "http/http_client.h"
#include "support/shell.h"

using namespace kiosk;
using test::CardDesk;
using test::HttpClient;
using test::HttpResponse;
using test::TestKiosk;

namespace {

constexpr const char* kRossi = "RSSMRA80A01H501U";
constexpr const char* kGreco = "GRCFNC70D52L219G";
constexpr const char* kCiePin = "12345678";
constexpr const char* kCnsPin = "73915284";

HttpResponse cardLogin(HttpClient& c, const std::string& pin) {
  auto r = c.send("POST", "/api/card/login", {{"pin", pin}});
  if (r.status == 200) c.csrf_token = r.json()["csrf_token"].get<std::string>();
  return r;
}

// SHA-256 of a certificate file as the audit log writes it (hex, lower case).
std::string fingerprintOf(const std::string& pem) {
  auto [status, out] = test::run("openssl x509 -in " + pem + " -noout -fingerprint -sha256");
  REQUIRE(status == 0);
  std::string hex = out.substr(out.find('=') + 1);
  std::erase_if(hex, [](char ch) { return ch == ':' || ch == '\n'; });
  std::transform(hex.begin(), hex.end(), hex.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return hex;
}

test::TestKioskOptions withReader(const CardDesk& desk, bool pin_login = true) {
  test::TestKioskOptions o;
  o.configure = [&desk, pin_login](config::Config& c) {
    desk.configure(c);
    c.card.pin_login = pin_login;
  };
  return o;
}

}  // namespace

TEST_CASE("a professional logs in with a CIE or a TS-CNS and the card's PIN", "[http][card]") {
  CardDesk desk;
  TestKiosk kiosk(withReader(desk));
  kiosk.addProfessional(kGreco, "Francesca", "francesca.greco31@pec.example.com");
  HttpClient c = kiosk.direct();

  auto status = c.get("/api/card");
  REQUIRE(status.status == 200);
  CHECK(status.json()["configured"] == true);
  CHECK(status.json()["reader"] == true);
  CHECK(status.json()["card"] == false);
  CHECK(status.json()["pin_login"] == true);

  SECTION("a CIE: TINIT-<codice fiscale> in the subject's serialNumber") {
    desk.insert("cie-rossi");
    auto r = cardLogin(c, kCiePin);
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(r.json()["role"] == "professional");
    CHECK(r.json()["display_name"] == "Mario Rossi");
    CHECK(r.header("set-cookie").starts_with("kiosk_session="));
    auto me = c.get("/api/session");
    REQUIRE(me.status == 200);
    CHECK(me.json()["display_name"] == "Mario Rossi");
    CHECK(c.get("/api/communications?box=received").status == 200);
    // The audit row names the certificate, never the PIN.
    const std::string fp = fingerprintOf(desk.file("cie-rossi.pem"));
    CHECK(kiosk.count("SELECT count(*) FROM audit_log WHERE action = 'login_ok' AND actor = "
                      "'professional:RSSMRA80A01H501U' AND detail LIKE '%card issuer=%CA di "
                      "prova per la CIE%' AND detail LIKE '%sha256=" +
                      fp + "%'") == 1);
    CHECK(c.get("/api/card").json()["card"] == true);
  }
  SECTION("a TS-CNS: <codice fiscale>/… in the common name, a PIN of its own length") {
    desk.insert("cns-greco");
    auto r = cardLogin(c, kCnsPin);
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(r.json()["display_name"] == "Francesca Prova");
    CHECK(kiosk.count("SELECT count(*) FROM audit_log WHERE action = 'login_ok' AND actor = "
                      "'professional:GRCFNC70D52L219G' AND detail LIKE '%sha256=" +
                      fingerprintOf(desk.file("cns-greco.pem")) + "%'") == 1);
    // Nothing of the card's PIN in the database.
    CHECK(kiosk.count("SELECT count(*) FROM audit_log WHERE detail LIKE '%73915284%' OR subject "
                      "LIKE '%73915284%'") == 0);
  }
}

TEST_CASE("a wrong card PIN counts down the card's tries, then the card is blocked",
          "[http][card]") {
  CardDesk desk;
  TestKiosk kiosk(withReader(desk));
  HttpClient c = kiosk.direct();
  desk.insert("cie-rossi");

  // A PIN that no card has (letters, too short) is refused before the card
  // is asked: no try is spent on it.
  for (const char* bad : {"1234", "12ab5678", "123456789", ""}) {
    auto r = cardLogin(c, bad);
    CHECK(r.status == 422);
    CHECK(r.errorCode() == "card_pin_format");
  }
  CHECK(desk.triesLeft("cie-rossi") == 3);

  auto first = cardLogin(c, "11111111");
  CHECK(first.status == 401);
  CHECK(first.errorCode() == "card_pin_wrong");
  CHECK(first.json()["error"]["tries_left"] == 2);
  CHECK(first.json()["error"]["message"].get<std::string>().find("Restano 2 tentativi") !=
        std::string::npos);
  auto second = cardLogin(c, "22222222");
  CHECK(second.status == 401);
  CHECK(second.json()["error"]["tries_left"] == 1);
  auto third = cardLogin(c, "33333333");
  CHECK(third.status == 423);
  CHECK(third.errorCode() == "card_pin_blocked");
  CHECK(third.json()["error"]["message"].get<std::string>().find("PUK") != std::string::npos);
  // Blocked stays blocked, the right PIN too: the card decides, not the kiosk.
  auto right = cardLogin(c, kCiePin);
  CHECK(right.status == 423);
  CHECK(right.errorCode() == "card_pin_blocked");
  CHECK(c.get("/api/session").status == 401);
  CHECK(kiosk.count("SELECT count(*) FROM audit_log WHERE action = 'card_login_failed' AND "
                    "detail LIKE 'card_pin_wrong%'") == 2);
  CHECK(kiosk.count("SELECT count(*) FROM audit_log WHERE action = 'card_login_failed' AND "
                    "detail LIKE 'card_pin_blocked%'") == 2);
  CHECK(kiosk.count("SELECT count(*) FROM audit_log WHERE detail LIKE '%11111111%' OR detail "
                    "LIKE '%12345678%'") == 0);
}

TEST_CASE("a card that cannot log in is refused with its own reason, and audited", "[http][card]") {
  CardDesk desk;
  TestKiosk kiosk(withReader(desk));
  HttpClient c = kiosk.direct();
  struct Case {
    const char* label;
    long status;
    const char* code;
    const char* words;  // in the Italian message
  };
  const Case cases[] = {
      {"expired", 401, "card_expired", "scaduta il 01/01/2021"},
      {"unknown-ca", 401, "card_unknown_ca", "autorità riconosciuta"},
      {"revoked", 401, "card_revoked", "revocata"},
      {"no-cf", 422, "card_no_codice_fiscale", "codice fiscale"},
      {"not-enrolled", 403, "card_not_in_archive", "VRDGPP75C12F205K"},
      {"wrong-usage", 422, "card_no_certificate", "certificato di autenticazione"},
  };
  for (const auto& k : cases) {
    desk.insert(k.label);
    auto r = cardLogin(c, kCiePin);
    INFO(k.label << ": " << r.body);
    CHECK(r.status == k.status);
    CHECK(r.errorCode() == k.code);
    CHECK(r.json()["error"]["message"].get<std::string>().find(k.words) != std::string::npos);
    CHECK(c.get("/api/session").status == 401);
  }
  // Refused certificates are audited with what identifies them.
  for (const char* label : {"expired", "unknown-ca", "revoked", "no-cf"}) {
    INFO(label);
    CHECK(kiosk.count("SELECT count(*) FROM audit_log WHERE action = 'card_login_failed' AND "
                      "detail LIKE '%sha256=" +
                      fingerprintOf(desk.file(std::string(label) + ".pem")) + "%'") == 1);
  }
  CHECK(kiosk.count("SELECT count(*) FROM audit_log WHERE action = 'login_failed' AND detail "
                    "LIKE 'card_not_in_archive card issuer=%'") == 1);
  CHECK(kiosk.count("SELECT count(*) FROM sessions") == 0);
}

TEST_CASE("no reader, no card, and a card pulled out during the login are told apart",
          "[http][card]") {
  CardDesk desk;
  TestKiosk kiosk(withReader(desk));
  HttpClient c = kiosk.direct();

  auto none = cardLogin(c, kCiePin);
  CHECK(none.status == 409);
  CHECK(none.errorCode() == "card_missing");

  desk.insert("cie-rossi");
  desk.removeDuringNextLogin();
  auto pulled = cardLogin(c, kCiePin);
  CHECK(pulled.status == 409);
  CHECK(pulled.errorCode() == "card_removed");
  CHECK(desk.triesLeft("cie-rossi") == 3);

  desk.unplugReader();
  auto unplugged = cardLogin(c, kCiePin);
  CHECK(unplugged.status == 503);
  CHECK(unplugged.errorCode() == "card_reader_missing");
  auto devices = kiosk.client();
  REQUIRE(devices.loginStaff("tecnico", "tecnico-demo").status == 200);
  auto d = devices.get("/api/devices");
  REQUIRE(d.status == 200);
  CHECK(d.json()["card"]["status"] == "unavailable");

  desk.plugReader();
  std::filesystem::remove(desk.reader() + "/remove-on-login");
  desk.insert("cie-rossi");
  CHECK(cardLogin(c, kCiePin).status == 200);
  d = devices.get("/api/devices");
  CHECK(d.json()["card"]["status"] == "ready");
  const std::string detail = d.json()["card"]["detail"];
  CHECK(detail.find("Lettore di prova") != std::string::npos);
  CHECK(detail.find(KIOSK_TEST_READER_MODULE) != std::string::npos);
  CHECK(detail.find("valide fino al 20") != std::string::npos);
  auto metrics = devices.get("/metrics");
  CHECK(metrics.body.find("kiosk_device_ready{device=\"card\"} 1") != std::string::npos);
  CHECK(metrics.body.find("kiosk_card_ca_expiry_timestamp_seconds ") != std::string::npos);
}

TEST_CASE("taking the card out ends its session at once", "[http][card]") {
  CardDesk desk;
  TestKiosk kiosk(withReader(desk));
  HttpClient c = kiosk.direct();
  desk.insert("cie-rossi");
  REQUIRE(cardLogin(c, kCiePin).status == 200);
  REQUIRE(c.get("/api/session").status == 200);
  desk.remove();
  const auto start = std::chrono::steady_clock::now();
  long status = 200;
  while (status == 200 && std::chrono::steady_clock::now() - start < std::chrono::seconds(3)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    status = c.get("/api/session").status;
  }
  CHECK(status == 401);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
  CHECK(kiosk.count("SELECT count(*) FROM audit_log WHERE action = 'logout' AND detail = 'card "
                    "removed'") == 1);
  CHECK(c.get("/api/card").json()["card"] == false);
  // A session opened with the kiosk PIN does not depend on a card.
  HttpClient pin = kiosk.direct();
  REQUIRE(pin.loginProfessional(kRossi, kCiePin).status == 200);
  desk.insert("cns-greco");
  desk.remove();
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  CHECK(pin.get("/api/session").status == 200);
}

TEST_CASE("the reader serves only the kiosk's screen, and an office can switch the kiosk PIN off",
          "[http][card]") {
  CardDesk desk;
  desk.insert("cie-rossi");
  SECTION("a branch PC reaches neither the reader nor its login") {
    TestKiosk kiosk(withReader(desk));
    HttpClient c = kiosk.direct();
    const std::vector<std::string> lan = {"Content-Type: application/json",
                                          "X-Forwarded-For: 10.20.30.40"};
    auto status = c.request("GET", "/api/card", "", lan);
    CHECK(status.status == 403);
    CHECK(status.errorCode() == "kiosk_screen_only");
    auto login = c.request("POST", "/api/card/login", R"({"pin":"12345678"})", lan);
    CHECK(login.status == 403);
    CHECK(login.errorCode() == "kiosk_screen_only");
    CHECK(desk.triesLeft("cie-rossi") == 3);
  }
  SECTION("card only: no login with the kiosk PIN, nor a new kiosk PIN") {
    TestKiosk kiosk(withReader(desk, false));
    HttpClient c = kiosk.direct();
    CHECK(c.get("/api/card").json()["pin_login"] == false);
    auto pin = c.loginProfessional(kRossi, kCiePin);
    CHECK(pin.status == 403);
    CHECK(pin.errorCode() == "pin_login_disabled");
    auto reset = c.send("POST", "/api/pin",
                        {{"codice_fiscale", kRossi},
                         {"code", "123456"},
                         {"pin", "87654321"},
                         {"pin_again", "87654321"}});
    CHECK(reset.status == 403);
    CHECK(reset.errorCode() == "pin_login_disabled");
    HttpClient staff = kiosk.direct();
    CHECK(staff.loginStaff("sportello", "sportello-demo").status == 200);
    CHECK(cardLogin(c, kCiePin).status == 200);
  }
  SECTION("a kiosk without a reader says so") {
    TestKiosk kiosk;
    HttpClient c = kiosk.direct();
    auto status = c.get("/api/card");
    CHECK(status.json()["configured"] == false);
    CHECK(status.json()["reader"] == false);
    auto login = cardLogin(c, kCiePin);
    CHECK(login.status == 503);
    CHECK(login.errorCode() == "card_reader_missing");
  }
}

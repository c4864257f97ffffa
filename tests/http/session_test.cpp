#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>

#include "http/http_client.h"
#include "support/fakes.h"

using namespace kiosk;
using test::HttpClient;
using test::TestKiosk;

namespace {
constexpr const char* kCf = "RSSMRA80A01H501U";
constexpr const char* kPin = "12345678";
}  // namespace

TEST_CASE("a professional logs in and the session answers who they are", "[http]") {
  TestKiosk kiosk;
  HttpClient c = kiosk.direct();
  auto login = c.loginProfessional(kCf, kPin);
  REQUIRE(login.status == 200);
  auto body = login.json();
  CHECK(body["role"] == "professional");
  CHECK(body["display_name"] == "Mario Rossi");
  CHECK(body["csrf_token"].get<std::string>().size() == 64);
  auto me = c.get("/api/session");
  REQUIRE(me.status == 200);
  CHECK(me.json()["display_name"] == "Mario Rossi");
  CHECK(me.json()["unread"] == 0);
}

TEST_CASE("the session cookie is HttpOnly and SameSite=Strict", "[http]") {
  TestKiosk kiosk;
  HttpClient c = kiosk.direct();
  auto login = c.loginProfessional(kCf, kPin);
  const std::string cookie = login.header("set-cookie");
  CHECK(cookie.starts_with("kiosk_session="));
  CHECK(cookie.find("HttpOnly") != std::string::npos);
  CHECK(cookie.find("SameSite=Strict") != std::string::npos);
  CHECK(cookie.find("Path=/") != std::string::npos);
  // 256-bit token, hex.
  CHECK(cookie.substr(14, cookie.find(';') - 14).size() == 64);
}

TEST_CASE("a wrong PIN and an unknown codice fiscale both answer 401 invalid_credentials",
          "[http]") {
  TestKiosk kiosk;
  HttpClient c = kiosk.direct();
  auto wrong = c.loginProfessional(kCf, "99999999");
  auto unknown = c.loginProfessional("GRCFNC70D52L219G", kPin);
  CHECK(wrong.status == 401);
  CHECK(wrong.errorCode() == "invalid_credentials");
  CHECK(unknown.status == 401);
  CHECK(unknown.body == wrong.body);
  CHECK(c.cookie.empty());
}

TEST_CASE("each wrong try says how many remain before the lock, known or unknown account alike",
          "[http]") {
  TestKiosk kiosk;
  HttpClient c = kiosk.direct();
  for (const std::string& cf : {std::string(kCf), std::string("GRCFNC70D52L219G")}) {
    INFO(cf);
    for (int left = 4; left >= 1; --left) {
      auto r = c.loginProfessional(cf, "99999999");
      REQUIRE(r.status == 401);
      const std::string message = r.json()["error"]["message"];
      CHECK(message.find(left == 1 ? "Resta 1 tentativo" : "Restano " + std::to_string(left)) !=
            std::string::npos);
    }
    auto locked = c.loginProfessional(cf, "99999999");
    CHECK(locked.status == 423);
  }
}

TEST_CASE("a locked account, an unknown codice fiscale and a wrong PIN take the same time",
          "[http]") {
  TestKiosk kiosk;
  HttpClient c = kiosk.direct();
  for (int i = 0; i < 5; ++i) (void)c.loginProfessional(kCf, "00000000");
  // Timing must not tell who is enrolled (before: 3 ms locked, 210 ms
  // unknown). The tries alternate, so that a busy box slows both alike, and
  // the medians of four of each are compared (a fifth wrong try would lock
  // the unknown codice fiscale too: unknown and known accounts alike).
  auto timed = [&](const std::string& cf, int expected) {
    const auto start = std::chrono::steady_clock::now();
    CHECK(c.loginProfessional(cf, kPin).status == expected);
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
  };
  std::vector<double> locked_ms, unknown_ms;
  for (int i = 0; i < 4; ++i) {
    locked_ms.push_back(timed(kCf, 423));
    unknown_ms.push_back(timed("GRCFNC70D52L219G", 401));
  }
  std::sort(locked_ms.begin(), locked_ms.end());
  std::sort(unknown_ms.begin(), unknown_ms.end());
  const double locked = (locked_ms[1] + locked_ms[2]) / 2;
  const double unknown = (unknown_ms[1] + unknown_ms[2]) / 2;
  INFO("locked " << locked << " ms, unknown " << unknown << " ms");
  CHECK(locked > unknown * 0.5);
  CHECK(unknown > locked * 0.5);
}

TEST_CASE("five wrong PINs lock the account and staff unlock it", "[http]") {
  TestKiosk kiosk;
  HttpClient pro = kiosk.direct();
  for (int i = 0; i < 4; ++i) CHECK(pro.loginProfessional(kCf, "00000000").status == 401);
  auto fifth = pro.loginProfessional(kCf, "00000000");
  CHECK(fifth.status == 423);
  CHECK(fifth.errorCode() == "locked");
  auto right = pro.loginProfessional(kCf, kPin);
  CHECK(right.status == 423);
  CHECK(right.json()["error"]["message"].get<std::string>().find("sportello") != std::string::npos);

  HttpClient staff = kiosk.direct();
  REQUIRE(staff.loginStaff("sportello", "sportello-demo").status == 200);
  // Before unlocking, the counter sees whose code it is, to compare with the ID.
  auto who = staff.get(std::string("/api/staff/professionals/") + kCf);
  REQUIRE(who.status == 200);
  CHECK(who.json()["name"] == "Mario Rossi");
  CHECK(who.json()["locked"] == true);
  CHECK(staff.get("/api/staff/professionals/GRCFNC70D52L219G").status == 404);
  CHECK(pro.get(std::string("/api/staff/professionals/") + kCf).status == 401);
  auto unlock = staff.send("POST", std::string("/api/staff/professionals/") + kCf + "/unlock",
                           nlohmann::json::object());
  REQUIRE(unlock.status == 200);
  CHECK(unlock.json()["unlocked"] == true);
  CHECK(pro.loginProfessional(kCf, kPin).status == 200);
}

namespace {
// "Nuovo PIN" from the kiosk's screen (or, with `lan`, from a branch PC
// through the TLS proxy, which adds X-Forwarded-For).
test::HttpResponse setPinAt(HttpClient& c,
                            const std::string& cf,
                            const std::string& code,
                            const std::string& pin,
                            const std::string& again,
                            bool lan = false) {
  const nlohmann::json body = {
      {"codice_fiscale", cf}, {"code", code}, {"pin", pin}, {"pin_again", again}};
  std::vector<std::string> headers = {"Content-Type: application/json"};
  if (lan) headers.push_back("X-Forwarded-For: 10.20.30.40");
  return c.request("POST", "/api/pin", body.dump(), headers);
}

std::string openPinReset(HttpClient& staff, const std::string& cf) {
  auto started =
      staff.send("POST", "/api/staff/professionals/" + cf + "/pin-reset", nlohmann::json::object());
  REQUIRE(started.status == 200);
  const std::string code = started.json()["code"];
  REQUIRE(code.size() == 6);
  return code;
}
}  // namespace

TEST_CASE(
    "Nuovo PIN: staff open it and hand a one-time code, the professional types the PIN twice at "
    "the kiosk",
    "[http]") {
  test::FakeClock clock;
  TestKiosk kiosk({.clock = &clock});
  HttpClient pro = kiosk.direct();
  auto setPin = [&](const std::string& cf, const std::string& code, const std::string& pin,
                    const std::string& again) { return setPinAt(pro, cf, code, pin, again); };
  // Nothing started: refused, with the same answer for a code not in the archive.
  auto early = setPin(kCf, "123456", "Nuovo2026pin", "Nuovo2026pin");
  CHECK(early.status == 409);
  CHECK(early.errorCode() == "pin_reset_not_started");
  CHECK(early.json()["error"]["message"].get<std::string>().find("sportello") != std::string::npos);
  CHECK(setPin("GRCFNC70D52L219G", "123456", "Nuovo2026pin", "Nuovo2026pin").errorCode() ==
        "pin_reset_not_started");
  // The account is locked: the new PIN will clear that too.
  for (int i = 0; i < 5; ++i) (void)pro.loginProfessional(kCf, "00000000");
  REQUIRE(pro.loginProfessional(kCf, kPin).status == 423);

  HttpClient staff = kiosk.direct();
  REQUIRE(staff.loginStaff("sportello", "sportello-demo").status == 200);
  CHECK(pro.send("POST", std::string("/api/staff/professionals/") + kCf + "/pin-reset",
                 nlohmann::json::object())
            .status == 401);
  auto started = staff.send("POST", std::string("/api/staff/professionals/") + kCf + "/pin-reset",
                            nlohmann::json::object());
  REQUIRE(started.status == 200);
  CHECK(started.json()["name"] == "Mario Rossi");
  CHECK(started.json()["expires_at"].is_string());
  const std::string code = started.json()["code"];
  CHECK(code.size() == 6);
  CHECK(code.find_first_not_of("0123456789") == std::string::npos);
  CHECK(staff
            .send("POST", "/api/staff/professionals/GRCFNC70D52L219G/pin-reset",
                  nlohmann::json::object())
            .status == 404);

  CHECK(setPin(kCf, code, "Nuovo2026pin", "Nuovo2026pim").errorCode() == "pin_mismatch");
  CHECK(setPin(kCf, code, "corto", "corto").errorCode() == "invalid_pin");
  auto done = setPin(kCf, code, "Nuovo2026pin", "Nuovo2026pin");
  REQUIRE(done.status == 200);
  CHECK(pro.loginProfessional(kCf, kPin).status == 401);  // the old PIN is gone
  CHECK(pro.loginProfessional(kCf, "Nuovo2026pin").status == 200);
  // Used once: the window is closed.
  CHECK(setPin(kCf, code, "Altro2026pin", "Altro2026pin").errorCode() == "pin_reset_not_started");
  // A window left open expires by itself, and says so.
  const std::string second = openPinReset(staff, kCf);
  clock.advance(10 * 60 + 1);
  auto late = setPin(kCf, second, "Altro2026pin", "Altro2026pin");
  CHECK(late.errorCode() == "pin_reset_expired");
  CHECK(late.json()["error"]["message"].get<std::string>().find("scaduto") != std::string::npos);
  CHECK(kiosk.count("SELECT count(*) FROM audit_log WHERE action = 'pin_reset_started' AND "
                    "actor = 'staff:sportello'") == 2);
  CHECK(kiosk.count("SELECT count(*) FROM audit_log WHERE action = 'pin_set' AND actor = "
                    "'professional:RSSMRA80A01H501U'") == 1);
  // Neither the PIN nor the code reaches the database or the audit log in clear.
  CHECK(kiosk.count("SELECT count(*) FROM audit_log WHERE detail LIKE '%Nuovo2026pin%'") == 0);
  CHECK(kiosk.count("SELECT count(*) FROM professionals WHERE pin_reset_code LIKE '%" + second +
                    "%'") == 0);
}

TEST_CASE("Nuovo PIN: a bystander who races the professional for the window gets nowhere",
          "[http]") {
  TestKiosk kiosk;
  HttpClient staff = kiosk.direct();
  REQUIRE(staff.loginStaff("sportello", "sportello-demo").status == 200);
  const std::string code = openPinReset(staff, kCf);
  HttpClient bystander = kiosk.direct();
  // From a branch PC, even with the right code: the kiosk's own screen only.
  auto lan = setPinAt(bystander, kCf, code, "Preso2026pin", "Preso2026pin", true);
  CHECK(lan.status == 403);
  CHECK(lan.errorCode() == "kiosk_screen_only");
  CHECK(lan.json()["error"]["message"].get<std::string>().find("schermo del chiosco") !=
        std::string::npos);
  // An empty X-Forwarded-For still came through the proxy (over the socket:
  // curl sends "Name;" as an empty header).
  HttpClient socket = kiosk.client();
  auto empty = socket.request("POST", "/api/pin",
                              nlohmann::json({{"codice_fiscale", kCf},
                                              {"code", code},
                                              {"pin", "Preso2026pin"},
                                              {"pin_again", "Preso2026pin"}})
                                  .dump(),
                              {"Content-Type: application/json", "X-Forwarded-For;"});
  CHECK(empty.status == 403);
  // At the screen without the code: each wrong code counts, the window stays for the owner.
  const std::string wrong = code == "000000" ? "111111" : "000000";
  auto guess = setPinAt(bystander, kCf, wrong, "Preso2026pin", "Preso2026pin");
  CHECK(guess.status == 409);
  CHECK(guess.errorCode() == "pin_reset_code_wrong");
  CHECK(guess.json()["error"]["message"].get<std::string>().find("Restano 4 tentativi") !=
        std::string::npos);
  CHECK(setPinAt(bystander, kCf, "", "Preso2026pin", "Preso2026pin").errorCode() ==
        "pin_reset_code_wrong");
  // The professional, with the code from the counter, still sets the PIN.
  HttpClient pro = kiosk.direct();
  REQUIRE(setPinAt(pro, kCf, code, "Nuovo2026pin", "Nuovo2026pin").status == 200);
  CHECK(pro.loginProfessional(kCf, "Nuovo2026pin").status == 200);
  CHECK(bystander.loginProfessional(kCf, "Preso2026pin").status == 401);

  // Five wrong codes close the window: the right code no longer works.
  const std::string again = openPinReset(staff, kCf);
  const std::string bad = again == "000000" ? "111111" : "000000";
  for (int i = 0; i < 4; ++i) {
    CHECK(setPinAt(bystander, kCf, bad, "Preso2026pin", "Preso2026pin").errorCode() ==
          "pin_reset_code_wrong");
  }
  auto last = setPinAt(bystander, kCf, bad, "Preso2026pin", "Preso2026pin");
  CHECK(last.errorCode() == "pin_reset_closed");
  CHECK(setPinAt(pro, kCf, again, "Altro2026pin", "Altro2026pin").errorCode() ==
        "pin_reset_closed");
  CHECK(kiosk.count("SELECT count(*) FROM audit_log WHERE action = 'pin_reset_closed'") == 1);
}

TEST_CASE("a new PIN ends every older session of that professional", "[http]") {
  TestKiosk kiosk;
  HttpClient first = kiosk.direct();
  HttpClient second = kiosk.direct();
  REQUIRE(first.loginProfessional(kCf, kPin).status == 200);
  REQUIRE(second.loginProfessional(kCf, kPin).status == 200);
  kiosk.addProfessional("GRCFNC70D52L219G", "Francesca", "f@pec.example.com");
  HttpClient other = kiosk.direct();
  REQUIRE(other.loginProfessional("GRCFNC70D52L219G", kPin).status == 200);
  REQUIRE(first.get("/api/session").status == 200);
  HttpClient staff = kiosk.direct();
  REQUIRE(staff.loginStaff("sportello", "sportello-demo").status == 200);
  const std::string code = openPinReset(staff, kCf);
  HttpClient pro = kiosk.direct();
  REQUIRE(setPinAt(pro, kCf, code, "Nuovo2026pin", "Nuovo2026pin").status == 200);
  CHECK(first.get("/api/session").status == 401);
  CHECK(second.get("/api/contacts").status == 401);
  CHECK(other.get("/api/session").status == 200);  // someone else's session stays
  CHECK(staff.get("/api/session").status == 200);
}

TEST_CASE("unlocking an unknown or malformed codice fiscale answers 404", "[http]") {
  TestKiosk kiosk;
  HttpClient staff = kiosk.direct();
  REQUIRE(staff.loginStaff("sportello", "sportello-demo").status == 200);
  CHECK(staff.send("POST", "/api/staff/professionals/GRCFNC70D52L219G/unlock", {}).status == 404);
  CHECK(staff.send("POST", "/api/staff/professionals/XYZ/unlock", {}).status == 404);
}

TEST_CASE("without a session the API answers 401 unauthenticated", "[http]") {
  TestKiosk kiosk;
  HttpClient c = kiosk.direct();
  for (const char* path : {"/api/session", "/api/topics", "/api/contacts"}) {
    auto r = c.get(path);
    INFO(path);
    CHECK(r.status == 401);
    CHECK(r.errorCode() == "unauthenticated");
    CHECK_FALSE(r.json()["error"]["message"].get<std::string>().empty());
  }
  c.cookie = "kiosk_session=" + std::string(64, 'f');
  CHECK(c.get("/api/session").status == 401);
}

TEST_CASE("a change without the CSRF token answers 403 csrf", "[http]") {
  TestKiosk kiosk;
  HttpClient c = kiosk.direct();
  REQUIRE(c.loginProfessional(kCf, kPin).status == 200);
  const std::string token = c.csrf_token;
  c.csrf_token.clear();
  auto missing = c.send("PUT", "/api/contacts", {{"pec", "x@pec.it"}});
  CHECK(missing.status == 403);
  CHECK(missing.errorCode() == "csrf");
  c.csrf_token = std::string(64, '0');
  CHECK(c.send("DELETE", "/api/session", nullptr).errorCode() == "csrf");
  c.csrf_token = token;
  CHECK(c.send("PUT", "/api/contacts", {{"pec", "x@pec.it"}}).status == 200);
}

TEST_CASE("the wrong role answers 403 forbidden", "[http]") {
  TestKiosk kiosk;
  HttpClient pro = kiosk.direct();
  REQUIRE(pro.loginProfessional(kCf, kPin).status == 200);
  auto unlock = pro.send("POST", std::string("/api/staff/professionals/") + kCf + "/unlock", {});
  CHECK(unlock.status == 403);
  CHECK(unlock.errorCode() == "forbidden");

  HttpClient tech = kiosk.direct();
  REQUIRE(tech.loginStaff("tecnico", "tecnico-demo").status == 200);
  CHECK(tech.get("/api/contacts").errorCode() == "forbidden");
  CHECK(tech.send("POST", std::string("/api/staff/professionals/") + kCf + "/unlock", {}).status ==
        403);

  HttpClient staff = kiosk.direct();
  REQUIRE(staff.loginStaff("sportello", "sportello-demo").status == 200);
  CHECK(staff.get("/api/contacts").status == 403);
}

TEST_CASE("logout ends the session on the server and clears the cookie", "[http]") {
  TestKiosk kiosk;
  HttpClient c = kiosk.direct();
  REQUIRE(c.loginProfessional(kCf, kPin).status == 200);
  const std::string old_cookie = c.cookie;
  auto out = c.send("DELETE", "/api/session", nullptr);
  REQUIRE(out.status == 200);
  CHECK(out.header("set-cookie").find("Max-Age=0") != std::string::npos);
  CHECK(out.header("clear-site-data").find("storage") != std::string::npos);
  c.cookie = old_cookie;  // a replayed cookie is dead
  CHECK(c.get("/api/session").status == 401);
}

TEST_CASE("an idle session expires on the server", "[http]") {
  test::FakeClock clock;
  TestKiosk kiosk(
      {.configure = [](config::Config& c) { c.auth.idle_timeout_seconds = 30; }, .clock = &clock});
  HttpClient c = kiosk.direct();
  REQUIRE(c.loginProfessional(kCf, kPin).status == 200);
  clock.advance(29);
  CHECK(c.get("/api/session").status == 200);
  clock.advance(30);
  auto r = c.get("/api/session");
  CHECK(r.status == 401);
  CHECK(r.errorCode() == "unauthenticated");
}

TEST_CASE("staff and technicians log in with user name and password", "[http]") {
  TestKiosk kiosk;
  HttpClient staff = kiosk.direct();
  auto s = staff.loginStaff("sportello", "sportello-demo");
  REQUIRE(s.status == 200);
  CHECK(s.json()["role"] == "staff");
  HttpClient tech = kiosk.direct();
  auto t = tech.loginStaff("tecnico", "tecnico-demo");
  REQUIRE(t.status == 200);
  CHECK(t.json()["role"] == "technician");
  CHECK(kiosk.direct().loginStaff("sportello", "wrong-password").status == 401);
}

TEST_CASE("a login without credentials or with the wrong types is refused", "[http]") {
  TestKiosk kiosk;
  HttpClient c = kiosk.direct();
  CHECK(c.send("POST", "/api/session", nlohmann::json::object()).status == 422);
  CHECK(c.send("POST", "/api/session", {{"codice_fiscale", 42}, {"pin", true}}).status == 400);
  auto not_json = c.request("POST", "/api/session", "{nope", {"Content-Type: application/json"});
  CHECK(not_json.status == 400);
  CHECK(not_json.errorCode() == "invalid_json");
}

TEST_CASE("topics are listed in the service's order", "[http]") {
  TestKiosk kiosk;
  HttpClient c = kiosk.direct();
  REQUIRE(c.loginProfessional(kCf, kPin).status == 200);
  auto r = c.get("/api/topics");
  REQUIRE(r.status == 200);
  auto list = r.json();
  REQUIRE(list.size() == 11);
  CHECK(list[0] == nlohmann::json({{"code", "anagrafica"}, {"label", "Anagrafica"}}));
  CHECK(list[10]["label"] == "Ruoli e Versamenti");
}

TEST_CASE("a step of the wall clock neither ends sessions nor stretches or cuts a lock", "[http]") {
  test::FakeClock clock;
  TestKiosk kiosk({.clock = &clock});
  HttpClient c = kiosk.direct();
  REQUIRE(c.loginProfessional(kCf, kPin).status == 200);
  // NTP or a technician sets the clock two hours forward: the session lives on,
  // also through the minute's sweep of expired sessions.
  clock.stepWall(2 * 3600);
  kiosk.app().sweepSessions();
  CHECK(c.get("/api/contacts").status == 200);
  // Idle time is still counted: 180 s untouched end it.
  clock.advance(181);
  CHECK(c.get("/api/contacts").status == 401);

  // A lock lasts its 15 minutes, whichever way the wall clock jumps.
  HttpClient p = kiosk.direct();
  for (int i = 0; i < 5; ++i) (void)p.loginProfessional(kCf, "99999999");
  REQUIRE(p.loginProfessional(kCf, kPin).status == 423);
  clock.stepWall(3600);  // forward: the lock is not cut short
  CHECK(p.loginProfessional(kCf, kPin).status == 423);
  clock.stepWall(-2 * 3600);  // back: the lock is not stretched
  clock.advance(15 * 60 + 1);
  CHECK(p.loginProfessional(kCf, kPin).status == 200);
}

TEST_CASE("a session sweep that fails is logged with its reason and counted in /metrics",
          "[http]") {
  TestKiosk kiosk;
  const std::string series =
      "kiosk_log_events_total{level=\"warn\",event=\"session_sweep_failed\"} ";
  const auto counted = [&] {
    const auto body = kiosk.client().get("/metrics").body;
    const auto at = body.find(series);
    return at == std::string::npos ? 0 : std::stoll(body.substr(at + series.size()));
  };
  const auto before = counted();
  REQUIRE(kiosk.exec("ALTER TABLE sessions RENAME TO sessions_gone") == "");
  kiosk.app().sweepSessions();
  CHECK(counted() == before + 1);
  REQUIRE(kiosk.exec("ALTER TABLE sessions_gone RENAME TO sessions") == "");
  kiosk.app().sweepSessions();
  CHECK(counted() == before + 1);
}

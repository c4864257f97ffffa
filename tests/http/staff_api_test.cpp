#include <catch2/catch.hpp>

#include "http/http_client.h"

using namespace kiosk;
using nlohmann::json;
using test::HttpClient;
using test::TestKiosk;

namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

HttpClient login(TestKiosk& kiosk, const std::string& who) {
  HttpClient c = kiosk.direct();
  if (who == "professional") {
    REQUIRE(c.loginProfessional("RSSMRA80A01H501U", "12345678").status == 200);
  } else {
    REQUIRE(c.loginStaff(who, who + "-demo").status == 200);
  }
  return c;
}

std::string sendOne(HttpClient& pro, const std::string& subject = "Posizione 2025") {
  auto r = pro.postForm("/api/communications",
                        {{"topic", "posizione_assicurativa"}, {"subject", subject}, {"body", "b"}});
  REQUIRE(r.status == 201);
  return std::to_string(r.json()["id"].get<int>());
}

}  // namespace

TEST_CASE("the full cycle: take, reply, unread, read, close, and closed refuses", "[http]") {
  TestKiosk kiosk;
  HttpClient pro = login(kiosk, "professional");
  HttpClient staff = login(kiosk, "sportello");
  const std::string id = sendOne(pro);
  const std::string base = "/api/staff/communications/" + id;

  auto queue = staff.get("/api/staff/communications?status=aperta").json();
  REQUIRE(queue["total"] == 1);
  CHECK(queue["items"][0]["codice_fiscale"] == "RSSMRA80A01H501U");
  CHECK(queue["items"][0]["professional_name"] == "Mario Rossi");
  CHECK(queue["items"][0]["professional_wrote_last"] == true);

  auto take = staff.send("POST", base + "/take", nullptr);
  REQUIRE(take.status == 200);
  CHECK(take.json()["status"] == "in_carico");
  CHECK(staff.send("POST", base + "/take", nullptr).errorCode() == "already_taken");

  auto reply = staff.postForm(base + "/messages", {{"body", "La pratica è in lavorazione."}},
                              {{"esito.txt", "Esito: accolta."}});
  REQUIRE(reply.status == 201);
  CHECK(reply.json()["author"] == "institute");
  CHECK(staff.get("/api/staff/communications").json()["items"][0]["professional_wrote_last"] ==
        false);

  CHECK(pro.get("/api/session").json()["unread"] == 1);
  CHECK(pro.get("/api/communications?unread=true").json()["total"] == 1);
  auto thread = pro.get("/api/communications/" + id).json();
  REQUIRE(thread["messages"].size() == 2);
  CHECK(thread["messages"][1]["author"] == "institute");
  CHECK(thread["status"] == "in_carico");
  CHECK(pro.get("/api/session").json()["unread"] == 0);  // opening it read it

  // The professional's message keeps it in carico.
  REQUIRE(pro.postForm("/api/communications/" + id + "/messages", {{"body", "Grazie."}}).status ==
          201);
  CHECK(staff.get(base).json()["status"] == "in_carico");
  // …and the queue marks it: the professional wrote last.
  CHECK(staff.get("/api/staff/communications").json()["items"][0]["professional_wrote_last"] ==
        true);

  auto closed = staff.send("POST", base + "/close", {{"outcome", "Accolta: rimborso disposto."}});
  REQUIRE(closed.status == 200);
  CHECK(closed.json()["status"] == "chiusa");
  auto after = pro.get("/api/communications/" + id).json();
  CHECK(after["status"] == "chiusa");
  CHECK(after["outcome"] == "Accolta: rimborso disposto.");

  auto late = pro.postForm("/api/communications/" + id + "/messages", {{"body", "Ancora io."}});
  CHECK(late.status == 409);
  CHECK(late.errorCode() == "closed");
  CHECK(staff.postForm(base + "/messages", {{"body", "x"}}).status == 409);
  CHECK(staff.send("POST", base + "/close", {{"outcome", "x"}}).status == 409);
  CHECK(staff.send("POST", base + "/take", nullptr).status == 409);

  // Notifications for the reply and the closing went to the thread's snapshot channels.
  CHECK(kiosk.count("SELECT count(*) FROM outbox WHERE event = 'replied'") == 3);
  CHECK(kiosk.count("SELECT count(*) FROM outbox WHERE event = 'closed'") == 3);
  // Each action is audited with the staff user.
  CHECK(kiosk.count("SELECT count(*) FROM audit_log WHERE actor = 'staff:sportello' AND action IN "
                    "('communication_taken', 'institute_replied', 'communication_closed')") == 3);
}

TEST_CASE("closing needs an outcome", "[http]") {
  TestKiosk kiosk;
  HttpClient pro = login(kiosk, "professional");
  HttpClient staff = login(kiosk, "sportello");
  const std::string id = sendOne(pro);
  auto r = staff.send("POST", "/api/staff/communications/" + id + "/close", {{"outcome", " "}});
  CHECK(r.status == 422);
  CHECK(r.errorCode() == "invalid_outcome");
}

TEST_CASE("the Institute writes first and the thread lands unread in the received box", "[http]") {
  TestKiosk kiosk;
  HttpClient staff = login(kiosk, "sportello");
  auto r = staff.postForm("/api/staff/communications",
                          {{"codice_fiscale", "rssmra80a01h501u"},
                           {"topic", "ruoli_versamenti"},
                           {"subject", "Avviso di versamento"},
                           {"body", "Risulta un versamento da regolarizzare."}},
                          {{"avviso.txt", "Importo dovuto: 100 €"}});
  REQUIRE(r.status == 201);
  CHECK(r.json()["box"] == "received");
  HttpClient pro = login(kiosk, "professional");
  CHECK(pro.get("/api/session").json()["unread"] == 1);
  auto received = pro.get("/api/communications?box=received").json();
  REQUIRE(received["total"] == 1);
  CHECK(received["items"][0]["unread"] == true);
  CHECK(pro.get("/api/communications?box=sent").json()["total"] == 0);
  const std::string id = std::to_string(received["items"][0]["id"].get<int>());
  auto thread = pro.get("/api/communications/" + id).json();
  CHECK(thread["messages"][0]["author"] == "institute");
  CHECK(pro.get("/api/session").json()["unread"] == 0);
  CHECK(kiosk.count("SELECT count(*) FROM outbox WHERE event = 'institute_wrote'") == 3);

  auto unknown =
      staff.postForm("/api/staff/communications", {{"codice_fiscale", "GRCFNC70D52L219G"},
                                                   {"topic", "deleghe"},
                                                   {"subject", "s"},
                                                   {"body", "b"}});
  CHECK(unknown.status == 404);
  auto invalid = staff.postForm(
      "/api/staff/communications",
      {{"codice_fiscale", "XYZ"}, {"topic", "deleghe"}, {"subject", "s"}, {"body", "b"}});
  CHECK(invalid.errorCode() == "invalid_codice_fiscale");
}

TEST_CASE("staff search the queue by protocol, codice fiscale or subject", "[http]") {
  TestKiosk kiosk;
  HttpClient pro = login(kiosk, "professional");
  HttpClient staff = login(kiosk, "sportello");
  sendOne(pro, "Contributi 2024");
  sendOne(pro, "Sgravio 100% sanzioni");
  auto all = staff.get("/api/staff/communications").json();
  REQUIRE(all["total"] == 2);
  const std::string protocol = all["items"][1]["protocol"];
  CHECK(staff.get("/api/staff/communications?q=" + protocol).json()["total"] == 1);
  CHECK(staff.get("/api/staff/communications?q=rssmra80a01h501u").json()["total"] == 2);
  CHECK(staff.get("/api/staff/communications?q=Contributi").json()["total"] == 1);
  CHECK(staff.get("/api/staff/communications?q=100%25").json()["total"] == 1);  // % is no wildcard
  CHECK(staff.get("/api/staff/communications?q=nessuno").json()["total"] == 0);
  // Partial searches, as the counter types them: the protocol's last digits,
  // the beginning of a codice fiscale, a surname.
  CHECK(staff.get("/api/staff/communications?q=" + protocol.substr(protocol.size() - 3))
            .json()["total"] == 1);
  CHECK(staff.get("/api/staff/communications?q=RSSMRA80").json()["total"] == 2);
  CHECK(staff.get("/api/staff/communications?q=ross").json()["total"] == 2);
  CHECK(staff.get("/api/staff/communications?q=sanz").json()["total"] == 1);  // a word's beginning
  CHECK(staff.get("/api/staff/communications?q=anzioni").json()["total"] == 0);  // not its middle
  // Under 3 characters there is nothing to look for: said in Italian.
  auto short_q = staff.get("/api/staff/communications?q=_");
  CHECK(short_q.status == 422);
  CHECK(short_q.json()["error"]["code"] == "search_too_short");
  CHECK(staff.get("/api/staff/communications?topic=posizione_assicurativa").json()["total"] == 2);
}

TEST_CASE("staff download any attachment", "[http]") {
  TestKiosk kiosk;
  HttpClient pro = login(kiosk, "professional");
  auto r =
      pro.postForm("/api/communications", {{"topic", "rimborso"}, {"subject", "s"}, {"body", "b"}},
                   {{"nota.txt", "contenuto"}});
  REQUIRE(r.status == 201);
  HttpClient staff = login(kiosk, "sportello");
  auto thread =
      staff.get("/api/staff/communications/" + std::to_string(r.json()["id"].get<int>())).json();
  CHECK(thread["codice_fiscale"] == "RSSMRA80A01H501U");
  const int file_id = thread["messages"][0]["attachments"][0]["id"];
  auto dl = staff.get("/api/attachments/" + std::to_string(file_id));
  CHECK(dl.status == 200);
  CHECK(dl.body == "contenuto");
}

TEST_CASE("technicians read no communication and professionals use no staff route", "[http]") {
  TestKiosk kiosk;
  HttpClient pro = login(kiosk, "professional");
  const std::string id = sendOne(pro);
  HttpClient tech = login(kiosk, "tecnico");
  for (const std::string& path :
       {std::string("/api/communications"), "/api/communications/" + id,
        std::string("/api/staff/communications"), "/api/staff/communications/" + id,
        std::string("/api/attachments/1")}) {
    INFO(path);
    CHECK(tech.get(path).status == 403);
  }
  CHECK(tech.send("POST", "/api/staff/communications/" + id + "/take", nullptr).status == 403);
  CHECK(pro.get("/api/staff/communications").status == 403);
  CHECK(pro.send("POST", "/api/staff/communications/" + id + "/take", nullptr).status == 403);
  HttpClient staff = login(kiosk, "sportello");
  CHECK(staff.get("/api/communications").status == 403);
  CHECK(staff.postForm("/api/communications", {{"topic", "rimborso"}}).status == 403);
}

TEST_CASE("an urlencoded body holding a NUL byte gets an answer on every POST route", "[http]") {
  // CivetWeb's form parser spins forever on such a body (upstream #1348).
  TestKiosk kiosk;
  HttpClient pro = login(kiosk, "professional").viaSocket(kiosk.port());
  const std::string id = sendOne(pro);
  HttpClient staff = login(kiosk, "sportello").viaSocket(kiosk.port());
  const std::string nul_body("topic=rimborso\0&subject=x", 25);
  const std::vector<std::pair<HttpClient*, std::string>> routes = {
      {&pro, "/api/session"},
      {&pro, "/api/communications"},
      {&pro, "/api/communications/" + id + "/messages"},
      {&staff, "/api/staff/communications"},
      {&staff, "/api/staff/communications/" + id + "/take"},
      {&staff, "/api/staff/communications/" + id + "/messages"},
      {&staff, "/api/staff/communications/" + id + "/close"},
      {&staff, "/api/staff/professionals/RSSMRA80A01H501U/unlock"},
  };
  for (const auto& [client, path] : routes) {
    INFO(path);
    auto r = client->request(
        "POST", path, nul_body,
        {"Content-Type: application/x-www-form-urlencoded", "X-CSRF-Token: " + client->csrf_token});
    CHECK(r.status >= 400);
    CHECK(r.status < 500);
  }
  CHECK(kiosk.count("SELECT count(*) FROM communications") == 1);
}

TEST_CASE("a technician runs the self-test from the screen and the fleet list shows it", "[http]") {
  // The technician's screen said "mai eseguita" and offered no way to run it.
  TestKiosk kiosk;
  HttpClient tech = login(kiosk, "tecnico");
  const auto before = tech.get("/api/technician/kiosks").json();
  for (const auto& k : before["items"]) CHECK(k["selftest"]["at"].is_null());
  auto r = tech.send("POST", "/api/technician/selftest", nullptr);
  REQUIRE(r.status == 200);
  const auto body = r.json();
  INFO(body.dump());
  CHECK(body["ok"] == true);
  std::map<std::string, json> parts;
  for (const auto& c : body["checks"]) parts[c["part"].get<std::string>()] = c;
  for (const char* part :
       {"database", "storage", "clock", "printer", "scanner", "usb", "mail", "pec", "sms"}) {
    INFO(part);
    REQUIRE(parts.contains(part));
  }
  CHECK(parts["database"]["ok"] == true);
  // The free space of the kiosk's own disk on SQLite; PostgreSQL's is its server's.
  CHECK((parts["storage"]["detail"].get<std::string>().find("MB liberi") != std::string::npos) !=
        test::onPostgres());
  CHECK(parts["printer"]["configured"] == false);
  CHECK(parts["printer"]["detail"] == "nessuna coda in [printer] queue");
  CHECK(parts["mail"]["configured"] == false);
  auto after = tech.get("/api/technician/kiosks").json();
  REQUIRE(after["items"].size() == 1);
  CHECK(after["items"][0]["selftest"]["ok"] == true);
  CHECK_FALSE(after["items"][0]["selftest"]["at"].is_null());
  CHECK(after["items"][0]["selftest"]["summary"].get<std::string>().find("dallo schermo") !=
        std::string::npos);
  // Technicians only.
  CHECK(login(kiosk, "sportello").send("POST", "/api/technician/selftest", nullptr).status == 403);
  CHECK(login(kiosk, "professional").send("POST", "/api/technician/selftest", nullptr).status ==
        403);
  CHECK(kiosk.direct().send("POST", "/api/technician/selftest", nullptr).status == 401);
}

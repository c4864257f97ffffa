#include <catch2/catch.hpp>
#include <regex>
#include <set>
#include <thread>

#include "http/http_client.h"
#include "support/fakes.h"
#include "support/read_file.h"

using namespace kiosk;
using nlohmann::json;
using test::HttpClient;
using test::TestKiosk;

namespace {

const std::string kFiles = KIOSK_TEST_FILES_DIR;
using Fields = std::vector<std::pair<std::string, std::string>>;

HttpClient professional(TestKiosk& kiosk,
                        const std::string& cf = "RSSMRA80A01H501U",
                        const std::string& pin = "12345678") {
  HttpClient c = kiosk.direct();
  REQUIRE(c.loginProfessional(cf, pin).status == 200);
  return c;
}

Fields valid(const std::string& subject = "Richiesta di rimborso") {
  return {{"topic", "rimborso"}, {"subject", subject}, {"body", "Chiedo il rimborso di 120 €."}};
}

HttpClient::File file(const std::string& name) {
  return {name, test::readFile(kFiles + "/" + name)};
}

// Nothing of a refused send may remain: no thread, message, file or notification.
void checkNothingStored(const TestKiosk& kiosk) {
  CHECK(kiosk.count("SELECT count(*) FROM communications") == 0);
  CHECK(kiosk.count("SELECT count(*) FROM messages") == 0);
  CHECK(kiosk.count("SELECT count(*) FROM attachments") == 0);
  CHECK(kiosk.count("SELECT count(*) FROM outbox") == 0);
  CHECK(kiosk.count("SELECT count(*) FROM protocol_counters") == 0);
}

}  // namespace

TEST_CASE("a professional sends a communication with two attachments", "[http]") {
  TestKiosk kiosk;
  HttpClient c = professional(kiosk);
  auto r = c.postForm("/api/communications", valid(), {file("documento.pdf"), file("foto.png")});
  REQUIRE(r.status == 201);
  auto body = r.json();
  CHECK(body["status"] == "aperta");
  CHECK(std::regex_match(body["protocol"].get<std::string>(),
                         std::regex(R"(INPS\.0000\.20\d\d\.0000001)")));
  auto thread = c.get("/api/communications/" + std::to_string(body["id"].get<int>())).json();
  CHECK(thread["subject"] == "Richiesta di rimborso");
  CHECK(thread["topic"] == "rimborso");
  REQUIRE(thread["messages"].size() == 1);
  const auto& files = thread["messages"][0]["attachments"];
  REQUIRE(files.size() == 2);
  CHECK(files[0]["filename"] == "documento.pdf");
  CHECK(files[0]["content_type"] == "application/pdf");
  CHECK(files[0]["size"] == 218);
  CHECK(files[1]["content_type"] == "image/png");
  CHECK(thread["contacts"]["pec"] == "mario.rossi@pec.example.com");
  // Registration notifies the PEC of the contacts in force.
  CHECK(kiosk.count("SELECT count(*) FROM outbox WHERE event = 'registered' AND channel = 'pec' "
                    "AND recipient = 'mario.rossi@pec.example.com'") == 1);
}

TEST_CASE("each refused send answers its code and stores nothing", "[http]") {
  TestKiosk kiosk;
  HttpClient c = professional(kiosk);
  const std::string png = test::readFile(kFiles + "/foto.png");
  struct Case {
    const char* what;
    Fields fields;
    std::vector<HttpClient::File> files;
    const char* code;
    long status;
  };
  std::vector<Case> cases = {
      {"a sixth file", valid(), std::vector<HttpClient::File>(6, file("foto.png")),
       "too_many_attachments", 422},
      {"1 MiB + 1 byte",
       valid(),
       {{"grande.txt", std::string(1024 * 1024 + 1, 'a')}},
       "attachment_too_large",
       422},
      {"a program renamed .pdf",
       valid(),
       {{"fattura.pdf", test::readFile(kFiles + "/programma.elf")}},
       "attachment_type_not_allowed",
       422},
      {"a PNG named .pdf", valid(), {{"foto.pdf", png}}, "attachment_type_not_allowed", 422},
      {"HTML named .txt",
       valid(),
       {{"nota.txt", test::readFile(kFiles + "/pagina.html")}},
       "attachment_type_not_allowed",
       422},
      {"an SVG", valid(), {file("disegno.svg")}, "attachment_type_not_allowed", 422},
      {"a zip archive", valid(), {file("archivio.zip")}, "attachment_type_not_allowed", 422},
      {"a shell script", valid(), {file("script.sh")}, "attachment_type_not_allowed", 422},
      {"an empty file", valid(), {{"vuoto.pdf", ""}}, "empty_attachment", 422},
      {"a bad topic",
       {{"topic", "vacanze"}, {"subject", "s"}, {"body", "b"}},
       {},
       "invalid_topic",
       422},
      {"no subject",
       {{"topic", "rimborso"}, {"subject", "  "}, {"body", "b"}},
       {},
       "invalid_subject",
       422},
      {"a 151-character subject", valid(std::string(151, 's')), {}, "invalid_subject", 422},
      {"no body", {{"topic", "rimborso"}, {"subject", "s"}, {"body", ""}}, {}, "invalid_body", 422},
      {"a 10,001-character body",
       {{"topic", "rimborso"}, {"subject", "s"}, {"body", std::string(10001, 'b')}},
       {},
       "invalid_body",
       422},
      {"a bad extra e-mail",
       {{"topic", "rimborso"}, {"subject", "s"}, {"body", "b"}, {"extra_email", "chi@"}},
       {},
       "invalid_extra_email",
       422},
  };
  for (const auto& k : cases) {
    INFO(k.what);
    auto r = c.postForm("/api/communications", k.fields, k.files);
    CHECK(r.status == k.status);
    CHECK(r.errorCode() == k.code);
    CHECK_FALSE(r.json()["error"]["message"].get<std::string>().empty());
    checkNothingStored(kiosk);
  }
  // The connection and the session still work after every refusal.
  CHECK(c.get("/api/communications").json()["total"] == 0);
}

TEST_CASE("a professional without PEC cannot send and nothing is stored", "[http]") {
  TestKiosk kiosk;
  kiosk.addProfessional("GRCFNC70D52L219G", "Francesca", "");
  HttpClient c = professional(kiosk, "GRCFNC70D52L219G");
  auto r = c.postForm("/api/communications", valid());
  CHECK(r.status == 422);
  CHECK(r.errorCode() == "pec_required");
  checkNothingStored(kiosk);
}

TEST_CASE("an attachment of exactly 1 MiB is accepted", "[http]") {
  TestKiosk kiosk;
  HttpClient c = professional(kiosk);
  auto r =
      c.postForm("/api/communications", valid(), {{"limite.txt", std::string(1024 * 1024, 'a')}});
  REQUIRE(r.status == 201);
  CHECK(kiosk.count("SELECT size FROM attachments") == 1024 * 1024);
}

TEST_CASE("every allowed type is accepted when content and extension agree", "[http]") {
  TestKiosk kiosk;
  HttpClient c = professional(kiosk);
  for (const char* name :
       {"documento.pdf", "documento.pdf.p7m", "foto.jpg", "foto.png", "scansione.tif", "nota.txt",
        "elenco.csv", "lettera.docx", "tabella.xlsx", "testo.odt", "foglio.ods"}) {
    INFO(name);
    CHECK(c.postForm("/api/communications", valid(), {file(name)}).status == 201);
  }
}

TEST_CASE("file names are cleaned and never used as paths", "[http]") {
  TestKiosk kiosk;
  HttpClient c = professional(kiosk);
  auto r = c.postForm("/api/communications", valid(),
                      {{"..\\..\\windows\\sys\x01tem32\\foto.png", file("foto.png").data},
                       {"../../etc/.passwd.png", file("foto.png").data}});
  REQUIRE(r.status == 201);
  auto thread = c.get("/api/communications/" + std::to_string(r.json()["id"].get<int>())).json();
  const auto& files = thread["messages"][0]["attachments"];
  CHECK(files[0]["filename"] == "foto.png");
  CHECK(files[1]["filename"] == "passwd.png");
}

TEST_CASE("the same idempotency key answers the first result and registers nothing new", "[http]") {
  TestKiosk kiosk;
  HttpClient c = professional(kiosk);
  Fields fields = valid();
  fields.emplace_back("idempotency_key", "tap-7f3a");
  auto first = c.postForm("/api/communications", fields, {file("foto.png")});
  REQUIRE(first.status == 201);
  auto second = c.postForm("/api/communications", fields, {file("foto.png")});
  CHECK(second.status == 200);
  CHECK(second.json()["protocol"] == first.json()["protocol"]);
  CHECK(second.json()["id"] == first.json()["id"]);
  CHECK(kiosk.count("SELECT count(*) FROM communications") == 1);
  CHECK(kiosk.count("SELECT count(*) FROM attachments") == 1);
  // Another professional's identical key is theirs alone.
  kiosk.addProfessional("GRCFNC70D52L219G", "Francesca", "f@pec.example.com");
  HttpClient other = professional(kiosk, "GRCFNC70D52L219G");
  CHECK(other.postForm("/api/communications", fields).status == 201);
}

TEST_CASE("eight sends at once get unique sequential protocol numbers", "[http]") {
  TestKiosk kiosk({.configure = [](config::Config& c) {
    c.threads = 8;
    c.concurrent_logins = 8;  // the eight log in at once too
  }});
  std::vector<std::string> protocols(8);
  std::vector<long> statuses(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      HttpClient c = kiosk.direct();
      if (c.loginProfessional("RSSMRA80A01H501U", "12345678").status != 200) return;
      auto r = c.postForm("/api/communications", valid("Invio " + std::to_string(i)),
                          {{"nota.txt", "testo " + std::to_string(i)}});
      statuses[static_cast<std::size_t>(i)] = r.status;
      if (r.status == 201) protocols[static_cast<std::size_t>(i)] = r.json()["protocol"];
    });
  }
  for (auto& t : threads) t.join();
  for (long s : statuses) CHECK(s == 201);
  std::set<std::string> unique(protocols.begin(), protocols.end());
  CHECK(unique.size() == 8);
  std::set<std::string> sequences;
  for (const auto& p : protocols) sequences.insert(p.substr(p.size() - 7));
  CHECK(*sequences.begin() == "0000001");
  CHECK(*sequences.rbegin() == "0000008");
  CHECK(kiosk.count("SELECT count(*) FROM communications") == 8);
  CHECK(kiosk.count("SELECT count(*) FROM attachments") == 8);
}

TEST_CASE("box=all lists the unread threads of both boxes, for the Da leggere view", "[http]") {
  TestKiosk kiosk;
  HttpClient pro = professional(kiosk);
  auto sent = pro.postForm("/api/communications", valid("Mia domanda"));
  REQUIRE(sent.status == 201);
  const int id = sent.json()["id"];
  HttpClient staff = kiosk.direct();
  REQUIRE(staff.loginStaff("sportello", "sportello-demo").status == 200);
  REQUIRE(staff.send("POST", "/api/staff/communications/" + std::to_string(id) + "/take", nullptr)
              .status == 200);
  REQUIRE(staff
              .postForm("/api/staff/communications/" + std::to_string(id) + "/messages",
                        {{"body", "Risposta"}})
              .status == 201);
  REQUIRE(staff
              .postForm("/api/staff/communications", {{"codice_fiscale", "RSSMRA80A01H501U"},
                                                      {"topic", "rimborso"},
                                                      {"subject", "Avviso"},
                                                      {"body", "Testo"}})
              .status == 201);
  // The reply sits under "sent", the Institute's thread under "received".
  CHECK(pro.get("/api/communications?box=received&unread=true").json()["total"] == 1);
  auto all = pro.get("/api/communications?box=all&unread=true").json();
  CHECK(all["total"] == 2);
  std::set<std::string> boxes;
  for (const auto& item : all["items"]) boxes.insert(item["box"].get<std::string>());
  CHECK(boxes == std::set<std::string>{"sent", "received"});
  CHECK(pro.get("/api/communications?box=other").status == 422);
}

TEST_CASE("lists filter by box, state, topic and unread, newest first, with paging", "[http]") {
  TestKiosk kiosk;
  HttpClient c = professional(kiosk);
  for (int i = 0; i < 5; ++i) {
    Fields f = {{"topic", i % 2 ? "normativa" : "rimborso"},
                {"subject", "Oggetto " + std::to_string(i)},
                {"body", "b"}};
    REQUIRE(c.postForm("/api/communications", f).status == 201);
  }
  auto all = c.get("/api/communications?box=sent").json();
  CHECK(all["total"] == 5);
  CHECK(all["items"][0]["subject"] == "Oggetto 4");  // newest first
  CHECK(c.get("/api/communications?topic=normativa").json()["total"] == 2);
  CHECK(c.get("/api/communications?status=aperta").json()["total"] == 5);
  CHECK(c.get("/api/communications?status=chiusa").json()["total"] == 0);
  CHECK(c.get("/api/communications?unread=true").json()["total"] == 0);
  CHECK(c.get("/api/communications?box=received").json()["total"] == 0);
  auto page2 = c.get("/api/communications?per_page=2&page=2").json();
  CHECK(page2["total"] == 5);
  REQUIRE(page2["items"].size() == 2);
  CHECK(page2["items"][0]["subject"] == "Oggetto 2");
  CHECK(c.get("/api/communications?status=boh").errorCode() == "invalid_status");
  CHECK(c.get("/api/communications?topic=boh").errorCode() == "invalid_topic");
  CHECK(c.get("/api/communications?box=trash").errorCode() == "invalid_box");
  CHECK(c.get("/api/communications?per_page=1000").errorCode() == "invalid_page");
}

TEST_CASE("a download is the stored file as an attachment with its type", "[http]") {
  TestKiosk kiosk;
  HttpClient c = professional(kiosk).viaSocket(kiosk.port());  // the server's headers too
  const auto pdf = file("documento.pdf");
  auto r = c.postForm("/api/communications", valid(), {{"Ricevuta città € 2026.pdf", pdf.data}});
  REQUIRE(r.status == 201);
  auto thread = c.get("/api/communications/" + std::to_string(r.json()["id"].get<int>())).json();
  const int id = thread["messages"][0]["attachments"][0]["id"];
  auto dl = c.get("/api/attachments/" + std::to_string(id));
  REQUIRE(dl.status == 200);
  CHECK(dl.body == pdf.data);
  CHECK(dl.header("content-type") == "application/pdf");
  CHECK(dl.header("x-content-type-options") == "nosniff");
  CHECK(dl.header("content-disposition") ==
        "attachment; filename=\"Ricevuta citt_ _ 2026.pdf\"; "
        "filename*=UTF-8''Ricevuta%20citt%C3%A0%20%E2%82%AC%202026.pdf");
}

TEST_CASE("another professional gets 404 on every route of a thread", "[http]") {
  TestKiosk kiosk;
  HttpClient owner = professional(kiosk);
  auto r = owner.postForm("/api/communications", valid(), {file("foto.png")});
  REQUIRE(r.status == 201);
  const std::string id = std::to_string(r.json()["id"].get<int>());
  const auto thread = owner.get("/api/communications/" + id).json();
  const std::string file_id =
      std::to_string(thread["messages"][0]["attachments"][0]["id"].get<int>());

  kiosk.addProfessional("GRCFNC70D52L219G", "Francesca", "f@pec.example.com");
  HttpClient other = professional(kiosk, "GRCFNC70D52L219G");
  CHECK(other.get("/api/communications/" + id).status == 404);
  CHECK(other.get("/api/attachments/" + file_id).status == 404);
  CHECK(other.postForm("/api/communications/" + id + "/messages", {{"body", "intruso"}}).status ==
        404);
  CHECK(other.get("/api/communications").json()["total"] == 0);
  CHECK(other.get("/api/communications/999999").status == 404);
  CHECK(other.get("/api/communications/abc").status == 404);
  CHECK(kiosk.count("SELECT count(*) FROM messages") == 1);
}

TEST_CASE("a professional adds a message with attachments to an open thread", "[http]") {
  TestKiosk kiosk;
  HttpClient c = professional(kiosk);
  auto r = c.postForm("/api/communications", valid());
  const std::string id = std::to_string(r.json()["id"].get<int>());
  auto m = c.postForm("/api/communications/" + id + "/messages", {{"body", "Integro i documenti."}},
                      {file("documento.pdf")});
  REQUIRE(m.status == 201);
  CHECK(m.json()["author"] == "professional");
  CHECK(m.json()["attachments"].size() == 1);
  auto thread = c.get("/api/communications/" + id).json();
  REQUIRE(thread["messages"].size() == 2);
  CHECK(thread["messages"][1]["body"] == "Integro i documenti.");
  auto bad = c.postForm("/api/communications/" + id + "/messages", {{"body", ""}});
  CHECK(bad.errorCode() == "invalid_body");
}

TEST_CASE("a send must be multipart and carry the CSRF token", "[http]") {
  TestKiosk kiosk;
  HttpClient c = professional(kiosk);
  auto json_send = c.send("POST", "/api/communications", {{"topic", "rimborso"}});
  CHECK(json_send.status == 415);
  const std::string token = c.csrf_token;
  c.csrf_token.clear();
  CHECK(c.postForm("/api/communications", valid()).errorCode() == "csrf");
  checkNothingStored(kiosk);
}

TEST_CASE("a clock from before the build (a dead RTC battery) registers nothing", "[http]") {
  test::FakeClock clock;
  TestKiosk kiosk({.clock = &clock});
  HttpClient c = kiosk.direct();
  REQUIRE(c.loginProfessional("RSSMRA80A01H501U", "12345678").status == 200);
  CHECK(kiosk.direct().get("/healthz").status == 200);
  clock.stepWall(-25LL * 365 * 86400);  // 2001
  auto refused = c.postForm("/api/communications",
                            {{"topic", "rimborso"}, {"subject", "Prova"}, {"body", "Testo"}});
  CHECK(refused.status == 503);
  CHECK(refused.errorCode() == "clock_implausible");
  CHECK(refused.json()["error"]["message"].get<std::string>().find("orologio") !=
        std::string::npos);
  auto health = kiosk.direct().get("/healthz");
  CHECK(health.status == 503);
  CHECK(health.json()["clock"] == "clock_implausible");
  CHECK(kiosk.count("SELECT count(*) FROM communications") == 0);
  clock.stepWall(25LL * 365 * 86400);  // NTP puts it right: it works again
  CHECK(c.postForm("/api/communications",
                   {{"topic", "rimborso"}, {"subject", "Prova"}, {"body", "Testo"}})
            .status == 201);
}

TEST_CASE("fair use: a professional's sends an hour and attachment bytes a day are capped",
          "[http][hardening]") {
  // One professional filled the disk in 7 s (61 sends of 5 × 1 MiB) and
  // everyone else then got 507. Limits per professional, in Italian, with
  // when to come back; nothing of a refused send is stored.
  test::FakeClock clock;  // 18/11/2026 12:06 in Rome
  TestKiosk kiosk({.configure =
                       [](config::Config& c) {
                         c.fair_use_daily_mb = 3;
                         c.fair_use_sends_per_hour = 4;
                       },
                   .clock = &clock});
  kiosk.addProfessional("GRCFNC70D52L219G", "Francesca", "f@pec.example.com");
  const std::string mib(1024 * 1024, 'a');
  HttpClient c = professional(kiosk);
  REQUIRE(
      c.postForm("/api/communications", valid("Uno"), {{"a.txt", mib}, {"b.txt", mib}}).status ==
      201);
  // A third MiB fits the day; a fourth does not, and says how much is left.
  auto id = c.postForm("/api/communications", valid("Due"), {{"c.txt", mib}});
  REQUIRE(id.status == 201);
  const std::string thread = std::to_string(id.json()["id"].get<int>());
  auto over = c.postForm("/api/communications/" + thread + "/messages", {{"body", "Altro"}},
                         {{"d.txt", "Testo di prova.\n"}});
  CHECK(over.status == 429);
  CHECK(over.errorCode() == "daily_quota_exceeded");
  const std::string said = over.json()["error"]["message"].get<std::string>();
  INFO(said);
  CHECK(said.find("3 MB") != std::string::npos);
  CHECK(said.find("domani") != std::string::npos);
  CHECK(std::stoi(over.header("retry-after")) > 0);
  CHECK(std::stoi(over.header("retry-after")) <= 86400);
  // Without attachments it still goes (the message is not the problem).
  REQUIRE(c.postForm("/api/communications/" + thread + "/messages", {{"body", "Senza"}}).status ==
          201);
  // The fourth message this hour is the last one.
  REQUIRE(c.postForm("/api/communications", valid("Tre")).status == 201);
  const auto threads = kiosk.count("SELECT count(*) FROM communications");
  const auto messages = kiosk.count("SELECT count(*) FROM messages");
  const auto outbox = kiosk.count("SELECT count(*) FROM outbox");
  auto rate = c.postForm("/api/communications", valid("Quattro"));
  CHECK(rate.status == 429);
  CHECK(rate.errorCode() == "send_rate_exceeded");
  CHECK(rate.json()["error"]["message"].get<std::string>().find("dalle ore 13:06") !=
        std::string::npos);
  CHECK(rate.header("retry-after") == "3600");
  CHECK(kiosk.count("SELECT count(*) FROM communications") == threads);
  CHECK(kiosk.count("SELECT count(*) FROM messages") == messages);
  CHECK(kiosk.count("SELECT count(*) FROM outbox") == outbox);
  CHECK(kiosk.count("SELECT last FROM protocol_counters") == 3);  // no number used up
  // Someone else at the kiosk is not held back.
  HttpClient other = professional(kiosk, "GRCFNC70D52L219G");
  CHECK(other.postForm("/api/communications", valid("Altra"), {{"e.txt", mib}}).status == 201);
  // An hour later the rate allows more; the day's bytes are still spent.
  clock.advance(3601);
  c = professional(kiosk);
  CHECK(c.postForm("/api/communications", valid("Cinque")).status == 201);
  CHECK(c.postForm("/api/communications", valid("Sei"), {{"f.txt", "Testo di prova.\n"}})
            .errorCode() == "daily_quota_exceeded");
  // The next day in Rome the bytes count again from zero.
  clock.advance(86400);
  c = professional(kiosk);
  CHECK(c.postForm("/api/communications", valid("Sette"), {{"g.txt", mib}}).status == 201);
}

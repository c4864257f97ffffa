#include <catch2/catch.hpp>
#include <fstream>

#include "http/http_client.h"
#include "receipts/pdf_receipt.h"
#include "support/fakes.h"
#include "support/read_file.h"
#include "support/shell.h"
#include "support/temp_dir.h"

using namespace kiosk;
using nlohmann::json;
using test::HttpClient;
using test::TestKiosk;

namespace {

HttpClient login(TestKiosk& kiosk, const std::string& who) {
  HttpClient c = kiosk.direct();
  if (who == "professional") {
    REQUIRE(c.loginProfessional("RSSMRA80A01H501U", "12345678").status == 200);
  } else {
    REQUIRE(c.loginStaff(who, who + "-demo").status == 200);
  }
  return c;
}

std::string sendOne(HttpClient& pro) {
  auto r = pro.postForm("/api/communications",
                        {{"topic", "rimborso"}, {"subject", "Rimborso"}, {"body", "Testo"}},
                        {{"nota.txt", "contenuto"}});
  REQUIRE(r.status == 201);
  return std::to_string(r.json()["id"].get<int>());
}

std::string urlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("the owner downloads a receipt that the verification page accepts", "[http]") {
  TestKiosk kiosk;
  HttpClient pro = login(kiosk, "professional").viaSocket(kiosk.port());  // the server's headers
  const std::string id = sendOne(pro);
  auto pdf = pro.get("/api/communications/" + id + "/receipt.pdf");
  REQUIRE(pdf.status == 200);
  CHECK(pdf.header("content-type") == "application/pdf");
  CHECK(pdf.body.starts_with("%PDF-"));
  CHECK(pdf.header("cache-control") == "no-store");
  auto record = receipts::recordFromPdf(pdf.body);
  REQUIRE(record);
  auto page = kiosk.direct().get("/verifica?r=" + urlEncode(*record));  // no login needed
  REQUIRE(page.status == 200);
  CHECK(page.body.find("Ricevuta valida") != std::string::npos);
  CHECK(page.body.find("INPS.0000.") != std::string::npos);
  // Metadata only: no name, no codice fiscale, no text.
  CHECK(page.body.find("RSSMRA80A01H501U") == std::string::npos);
  CHECK(page.body.find("Mario") == std::string::npos);
  CHECK(page.body.find("contenuto") == std::string::npos);
}

TEST_CASE("a tampered record is refused by the page, and the page escapes what it echoes",
          "[http]") {
  TestKiosk kiosk;
  HttpClient pro = login(kiosk, "professional");
  const std::string id = sendOne(pro);
  auto record =
      *receipts::recordFromPdf(pro.get("/api/communications/" + id + "/receipt.pdf").body);
  std::string tampered = record;
  tampered[record.rfind(';') - 1] = tampered[record.rfind(';') - 1] == 'a' ? 'b' : 'a';
  auto page = kiosk.direct().get("/verifica?r=" + urlEncode(tampered));
  CHECK(page.body.find("Ricevuta NON valida") != std::string::npos);
  auto xss = kiosk.direct().get("/verifica?r=" + urlEncode("<script>alert(1)</script>"));
  CHECK(xss.body.find("<script>alert(1)</script>") == std::string::npos);
  CHECK(xss.body.find("&lt;script&gt;") != std::string::npos);
}

TEST_CASE("each message the professional adds has its own receipt, replies have none", "[http]") {
  TestKiosk kiosk;
  HttpClient pro = login(kiosk, "professional");
  const std::string id = sendOne(pro);
  auto added = pro.postForm("/api/communications/" + id + "/messages", {{"body", "Integrazione"}});
  REQUIRE(added.status == 201);
  const std::string mid = std::to_string(added.json()["id"].get<int>());
  auto r = pro.get("/api/communications/" + id + "/messages/" + mid + "/receipt.pdf");
  REQUIRE(r.status == 200);
  CHECK(receipts::recordFromPdf(r.body)->find(";" + mid + ";") != std::string::npos);
  HttpClient staff = login(kiosk, "sportello");
  auto reply = staff.postForm("/api/staff/communications/" + id + "/messages", {{"body", "Ok"}});
  const std::string rid = std::to_string(reply.json()["id"].get<int>());
  CHECK(pro.get("/api/communications/" + id + "/messages/" + rid + "/receipt.pdf").status == 404);
}

TEST_CASE("receipts: another professional 404, staff reprint, technicians 403", "[http]") {
  TestKiosk kiosk;
  HttpClient pro = login(kiosk, "professional");
  const std::string id = sendOne(pro);
  kiosk.addProfessional("GRCFNC70D52L219G", "Francesca", "f@pec.example.com");
  HttpClient other = kiosk.direct();
  REQUIRE(other.loginProfessional("GRCFNC70D52L219G", "12345678").status == 200);
  CHECK(other.get("/api/communications/" + id + "/receipt.pdf").status == 404);
  CHECK(other.send("POST", "/api/communications/" + id + "/print", nullptr).status == 404);
  HttpClient staff = login(kiosk, "sportello");
  auto reprint = staff.get("/api/staff/communications/" + id + "/receipt.pdf");
  CHECK(reprint.status == 200);
  CHECK(reprint.body.starts_with("%PDF-"));
  HttpClient tech = login(kiosk, "tecnico");
  CHECK(tech.get("/api/communications/" + id + "/receipt.pdf").status == 403);
  CHECK(tech.get("/api/staff/communications/" + id + "/receipt.pdf").status == 403);
}

TEST_CASE("printing without a printer answers 503 printer_unavailable", "[http]") {
  TestKiosk kiosk;
  HttpClient pro = login(kiosk, "professional");
  const std::string id = sendOne(pro);
  auto r = pro.send("POST", "/api/communications/" + id + "/print", nullptr);
  CHECK(r.status == 503);
  CHECK(r.errorCode() == "printer_unavailable");
  auto devices = pro.get("/api/devices").json();
  CHECK(devices["printer"]["status"] == "not_configured");
  CHECK(devices["scanner"]["status"] == "not_configured");
  CHECK_FALSE(devices["printer"].contains("detail"));  // details are for technicians
}

TEST_CASE("attachments print as PDFs and pictures only, for their owner and staff", "[http]") {
  TestKiosk kiosk;
  HttpClient pro = login(kiosk, "professional");
  auto sent = pro.postForm(
      "/api/communications", {{"topic", "rimborso"}, {"subject", "Rimborso"}, {"body", "Testo"}},
      {{"nota.txt", "contenuto"},
       {"foto.png", test::readFile(std::string(KIOSK_TEST_FILES_DIR) + "/foto.png")}});
  REQUIRE(sent.status == 201);
  auto thread = pro.get("/api/communications/" + std::to_string(sent.json()["id"].get<int>()));
  const auto body = thread.json();
  const auto& files = body["messages"][0]["attachments"];
  REQUIRE(files.size() == 2);
  const std::string text = std::to_string(files[0]["id"].get<int>());
  const std::string picture = std::to_string(files[1]["id"].get<int>());
  auto refused = pro.send("POST", "/api/attachments/" + text + "/print", nullptr);
  CHECK(refused.status == 422);
  CHECK(refused.errorCode() == "not_printable");
  // A picture goes to the printer, which this kiosk does not have.
  CHECK(pro.send("POST", "/api/attachments/" + picture + "/print", nullptr).errorCode() ==
        "printer_unavailable");
  HttpClient staff = login(kiosk, "sportello");
  CHECK(staff.send("POST", "/api/attachments/" + picture + "/print", nullptr).errorCode() ==
        "printer_unavailable");
  HttpClient tech = login(kiosk, "tecnico");
  CHECK(tech.send("POST", "/api/attachments/" + picture + "/print", nullptr).status == 403);
  kiosk.addProfessional("GRCFNC70D52L219G", "Francesca", "f@pec.example.com");
  HttpClient other = kiosk.direct();
  REQUIRE(other.loginProfessional("GRCFNC70D52L219G", "12345678").status == 200);
  CHECK(other.send("POST", "/api/attachments/" + picture + "/print", nullptr).status == 404);
}

TEST_CASE("the receipt goes to the thread's PEC, once an hour, for the owner only", "[http]") {
  test::FakeClock clock;
  TestKiosk kiosk({.clock = &clock});
  HttpClient pro = login(kiosk, "professional");
  const std::string id = sendOne(pro);
  auto queued = pro.send("POST", "/api/communications/" + id + "/receipt/pec", nullptr);
  REQUIRE(queued.status == 202);
  CHECK(queued.json()["to"] == "mario.rossi@pec.example.com");
  CHECK(kiosk.count("SELECT count(*) FROM outbox WHERE event = 'receipt' AND channel = 'pec'") ==
        1);
  CHECK(kiosk.count("SELECT count(*) FROM audit_log WHERE action = 'receipt_mailed'") == 1);
  // Not a relay: again within the hour is refused, saying when; a PEC typed
  // afterwards is not used (the thread's snapshot is).
  auto again = pro.send("POST", "/api/communications/" + id + "/receipt/pec", nullptr);
  CHECK(again.status == 429);
  CHECK(again.errorCode() == "receipt_recently_mailed");
  CHECK(std::stoi(again.header("retry-after")) > 3500);
  CHECK(again.json()["error"]["message"].get<std::string>().find("di nuovo dalle") !=
        std::string::npos);
  REQUIRE(pro.send("PUT", "/api/contacts",
                   {{"pec", "altro@pec.example.org"},
                    {"email", ""},
                    {"mobile", ""},
                    {"notify", nlohmann::json::array({"pec"})}})
              .status == 200);
  const std::string second = sendOne(pro);  // registered with the new PEC
  clock.advance(3601);
  pro = login(kiosk, "professional");  // the session ended meanwhile
  auto later = pro.send("POST", "/api/communications/" + id + "/receipt/pec", nullptr);
  REQUIRE(later.status == 202);
  CHECK(later.json()["to"] == "mario.rossi@pec.example.com");  // the first thread's snapshot
  CHECK(pro.send("POST", "/api/communications/" + second + "/receipt/pec", nullptr).json()["to"] ==
        "altro@pec.example.org");
  for (int i = 0; i < 30; ++i)
    (void)pro.send("POST", "/api/communications/" + id + "/receipt/pec", nullptr);
  CHECK(kiosk.count("SELECT count(*) FROM outbox WHERE event = 'receipt'") == 3);
  HttpClient staff = login(kiosk, "sportello");
  CHECK(staff.send("POST", "/api/communications/" + id + "/receipt/pec", nullptr).status == 403);
  kiosk.addProfessional("GRCFNC70D52L219G", "Francesca", "");
  HttpClient other = kiosk.direct();
  REQUIRE(other.loginProfessional("GRCFNC70D52L219G", "12345678").status == 200);
  CHECK(other.send("POST", "/api/communications/" + id + "/receipt/pec", nullptr).status == 404);
  CHECK(kiosk.count("SELECT count(*) FROM outbox WHERE event = 'receipt'") == 3);
}

TEST_CASE("a printer queue that CUPS does not know is unavailable, not a crash", "[http]") {
  TestKiosk kiosk({.configure = [](config::Config& c) { c.printer_queue = "NoSuchQueue"; }});
  HttpClient pro = login(kiosk, "professional");
  const std::string id = sendOne(pro);
  auto r = pro.send("POST", "/api/communications/" + id + "/print", nullptr);
  CHECK(r.status == 503);
  CHECK(r.errorCode() == "printer_unavailable");
  CHECK(pro.get("/api/devices").json()["printer"]["status"] == "unavailable");
}

TEST_CASE("the large-print receipt says the same at 16 pt and up, and still verifies", "[http]") {
  TestKiosk kiosk;
  HttpClient pro = login(kiosk, "professional");
  const std::string id = sendOne(pro);
  auto normal = pro.get("/api/communications/" + id + "/receipt.pdf");
  auto large = pro.get("/api/communications/" + id + "/receipt.pdf?large=1");
  REQUIRE(normal.status == 200);
  REQUIRE(large.status == 200);
  test::TempDir dir;
  for (auto [name, body] :
       {std::pair{"normal.pdf", &normal.body}, std::pair{"large.pdf", &large.body}}) {
    std::ofstream(dir.file(name), std::ios::binary) << *body;
  }
  // The text, in order, without the spaces and line breaks that wrap
  // differently, nor the "(segue)" of a second page; and the smallest
  // word's box as pdftotext measures it (ascent to descent: 0.786 of the
  // size for Helvetica and Courier, so 16 pt is 12.58).
  auto words = [&](const char* name) {
    return test::run("pdftotext -raw " + dir.file(name) +
                     " - | sed 's/(segue)//g' | tr -d ' \\n\\f'")
        .second;
  };
  auto smallest = [&](const char* name) {
    return std::stod(
        test::run("pdftotext -bbox " + dir.file(name) +
                  " - | sed -n 's/.*yMin=\"\\([0-9.]*\\)\" xMax=\"[0-9.]*\" "
                  "yMax=\"\\([0-9.]*\\)\".*/\\1 \\2/p' | awk '{h = $2 - $1; if (min == "
                  "\"\" || h < min) min = h} END {print min}'")
            .second);
  };
  CHECK(words("large.pdf") == words("normal.pdf"));
  CHECK(words("large.pdf").find("INPS.0000.") != std::string::npos);
  CHECK(smallest("normal.pdf") < 8);
  CHECK(smallest("large.pdf") >= 12.5);
  auto record = receipts::recordFromPdf(large.body);
  REQUIRE(record);
  CHECK(kiosk.direct().get("/verifica?r=" + urlEncode(*record)).body.find("Ricevuta valida") !=
        std::string::npos);
}

#include "domain/archive_import.h"

#include <catch2/catch.hpp>

#include "core/clock.h"
#include "domain/contacts.h"
#include "support/fakes.h"
#include "support/read_file.h"
#include "support/temp_store.h"

using namespace kiosk;
using namespace kiosk::domain;

namespace {

const std::string kFixtures = KIOSK_FIXTURES_DIR;
constexpr const char* kHeader = "codice_fiscale;cognome;nome;pec;email;cellulare\n";

std::vector<int> lines(const std::vector<LineIssue>& issues) {
  std::vector<int> out;
  for (const auto& i : issues) out.push_back(i.line);
  return out;
}

}  // namespace

TEST_CASE("the extract with errors gives 7 accepted, 3 rejected and 1 warning", "[domain]") {
  const std::string csv = test::readFile(kFixtures + "/gs-archive-with-errors.csv");
  REQUIRE_FALSE(csv.empty());
  test::TempStore store;
  test::FakeClock clock;
  auto r = importArchive(store, clock, csv);
  REQUIRE(r);
  CHECK(r->added == 7);
  CHECK(r->updated == 0);
  CHECK(lines(r->rejected) == std::vector<int>{6, 7, 11});
  CHECK(lines(r->warnings) == std::vector<int>{8});
  CHECK(r->rejected[0].reason.find("carattere di controllo") != std::string::npos);
  CHECK(r->rejected[2].reason.find("colonne") != std::string::npos);
  CHECK(store.snapshot().professionals.size() == 7);
}

TEST_CASE("an invalid contact in an accepted row is left empty", "[domain]") {
  test::TempStore store;
  test::FakeClock clock;
  auto r = importArchive(
      store, clock,
      std::string(kHeader) + "VRDGPP70C15F205N;Verdi;Giuseppe;not-an-email;g@x.it;\n");
  REQUIRE(r);
  const auto state = store.snapshot();
  REQUIRE(state.contacts.size() == 1);
  const auto& c = state.contacts.begin()->second.back().contacts;
  CHECK(c.pec.empty());
  CHECK(c.email == "g@x.it");
  CHECK(c.notify == std::vector<std::string>{"email"});
}

TEST_CASE("the full synthetic archive imports every row", "[domain]") {
  const std::string csv = test::readFile(kFixtures + "/gs-archive.csv");
  test::TempStore store;
  test::FakeClock clock;
  auto r = importArchive(store, clock, csv);
  REQUIRE(r);
  CHECK(r->added == 61);
  CHECK(r->rejected.empty());
}

TEST_CASE("re-importing updates names and archive contacts", "[domain]") {
  test::TempStore store;
  test::FakeClock clock;
  REQUIRE(importArchive(store, clock,
                        std::string(kHeader) + "RSSMRA80A01H501U;Rossi;Mario;a@pec.it;;\n"));
  auto again = importArchive(
      store, clock, std::string(kHeader) + "RSSMRA80A01H501U;Rossi;Mario Luigi;b@pec.it;;\n");
  REQUIRE(again);
  CHECK(again->added == 0);
  CHECK(again->updated == 1);
  const auto state = store.snapshot();
  CHECK(state.professionals.begin()->second.name == "Mario Luigi");
  const auto& versions = state.contacts.begin()->second;
  REQUIRE(versions.size() == 2);
  CHECK(versions.back().contacts.pec == "b@pec.it");
}

TEST_CASE("re-importing never overwrites contacts the professional changed", "[domain]") {
  test::TempStore store;
  test::FakeClock clock;
  REQUIRE(importArchive(store, clock,
                        std::string(kHeader) + "RSSMRA80A01H501U;Rossi;Mario;a@pec.it;;\n"));
  const auto id = store.snapshot().professionals.begin()->first;
  ContactsService contacts(store, clock);
  ContactsInput mine;
  mine.pec = "mia@pec.it";
  REQUIRE(contacts.update(id, mine, "professional"));
  REQUIRE(importArchive(store, clock,
                        std::string(kHeader) + "RSSMRA80A01H501U;Rossi;Mario;archivio@pec.it;;\n"));
  CHECK(contacts.current(id)->contacts.pec == "mia@pec.it");
}

TEST_CASE("telefono and fax columns are read when present", "[domain]") {
  test::TempStore store;
  test::FakeClock clock;
  auto r = importArchive(store, clock,
                         "codice_fiscale;cognome;nome;pec;email;cellulare;telefono;fax\n"
                         "RSSMRA80A01H501U;Rossi;Mario;a@pec.it;;;06 1234567;06-7654321\n"
                         "GRCFNC70D52L219G;Greco;Francesca;f@pec.it;;\n");
  REQUIRE(r);
  CHECK(r->added == 1);
  CHECK(lines(r->rejected) == std::vector<int>{3});  // 6 columns where the header has 8
  const auto c = store.snapshot().contacts.begin()->second.back().contacts;
  CHECK(c.phone == "061234567");
  CHECK(c.fax == "067654321");
}

TEST_CASE("a file with another header is refused whole", "[domain]") {
  test::TempStore store;
  test::FakeClock clock;
  auto r = importArchive(store, clock, "cf;surname;name\nRSSMRA80A01H501U;Rossi;Mario\n");
  REQUIRE_FALSE(r);
  CHECK(r.error().reason == "invalid_header");
  CHECK(store.snapshot().professionals.empty());
  CHECK_FALSE(importArchive(store, clock, ""));
}

TEST_CASE("BOM, CRLF line ends, quotes and blank lines are handled", "[domain]") {
  test::TempStore store;
  test::FakeClock clock;
  auto r = importArchive(store, clock,
                         "\xEF\xBB\xBF"
                         "codice_fiscale;cognome;nome;pec;email;cellulare\r\n"
                         "RSSMRA80A01H501U;\"D'Angelo; Rossi\";Niccolò;a@pec.it;;\r\n"
                         "\r\n");
  REQUIRE(r);
  CHECK(r->added == 1);
  CHECK(r->rejected.empty());
  CHECK(store.snapshot().professionals.begin()->second.surname == "D'Angelo; Rossi");
}

TEST_CASE("a row that is not UTF-8 is rejected", "[domain]") {
  test::TempStore store;
  test::FakeClock clock;
  auto r = importArchive(store, clock,
                         std::string(kHeader) + "RSSMRA80A01H501U;Rossi;Niccol\xF2;a@pec.it;;\n");
  REQUIRE(r);
  CHECK(lines(r->rejected) == std::vector<int>{2});
}

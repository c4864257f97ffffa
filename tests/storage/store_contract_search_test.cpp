// The Store contract, part three: the staff's word search (pages by date,
// every word counted, beginnings, the 1,000 cap) on the real engine (SQLite,
// or PostgreSQL under tests/storage/pg_suite.sh, where a search goes by GIN or
// walks a word's threads by the words' shares). Tagged [store].
#include <catch2/catch.hpp>
#include <set>

#include "storage/store_contract.h"

using namespace kiosk;
using namespace kiosk::domain;
using test::Engine;
using test::person;
using test::thread;

TEST_CASE("store: a search's pages go by date, newest first, as the queue's do", "[store]") {
  // Threads stored out of date order, as an archive import stores older
  // threads after newer ones: the newest by date comes first, page after page.
  Engine e;
  auto tx = e.write();
  const auto rossi = *tx->insertProfessional(person("RSSMRA80A01H501U", "Rossi"), 1);
  // Dates 1000 + 7i mod 25 × 10: every one apart, not in the order stored.
  test::numberedThreads(
      *tx, rossi, 25, [](int i) { return "Rimborso " + std::to_string(i); },
      [](int i) { return 1000 + (7 * i % 25) * 10; });
  thread(*tx, rossi, "INPS.0001.2026.000026", "Altro", 5000);
  REQUIRE(tx->commit());
  auto r = e.read();
  auto dates = [&](int page) {
    CommFilter f;
    f.q = "rimborso";
    f.page = page;
    std::vector<std::int64_t> out;
    auto found = *r->listCommunications(f);
    CHECK(found.total == 25);
    for (const auto& c : found.items) out.push_back(c.created_at);
    return out;
  };
  std::vector<std::int64_t> all = dates(1);
  REQUIRE(all.size() == 20);
  const auto second = dates(2);
  REQUIRE(second.size() == 5);
  all.insert(all.end(), second.begin(), second.end());
  std::vector<std::int64_t> expected;
  for (int k = 24; k >= 0; --k) expected.push_back(1000 + k * 10);
  CHECK(all == expected);
  CHECK(dates(3).empty());
}

TEST_CASE("store: a search needs every word, be it in most threads or in few", "[store]") {
  // On PostgreSQL a word in most threads (the server's statistics, made by
  // ANALYZE) is checked on the threads a rarer word finds: it still counts.
  Engine e;
  auto tx = e.write();
  const auto rossi = *tx->insertProfessional(person("RSSMRA80A01H501U", "Rossi"), 1);
  int n = 0;
  auto add = [&](const std::string& subject) {
    char protocol[32];
    std::snprintf(protocol, sizeof protocol, "INPS.0001.2026.%06d", ++n);
    thread(*tx, rossi, protocol, subject, 100 + n);
  };
  for (int i = 1; i <= 300; ++i) add("Rimborso pratica " + std::to_string(1000 + i));
  add("Rimborso pratica 4242");
  add("Rimborso pratica 42421");
  add("Sollecito pratica 4242");  // the rare word without the common one
  add("Sollecito 42429");
  REQUIRE(tx->commit());
  REQUIRE(e.db.exec("ANALYZE communications").empty());
  auto r = e.read();
  auto found = [&](const std::string& q) {
    CommFilter f;
    f.q = q;
    std::set<std::string> subjects;
    const auto page = *r->listCommunications(f);
    for (const auto& c : page.items) subjects.insert(c.subject);
    return subjects;
  };
  const std::set<std::string> both = {"Rimborso pratica 4242", "Rimborso pratica 42421"};
  CHECK(found("rimborso pratica 4242") == both);
  CHECK(found("rimborso 4242") == both);
  CHECK(found("pratica rimborso 42421") == std::set<std::string>{"Rimborso pratica 42421"});
  CHECK(found("sollecito pratica 4242") == std::set<std::string>{"Sollecito pratica 4242"});
  CHECK(found("rimborso sollecito").empty());
  CommFilter common;
  common.q = "rimborso pratica";
  CHECK(r->listCommunications(common)->total == 302);
}

TEST_CASE("store: a thread with two words of one beginning is found once", "[store]") {
  // "2010" begins both "2010" and "20105" in one thread: one hit, one count,
  // also past the 1,000 cap. On PostgreSQL such words (each in 7 % of the
  // threads) are walked word by word, newest first: the thread comes twice.
  Engine e;
  test::rossiWithThreads(
      e, 16000,
      [](int i) {
        return i <= 14900 ? "Varie " + std::to_string(i) : std::string("Anno 2010 pratica 20105");
      },
      [](int i) { return 1000 + i; });
  auto r = e.read();
  CommFilter f;
  f.q = "2010";  // and thread 2010, by its protocol's digits
  const auto page = *r->listCommunications(f);
  CHECK(page.total == 1000);
  CHECK(page.total_capped);
  std::set<std::int64_t> ids;
  for (const auto& c : page.items) ids.insert(c.id);
  CHECK(ids.size() == page.items.size());
  f.page = 50;  // the last page of the newest 1,000: threads 15020 to 15001 by date
  const auto last = *r->listCommunications(f);
  REQUIRE(last.items.size() == 20);
  CHECK(last.items.front().created_at == 1000 + 15020);
  CHECK(last.items.back().created_at == 1000 + 15001);
}

TEST_CASE("store: a beginning of many words finds the threads of each", "[store]") {
  // "100" begins 100, 1000 … 10049: more words than a search names one by
  // one (on PostgreSQL: its common words walked one by one, the others as
  // ranges between them).
  Engine e;
  test::rossiWithThreads(
      e, 2300,
      [](int i) {
        return i <= 50    ? "Pratica 100" + std::to_string(i - 1)
               : i <= 200 ? std::string("Anno 100")
                          : "Varie " + std::to_string(i);
      },
      [](int i) { return 1000 + i; });
  auto r = e.read();
  // And, by their protocols' digits, threads 1000 to 1009 (…001000: "1000"),
  // 1100 and 2100 (…002100: "100").
  CHECK(test::searchTotal(*r, "100") == 212);
  CHECK(test::searchTotal(*r, "pratica 100") == 50);
  CHECK(test::searchTotal(*r, "anno 100") == 150);
  CHECK(test::searchTotal(*r, "10049") == 1);
}

TEST_CASE("store: two common words seldom together still find their threads", "[store]") {
  // On PostgreSQL a search walks its rarer word's threads newest first (here
  // each word is in 14 % of them); one that meets thousands without the
  // other word hands over to the whole index: the oldest thread, the only
  // one with both, is found.
  Engine e;
  test::rossiWithThreads(
      e, 30000,
      [](int i) {
        if (i == 1) return std::string("Rimborso con sollecito");
        const char* word = i % 7 == 2 ? "Sollecito " : i % 7 == 3 ? "Rimborso " : "Varie ";
        return word + std::to_string(i);
      },
      [](int i) { return 1000 + i; });
  auto r = e.read();
  CommFilter f;
  f.q = "sollecito rimborso";
  const auto page = *r->listCommunications(f);
  CHECK(page.total == 1);
  REQUIRE(page.items.size() == 1);
  CHECK(page.items[0].subject == "Rimborso con sollecito");
}

TEST_CASE("store: a search ignores case and accents, and cuts long words at 12 characters",
          "[store]") {
  Engine e;
  auto tx = e.write();
  const auto p = *tx->insertProfessional(person("DLLLRA80A01H501X", "Dell'Àquila"), 1);
  thread(*tx, p, "INPS.0001.2026.0000123", "Perché è sospesa la rateizzazione?", 100);
  thread(*tx, p, "INPS.0001.2026.0004567", "Altro", 101);
  for (int i = 1; i <= 40; ++i) {  // a beginning of 40 words, then of 10
    thread(*tx, p, "INPS.0002.2026.00000" + std::to_string(10 + i),
           "Allegato ABC" + std::to_string(100 + i), 200 + i);
  }
  REQUIRE(tx->commit());
  auto r = e.read();
  auto search = [&](const std::string& q) {
    CommFilter f;
    f.q = q;
    return r->listCommunications(f)->total;
  };
  CHECK(search("perche") == 1);
  CHECK(search("PERCHÉ") == 1);
  CHECK(search("sosp") == 1);
  CHECK(search("aquila") == 42);
  CHECK(search("dell'aquila altro") == 1);
  CHECK(search("rateizzazioni") == 1);  // "rateizzazion", as the index knows long words
  CHECK(search("123") == 1);            // any part of the protocol's number
  CHECK(search("0456") == 1);
  CHECK(search("inps") == 42);
  CHECK(search("abc") == 40);
  CHECK(search("abc12") == 10);
  CHECK(search("abc12 allegato") == 10);
  CHECK(search("abc2") == 0);
}

TEST_CASE("store: the staff count stops at 1,000 and says so, the search follows a new surname",
          "[store]") {
  Engine e;
  auto tx = e.write();
  const auto rossi = *tx->insertProfessional(person("RSSMRA80A01H501U", "Rossi"), 1);
  test::numberedThreads(
      *tx, rossi, 1005, [](int i) { return "Domanda di rimborso " + std::to_string(i); },
      [](int i) { return 100 + i; });
  REQUIRE(tx->commit());
  {
    auto r = e.read();
    CommFilter queue;
    auto page = *r->listCommunications(queue);
    CHECK(page.total == 1000);
    CHECK(page.total_capped);
    CHECK(page.items.size() == 20);
    CHECK(page.items[0].protocol == "INPS.0001.2026.001005");
    CommFilter found;
    found.q = "rimborso";
    page = *r->listCommunications(found);
    CHECK(page.total == 1000);
    CHECK(page.total_capped);
    CHECK(page.items[0].protocol == "INPS.0001.2026.001005");  // the newest matches
    found.q = "rimborso 1004";
    CHECK(r->listCommunications(found)->total == 1);
    CommFilter own;  // the professional's own list is counted whole
    own.professional_id = rossi;
    page = *r->listCommunications(own);
    CHECK(page.total == 1005);
    CHECK_FALSE(page.total_capped);
  }
  auto w = e.write();
  REQUIRE(w->updateProfessionalNames(rossi, "Verdi", "Mario", 2));
  REQUIRE(w->commit());
  auto r = e.read();
  CommFilter by_surname;
  by_surname.q = "verdi";
  CHECK(r->listCommunications(by_surname)->total == 1000);
  by_surname.q = "rossi";
  CHECK(r->listCommunications(by_surname)->total == 0);
}

#include "domain/communications.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "core/clock.h"
#include "domain/contacts.h"
#include "support/fakes.h"
#include "support/seed.h"
#include "support/temp_store.h"

using namespace kiosk;
using namespace kiosk::domain;

namespace {

// A page as the tests compare it: "total status status…".
std::string statuses(const CommPage& p) {
  std::string out = std::to_string(p.total);
  for (const auto& c : p.items) out += " " + std::string(nameOf(c.status));
  return out;
}

struct Fixture {
  test::TempStore store;
  test::FakeClock clock{1'795'000'000};  // 2026-11-18, CET
  test::FakeSniffer sniffer;
  CommunicationService service{store, clock, sniffer, {"1234"}};
  ContactsService contacts{store, clock};
  Session pro, other, staff, tech;

  Fixture() {
    pro = addProfessional("RSSMRA80A01H501U", "mario@pec.it");
    other = addProfessional("GRCFNC70D52L219G", "francesca@pec.it");
    staff.role = Role::kStaff;
    staff.principal = "sportello";
    {
      auto tx = *store.begin(TxMode::kWrite);
      StaffUser u;
      u.username = "sportello";
      u.display_name = "Sportello";
      u.role = Role::kStaff;
      staff.subject_id = *tx->upsertStaff(u, 1);  // a real row: threads name who took them
      REQUIRE(tx->commit());
    }
    tech.role = Role::kTechnician;
    tech.principal = "tecnico";
  }

  Session addProfessional(const std::string& cf, const std::string& pec) {
    Contacts c;
    c.pec = pec;
    c.email = "mail@" + cf + ".it";
    c.notify = {"pec", "email"};
    return test::addProfessional(store, cf, c, "N", "S");
  }

  SendInput input(std::vector<IncomingFile> files = {}) {
    SendInput in;
    in.topic = "normativa";
    in.subject = "Quesito";
    in.body = "Testo";
    in.attachments = std::move(files);
    return in;
  }
};

}  // namespace

TEST_CASE("protocol numbers carry branch and year and count up within the year", "[domain]") {
  Fixture f;
  CHECK(f.service.send(f.pro, f.input())->communication.protocol == "INPS.1234.2026.0000001");
  CHECK(f.service.send(f.other, f.input())->communication.protocol == "INPS.1234.2026.0000002");
  f.clock.advance(60L * 86400);  // into 2027
  CHECK(f.service.send(f.pro, f.input())->communication.protocol == "INPS.1234.2027.0000001");
}

TEST_CASE("the protocol year is Rome's: 00:30 on 1 January is the new year", "[domain]") {
  Fixture f;
  test::FakeClock new_year{1'798'759'800};  // 2026-12-31T23:30:00Z = 2027-01-01 00:30 in Rome
  CommunicationService service{f.store, new_year, f.sniffer, {"1234"}};
  CHECK(service.send(f.pro, f.input())->communication.protocol == "INPS.1234.2027.0000001");
}

TEST_CASE("a thread keeps the contacts in force when it was created", "[domain]") {
  Fixture f;
  auto sent = f.service.send(f.pro, f.input());
  REQUIRE(sent);
  ContactsInput changed;
  changed.pec = "nuova@pec.it";
  REQUIRE(f.contacts.update(f.pro.subject_id, changed, "professional"));
  auto thread = f.service.open(f.pro, sent->communication.id);
  REQUIRE(thread);
  CHECK(thread->contacts->contacts.pec == "mario@pec.it");
  REQUIRE(f.service.reply(f.staff, sent->communication.id, {"Risposta", {}}));
  // The reply's notifications go to the snapshot, not to the new PEC.
  std::vector<std::string> recipients;
  for (const auto& row : f.store.snapshot().outbox) {
    if (row.event == domain::NotifyEvent::kReplied) recipients.push_back(row.recipient);
  }
  CHECK(recipients == std::vector<std::string>{"mario@pec.it", "mail@RSSMRA80A01H501U.it"});
  // A new communication uses the new contacts.
  auto next = f.service.send(f.pro, f.input());
  CHECK(f.service.open(f.pro, next->communication.id)->contacts->contacts.pec == "nuova@pec.it");
}

TEST_CASE("the extra e-mail is notified too, once", "[domain]") {
  Fixture f;
  SendInput in = f.input();
  in.extra_email = "commercialista@studio.it";
  auto sent = f.service.send(f.pro, in);
  REQUIRE(sent);
  std::vector<std::pair<std::string_view, std::string>> rows;
  for (const auto& r : f.store.snapshot().outbox) rows.emplace_back(nameOf(r.channel), r.recipient);
  CHECK(rows == std::vector<std::pair<std::string_view, std::string>>{
                    {"pec", "mario@pec.it"}, {"email", "commercialista@studio.it"}});
}

TEST_CASE("a refused send leaves the store exactly as it was", "[domain]") {
  Fixture f;
  const auto before = f.store.snapshot();
  auto bad = f.service.send(f.pro, f.input({{"a.pdf", "%PDF-1.4"}, {"b.pdf", "not a pdf"}}));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().reason == "attachment_type_not_allowed");
  const auto after = f.store.snapshot();
  CHECK(after.communications.empty());
  CHECK(after.outbox.empty());
  CHECK(after.audit.size() == before.audit.size());
  CHECK(after.protocol_counters.empty());
}

TEST_CASE("subject and body limits count characters, not bytes", "[domain]") {
  Fixture f;
  SendInput in = f.input();
  in.subject.clear();
  for (int i = 0; i < 150; ++i) in.subject += "\xC3\xA8";  // 150 × è = 300 bytes
  CHECK(f.service.send(f.pro, in));
  in.subject += "e";
  CHECK(f.service.send(f.pro, in).error().reason == "invalid_subject");
}

TEST_CASE("the state machine: aperta, in carico, chiusa", "[domain]") {
  Fixture f;
  const auto id = f.service.send(f.pro, f.input())->communication.id;
  CHECK(f.service.take(f.staff, id)->status == CommStatus::kInCarico);
  CHECK(f.service.take(f.staff, id).error().reason == "already_taken");
  REQUIRE(f.service.addMessage(f.pro, id, {"ancora", {}}));
  CHECK(f.service.staffOpen(f.staff, id)->communication.status == CommStatus::kInCarico);
  CHECK(f.service.close(f.staff, id, "Esito")->status == CommStatus::kChiusa);
  CHECK(f.service.addMessage(f.pro, id, {"x", {}}).error().reason == "closed");
  CHECK(f.service.reply(f.staff, id, {"x", {}}).error().reason == "closed");
}

TEST_CASE("a reply to an open thread takes it in charge and makes it unread", "[domain]") {
  Fixture f;
  const auto id = f.service.send(f.pro, f.input())->communication.id;
  CHECK(*f.service.unreadCount(f.pro) == 0);
  REQUIRE(f.service.reply(f.staff, id, {"Risposta", {}}));
  CHECK(f.service.staffOpen(f.staff, id)->communication.status == CommStatus::kInCarico);
  CHECK(*f.service.unreadCount(f.pro) == 1);
  REQUIRE(f.service.open(f.pro, id));
  CHECK(*f.service.unreadCount(f.pro) == 0);
}

TEST_CASE("a professional never reaches another professional's thread or file", "[domain]") {
  Fixture f;
  auto sent = f.service.send(f.pro, f.input({{"a.pdf", "%PDF-1.4 x"}}));
  REQUIRE(sent);
  const auto id = sent->communication.id;
  CHECK(f.service.open(f.other, id).error().code == ErrorCode::kNotFound);
  CHECK(f.service.addMessage(f.other, id, {"x", {}}).error().code == ErrorCode::kNotFound);
  const auto file_id = f.service.open(f.pro, id)->messages[0].attachments[0].id;
  CHECK(f.service.attachment(f.other, file_id).error().code == ErrorCode::kNotFound);
  CHECK(f.service.attachment(f.pro, file_id)->data == "%PDF-1.4 x");
  CHECK(f.service.attachment(f.staff, file_id));
  CHECK(f.service.attachment(f.tech, file_id).error().code == ErrorCode::kForbidden);
  CHECK(**f.service.listAnswer(f.other, {},
                               [](const CommPage& p) { return std::to_string(p.total); }) == "0");
}

TEST_CASE("only staff act for the Institute", "[domain]") {
  Fixture f;
  const auto id = f.service.send(f.pro, f.input())->communication.id;
  CHECK(f.service.take(f.pro, id).error().code == ErrorCode::kForbidden);
  CHECK(f.service.take(f.tech, id).error().code == ErrorCode::kForbidden);
  CHECK(f.service.queue(f.tech, {}).error().code == ErrorCode::kForbidden);
  CHECK(f.service.send(f.staff, f.input()).error().code == ErrorCode::kForbidden);
}

TEST_CASE("a staff search is cut into words without case or accents, prefixes from 3 characters",
          "[domain]") {
  using Kind = SearchTerms::Kind;
  CHECK(searchWords("Perché È  d'Àquila-2025.0000123") ==
        std::vector<std::string>{"perche", "e", "d", "aquila", "2025", "0000123"});
  CHECK(searchWords("łódź «x»") ==
        std::vector<std::string>{"od", "x"});  // outside Latin-1: a separator
  auto t = searchTerms("  rateizzazionE  di 4242 ");
  REQUIRE(t.kind == Kind::kWords);
  CHECK(t.words == std::vector<SearchWord>{{"rateizzazion", true}, {"di", false}, {"4242", true}});
  CHECK(searchTerms("ab").kind == Kind::kNone);       // under 3 characters in all
  CHECK(searchTerms("%%%").kind == Kind::kNone);      // no word
  CHECK(searchTerms("a b").words.size() == 2);        // short words, whole
  CHECK(searchTerms("ross ROSS").words.size() == 1);  // once each
  CHECK(searchTerms("inps.0001.2026.0000123").kind == Kind::kProtocol);
  CHECK(searchTerms("rssmra80a01h501u").kind == Kind::kCodiceFiscale);
}

TEST_CASE("a list page asked again is the answer kept, until any desk changes the list",
          "[domain]") {
  Fixture f;
  // Desk B: another kiosk or process on the same database, with its own memory.
  CommunicationService desk_b{f.store, f.clock, f.sniffer, {"1234"}};
  const auto first = f.service.send(f.pro, f.input())->communication.id;
  int renders = 0;
  auto page = [&](const Session& who) {
    auto answer = f.service.listAnswer(who, {}, [&](const CommPage& p) {
      ++renders;
      return statuses(p);
    });
    REQUIRE(answer);
    return **answer;
  };
  CHECK(page(f.pro) == "1 aperta");
  CHECK(page(f.pro) == "1 aperta");
  CHECK(renders == 1);  // the second from memory
  // The other professional never gets this one's page.
  CHECK(page(f.other) == "0");
  CHECK(renders == 2);

  REQUIRE(desk_b.take(f.staff, first));
  CHECK(page(f.pro) == "1 in_carico");
  REQUIRE(desk_b.close(f.staff, first, "Risolta"));
  CHECK(page(f.pro) == "1 chiusa");
  REQUIRE(desk_b.send(f.pro, f.input()));
  CHECK(page(f.pro) == "2 aperta chiusa");
  CHECK(renders == 5);
  CHECK(page(f.pro) == "2 aperta chiusa");
  CHECK(renders == 5);

  // The session ended: nothing of theirs is kept.
  f.service.forget(f.pro.subject_id);
  CHECK(page(f.pro) == "2 aperta chiusa");
  CHECK(renders == 6);
  CHECK_FALSE(f.service.listAnswer(f.staff, {}, [](const CommPage&) { return ""; }));
}

TEST_CASE("a thread opened again is the answer kept, until any desk changes it", "[domain]") {
  Fixture f;
  CommunicationService desk_b{f.store, f.clock, f.sniffer, {"1234"}};
  const auto id = f.service.send(f.pro, f.input())->communication.id;
  int renders = 0;
  auto opened = [&](const Session& who) -> std::string {
    auto answer = f.service.openAnswer(who, id, [&](const ThreadView& t) {
      ++renders;
      std::string out = std::string(nameOf(t.communication.status));
      for (const auto& m : t.messages) out += " " + m.body;
      return out;
    });
    if (!answer) return "error " + answer.error().reason;
    return **answer;
  };
  CHECK(opened(f.pro) == "aperta Testo");
  CHECK(opened(f.pro) == "aperta Testo");
  CHECK(renders == 1);
  // Another professional: not found, and nothing of the owner's.
  CHECK(opened(f.other) == "error not_found");

  // The Institute answers at another desk: the owner's open reads it anew and
  // marks it read (a change: not kept); the next is read and kept.
  REQUIRE(desk_b.reply(f.staff, id, {"Risposta", {}}));
  CHECK(opened(f.pro) == "in_carico Testo Risposta");
  CHECK(opened(f.pro) == "in_carico Testo Risposta");
  CHECK(opened(f.pro) == "in_carico Testo Risposta");
  CHECK(renders == 3);
  REQUIRE(desk_b.addMessage(f.pro, id, {"Ancora", {}}));
  CHECK(opened(f.pro) == "in_carico Testo Risposta Ancora");
  CHECK(renders == 4);
}

TEST_CASE("the staff's queue asked again is the answer kept, until any desk changes a thread",
          "[domain]") {
  Fixture f;
  CommunicationService desk_b{f.store, f.clock, f.sniffer, {"1234"}};
  const auto first = f.service.send(f.pro, f.input())->communication.id;
  int renders = 0;
  auto queue = [&](CommFilter filter) {
    auto answer = f.service.queueAnswer(f.staff, filter, [&](const CommPage& p) {
      ++renders;
      return statuses(p);
    });
    REQUIRE(answer);
    return **answer;
  };
  CommFilter all;
  CommFilter taken;
  taken.status = CommStatus::kInCarico;
  CHECK(queue(all) == "1 aperta");
  CHECK(queue(all) == "1 aperta");
  CHECK(renders == 1);         // the second from memory
  CHECK(queue(taken) == "0");  // another filter, its own page
  CHECK(renders == 2);

  // Changes made at another desk, each shown at the next look.
  REQUIRE(desk_b.take(f.staff, first));
  CHECK(queue(all) == "1 in_carico");
  CHECK(queue(taken) == "1 in_carico");
  REQUIRE(desk_b.send(f.other, f.input()));
  CHECK(queue(all) == "2 aperta in_carico");
  CHECK(renders == 5);
  CHECK(queue(all) == "2 aperta in_carico");
  CHECK(renders == 5);
  // The professional reads the Institute's reply at their kiosk: the queue
  // shows it (unread) at once.
  REQUIRE(desk_b.reply(f.staff, first, {"Risposta", {}}));
  CommFilter unread;
  unread.unread = true;
  CHECK(queue(unread) == "1 in_carico");
  REQUIRE(desk_b.open(f.pro, first));
  CHECK(queue(unread) == "0");
  // This desk's own change.
  REQUIRE(f.service.close(f.staff, first, "Risolta"));
  CHECK(queue(all) == "2 aperta chiusa");

  // A search is read each time; a professional has no queue.
  CommFilter search;
  search.q = "quesito";
  const int before = renders;
  CHECK(queue(search) == "2 aperta chiusa");
  CHECK(queue(search) == "2 aperta chiusa");
  CHECK(renders == before + 2);
  CHECK_FALSE(f.service.queueAnswer(f.pro, {}, [](const CommPage&) { return ""; }));
  search.q = "x";
  auto short_search = f.service.queueAnswer(f.staff, search, [](const CommPage&) { return ""; });
  REQUIRE_FALSE(short_search);
  CHECK(short_search.error().reason == "search_too_short");
}

namespace {

// The fixture's store as a server's would be: checking a kept page costs a
// round trip, so one checked within the delay is answered as it is.
class ServerLikeStore final : public Store {
 public:
  explicit ServerLikeStore(Store& inner) : inner_(inner) {}
  Result<std::unique_ptr<Transaction>> begin(TxMode mode) override { return inner_.begin(mode); }
  Status ping() override { return inner_.ping(); }
  Status checkWritable() override { return inner_.checkWritable(); }
  std::optional<std::uint64_t> freeBytes() override { return inner_.freeBytes(); }
  std::string describe() const override { return inner_.describe(); }
  std::chrono::milliseconds listNewsDelay() const override { return kDelay; }
  static constexpr std::chrono::milliseconds kDelay{300};

 private:
  Store& inner_;
};

}  // namespace

TEST_CASE("on a server, another desk's change shows within the delay, this kiosk's at once",
          "[domain]") {
  Fixture f;
  ServerLikeStore server{f.store};
  CommunicationService here{server, f.clock, f.sniffer, {"1234"}};  // this kiosk
  const auto id = f.service.send(f.pro, f.input())->communication.id;
  auto page = [&] { return **here.listAnswer(f.pro, {}, statuses); };
  CHECK(page() == "1 aperta");
  const auto changed_at = std::chrono::steady_clock::now();
  REQUIRE(f.service.take(f.staff, id));  // another desk
  // Asked again within the delay: the page as it was checked.
  const std::string soon = page();
  if (std::chrono::steady_clock::now() - changed_at < ServerLikeStore::kDelay) {
    CHECK(soon == "1 aperta");
  }
  std::this_thread::sleep_for(ServerLikeStore::kDelay);
  CHECK(page() == "1 in_carico");
  // This kiosk's own change: at once.
  REQUIRE(here.send(f.pro, f.input()));
  CHECK(page() == "2 aperta in_carico");
  REQUIRE(here.close(f.staff, id, "Risolta"));
  CHECK(page() == "2 aperta chiusa");
}

TEST_CASE("on a server, the staff see another desk's change within the delay, their own at once",
          "[domain]") {
  Fixture f;
  ServerLikeStore server{f.store};
  CommunicationService here{server, f.clock, f.sniffer, {"1234"}};  // this desk
  const auto id = f.service.send(f.pro, f.input())->communication.id;
  auto queue = [&] { return **here.queueAnswer(f.staff, {}, statuses); };
  CHECK(queue() == "1 aperta");
  const auto changed_at = std::chrono::steady_clock::now();
  REQUIRE(f.service.take(f.staff, id));  // another desk
  const std::string soon = queue();
  if (std::chrono::steady_clock::now() - changed_at < ServerLikeStore::kDelay) {
    CHECK(soon == "1 aperta");
  }
  std::this_thread::sleep_for(ServerLikeStore::kDelay);
  CHECK(queue() == "1 in_carico");
  REQUIRE(here.close(f.staff, id, "Risolta"));
  CHECK(queue() == "1 chiusa");
  REQUIRE(here.send(f.other, f.input()));
  CHECK(queue() == "2 aperta chiusa");
}

// The kiosk's own use cases: documents from the scanner and the USB stick
// under the attachment limits, and the monitor's health, backlog, fleet and
// heartbeat on a real store.
#include <catch2/catch.hpp>

#include "domain/attachments.h"
#include "domain/document_sources.h"
#include "domain/kiosk_monitor.h"
#include "domain/receipt_desk.h"
#include "storage/store_contract.h"
#include "support/fakes.h"

using namespace kiosk;
using namespace kiosk::domain;

TEST_CASE("a scan takes 1 to 10 pages and never more than an attachment's 1 MiB",
          "[domain][devices]") {
  test::FakeScanner scanner;
  test::FakeUsbMedia usb;
  DocumentSources sources(scanner, usb);
  CHECK(sources.scan(0, false).error().reason == "invalid_pages");
  CHECK(sources.scan(11, false).error().reason == "invalid_pages");
  auto three = sources.scan(3, false);
  REQUIRE(three);
  CHECK(three->filename == "scansione.pdf");
  CHECK(three->pages == 3);
  scanner.bytes = kMaxAttachmentBytes + 1;
  CHECK(sources.scan(1, false).error().reason == "attachment_too_large");
  scanner.ready = false;
  CHECK(sources.scan(1, false).error().reason == "scanner_unavailable");
}

TEST_CASE("the answer to Pagina successiva is taken only while a scan waits for it",
          "[domain][devices]") {
  test::FakeScanner scanner;
  test::FakeUsbMedia usb;
  DocumentSources sources(scanner, usb);
  auto idle = sources.answerScan(true);
  REQUIRE_FALSE(idle);
  CHECK(idle.error().reason == "scan_not_waiting");
  CHECK(scanner.answers.empty());
  scanner.waiting = true;
  REQUIRE(sources.answerScan(true));
  REQUIRE(sources.answerScan(false));
  CHECK(scanner.answers == std::vector<bool>{true, false});
}

TEST_CASE("files on the stick say in Italian why they cannot be attached", "[domain][devices]") {
  test::FakeScanner scanner;
  test::FakeUsbMedia usb;
  usb.files = {{"doc/modulo.pdf", "%PDF-1.4 x"}, {"vuoto.pdf", ""}, {"run.sh", "#!/bin/sh"}};
  usb.refused = {{"vuoto.pdf", "empty"}, {"run.sh", "type_not_allowed"}};
  DocumentSources sources(scanner, usb);
  auto files = sources.usbFiles("s1");
  REQUIRE(files);
  REQUIRE(files->size() == 3);
  std::map<std::string, std::string> reasons;
  for (const auto& e : *files) reasons[e.file.name] = e.reason;
  CHECK(reasons["doc/modulo.pdf"].empty());
  CHECK(reasons["vuoto.pdf"] == "Il documento è vuoto.");
  CHECK(reasons["run.sh"].starts_with("Tipo di documento non ammesso: pdf"));
  auto doc = sources.usbFile("s1", "doc/modulo.pdf");
  REQUIRE(doc);
  CHECK(doc->filename == "modulo.pdf");  // the last component, as an attachment's name
  CHECK(doc->content_type == "application/pdf");
  usb.files["grande.pdf"] = "%PDF-1.4 " + std::string(kMaxAttachmentBytes, 'x');
  CHECK(sources.usbFile("s1", "grande.pdf").error().reason == "attachment_too_large");
}

namespace {

struct Monitored {
  test::Engine engine;
  test::FakeClock clock{1'900'000'000};
  test::FakePrinter printer;
  test::FakeScanner scanner;
  test::FakeUsbMedia usb;
  KioskMonitor monitor{
      *engine.store, clock,
      printer,       scanner,
      usb,           MonitorOptions{"K07", "0701", "Sede di prova", "9.9", 0, 1'800'000'000}};
};

}  // namespace

TEST_CASE("a heartbeat carries devices, backlog and audit head to the fleet list",
          "[domain][fleet][store]") {
  Monitored m;
  {
    auto tx = m.engine.write();
    const auto pid = *tx->insertProfessional(test::person("RSSMRA80A01H501U", "Rossi"), 1);
    const auto cid = test::thread(*tx, pid, "INPS.0701.2026.000001", "Uno", 10);
    REQUIRE(tx->insertOutbox({cid, NotifyEvent::kRegistered, Channel::kPec, "a@pec.it", 10, 0}));
    REQUIRE(tx->insertOutbox({cid, NotifyEvent::kRegistered, Channel::kSms, "+39333", 10, 0}));
    REQUIRE(tx->appendAudit({10, "system", "test", "x", ""}));
    REQUIRE(tx->commit());
  }
  m.printer.ready = false;
  REQUIRE(m.monitor.heartbeat(1'899'999'000));
  auto backlog = m.monitor.outboxBacklog();
  REQUIRE(backlog);
  CHECK(backlog->pending == 2);
  CHECK(backlog->failed == 0);

  auto fleet = m.monitor.fleet();
  REQUIRE(fleet);
  REQUIRE(fleet->size() == 1);
  const auto& me = fleet->front();
  CHECK(me.this_kiosk);
  CHECK(me.state == "online");
  CHECK(me.kiosk.branch_code == "0701");
  CHECK(me.kiosk.version == "9.9");
  CHECK(me.kiosk.outbox_pending == 2);
  CHECK(me.kiosk.devices == "printer=unavailable scanner=ready usb=ready");
  CHECK(me.kiosk.head.id > 0);
  // Three missed heartbeats: offline.
  m.clock.advance(181);
  CHECK(m.monitor.fleet()->front().state == "offline");
}

TEST_CASE("the monitor names the first part that stops the kiosk serving",
          "[domain][fleet][store]") {
  Monitored m;
  CHECK_FALSE(m.monitor.health());
  test::FakeClock early{1'700'000'000};
  KioskMonitor before_build{
      *m.engine.store, early, m.printer,
      m.scanner,       m.usb, MonitorOptions{"K07", "0701", "Sede", "9.9", 0, 1'800'000'000}};
  auto problem = before_build.health();
  REQUIRE(problem);
  CHECK(problem->part == HealthPart::kClock);
  CHECK(problem->error.reason == "clock_implausible");
  // A reserve larger than any disk: storage_full, before the clock (the
  // disk is the database server's on PostgreSQL: not known here).
  if (test::onPostgres()) return;
  KioskMonitor full{
      *m.engine.store, early,
      m.printer,       m.scanner,
      m.usb,           MonitorOptions{"K07", "0701", "Sede", "9.9", std::uint64_t{1} << 62, 0}};
  problem = full.health();
  REQUIRE(problem);
  CHECK(problem->part == HealthPart::kStorage);
  CHECK(problem->error.reason == "storage_full");
}

TEST_CASE("a print job has at most the page cap, and a session one job at a time",
          "[domain][devices]") {
  // 20 taps queued 120,000 pages of one PDF on the kiosk's public printer.
  test::Engine engine;
  test::FakeSigner signer;
  test::FakeRenderer renderer;
  test::FakePrinter printer;
  ReceiptService receipts(*engine.store, signer, {});
  ReceiptDesk desk(receipts, renderer, printer, "K07", 20);
  Session rossi;
  rossi.id = 1;
  Session clerk;
  clerk.id = 2;
  StoredFile long_pdf;
  long_pdf.meta.content_type = "application/pdf";
  long_pdf.data = "%PDF-1.4 long";
  printer.page_count = 6000;
  auto refused = desk.printAttachment(rossi, long_pdf);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().reason == "too_many_pages");
  CHECK(refused.error().message.find("6000 pagine") != std::string::npos);
  CHECK(refused.error().message.find("20") != std::string::npos);
  CHECK(printer.printed.empty());

  printer.page_count = 20;
  REQUIRE(desk.printAttachment(rossi, long_pdf));
  printer.busy = true;  // the first job still at the printer
  auto again = desk.printAttachment(rossi, long_pdf);
  REQUIRE_FALSE(again);
  CHECK(again.error().reason == "print_in_progress");
  CHECK(again.error().code == ErrorCode::kConflict);
  CHECK(printer.printed.size() == 1);
  // Another session's job is its own.
  REQUIRE(desk.printAttachment(clerk, long_pdf));
  printer.busy = false;  // printed: the next job goes
  REQUIRE(desk.printAttachment(rossi, long_pdf));
  CHECK(printer.printed.size() == 3);
}

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "core/clock.h"
#include "domain/audit.h"
#include "domain/communications.h"
#include "domain/receipts.h"
#include "receipts/ed25519_signer.h"
#include "receipts/pdf_receipt.h"
#include "support/fakes.h"
#include "support/read_file.h"
#include "support/seed.h"
#include "support/shell.h"
#include "support/temp_dir.h"
#include "support/temp_store.h"

using namespace kiosk;
using namespace kiosk::domain;

namespace {

using test::run;

std::string write(const test::TempDir& dir, const std::string& name, const std::string& bytes) {
  const std::string path = dir.file(name);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

ReceiptData sample() {
  ReceiptData r;
  r.protocol = "INPS.0000.2026.0000042";
  r.message_id = 7;
  r.registered_at = 1'795'772'520;  // 27/11/2026 10:42 in Rome
  r.branch_code = "0000";
  r.branch_name = "Sede di Roma città";
  r.kiosk_id = "K01";
  r.professional_name = "Mario Rossi";
  r.codice_fiscale = "RSSMRA80A01H501U";
  r.topic_label = "Rimborso";
  r.subject = "Rimborso di 120 €, perché versato due volte";
  r.attachments = {{1, "ricevuta città.pdf", "application/pdf", 2048, std::string(64, 'a')}};
  Contacts c;
  c.pec = "mario@pec.it";
  c.notify = {"pec"};
  r.contacts = c;
  r.record = "CK1;INPS.0000.2026.0000042;7;1795772520;" + std::string(64, 'b') + ";sig";
  return r;
}

}  // namespace

TEST_CASE("a picture attachment is printed as one A4 PDF page, other bytes are not printable",
          "[receipts]") {
  test::TempDir dir;
  for (const char* name : {"foto.jpg", "foto.png"}) {
    INFO(name);
    const std::string type = std::string(name).ends_with("jpg") ? "image/jpeg" : "image/png";
    auto pdf =
        receipts::imagePdf(test::readFile(std::string(KIOSK_TEST_FILES_DIR) + "/" + name), type);
    REQUIRE(pdf);
    CHECK(pdf->starts_with("%PDF-"));
    const std::string path = write(dir, std::string(name) + ".pdf", *pdf);
    CHECK(run("pdfinfo " + path + " | grep -Eq '^Pages: +1$'").first == 0);
    CHECK(run("pdfinfo " + path + " | grep -q '595.276 x 841.89 pts (A4)'").first == 0);
    CHECK(run("pdfimages -list " + path).second.find(" image ") != std::string::npos);
  }
  CHECK(receipts::imagePdf("non un'immagine", "image/png").error().reason == "not_printable");
  CHECK(receipts::imagePdf("testo", "text/plain").error().reason == "not_printable");
}

namespace {

struct Fixture {
  test::TempDir dir;
  test::TempStore store;
  test::FakeClock clock{1'795'772'520};
  std::unique_ptr<receipts::Ed25519Signer> signer =
      std::move(*receipts::Ed25519Signer::open(dir.file("key")));
  ReceiptService service{
      store, *signer, {"0000", "Sede INPS", "K01", "https://sede-0000.example.it/verifica"}};
  Session pro;

  Fixture() {
    Contacts c;
    c.pec = "mario@pec.it";
    c.notify = {"pec"};
    pro = test::addProfessional(store, "RSSMRA80A01H501U", c);
  }

  std::int64_t send() {
    test::FakeSniffer sniffer;
    CommunicationService comms(store, clock, sniffer, {"0000"});
    SendInput in;
    in.topic = "rimborso";
    in.subject = "Oggetto";
    in.body = "Testo";
    in.attachments = {{"nota.txt", "contenuto"}};
    return comms.send(pro, in)->communication.id;
  }
};

}  // namespace

TEST_CASE("a receipt is a valid one-page A4 PDF with accents, euro and the protocol",
          "[receipts]") {
  test::TempDir dir;
  auto pdf = receipts::renderReceipt(sample());
  REQUIRE(pdf);
  const std::string path = write(dir, "r.pdf", *pdf);
  auto [check_status, check] = run("qpdf --check '" + path + "' 2>&1");
  CHECK(check_status == 0);
  auto [status, text] = run("pdftotext -layout '" + path + "' - 2>&1");
  REQUIRE(status == 0);
  CHECK(text.find("Ricevuta di invio") != std::string::npos);
  CHECK(text.find("INPS – Istituto Nazionale della Previdenza Sociale") != std::string::npos);
  CHECK(text.find("Gestione Separata") != std::string::npos);
  CHECK(text.find("cassetto-kiosk") == std::string::npos);  // no command names for a citizen
  CHECK(text.find("INPS.0000.2026.0000042") != std::string::npos);
  CHECK(text.find("27/11/2026 ore 10:42") != std::string::npos);
  CHECK(text.find("città") != std::string::npos);
  CHECK(text.find("perché") != std::string::npos);
  CHECK(text.find("120 €") != std::string::npos);
  CHECK(text.find(std::string(64, 'a')) != std::string::npos);  // the attachment's SHA-256
  CHECK(text.find("mario@pec.it") != std::string::npos);
  auto [pages_status, info] = run("pdfinfo '" + path + "'");
  CHECK(info.find("Pages:           1") != std::string::npos);
  CHECK(info.find("(A4)") != std::string::npos);
  // Base-14 fonts only: nothing embedded.
  auto [fonts_status, fonts] = run("pdffonts '" + path + "'");
  CHECK(fonts.find("Helvetica") != std::string::npos);
  CHECK(fonts.find("DejaVu") == std::string::npos);
}

TEST_CASE("names outside CP1252 come out right through the embedded TTF", "[receipts]") {
  test::TempDir dir;
  for (const std::string name : {"Łukasz Wójcik", "Ștefan Țurcan"}) {
    ReceiptData r = sample();
    r.professional_name = name;
    auto pdf = receipts::renderReceipt(r);
    REQUIRE(pdf);
    const std::string path = write(dir, "u.pdf", *pdf);
    auto [status, text] = run("pdftotext '" + path + "' - 2>&1");
    INFO(name);
    CHECK(text.find(name) != std::string::npos);
    CHECK(text.find("perché") != std::string::npos);
    auto [fonts_status, fonts] = run("pdffonts '" + path + "'");
    CHECK(fonts.find("DejaVu") != std::string::npos);
    CHECK(run("qpdf --check '" + path + "' 2>&1").first == 0);
  }
}

TEST_CASE("many attachments continue on a second page", "[receipts]") {
  test::TempDir dir;
  ReceiptData r = sample();
  for (int i = 0; i < 14; ++i) r.attachments.push_back(r.attachments.front());
  auto pdf = receipts::renderReceipt(r);
  REQUIRE(pdf);
  const std::string path = write(dir, "m.pdf", *pdf);
  auto [status, info] = run("pdfinfo '" + path + "'");
  CHECK(info.find("Pages:           2") != std::string::npos);
}

TEST_CASE("UTF-8 converts to CP1252 where it can", "[receipts]") {
  CHECK(receipts::toCp1252("città €") == std::string("citt\xE0 \x80"));
  CHECK(receipts::toCp1252("“sì” – ok") == std::string("\x93s\xEC\x94 \x96 ok"));
  CHECK_FALSE(receipts::toCp1252("Łukasz"));
  CHECK_FALSE(receipts::toCp1252("Ștefan"));
}

TEST_CASE("a genuine receipt verifies and its record is read back from the PDF", "[receipts]") {
  Fixture f;
  const auto id = f.send();
  auto r = f.service.receipt(f.pro, id, std::nullopt);
  REQUIRE(r);
  CHECK(r->record.starts_with("CK1;" + r->protocol + ";"));
  // The QR code opens the verification page with the record, and reads back.
  CHECK(r->qr.starts_with("https://sede-0000.example.it/verifica?r=CK1%3B" + r->protocol + "%3B"));
  CHECK(domain::recordFromQr(r->qr) == r->record);
  // It also carries the audit chain's head, signed when the receipt was made.
  REQUIRE(r->audit_head);
  CHECK(r->qr.ends_with("&h=" + std::to_string(r->audit_head->id) + "." +
                        r->audit_head->hash.substr(0, 16)));
  auto anchored = domain::verifyAudit(f.store, f.signer.get(), "K01");
  REQUIRE(anchored);
  CHECK(anchored->anchors >= 1);
  CHECK(domain::recordFromQr(r->record) == r->record);
  auto pdf = receipts::renderReceipt(*r);
  REQUIRE(pdf);
  CHECK(receipts::recordFromPdf(*pdf) == r->record);
  // The printed QR code, as a phone's camera reads it: the page at 150 dpi.
  test::TempDir dir;
  const std::string path = write(dir, "receipt.pdf", *pdf);
  REQUIRE(run("pdftoppm -r 150 -png -singlefile '" + path + "' '" + dir.file("page") + "'").first ==
          0);
  auto [status, scanned] = run("zbarimg --quiet --raw '" + dir.file("page.png") + "'");
  REQUIRE(status == 0);
  CHECK(scanned == r->qr + "\n");
  auto check = f.service.verify(r->record);
  REQUIRE(check);
  CHECK(check->valid);
  CHECK(check->protocol == r->protocol);
  CHECK(check->attachments == 1);
}

TEST_CASE("a changed digest, time or signature is refused", "[receipts]") {
  Fixture f;
  const auto id = f.send();
  const std::string record = f.service.receipt(f.pro, id, std::nullopt)->record;
  auto parts_at = [&](int n) {
    std::size_t at = 0;
    for (int i = 0; i < n; ++i) at = record.find(';', at) + 1;
    return at;
  };
  std::string digest = record;
  digest[parts_at(4)] = digest[parts_at(4)] == '0' ? '1' : '0';
  std::string time = record;
  time[parts_at(3)] = time[parts_at(3)] == '1' ? '2' : '1';
  std::string signature = record;
  signature[parts_at(5) + 3] = signature[parts_at(5) + 3] == 'A' ? 'B' : 'A';
  for (const auto& bad : {digest, time, signature, std::string("CK1;nonsense"), std::string("")}) {
    auto check = f.service.verify(bad);
    REQUIRE(check);
    CHECK_FALSE(check->valid);
    CHECK_FALSE(check->reason.empty());
  }
}

TEST_CASE("a receipt signed with another kiosk's key is refused", "[receipts]") {
  Fixture f;
  const auto id = f.send();
  const std::string record = f.service.receipt(f.pro, id, std::nullopt)->record;
  test::TempDir other_dir;
  auto other = receipts::Ed25519Signer::open(other_dir.file("key"));
  ReceiptService other_service(f.store, **other, {});
  CHECK_FALSE(other_service.verify(record)->valid);
}

TEST_CASE("the key file is made with mode 0600 and reused", "[receipts]") {
  test::TempDir dir;
  const std::string path = dir.file("k");
  auto first = receipts::Ed25519Signer::open(path);
  REQUIRE(first);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto again = receipts::Ed25519Signer::open(path);
  REQUIRE(again);
  CHECK((*again)->publicKeyHex() == (*first)->publicKeyHex());
  ::chmod(path.c_str(), 0644);
  CHECK(receipts::Ed25519Signer::open(path).error().reason == "insecure_key");
}

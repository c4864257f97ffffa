#include "domain/attachments.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "core/crypto.h"
#include "filetypes/magic_sniffer.h"
#include "support/read_file.h"
#include "support/shell.h"
#include "support/temp_dir.h"

using namespace kiosk;
using namespace kiosk::domain;

namespace {
const std::string kFiles = KIOSK_TEST_FILES_DIR;
IncomingFile sample(const std::string& name, const std::string& as = "") {
  return {as.empty() ? name : as, test::readFile(kFiles + "/" + name)};
}
}  // namespace

TEST_CASE("file names keep only their last path component", "[domain]") {
  CHECK(cleanFilename("../../etc/passwd.pdf") == "passwd.pdf");
  CHECK(cleanFilename("C:\\Users\\mario\\Desktop\\ricevuta.pdf") == "ricevuta.pdf");
  CHECK(cleanFilename("/absolute/path.png") == "path.png");
}

TEST_CASE("file names lose control characters, invalid UTF-8 and leading dots", "[domain]") {
  CHECK(cleanFilename("fat\x01tura\x7f.pdf") == "fattura.pdf");
  CHECK(cleanFilename("rate\xC3.pdf") == "rate.pdf");
  CHECK(cleanFilename("citt\xC3\xA0 \xE2\x82\xAC.pdf") == "citt\xC3\xA0 \xE2\x82\xAC.pdf");
  CHECK(cleanFilename("...hidden.txt") == "hidden.txt");
  CHECK(cleanFilename(" .. ") == "allegato");
  CHECK(cleanFilename("") == "allegato");
  CHECK(cleanFilename("dir/") == "allegato");
}

TEST_CASE("file names lose the invisible characters that reorder or hide text", "[domain]") {
  // U+202E RIGHT-TO-LEFT OVERRIDE would show "invoicefdp.exe.pdf" as "invoicefdp.pdf.exe"-like.
  CHECK(cleanFilename("invoice\xE2\x80\xAE"
                      "fdp.exe.pdf") == "invoicefdp.exe.pdf");
  CHECK(cleanFilename("\xEF\xBB\xBF"
                      "bom.pdf") == "bom.pdf");
  CHECK(cleanFilename("zero\xE2\x80\x8Bwidth\xE2\x80\x8F.pdf") == "zerowidth.pdf");
  CHECK(cleanFilename("iso\xE2\x81\xA6late\xE2\x81\xA9.pdf") == "isolate.pdf");
  CHECK(cleanFilename("line\xE2\x80\xA8sep.pdf") == "linesep.pdf");
  // Nothing but invisible characters before the extension: a neutral name, not "pdf".
  CHECK(cleanFilename("\xE2\x80\x8B\xE2\x80\x8C\xE2\x80\x8D.pdf") == "allegato.pdf");
  CHECK(cleanFilename(".pdf") == "allegato.pdf");
  // ...and still at most 255 bytes (the fuzzer found a long one).
  CHECK(cleanFilename("." + std::string(300, 'x')).size() <= 255);
  // Visible neighbours stay: U+2010 HYPHEN, U+20AC EURO SIGN.
  CHECK(cleanFilename("a\xE2\x80\x90"
                      "b\xE2\x82\xAC.pdf") ==
        "a\xE2\x80\x90"
        "b\xE2\x82\xAC.pdf");
}

TEST_CASE("long file names are cut to 255 bytes on a character boundary, keeping the extension",
          "[domain]") {
  std::string stem;
  for (int i = 0; i < 200; ++i) stem += "\xC3\xA0";  // 400 bytes of à
  const std::string name = cleanFilename(stem + ".pdf");
  CHECK(name.size() <= 255);
  CHECK(name.ends_with(".pdf"));
  CHECK(name.size() == 255 - 1);  // 125 × 2 bytes + ".pdf"
}

TEST_CASE("libmagic judges allowed files by content", "[filetypes]") {
  filetypes::MagicSniffer sniffer;
  for (const char* name :
       {"documento.pdf", "foto.jpg", "foto.png", "scansione.tif", "nota.txt", "elenco.csv",
        "lettera.docx", "tabella.xlsx", "testo.odt", "foglio.ods", "documento.pdf.p7m"}) {
    INFO(name);
    auto a = checkAttachment(sample(name), sniffer);
    REQUIRE(a);
    CHECK(a->filename == name);
    CHECK(a->sha256.size() == 64);
  }
  CHECK(checkAttachment(sample("foto.jpg"), sniffer)->content_type == "image/jpeg");
  CHECK(checkAttachment(sample("documento.pdf.p7m"), sniffer)->content_type ==
        "application/pkcs7-mime");
}

TEST_CASE("files judged from many threads at once each get their own type", "[filetypes]") {
  // One libmagic handle serves every thread, one at a time: a text, a PDF
  // and a picture judged at the same time from eight threads.
  filetypes::MagicSniffer sniffer;
  const std::vector<std::pair<std::string, std::string>> files = {
      {test::readFile(kFiles + "/documento.pdf"), "application/pdf"},
      {std::string(64 * 1024, 'a'), "text/plain"},
      {test::readFile(kFiles + "/foto.png"), "image/png"}};
  std::atomic<int> wrong = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 30; ++i) {
        const auto& [data, type] = files[static_cast<std::size_t>(t + i) % files.size()];
        if (sniffer.mimeType(data) != type) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wrong == 0);
}

TEST_CASE("a file whose content and extension disagree is refused", "[filetypes]") {
  filetypes::MagicSniffer sniffer;
  for (const auto& [file, as] :
       std::vector<std::pair<const char*, const char*>>{{"programma.elf", "fattura.pdf"},
                                                        {"foto.png", "foto.pdf"},
                                                        {"pagina.html", "nota.txt"},
                                                        {"disegno.svg", "disegno.svg"},
                                                        {"archivio.zip", "archivio.zip"},
                                                        {"archivio.zip", "lettera.docx"},
                                                        {"script.sh", "script.sh"},
                                                        {"documento.pdf", "documento.p7m"},
                                                        {"documento.pdf", "documento"}}) {
    INFO(file << " as " << as);
    auto a = checkAttachment(sample(file, as), sniffer);
    REQUIRE_FALSE(a);
    CHECK(a.error().reason == "attachment_type_not_allowed");
  }
}

TEST_CASE("a .p7m is judged by the document inside its CMS envelope", "[filetypes]") {
  filetypes::MagicSniffer sniffer;
  test::TempDir dir;
  const std::string d = dir.path().string();
  // A throwaway signer, as a smart card would have; the envelope is what matters.
  auto [status, out] =
      test::run("cd '" + d +
                "' && openssl req -x509 -newkey rsa:2048 -nodes -keyout k.pem -out c.pem "
                "-subj /CN=prova -days 1 2>&1 && for f in pagina.html documento.pdf; do "
                "openssl cms -sign -nodetach -binary -outform DER -in '" +
                kFiles +
                "'/$f -signer c.pem "
                "-inkey k.pem -out $f.p7m || exit 1; done 2>&1");
  REQUIRE(status == 0);
  const std::string html_p7m = test::readFile(d + "/pagina.html.p7m");
  const std::string pdf_p7m = test::readFile(d + "/documento.pdf.p7m");
  // A signed PDF passes, with or without the inner extension in its name.
  CHECK(checkAttachment({"contratto.pdf.p7m", pdf_p7m}, sniffer));
  CHECK(checkAttachment({"contratto.p7m", pdf_p7m}, sniffer));
  // A signed web page does not, whatever it is called.
  for (const char* name : {"pagina.pdf.p7m", "pagina.p7m", "pagina.html.p7m"}) {
    INFO(name);
    CHECK(checkAttachment({name, html_p7m}, sniffer).error().reason ==
          "attachment_type_not_allowed");
  }
  // Nor HTML glued after the SignedData OID, which the first bytes alone let through.
  const std::string forged =
      std::string("\x30\x80\x06\x09\x2A\x86\x48\x86\xF7\x0D\x01\x07\x02", 13) +
      "<html><script>alert(1)</script></html>";
  CHECK_FALSE(checkAttachment({"finto.pdf.p7m", forged}, sniffer));
}

TEST_CASE("size limits: empty refused, 1 MiB accepted, one byte more refused", "[filetypes]") {
  filetypes::MagicSniffer sniffer;
  CHECK(checkAttachment({"vuoto.txt", ""}, sniffer).error().reason == "empty_attachment");
  CHECK(checkAttachment({"limite.txt", std::string(kMaxAttachmentBytes, 'a')}, sniffer));
  CHECK(checkAttachment({"oltre.txt", std::string(kMaxAttachmentBytes + 1, 'a')}, sniffer)
            .error()
            .reason == "attachment_too_large");
  std::vector<IncomingFile> six(6, {"a.txt", "a"});
  CHECK(checkAttachments(six, sniffer).error().reason == "too_many_attachments");
}

TEST_CASE("five files: kept in order, the first refused one is named", "[filetypes]") {
  filetypes::MagicSniffer sniffer;
  std::vector<IncomingFile> five;
  for (int i = 1; i <= 5; ++i) {
    five.push_back({"nota" + std::to_string(i) + ".txt", std::string(1000 * i, 'a')});
  }
  auto ok = checkAttachments(five, sniffer);
  REQUIRE(ok);
  REQUIRE(ok->size() == 5);
  for (int i = 0; i < 5; ++i) {
    CHECK((*ok)[i].filename == "nota" + std::to_string(i + 1) + ".txt");
    CHECK((*ok)[i].data.size() == 1000u * (i + 1));
    CHECK((*ok)[i].sha256 == crypto::sha256Hex(std::string(1000 * (i + 1), 'a')));
  }
  five[1] = {"pagina.pdf", "<html><body>non un PDF</body></html>"};
  five[3] = {"vuoto.txt", ""};
  auto refused = checkAttachments(five, sniffer);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().reason == "attachment_type_not_allowed");
  CHECK(refused.error().message.find("pagina.pdf") != std::string::npos);
}

TEST_CASE("a .txt note whose lines hold commas is still a text (libmagic calls it CSV)",
          "[filetypes]") {
  filetypes::MagicSniffer sniffer;
  std::string note;
  for (int i = 0; i < 40; ++i) {
    note += "Pagamento del 12/03/2025, importo 1.234,56 euro, causale contributi, rata " +
            std::to_string(i) + ".\n";
  }
  auto a = checkAttachment({"pagamenti.txt", note}, sniffer);
  REQUIRE(a);
  CHECK(a->content_type == "text/plain");
  // HTML named .txt stays refused.
  CHECK_FALSE(
      checkAttachment({"pagina.txt", "<html><body>ciao, a tutti</body></html>\n"}, sniffer));
}

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <future>
#include <thread>

#include "devices/pdf_pages.h"
#include "devices/sane_scanner.h"
#include "devices/usb_media.h"
#include "filetypes/magic_sniffer.h"
#include "support/read_file.h"
#include "support/shell.h"
#include "support/temp_dir.h"

using namespace kiosk;

namespace {

using test::run;

const std::string kFiles = KIOSK_TEST_FILES_DIR;

// SANE's built-in test device: a dll.conf holding "test", no hardware.
struct SaneTestDevice {
  test::TempDir dir;
  SaneTestDevice() {
    std::ofstream(dir.file("dll.conf")) << "test\n";
    ::setenv("SANE_CONFIG_DIR", dir.path().c_str(), 1);
  }
};

std::string save(const test::TempDir& dir, const std::string& name, const std::string& data) {
  std::ofstream(dir.file(name), std::ios::binary) << data;
  return dir.file(name);
}

}  // namespace

TEST_CASE("one page from SANE's test device is a JPEG within 1 MiB", "[devices]") {
  SaneTestDevice sane;
  devices::SaneScanner scanner({.device = "test", .mode = "Color", .resolution = 150});
  CHECK(scanner.state().status == domain::DeviceStatus::kReady);
  auto doc = scanner.scan(1);
  REQUIRE(doc);
  CHECK(doc->content_type == "image/jpeg");
  CHECK(doc->pages == 1);
  CHECK(doc->data.size() <= 1024 * 1024);
  test::TempDir out;
  const auto path = save(out, "p.jpg", doc->data);
  auto [status, type] = run("file --brief '" + path + "'");
  CHECK(type.find("JPEG image data") != std::string::npos);
  CHECK(type.find("472x590") != std::string::npos);  // the test device's page at 150 dpi
}

TEST_CASE("three pages from SANE's test device are one PDF within 1 MiB", "[devices]") {
  SaneTestDevice sane;
  devices::SaneScanner scanner({.device = "test", .mode = "Gray", .resolution = 150});
  auto doc = scanner.scan(3);
  REQUIRE(doc);
  CHECK(doc->content_type == "application/pdf");
  CHECK(doc->pages == 3);
  CHECK(doc->data.size() <= 1024 * 1024);
  test::TempDir out;
  const auto path = save(out, "p.pdf", doc->data);
  CHECK(run("qpdf --check '" + path + "' 2>&1").first == 0);
  CHECK(run("pdfinfo '" + path + "'").second.find("Pages:           3") != std::string::npos);
  CHECK(run("pdfimages -list '" + path + "'").second.find("jpeg") != std::string::npos);
}

TEST_CASE("a page longer than a sheet stops the scan at once, not at the timeout", "[devices]") {
  SaneTestDevice sane;
  // The test device's page is 100 mm long: a 60 mm bound stands for a feeder
  // that keeps sending lines.
  devices::SaneScanner scanner({.device = "test",
                                .mode = "Gray",
                                .resolution = 150,
                                .timeout_seconds = 60,
                                .max_page_mm = 60});
  const auto started = std::chrono::steady_clock::now();
  auto doc = scanner.scan(1);
  REQUIRE_FALSE(doc);
  CHECK(doc.error().reason == "scan_page_too_long");
  CHECK(doc.error().message.find("più lunga di un foglio") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
  // The same device within the bound scans as before.
  devices::SaneScanner fits(
      {.device = "test", .mode = "Gray", .resolution = 150, .max_page_mm = 110});
  CHECK(fits.scan(1));
}

// A stand-in for the scan's helper process (sane_scanner.cpp) that never
// ends, as a backend stuck in sane_cancel or in its reader thread; with
// `page`, it first says one 8 × 8 gray page and "done".
std::string stuckHelper(const test::TempDir& dir, bool page) {
  const std::string path = dir.file("stuck-helper");
  std::ofstream script(path);
  script << "#!/bin/sh\necho $$ >'" << dir.file("pid") << "'\n";
  if (page) script << "printf 'page 8 8 1 150 64\\n'\nhead -c 64 /dev/zero\nprintf 'done\\n'\n";
  script << "exec sleep 600\n";
  script.close();
  ::chmod(path.c_str(), 0700);
  return path;
}

// Whether the stand-in helper still runs (its process, reaped, is gone).
bool helperRuns(const test::TempDir& dir) {
  const pid_t pid = std::atoi(test::readFile(dir.file("pid")).c_str());
  return pid > 0 && ::kill(pid, 0) == 0;
}

TEST_CASE("a backend stuck after the last page costs two seconds, and its helper is killed",
          "[devices]") {
  // Before session 19 SANE ran in the kiosk itself, and a backend's reader
  // thread cancelled while it held a C library lock froze the scan for ever
  // (about 1 long-page scan in 20 with SANE's test device).
  test::TempDir dir;
  devices::SaneScanner scanner({.device = "test", .helper = stuckHelper(dir, true)});
  const auto started = std::chrono::steady_clock::now();
  auto doc = scanner.scan(1);
  const auto took = std::chrono::steady_clock::now() - started;
  REQUIRE(doc);
  CHECK(doc->content_type == "image/jpeg");
  CHECK(doc->pages == 1);
  CHECK(took < std::chrono::seconds(5));
  CHECK_FALSE(helperRuns(dir));
}

TEST_CASE("a scan whose backend never answers is cancelled at once, and the scanner is free",
          "[devices]") {
  test::TempDir dir;
  devices::SaneScanner scanner({.device = "test", .helper = stuckHelper(dir, false)});
  for (int round = 0; round < 2; ++round) {  // the second: the scanner was not left busy
    auto scan = std::async(std::launch::async, [&] { return scanner.scan(1); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto asked = std::chrono::steady_clock::now();
    scanner.cancel();
    REQUIRE(scan.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
    auto doc = scan.get();
    REQUIRE_FALSE(doc);
    CHECK(doc.error().reason == "scan_cancelled");
    CHECK(std::chrono::steady_clock::now() - asked < std::chrono::seconds(2));
    CHECK_FALSE(helperRuns(dir));
  }
}

TEST_CASE("a scan that cannot fit shrinks quality and size, or is refused", "[devices]") {
  devices::RawPage noise;
  noise.width = 1200;
  noise.height = 1600;
  noise.channels = 3;
  noise.pixels.resize(static_cast<std::size_t>(noise.width * noise.height * 3));
  unsigned x = 12345;
  for (auto& c : noise.pixels) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  const auto full = devices::encodeJpeg(noise, 85, 1.0);
  REQUIRE(full.size() > 1024 * 1024);  // random pixels do not compress
  auto fitted = devices::fitDocument({noise}, 1024 * 1024);
  REQUIRE(fitted);
  CHECK(fitted->data.size() <= 1024 * 1024);
  CHECK_FALSE(devices::fitDocument({noise}, 1000));
}

TEST_CASE("one scan at a time: a second one gets scanner_busy", "[devices]") {
  SaneTestDevice sane;
  devices::SaneScanner scanner({.device = "test", .mode = "Color", .resolution = 300});
  auto first = std::async(std::launch::async, [&] { return scanner.scan(6); });
  // The second scan is asked once the first is under way (waited on, bounded).
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!scanner.progress().scanning && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  REQUIRE(scanner.progress().scanning);
  auto second = scanner.scan(1);
  auto done = first.get();
  REQUIRE(done);
  REQUIRE_FALSE(second);
  CHECK(second.error().reason == "scanner_busy");
}

TEST_CASE("no scanner configured, or a device that does not exist, is unavailable", "[devices]") {
  SaneTestDevice sane;
  devices::SaneScanner none({});
  CHECK(none.state().status == domain::DeviceStatus::kNotConfigured);
  devices::SaneScanner missing({.device = "nosuchbackend:0"});
  CHECK(missing.state().status == domain::DeviceStatus::kUnavailable);
  auto r = missing.scan(1);
  REQUIRE_FALSE(r);
  CHECK(r.error().reason == "scanner_unavailable");
}

TEST_CASE("the USB stick lists and serves only allowed files, never leaving the mount",
          "[devices]") {
  test::TempDir outside;
  save(outside, "secret.pdf", test::readFile(kFiles + "/documento.pdf"));
  test::TempDir stick;
  const auto& root = stick.path();
  save(stick, "modulo.pdf", test::readFile(kFiles + "/documento.pdf"));
  save(stick, "foto.jpg", test::readFile(kFiles + "/foto.jpg"));
  save(stick, "script.sh", test::readFile(kFiles + "/script.sh"));
  save(stick, "finto.pdf", test::readFile(kFiles + "/programma.elf"));
  save(stick, "grande.txt", std::string(2 * 1024 * 1024, 'a'));
  save(stick, ".nascosto.pdf", test::readFile(kFiles + "/documento.pdf"));
  std::filesystem::create_directories(root / "cartella" / "sotto");
  std::ofstream(root / "cartella" / "nota.txt") << "nota";
  std::ofstream(root / "cartella" / "sotto" / "elenco.csv") << "a;b\n1;2\n";
  std::filesystem::create_directories(root / "a" / "b" / "c" / "d");
  std::ofstream(root / "a" / "b" / "c" / "d" / "troppo.txt") << "troppo in fondo";
  std::filesystem::create_symlink(outside.file("secret.pdf"), root / "link.pdf");
  std::filesystem::create_directory_symlink(outside.path(), root / "fuori");

  filetypes::MagicSniffer sniffer;
  devices::FolderUsbMedia usb(root.string(), sniffer);
  CHECK(usb.state().status == domain::DeviceStatus::kReady);
  auto files = usb.list();
  REQUIRE(files);
  std::vector<std::string> names;
  for (const auto& f : *files) names.push_back(f.name);
  // Refused files are listed with the reason, so that the person sees why.
  CHECK(names == std::vector<std::string>{"cartella/nota.txt", "cartella/sotto/elenco.csv",
                                          "finto.pdf", "foto.jpg", "grande.txt", "modulo.pdf",
                                          "script.sh"});
  for (const auto& f : *files) {
    INFO(f.name);
    CHECK(f.too_large == (f.name == "grande.txt"));
    const std::string expected = f.name == "grande.txt" ? "too_large"
                                 : f.name == "finto.pdf" || f.name == "script.sh"
                                     ? "type_not_allowed"
                                     : "";
    CHECK(f.refused == expected);
  }
  CHECK(usb.read("modulo.pdf")->data == test::readFile(kFiles + "/documento.pdf"));
  CHECK(usb.read("cartella/nota.txt")->data == "nota");
  const std::vector<std::string> refused = {
      "link.pdf",
      "fuori/secret.pdf",
      ".nascosto.pdf",
      "script.sh",
      "finto.pdf",
      "../" + outside.path().filename().string() + "/secret.pdf",
      "cartella/../modulo.pdf",
      "",
      "a/b/c/d/troppo.txt"};
  for (const auto& bad : refused) {
    INFO(bad);
    auto r = usb.read(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kNotFound);
  }
  CHECK(usb.read("grande.txt").error().reason == "attachment_too_large");
}

TEST_CASE("a FIFO on the stick named like a document neither hangs a listing nor a read",
          "[devices]") {
  test::TempDir stick;
  save(stick, "modulo.pdf", test::readFile(kFiles + "/documento.pdf"));
  REQUIRE(::mkfifo(stick.file("fifo.pdf").c_str(), 0600) == 0);
  filetypes::MagicSniffer sniffer;
  devices::FolderUsbMedia usb(stick.path().string(), sniffer);
  auto reading = std::async(std::launch::async, [&] { return usb.read("fifo.pdf"); });
  // Without O_NONBLOCK the open waits for a writer that never comes.
  REQUIRE(reading.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  auto r = reading.get();
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kNotFound);
  auto files = usb.list();
  REQUIRE(files);
  REQUIRE(files->size() == 1);
  CHECK((*files)[0].name == "modulo.pdf");
  // Unblock a stuck open, if any, so that the test ends either way.
  int fd = ::open(stick.file("fifo.pdf").c_str(), O_WRONLY | O_NONBLOCK);
  if (fd >= 0) ::close(fd);
}

TEST_CASE("a stick that is gone answers usb_unavailable", "[devices]") {
  filetypes::MagicSniffer sniffer;
  devices::FolderUsbMedia usb("/nonexistent/usb", sniffer);
  CHECK(usb.state().status == domain::DeviceStatus::kUnavailable);
  auto r = usb.list();
  REQUIRE_FALSE(r);
  CHECK(r.error().reason == "usb_unavailable");
  devices::FolderUsbMedia none("", sniffer);
  CHECK(none.state().status == domain::DeviceStatus::kNotConfigured);
}

TEST_CASE("poppler counts a PDF's pages in a child process, bounded in time", "[devices][print]") {
  test::TempDir dir;
  const std::string one = test::readFile(kFiles + "/documento.pdf");
  auto pages = devices::countPdfPages(one);
  REQUIRE(pages);
  CHECK(*pages == 1);
  // 30 pages made by qpdf from the same page.
  std::string args;
  for (int i = 0; i < 30; ++i) args += " " + kFiles + "/documento.pdf 1";
  REQUIRE(
      run("qpdf --empty --pages" + args + " -- " + dir.file("trenta.pdf") + " 2>/dev/null").first ==
      0);
  pages = devices::countPdfPages(test::readFile(dir.file("trenta.pdf")));
  REQUIRE(pages);
  CHECK(*pages == 30);
  auto garbage = devices::countPdfPages("%PDF-1.4 not really");
  REQUIRE_FALSE(garbage);
  CHECK(garbage.error().reason == "not_printable");
  // A parser that hangs is killed at the bound.
  std::ofstream(dir.file("hang.sh")) << "#!/bin/sh\nexec sleep 30\n";
  ::chmod(dir.file("hang.sh").c_str(), 0755);
  const auto started = std::chrono::steady_clock::now();
  auto hung = devices::countPdfPages(one, std::chrono::milliseconds(300), dir.file("hang.sh"));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
  REQUIRE_FALSE(hung);
  CHECK(hung.error().reason == "not_printable");
  auto missing = devices::countPdfPages(one, std::chrono::seconds(1), dir.file("absent"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().reason == "printer_unavailable");
}

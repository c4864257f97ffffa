// In-memory fakes of the domain's ports, for domain unit tests (each adapter
// has its own test against the real part). One of each, shared by every test:
// clock, file sniffer, mailer, SMS gateway, printer, scanner, USB stick,
// receipt signer and renderer. Stores are real: support/temp_store.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "domain/ports/devices.h"
#include "domain/ports/file_sniffer.h"
#include "domain/ports/notifier.h"
#include "domain/ports/printer.h"
#include "domain/ports/receipt_renderer.h"
#include "domain/ports/receipt_signer.h"

namespace kiosk::test {

// A clock that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::int64_t start = 1'795'000'000) : now_(start) {}
  std::int64_t nowSeconds() const override { return now_.load(); }
  std::int64_t monotonicSeconds() const override { return mono_.load(); }
  // Time passes: both clocks move.
  void advance(std::int64_t seconds) {
    now_ += seconds;
    mono_ += seconds;
  }
  // The wall clock is set (NTP, a technician): only it jumps.
  void stepWall(std::int64_t seconds) { now_ += seconds; }

 private:
  std::atomic<std::int64_t> now_;
  std::atomic<std::int64_t> mono_{1'000'000};
};

// Judges by the first bytes only (PDF, PNG, JPEG; else `otherwise`): enough
// for the domain's rules.
class FakeSniffer final : public domain::FileSniffer {
 public:
  explicit FakeSniffer(std::string otherwise = "text/plain") : otherwise_(std::move(otherwise)) {}
  std::string mimeType(std::string_view d) override {
    if (d.starts_with("%PDF")) return "application/pdf";
    if (d.starts_with("\x89PNG")) return "image/png";
    if (d.starts_with("\xFF\xD8\xFF")) return "image/jpeg";
    return otherwise_;
  }

 private:
  std::string otherwise_;
};

// Keeps what it sends; `down` makes every send fail as an unreachable server.
class FakeMailer final : public domain::Mailer {
 public:
  Status send(const domain::MailMessage& m) override {
    if (down) return fail(Error::unavailable("down", "down"));
    sent.push_back(m);
    return {};
  }
  Status check() override { return {}; }
  bool configured() const override { return true; }
  bool down = false;
  std::vector<domain::MailMessage> sent;
};

class FakeSms final : public domain::SmsGateway {
 public:
  Status send(const domain::SmsMessage& m) override {
    sent.push_back(m);
    return {};
  }
  Status check() override { return {}; }
  bool configured() const override { return true; }
  std::vector<domain::SmsMessage> sent;
};

// Keeps the documents it is given; `ready` false answers printer_unavailable.
class FakePrinter final : public domain::Printer {
 public:
  Result<int> printPdf(std::string_view pdf, std::string_view title) override {
    std::lock_guard lock(mutex_);
    if (!ready) {
      return fail(Error::unavailable("printer_unavailable", "Stampante non disponibile."));
    }
    printed.push_back({std::string(title), std::string(pdf)});
    return static_cast<int>(printed.size());
  }
  Result<int> pages(std::string_view) override { return page_count; }
  bool jobActive(int) override { return busy; }
  domain::DeviceState state() override {
    return {ready ? domain::DeviceStatus::kReady : domain::DeviceStatus::kUnavailable,
            ready ? "fake" : "fake, off"};
  }
  bool ready = true;
  bool busy = false;                                         // every job still waits at the printer
  int page_count = 1;                                        // what pages() says of any PDF
  std::vector<std::pair<std::string, std::string>> printed;  // title, PDF

 private:
  std::mutex mutex_;
};

// Answers `pages` pages of a fixed JPEG-looking document at once (padded to
// `bytes` when set); `waiting` says a page-by-page scan waits for an answer.
class FakeScanner final : public domain::Scanner {
 public:
  Result<domain::ScannedDocument> scan(int pages, bool /*ask_between*/) override {
    if (!ready) return fail(Error::unavailable("scanner_unavailable", "Scanner non disponibile."));
    domain::ScannedDocument doc{pages > 1 ? "%PDF-1.4 scanned" : "\xFF\xD8\xFF scanned",
                                pages > 1 ? "application/pdf" : "image/jpeg",
                                pages > 1 ? "scansione.pdf" : "scansione.jpg", pages};
    if (bytes > doc.data.size()) doc.data.resize(bytes, ' ');
    return doc;
  }
  void next() override { answers.push_back(true); }
  void finish() override { answers.push_back(false); }
  domain::ScanProgress progress() override { return {waiting, 1, waiting}; }
  void cancel() override {}
  domain::DeviceState state() override {
    return {ready ? domain::DeviceStatus::kReady : domain::DeviceStatus::kUnavailable, "fake"};
  }
  bool ready = true;
  bool waiting = false;
  std::size_t bytes = 0;
  std::vector<bool> answers;  // next() true, finish() false
};

// A stick holding `files` (name → bytes), each allowed but those `refused`
// (name → "type_not_allowed", "empty" or "too_large").
class FakeUsbMedia final : public domain::UsbMedia {
 public:
  Result<std::vector<domain::UsbFile>> list() override {
    std::vector<domain::UsbFile> out;
    for (const auto& [name, data] : files) {
      domain::UsbFile f;
      f.name = name;
      f.size = static_cast<std::int64_t>(data.size());
      f.content_type = sniffer.mimeType(data);
      if (auto it = refused.find(name); it != refused.end()) f.refused = it->second;
      out.push_back(f);
    }
    return out;
  }
  Result<domain::UsbDocument> read(const std::string& name) override {
    auto it = files.find(name);
    if (it == files.end()) return fail(Error::notFound("File non trovato."));
    return domain::UsbDocument{it->second, sniffer.mimeType(it->second)};
  }
  domain::DeviceState state() override { return {domain::DeviceStatus::kReady, "fake"}; }
  std::map<std::string, std::string> files;
  std::map<std::string, std::string> refused;
  FakeSniffer sniffer;
};

// "Signs" with a readable tag: verify accepts only its own tags.
class FakeSigner final : public domain::ReceiptSigner {
 public:
  std::string sign(std::string_view message) override {
    return "sig-" + std::to_string(std::hash<std::string_view>{}(message));
  }
  bool verify(std::string_view message, std::string_view signature) override {
    return signature == sign(message);
  }
  std::string signingKeyId() const override { return "fakekey000000001"; }
};

// Renders a receipt as a line of text; keeps what it rendered.
class FakeRenderer final : public domain::ReceiptRenderer {
 public:
  Result<std::string> render(const domain::ReceiptData& receipt) override {
    rendered.push_back(receipt);
    return std::string("%PDF-fake receipt");
  }
  Result<std::string> imagePage(std::string_view data, std::string_view) override {
    return "%PDF-fake page of " + std::to_string(data.size()) + " bytes";
  }
  std::vector<domain::ReceiptData> rendered;
};

}  // namespace kiosk::test

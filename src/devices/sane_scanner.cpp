#include "devices/sane_scanner.h"

#include <hpdf.h>
#include <jpeglib.h>
#include <sane/sane.h>
#include <sane/saneopts.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <sstream>
#include <string_view>
#include <thread>
#include <vector>

#include "core/log.h"
#include "core/own_stack.h"
#include "devices/child_process.h"

namespace kiosk::devices {
namespace {

Error unavailable(const std::string& detail) {
  Error e = Error::unavailable("scanner_unavailable",
                               "Lo scanner non è disponibile. Si rivolga allo sportello.");
  e.detail = detail;
  return e;
}

bool saneReady() {
  static const bool ok = [] {
    SANE_Int version = 0;
    return sane_init(&version, nullptr) == SANE_STATUS_GOOD;
  }();
  return ok;
}

// Sets a string or numeric option by name when the device has it.
void setOption(SANE_Handle h, const char* name, const std::string& text, int number) {
  for (SANE_Int i = 1;; ++i) {
    const SANE_Option_Descriptor* d = sane_get_option_descriptor(h, i);
    if (!d) return;
    if (!d->name || std::strcmp(d->name, name) != 0 || !SANE_OPTION_IS_SETTABLE(d->cap)) continue;
    SANE_Int info = 0;
    if (d->type == SANE_TYPE_STRING) {
      std::vector<char> value(static_cast<std::size_t>(d->size), '\0');
      std::strncpy(value.data(), text.c_str(), value.size() - 1);
      sane_control_option(h, i, SANE_ACTION_SET_VALUE, value.data(), &info);
    } else if (d->type == SANE_TYPE_INT) {
      SANE_Int v = number;
      sane_control_option(h, i, SANE_ACTION_SET_VALUE, &v, &info);
    } else if (d->type == SANE_TYPE_FIXED) {
      SANE_Fixed v = SANE_FIX(number);
      sane_control_option(h, i, SANE_ACTION_SET_VALUE, &v, &info);
    }
    return;
  }
}

struct JpegSink {
  jpeg_destination_mgr mgr{};
  std::vector<unsigned char> buffer = std::vector<unsigned char>(65536);
  std::string out;
};

void initDestination(j_compress_ptr c) {
  auto* sink = reinterpret_cast<JpegSink*>(c->dest);
  sink->mgr.next_output_byte = sink->buffer.data();
  sink->mgr.free_in_buffer = sink->buffer.size();
}
boolean emptyBuffer(j_compress_ptr c) {
  auto* sink = reinterpret_cast<JpegSink*>(c->dest);
  sink->out.append(reinterpret_cast<char*>(sink->buffer.data()), sink->buffer.size());
  sink->mgr.next_output_byte = sink->buffer.data();
  sink->mgr.free_in_buffer = sink->buffer.size();
  return TRUE;
}
void termDestination(j_compress_ptr c) {
  auto* sink = reinterpret_cast<JpegSink*>(c->dest);
  sink->out.append(reinterpret_cast<char*>(sink->buffer.data()),
                   sink->buffer.size() - sink->mgr.free_in_buffer);
}

std::string pdfOf(const std::vector<std::pair<std::string, RawPage>>& jpegs, double scale) {
  HPDF_Doc pdf = HPDF_New(nullptr, nullptr);
  if (!pdf) return {};
  HPDF_SetInfoAttr(pdf, HPDF_INFO_CREATOR, "Cassetto Kiosk");
  for (const auto& [jpeg, page] : jpegs) {
    HPDF_Image image = HPDF_LoadJpegImageFromMem(
        pdf, reinterpret_cast<const HPDF_BYTE*>(jpeg.data()), static_cast<HPDF_UINT>(jpeg.size()));
    if (!image) {
      HPDF_Free(pdf);
      return {};
    }
    // The page has the paper's size: pixels at the scanned resolution.
    const float w = static_cast<float>(page.width) * 72.0f / static_cast<float>(page.dpi);
    const float h = static_cast<float>(page.height) * 72.0f / static_cast<float>(page.dpi);
    HPDF_Page p = HPDF_AddPage(pdf);
    HPDF_Page_SetWidth(p, w);
    HPDF_Page_SetHeight(p, h);
    HPDF_Page_DrawImage(p, image, 0, 0, w, h);
  }
  (void)scale;
  std::string out;
  if (HPDF_SaveToStream(pdf) == HPDF_OK) {
    out.resize(HPDF_GetStreamSize(pdf));
    HPDF_UINT32 n = static_cast<HPDF_UINT32>(out.size());
    HPDF_ReadFromStream(pdf, reinterpret_cast<HPDF_BYTE*>(out.data()), &n);
    out.resize(n);
  }
  HPDF_Free(pdf);
  return out;
}

}  // namespace

std::string encodeJpeg(const RawPage& page, int quality, double scale) {
  const int w = std::max(1, static_cast<int>(page.width * scale));
  const int h = std::max(1, static_cast<int>(page.height * scale));
  jpeg_compress_struct c{};
  jpeg_error_mgr err{};
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  JpegSink sink;
  sink.mgr.init_destination = initDestination;
  sink.mgr.empty_output_buffer = emptyBuffer;
  sink.mgr.term_destination = termDestination;
  c.dest = &sink.mgr;
  c.image_width = static_cast<JDIMENSION>(w);
  c.image_height = static_cast<JDIMENSION>(h);
  c.input_components = page.channels;
  c.in_color_space = page.channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, quality, TRUE);
  c.density_unit = 1;  // dots per inch
  c.X_density = c.Y_density = static_cast<UINT16>(page.dpi * scale);
  jpeg_start_compress(&c, TRUE);
  std::vector<unsigned char> row(static_cast<std::size_t>(w * page.channels));
  while (c.next_scanline < c.image_height) {
    // Nearest-neighbour scaling: scans are documents, not photographs.
    const int sy = std::min(page.height - 1, static_cast<int>(c.next_scanline / scale));
    for (int x = 0; x < w; ++x) {
      const int sx = std::min(page.width - 1, static_cast<int>(x / scale));
      for (int k = 0; k < page.channels; ++k) {
        const auto at = (static_cast<std::size_t>(sy) * static_cast<std::size_t>(page.width) +
                         static_cast<std::size_t>(sx)) *
                            static_cast<std::size_t>(page.channels) +
                        static_cast<std::size_t>(k);
        row[static_cast<std::size_t>(x * page.channels + k)] =
            static_cast<unsigned char>(page.pixels[at]);
      }
    }
    JSAMPROW rows[1] = {row.data()};
    jpeg_write_scanlines(&c, rows, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  return sink.out;
}

std::optional<domain::ScannedDocument> fitDocument(const std::vector<RawPage>& pages,
                                                   std::size_t limit) {
  for (double scale : {1.0, 0.75, 0.5, 0.35}) {
    for (int quality : {85, 70, 55, 40}) {
      domain::ScannedDocument doc;
      doc.pages = static_cast<int>(pages.size());
      if (pages.size() == 1) {
        doc.data = encodeJpeg(pages.front(), quality, scale);
        doc.content_type = "image/jpeg";
        doc.filename = "scansione.jpg";
      } else {
        std::vector<std::pair<std::string, RawPage>> jpegs;
        for (const auto& p : pages) jpegs.emplace_back(encodeJpeg(p, quality, scale), p);
        doc.data = pdfOf(jpegs, scale);
        doc.content_type = "application/pdf";
        doc.filename = "scansione.pdf";
      }
      if (!doc.data.empty() && doc.data.size() <= limit) return doc;
    }
  }
  return std::nullopt;
}

Result<domain::ScannedDocument> SaneScanner::scan(int pages, bool ask_between) {
  std::unique_lock lock(busy_, std::try_to_lock);
  if (!lock.owns_lock()) {
    return fail(Error::conflict("scanner_busy",
                                "Lo scanner è già in uso: attenda la fine della scansione."));
  }
  cancel_ = false;
  {
    std::lock_guard g(m_);
    progress_ = {true, 0, false};
    answer_ = Answer::kNone;
  }
  auto result = runOnOwnStack([&] { return scanHere(pages, ask_between); });
  std::lock_guard g(m_);
  progress_ = {};
  return result;
}

void SaneScanner::next() {
  std::lock_guard g(m_);
  if (progress_.waiting) answer_ = Answer::kNext;
  answered_.notify_all();
}

void SaneScanner::finish() {
  std::lock_guard g(m_);
  if (progress_.waiting) answer_ = Answer::kFinish;
  answered_.notify_all();
}

void SaneScanner::cancel() {
  std::lock_guard g(m_);
  cancel_ = true;
  answered_.notify_all();
}

domain::ScanProgress SaneScanner::progress() {
  std::lock_guard g(m_);
  return progress_;
}

Result<bool> SaneScanner::askNext() {
  std::unique_lock g(m_);
  progress_.waiting = true;
  answer_ = Answer::kNone;
  const bool answered = answered_.wait_for(g, std::chrono::seconds(s_.answer_seconds), [&] {
    return answer_ != Answer::kNone || cancel_.load();
  });
  progress_.waiting = false;
  if (cancel_) return fail(Error::conflict("scan_cancelled", "Scansione annullata."));
  const bool more = answered && answer_ == Answer::kNext;
  answer_ = Answer::kNone;
  return more;
}

namespace {

// --- the helper process -------------------------------------------------
//
// A scan runs in a process of its own, this program started again with
// kScanHelperFlag. A backend that reads through a thread of its own
// (sanei_thread, as SANE's test device does) stops that thread in
// sane_cancel with an asynchronous pthread_cancel; a cancel that lands while
// the thread holds a C library lock (malloc's, the dynamic linker's, the
// locale's) leaves the lock held for ever, and the process that holds it
// waits for ever at its next use (about 1 long-page scan in 20 here, seen in
// gdb). In the helper that costs the helper only: the kiosk kills it.
//
// The helper writes lines to its standard output:
//   "ask"                          between pages: it reads "next" or "finish"
//   "page W H CHANNELS DPI BYTES"  then BYTES bytes of 8-bit pixels
//   "error CODE REASON\tMESSAGE\tDETAIL"
//   "done"
// and ends the scan (sane_cancel) only after its last line, so an answer
// never waits for a backend's cancel.

bool sayLine(const std::string& line) {
  const std::string text = line + "\n";
  return writeAll(STDOUT_FILENO, text.data(), text.size());
}

std::string oneLine(std::string text) {
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == '\t' || c == '\n'; }, ' ');
  return text;
}

void sayError(const Error& e) {
  sayLine("error " + std::to_string(static_cast<int>(e.code)) + " " + e.reason + "\t" +
          oneLine(e.message) + "\t" + oneLine(e.detail));
}

std::string readInLine() {
  std::string line;
  char c = 0;
  while (true) {
    const ssize_t n = ::read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == '\n') return line;
    line.push_back(c);
  }
}

Error pageTooLong() {
  return Error::unavailable(
      "scan_page_too_long",
      "La pagina acquisita è più lunga di un foglio: lo scanner è stato fermato. Controlli "
      "il foglio e riprovi, o chieda allo sportello.");
}

Error scanTimeout() {
  return Error::unavailable("scan_timeout",
                            "La scansione ha impiegato troppo tempo ed è stata interrotta.");
}

// The helper's whole scan: exit status 0 after "done", 1 after "error".
int helperScan(const ScannerSettings& s, int pages, bool ask_between) {
  if (!saneReady()) return sayError(unavailable("sane_init failed")), 1;
  SANE_Handle h = nullptr;
  if (sane_open(s.device.c_str(), &h) != SANE_STATUS_GOOD) {
    return sayError(unavailable("cannot open SANE device " + s.device)), 1;
  }
  struct Closer {
    SANE_Handle h;
    ~Closer() { sane_close(h); }
  } closer{h};
  // The answer first, then the backend's cancel (which may never return).
  const auto stop = [&](const Error& e) {
    sayError(e);
    sane_cancel(h);
    return 1;
  };
  setOption(h, SANE_NAME_SCAN_MODE, s.mode, 0);
  setOption(h, SANE_NAME_SCAN_RESOLUTION, "", s.resolution);
  if (!s.source.empty()) setOption(h, SANE_NAME_SCAN_SOURCE, s.source, 0);

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(s.timeout_seconds);
  std::vector<unsigned char> buf(1 << 16);
  for (int n = 0; n < pages; ++n) {
    if (ask_between && n > 0) {
      // "Pagina successiva?": the person lays the next sheet, or is done.
      if (!sayLine("ask")) return 1;
      if (readInLine() != "next") break;
      deadline = std::chrono::steady_clock::now() + std::chrono::seconds(s.timeout_seconds);
    }
    if (sane_start(h) != SANE_STATUS_GOOD) return stop(unavailable("sane_start failed"));
    SANE_Parameters p{};
    sane_get_parameters(h, &p);
    if (p.depth != 8 || (p.format != SANE_FRAME_RGB && p.format != SANE_FRAME_GRAY)) {
      return stop(unavailable("unsupported frame format (need 8-bit gray or RGB)"));
    }
    const int channels = p.format == SANE_FRAME_RGB ? 3 : 1;
    // A page's lines and bytes at most (sizes in std::size_t: a wide page at
    // a high resolution overflows an int).
    const auto longest = static_cast<std::size_t>(
        std::ceil(static_cast<double>(s.max_page_mm) / 25.4 * std::max(1, s.resolution)));
    const auto row_bytes = static_cast<std::size_t>(std::max(0, p.pixels_per_line)) *
                           static_cast<std::size_t>(channels);
    if (static_cast<std::size_t>(std::max(0, p.pixels_per_line)) > longest) {
      return stop(pageTooLong());
    }
    std::string pixels;
    while (true) {
      if (std::chrono::steady_clock::now() > deadline) return stop(scanTimeout());
      SANE_Int len = 0;
      const SANE_Status st = sane_read(h, buf.data(), static_cast<SANE_Int>(buf.size()), &len);
      if (st == SANE_STATUS_EOF) break;
      if (st != SANE_STATUS_GOOD) {
        return stop(unavailable(std::string("sane_read: ") + sane_strstatus(st)));
      }
      pixels.append(reinterpret_cast<char*>(buf.data()), static_cast<std::size_t>(len));
      if (pixels.size() > row_bytes * longest) return stop(pageTooLong());
    }
    const std::size_t height = row_bytes > 0 ? pixels.size() / row_bytes : 0;
    if (height == 0) return stop(unavailable("empty page"));
    pixels.resize(height * row_bytes);
    if (!sayLine("page " + std::to_string(p.pixels_per_line) + " " + std::to_string(height) + " " +
                 std::to_string(channels) + " " + std::to_string(s.resolution) + " " +
                 std::to_string(pixels.size())) ||
        !writeAll(STDOUT_FILENO, pixels.data(), pixels.size())) {
      return 1;
    }
  }
  sayLine("done");
  sane_cancel(h);
  return 0;
}

// The helper's answer to a read that came back without a line.
Error helperStopped(ChildProcess::Stop stop) {
  switch (stop) {
    case ChildProcess::Stop::kCancelled:
      return Error::conflict("scan_cancelled", "Scansione annullata.");
    case ChildProcess::Stop::kDeadline:
      return scanTimeout();
    default:
      return unavailable("the scan helper ended without an answer");
  }
}

// "error CODE REASON\tMESSAGE\tDETAIL" back into the Error the helper had.
Error helperError(const std::string& line) {
  std::istringstream in(line.substr(6));
  int code = 0;
  std::string reason, message, detail;
  in >> code;
  in.get();
  std::getline(in, reason, '\t');
  std::getline(in, message, '\t');
  std::getline(in, detail);
  if (reason.empty() || code < 0 || code > static_cast<int>(ErrorCode::kInternal)) {
    return unavailable("the scan helper said: " + line.substr(0, 120));
  }
  return Error(static_cast<ErrorCode>(code), reason, message, detail);
}

}  // namespace

void runScanHelperIfAsked(int argc, char** argv) {
  if (argc < 2 || std::string_view(argv[1]) != kScanHelperFlag) return;
  // argv: PROGRAM FLAG DEVICE MODE RESOLUTION SOURCE TIMEOUT MAX_PAGE_MM PAGES ASK_BETWEEN
  if (argc != 10) std::_Exit(2);
  std::signal(SIGPIPE, SIG_IGN);  // the kiosk gone: a write fails and the helper ends
  ScannerSettings s;
  s.device = argv[2];
  s.mode = argv[3];
  s.resolution = std::atoi(argv[4]);
  s.source = argv[5];
  s.timeout_seconds = std::atoi(argv[6]);
  s.max_page_mm = std::atoi(argv[7]);
  // Out at once: no exit handlers, which may wait on a lock a backend's
  // cancelled thread still holds (the locale's, seen in gdb).
  std::_Exit(helperScan(s, std::atoi(argv[8]), std::string_view(argv[9]) == "1"));
}

Result<domain::ScannedDocument> SaneScanner::scanHere(int pages, bool ask_between) {
  if (s_.device.empty()) return fail(unavailable("no scanner configured"));
  auto child = ChildProcess::start(
      {s_.helper, kScanHelperFlag, s_.device, s_.mode, std::to_string(s_.resolution), s_.source,
       std::to_string(s_.timeout_seconds), std::to_string(s_.max_page_mm), std::to_string(pages),
       ask_between ? "1" : "0"});
  if (!child) return fail(unavailable("scan helper: " + child.error().detail));
  const auto cancelled = [&] { return cancel_.load(); };
  // The helper keeps the scan's time limit itself; this one, a little later,
  // is for a helper that no longer answers.
  const auto limit = std::chrono::seconds(s_.timeout_seconds + 10);
  auto deadline = ChildProcess::Clock::now() + limit;
  std::vector<RawPage> raw;
  std::string line;
  while (true) {
    if (const auto stop = child->readLine(line, deadline, cancelled);
        stop != ChildProcess::Stop::kNone) {
      return fail(helperStopped(stop));  // the helper is killed on the way out
    }
    if (line == "done") break;
    if (line == "ask") {
      auto more = askNext();
      if (!more) return fail(more.error());
      if (!child->writeLine(*more ? "next" : "finish")) {
        return fail(unavailable("the scan helper ended between pages"));
      }
      deadline = ChildProcess::Clock::now() + limit;
      continue;
    }
    if (line.starts_with("error ")) return fail(helperError(line));
    RawPage page;
    std::size_t bytes = 0;
    std::istringstream words(line);
    std::string word;
    if (!(words >> word >> page.width >> page.height >> page.channels >> page.dpi >> bytes) ||
        word != "page" ||
        bytes != static_cast<std::size_t>(page.width) * static_cast<std::size_t>(page.height) *
                     static_cast<std::size_t>(page.channels)) {
      return fail(unavailable("the scan helper said: " + line.substr(0, 120)));
    }
    if (const auto stop = child->readBytes(page.pixels, bytes, deadline, cancelled);
        stop != ChildProcess::Stop::kNone) {
      return fail(helperStopped(stop));
    }
    raw.push_back(std::move(page));
    std::lock_guard g(m_);
    progress_.pages = static_cast<int>(raw.size());
  }
  // The pages are here: the helper's own sane_cancel gets two seconds.
  if (!child->finish(std::chrono::seconds(2))) {
    log::warn("scan_helper_killed", {{"device", s_.device}, {"why", "stuck after the last page"}});
  }
  auto doc = fitDocument(raw, 1024 * 1024);
  if (!doc) {
    return fail(
        Error::invalid("scan_too_large",
                       "La scansione non entra nel limite di 1 MB nemmeno a qualità ridotta: "
                       "scansioni meno pagine alla volta."));
  }
  return std::move(*doc);
}

domain::DeviceState SaneScanner::state() {
  if (s_.device.empty()) {
    return {domain::DeviceStatus::kNotConfigured, "nessun dispositivo in [scanner] device"};
  }
  std::unique_lock lock(busy_, std::try_to_lock);
  if (!lock.owns_lock()) return {domain::DeviceStatus::kReady, "scansione in corso"};
  return runOnOwnStack([&]() -> domain::DeviceState {
    if (!saneReady()) {
      return {domain::DeviceStatus::kUnavailable, "SANE non si avvia (sane_init)"};
    }
    SANE_Handle h = nullptr;
    if (sane_open(s_.device.c_str(), &h) != SANE_STATUS_GOOD) {
      return {domain::DeviceStatus::kUnavailable,
              "il dispositivo SANE " + s_.device + " non si apre (spento o scollegato?)"};
    }
    sane_close(h);
    return {domain::DeviceStatus::kReady, "dispositivo SANE " + s_.device};
  });
}

}  // namespace kiosk::devices

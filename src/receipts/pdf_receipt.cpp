#include "receipts/pdf_receipt.h"

#include <hpdf.h>
#include <qrencode.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <vector>

#include "core/embedded_file.h"
#include "core/rome_time.h"
#include "core/utf8.h"

namespace kiosk::receipts {

std::span<const EmbeddedFile> printoutFiles();  // generated from printouts/*.json

namespace {

using nlohmann::json;

const json& layout() {
  static const json parsed = [] {
    for (const auto& f : printoutFiles()) {
      if (f.name == "receipt.json") return json::parse(f.content);
    }
    return json::object();
  }();
  return parsed;
}

std::string text(const char* key) { return layout()["texts"].value(key, std::string(key)); }
// The receipt being drawn on this thread is in large print: every size a
// third larger, and none under 16 pt.
thread_local bool t_large_print = false;
float size(const char* key) {
  const float v = layout()["sizes"].value(key, 10.0f);
  return t_large_print ? std::max(16.0f, v * 1.3f) : v;
}

// Decodes one UTF-8 sequence at s[i]; -1 when malformed.
long decode(std::string_view s, std::size_t& i) {
  const auto c = static_cast<unsigned char>(s[i]);
  int extra = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
  if (extra < 0 || i + static_cast<std::size_t>(extra) >= s.size() + (extra == 0 ? 1 : 0)) {
    ++i;
    return -1;
  }
  long cp = extra == 0 ? c : c & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) & 0x3F);
  i += static_cast<std::size_t>(extra) + 1;
  return cp;
}

struct Pdf {
  HPDF_Doc doc = nullptr;
  HPDF_STATUS error = HPDF_OK;
  ~Pdf() {
    if (doc) HPDF_Free(doc);
  }
};

void onError(HPDF_STATUS error, HPDF_STATUS, void* user) { static_cast<Pdf*>(user)->error = error; }

class Writer {
 public:
  Writer(Pdf& pdf, bool unicode) : pdf_(pdf), unicode_(unicode) {
    const json& fonts = layout()["fonts"];
    if (unicode_) {
      HPDF_UseUTFEncodings(pdf_.doc);
      const char* regular =
          HPDF_LoadTTFontFromFile(pdf_.doc, fonts.value("ttf_regular", "").c_str(), HPDF_TRUE);
      const char* bold =
          HPDF_LoadTTFontFromFile(pdf_.doc, fonts.value("ttf_bold", "").c_str(), HPDF_TRUE);
      regular_ = regular ? HPDF_GetFont(pdf_.doc, regular, "UTF-8") : nullptr;
      bold_ = bold ? HPDF_GetFont(pdf_.doc, bold, "UTF-8") : nullptr;
    } else {
      regular_ =
          HPDF_GetFont(pdf_.doc, fonts.value("regular", "Helvetica").c_str(), "WinAnsiEncoding");
      bold_ =
          HPDF_GetFont(pdf_.doc, fonts.value("bold", "Helvetica-Bold").c_str(), "WinAnsiEncoding");
    }
    mono_ = HPDF_GetFont(pdf_.doc, fonts.value("mono", "Courier").c_str(), "WinAnsiEncoding");
    margin_ = layout()["page"].value("margin", 50.0f);
    line_ = layout()["page"].value("line", 1.35f);
    newPage();
  }

  bool ready() const { return regular_ && bold_ && mono_; }

  void newPage() {
    page_ = HPDF_AddPage(pdf_.doc);
    HPDF_Page_SetSize(page_, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
    height_ = HPDF_Page_GetHeight(page_);
    width_ = HPDF_Page_GetWidth(page_);
    y_ = margin_;
    ++pages_;
  }

  // The text as the font's encoding wants it.
  std::string encode(std::string_view s) const {
    if (unicode_) return std::string(s);
    return toCp1252(s).value_or("?");
  }

  // Measured on the font alone (no character or word spacing is set):
  // through the page it wrote a font operator into the content each time.
  float width(HPDF_Font font, float sz, const std::string& encoded) {
    const HPDF_TextWidth tw =
        HPDF_Font_TextWidth(font, reinterpret_cast<const HPDF_BYTE*>(encoded.data()),
                            static_cast<HPDF_UINT>(encoded.size()));
    return static_cast<float>(tw.width) * sz / 1000.0f;
  }

  // Writes `s` at the cursor, wrapped to `max_width`; moves the cursor down.
  void paragraph(std::string_view s, HPDF_Font font, float sz, float x = -1, float max_width = -1) {
    if (x < 0) x = margin_;
    if (max_width < 0) max_width = width_ - margin_ - x;
    std::string line;
    std::string word;
    auto flush = [&](bool force) {
      if (line.empty() && !force) return;
      ensure(sz * line_);
      put(x, line, font, sz);
      y_ += sz * line_;
      line.clear();
    };
    std::string_view rest = s;
    while (!rest.empty()) {
      auto space = rest.find(' ');
      word = std::string(rest.substr(0, space));
      rest.remove_prefix(space == std::string_view::npos ? rest.size() : space + 1);
      const std::string candidate = line.empty() ? word : line + " " + word;
      if (!line.empty() && width(font, sz, encode(candidate)) > max_width) {
        flush(false);
        line = word;
      } else {
        line = candidate;
      }
      // A single word wider than the line (a hash, an address) is cut.
      while (width(font, sz, encode(line)) > max_width && line.size() > 1) {
        std::size_t cut = line.size();
        while (cut > 1 && width(font, sz, encode(line.substr(0, cut))) > max_width) --cut;
        while (cut > 1 && utf8::isContinuation(line[cut])) --cut;
        const std::string head = line.substr(0, cut);
        line = line.substr(cut);
        std::string saved = line;
        line = head;
        flush(false);
        line = saved;
      }
    }
    flush(false);
  }

  void put(float x, const std::string& s, HPDF_Font font, float sz) {
    HPDF_Page_BeginText(page_);
    HPDF_Page_SetFontAndSize(page_, font, sz);
    HPDF_Page_TextOut(page_, x, height_ - y_ - sz, encode(s).c_str());
    HPDF_Page_EndText(page_);
  }

  // Label above, value below.
  void field(const std::string& label, std::string_view value, float value_size = -1) {
    if (value_size < 0) value_size = size("text");
    paragraph(label, regular_, size("label"));
    paragraph(value, bold_, value_size);
    y_ += 4;
  }

  // Starts a new page when less than `needed` points are left.
  void ensure(float needed) {
    if (y_ + needed <= height_ - margin_) return;
    put(margin_, text("continued"), regular_, size("small"));
    newPage();
  }

  void rule() {
    HPDF_Page_SetLineWidth(page_, 0.6f);
    HPDF_Page_MoveTo(page_, margin_, height_ - y_);
    HPDF_Page_LineTo(page_, width_ - margin_, height_ - y_);
    HPDF_Page_Stroke(page_);
    y_ += 8;
  }

  // The QR code top right of the first page, as vector squares (crisp on
  // any printer and at any zoom): in module units, so every coordinate is a
  // small integer, and one rectangle for each run of dark modules in a row
  // (a square for each module, at fractional points, was a third of a
  // receipt's time).
  void qr(const std::string& payload) {
    QRcode* code = QRcode_encodeString(payload.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!code) return;
    const float side = layout()["qr"].value("size", 128.0f);
    const int quiet = layout()["qr"].value("quiet_modules", 2);
    const int n = code->width + 2 * quiet;
    const float module = side / static_cast<float>(n);
    HPDF_Page_GSave(page_);
    HPDF_Page_Concat(page_, module, 0, 0, module, width_ - margin_ - side,
                     height_ - margin_ - side);
    HPDF_Page_SetRGBFill(page_, 0, 0, 0);
    const int w = code->width;
    // A run of dark modules that the next rows repeat (same columns) grows
    // into one taller rectangle: a third fewer rectangles than a run a row.
    struct Run {
      int c, end, top;  // columns [c, end), from row `top` down
    };
    std::vector<Run> open;
    std::vector<Run> next;
    auto emit = [&](const Run& run, int last) {
      HPDF_Page_Rectangle(
          page_, static_cast<float>(run.c + quiet), static_cast<float>(n - quiet - last - 1),
          static_cast<float>(run.end - run.c), static_cast<float>(last - run.top + 1));
    };
    for (int r = 0; r <= w; ++r) {  // row w: none, closes what is open
      next.clear();
      std::size_t k = 0;
      for (int c = 0; r < w && c < w;) {
        if (!(code->data[r * w + c] & 1)) {
          ++c;
          continue;
        }
        int end = c;
        while (end < w && (code->data[r * w + end] & 1)) ++end;
        // Rectangles this row does not repeat exactly end on the row above.
        while (k < open.size() && (open[k].c < c || (open[k].c == c && open[k].end != end))) {
          emit(open[k++], r - 1);
        }
        if (k < open.size() && open[k].c == c) {
          next.push_back(open[k++]);
        } else {
          next.push_back({c, end, r});
        }
        c = end;
      }
      while (k < open.size()) emit(open[k++], r - 1);
      open.swap(next);
    }
    HPDF_Page_Fill(page_);
    HPDF_Page_GRestore(page_);
    QRcode_free(code);
  }

  HPDF_Font regular() const { return regular_; }
  HPDF_Font bold() const { return bold_; }
  HPDF_Font mono() const { return mono_; }
  float margin() const { return margin_; }
  float contentWidth() const { return width_ - 2 * margin_; }
  float& y() { return y_; }
  int pages() const { return pages_; }
  HPDF_Page page() const { return page_; }

 private:
  Pdf& pdf_;
  bool unicode_;
  HPDF_Font regular_ = nullptr, bold_ = nullptr, mono_ = nullptr;
  HPDF_Page page_ = nullptr;
  float width_ = 0, height_ = 0, margin_ = 50, line_ = 1.35f, y_ = 0;
  int pages_ = 0;
};

std::string humanSize(std::int64_t bytes) {
  char buf[32];
  if (bytes < 1024) {
    std::snprintf(buf, sizeof buf, "%lld byte", static_cast<long long>(bytes));
  } else if (bytes < 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KB", static_cast<double>(bytes) / 1024.0);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  }
  std::string s = buf;
  for (auto& ch : s) {
    if (ch == '.') ch = ',';
  }
  return s;
}

}  // namespace

std::optional<std::string> toCp1252(std::string_view s) {
  static const std::pair<long, unsigned char> kSpecial[] = {
      {0x20AC, 0x80}, {0x201A, 0x82}, {0x0192, 0x83}, {0x201E, 0x84}, {0x2026, 0x85},
      {0x2020, 0x86}, {0x2021, 0x87}, {0x02C6, 0x88}, {0x2030, 0x89}, {0x0160, 0x8A},
      {0x2039, 0x8B}, {0x0152, 0x8C}, {0x017D, 0x8E}, {0x2018, 0x91}, {0x2019, 0x92},
      {0x201C, 0x93}, {0x201D, 0x94}, {0x2022, 0x95}, {0x2013, 0x96}, {0x2014, 0x97},
      {0x02DC, 0x98}, {0x2122, 0x99}, {0x0161, 0x9A}, {0x203A, 0x9B}, {0x0153, 0x9C},
      {0x017E, 0x9E}, {0x0178, 0x9F}};
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const long cp = decode(s, i);
    if (cp < 0) return std::nullopt;
    if (cp < 0x80 || (cp >= 0xA0 && cp <= 0xFF)) {
      out.push_back(static_cast<char>(cp));
      continue;
    }
    bool found = false;
    for (const auto& [code, byte] : kSpecial) {
      if (code == cp) {
        out.push_back(static_cast<char>(byte));
        found = true;
        break;
      }
    }
    if (!found) return std::nullopt;
  }
  return out;
}

std::optional<std::string> recordFromPdf(std::string_view pdf) {
  const auto start = pdf.find("(CK1;");
  if (start == std::string_view::npos) return std::nullopt;
  const auto end = pdf.find(')', start);
  if (end == std::string_view::npos) return std::nullopt;
  return std::string(pdf.substr(start + 1, end - start - 1));
}

Result<std::string> renderReceipt(const domain::ReceiptData& r) {
  struct LargePrint {
    explicit LargePrint(bool on) { t_large_print = on; }
    ~LargePrint() { t_large_print = false; }
  } large_print(r.large_print);
  // Every text that will be printed decides the font: base-14 when all of it
  // fits CP1252, else the embedded TTF.
  std::string all =
      r.professional_name + r.subject + r.topic_label + r.branch_name + r.kiosk_id + r.extra_email;
  for (const auto& a : r.attachments) all += a.filename;
  if (r.contacts) all += r.contacts->pec + r.contacts->email;
  const bool unicode = !toCp1252(all).has_value();

  Pdf pdf;
  pdf.doc = HPDF_New(onError, &pdf);
  if (!pdf.doc) return fail(Error::internal("libharu: cannot create a document"));
  HPDF_SetCompressionMode(pdf.doc, HPDF_COMP_ALL);
  HPDF_SetInfoAttr(pdf.doc, HPDF_INFO_TITLE, "Ricevuta di invio");
  HPDF_SetInfoAttr(pdf.doc, HPDF_INFO_CREATOR, "Cassetto Kiosk");
  HPDF_SetInfoAttr(pdf.doc, HPDF_INFO_SUBJECT, r.record.c_str());
  Writer w(pdf, unicode);
  if (!w.ready()) {
    return fail(
        Error::unavailable("receipt_font_unavailable",
                           "Carattere per la ricevuta non disponibile (fonts-dejavu-core)."));
  }

  w.qr(r.qr.empty() ? r.record : r.qr);
  const float text_width = w.contentWidth() - layout()["qr"].value("size", 128.0f) - 16;
  w.paragraph(text("institution"), w.bold(), size("institution"), -1, text_width);
  w.paragraph(text("service"), w.regular(), size("label"), -1, text_width);
  w.y() += 10;
  w.paragraph(r.first_message ? text("title") : text("title_message"), w.bold(), size("title"), -1,
              text_width);
  w.y() += 6;
  w.paragraph(text("protocol"), w.regular(), size("label"), -1, text_width);
  w.paragraph(r.protocol, w.bold(), size("protocol"), -1, text_width);
  w.y() += 4;
  w.paragraph(text("registered"), w.regular(), size("label"), -1, text_width);
  w.paragraph(romeDateTimeText(r.registered_at), w.bold(), size("text"), -1, text_width);
  w.y() = std::max(w.y(), layout()["qr"].value("size", 128.0f) + 8);
  w.y() += 6;
  w.rule();
  w.field(text("place"), r.branch_name + " (" + r.branch_code + ") · " + r.kiosk_id);
  w.field(text("professional"), r.professional_name + " · " + r.codice_fiscale);
  w.field(text("topic"), r.topic_label);
  w.field(text("subject"), r.subject);

  w.paragraph(text("attachments"), w.regular(), size("label"));
  if (r.attachments.empty()) {
    w.paragraph(text("no_attachments"), w.bold(), size("text"));
  }
  for (std::size_t i = 0; i < r.attachments.size(); ++i) {
    const auto& a = r.attachments[i];
    w.ensure(size("text") * 3 + size("table") * 2);
    w.paragraph(std::to_string(i + 1) + ". " + a.filename + " (" + humanSize(a.size) + ")",
                w.bold(), size("text"));
    w.paragraph(text("attachment_hash") + ": " + a.sha256, w.mono(), size("table"),
                w.margin() + 12);
  }
  w.y() += 6;

  std::vector<std::string> to;
  if (r.contacts) {
    for (const auto& channel : r.contacts->notify) {
      if (channel == "pec" && !r.contacts->pec.empty()) to.push_back("PEC " + r.contacts->pec);
      if (channel == "email" && !r.contacts->email.empty())
        to.push_back("e-mail " + r.contacts->email);
      if (channel == "sms" && !r.contacts->mobile.empty())
        to.push_back("SMS " + r.contacts->mobile);
    }
  }
  if (!r.extra_email.empty()) to.push_back(text("extra_email") + " " + r.extra_email);
  std::string recipients;
  for (const auto& item : to) recipients += (recipients.empty() ? "" : "; ") + item;
  w.ensure(size("text") * 4);
  w.field(text("notifications"), recipients.empty() ? text("no_notifications") : recipients);
  w.rule();

  w.ensure(size("small") * 14);
  w.paragraph(text("verify_title"), w.bold(), size("text"));
  w.paragraph(text("verify"), w.regular(), size("small"));
  w.y() += 4;
  w.paragraph(text("record") + ":", w.regular(), size("small"));
  w.paragraph(r.record, w.mono(), size("small"));
  if (!r.key_id.empty()) w.paragraph(text("key") + ": " + r.key_id, w.regular(), size("small"));

  if (pdf.error != HPDF_OK) {
    return fail(Error::internal("libharu error " + std::to_string(pdf.error)));
  }
  if (HPDF_SaveToStream(pdf.doc) != HPDF_OK) return fail(Error::internal("libharu: save failed"));
  std::string out(HPDF_GetStreamSize(pdf.doc), '\0');
  HPDF_UINT32 size_read = static_cast<HPDF_UINT32>(out.size());
  HPDF_ReadFromStream(pdf.doc, reinterpret_cast<HPDF_BYTE*>(out.data()), &size_read);
  out.resize(size_read);
  return out;
}

}  // namespace kiosk::receipts

#include "notify/curl_notifiers.h"

#include <curl/curl.h>

#include <atomic>
#include <cstring>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/crypto.h"

namespace kiosk::notify {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct ListDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Curl = std::unique_ptr<CURL, CurlDeleter>;

Curl newCurl() {
  static const bool init = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  (void)init;
  return Curl(curl_easy_init());
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < in.size()) {
    unsigned n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string rfc5322Date(std::int64_t unix_seconds) {
  const std::time_t t = unix_seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

Status curlError(CURLcode code, const char* what, const char* errbuf) {
  Error e = Error::unavailable("notification_not_sent", "Notifica non inviata.");
  e.detail = std::string(what) + ": " + (errbuf && *errbuf ? errbuf : curl_easy_strerror(code));
  return fail(e);
}

struct Upload {
  std::string data;
  std::size_t at = 0;
};

std::size_t readUpload(char* buffer, std::size_t size, std::size_t n, void* user) {
  auto* up = static_cast<Upload*>(user);
  const std::size_t len = std::min(size * n, up->data.size() - up->at);
  std::memcpy(buffer, up->data.data() + up->at, len);
  up->at += len;
  return len;
}

std::size_t discard(char*, std::size_t size, std::size_t n, void*) { return size * n; }

// libcurl calls this about once a second and at every transfer step; a
// non-zero answer aborts the transfer (CURLE_ABORTED_BY_CALLBACK).
int abortWhenStopping(void* flag, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return flag && static_cast<const std::atomic<bool>*>(flag)->load() ? 1 : 0;
}

void commonOptions(CURL* c,
                   const std::string& url,
                   bool verify,
                   int timeout,
                   char* errbuf,
                   const std::atomic<bool>* stop = nullptr) {
  if (stop) {
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, abortWhenStopping);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(stop));
  }
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(timeout));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
}

}  // namespace

std::string encodeHeader(const std::string& text) {
  for (unsigned char c : text) {
    if (c >= 0x80 || c < 0x20) return "=?UTF-8?B?" + base64(text) + "?=";
  }
  return text;
}

namespace {
std::string wrapped64(std::string_view data) {
  const std::string b64 = base64(data);
  std::string out;
  out.reserve(b64.size() + b64.size() / 76 * 2 + 2);
  for (std::size_t i = 0; i < b64.size(); i += 76) out += b64.substr(i, 76) + "\r\n";
  return out;
}
}  // namespace

std::string CurlMailer::format(const domain::MailMessage& m) const {
  std::string head = "Date: " + rfc5322Date(m.date) + "\r\nFrom: " + s_.from + "\r\nTo: " + m.to +
                     "\r\nSubject: " + encodeHeader(m.subject) + "\r\nMessage-ID: " + m.message_id +
                     "\r\nMIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n";
  const std::string text =
      "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
      wrapped64(m.body);
  if (m.attachments.empty()) return head + text;
  // multipart/mixed: the text, then each attachment (base64). The boundary
  // is derived from the Message-ID, so a resend is byte for byte the same.
  const std::string boundary = "=_cassetto_" + crypto::sha256Hex(m.message_id).substr(0, 24);
  std::string out = head + "Content-Type: multipart/mixed; boundary=\"" + boundary +
                    "\"\r\n\r\n--" + boundary + "\r\n" + text;
  for (const auto& a : m.attachments) {
    out += "--" + boundary + "\r\nContent-Type: " + a.content_type + "; name=\"" + a.filename +
           "\"\r\nContent-Disposition: attachment; filename=\"" + a.filename +
           "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + wrapped64(a.data);
  }
  return out + "--" + boundary + "--\r\n";
}

Status CurlMailer::send(const domain::MailMessage& m) {
  Curl c = newCurl();
  if (!c) return fail(Error::internal("curl_easy_init failed"));
  char errbuf[CURL_ERROR_SIZE] = "";
  commonOptions(c.get(), s_.url, s_.verify_tls, s_.timeout_seconds, errbuf, stop_);
  if (s_.url.starts_with("smtp://")) {
    curl_easy_setopt(c.get(), CURLOPT_USE_SSL, s_.require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY);
  }
  if (!s_.username.empty()) {
    curl_easy_setopt(c.get(), CURLOPT_USERNAME, s_.username.c_str());
    curl_easy_setopt(c.get(), CURLOPT_PASSWORD, s_.password.c_str());
  }
  const std::string from = "<" + s_.from + ">";
  curl_easy_setopt(c.get(), CURLOPT_MAIL_FROM, from.c_str());
  std::unique_ptr<curl_slist, ListDeleter> rcpt(
      curl_slist_append(nullptr, ("<" + m.to + ">").c_str()));
  curl_easy_setopt(c.get(), CURLOPT_MAIL_RCPT, rcpt.get());
  Upload up{format(m), 0};
  curl_easy_setopt(c.get(), CURLOPT_READFUNCTION, readUpload);
  curl_easy_setopt(c.get(), CURLOPT_READDATA, &up);
  curl_easy_setopt(c.get(), CURLOPT_UPLOAD, 1L);
  const CURLcode rc = curl_easy_perform(c.get());
  if (rc != CURLE_OK) return curlError(rc, "smtp", errbuf);
  return {};
}

Status CurlMailer::check() {
  Curl c = newCurl();
  if (!c) return fail(Error::internal("curl_easy_init failed"));
  char errbuf[CURL_ERROR_SIZE] = "";
  commonOptions(c.get(), s_.url, s_.verify_tls, 10, errbuf);
  if (s_.url.starts_with("smtp://")) {
    curl_easy_setopt(c.get(), CURLOPT_USE_SSL, s_.require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY);
  }
  // Connects, reads the greeting, says EHLO (and STARTTLS) and logs in with
  // the configured account, all in libcurl's connect phase; sends nothing.
  if (!s_.username.empty()) {
    curl_easy_setopt(c.get(), CURLOPT_USERNAME, s_.username.c_str());
    curl_easy_setopt(c.get(), CURLOPT_PASSWORD, s_.password.c_str());
  }
  curl_easy_setopt(c.get(), CURLOPT_CONNECT_ONLY, 1L);
  const CURLcode rc = curl_easy_perform(c.get());
  if (rc != CURLE_OK) return curlError(rc, "smtp", errbuf);
  return {};
}

Status CurlSmsGateway::send(const domain::SmsMessage& m) {
  Curl c = newCurl();
  if (!c) return fail(Error::internal("curl_easy_init failed"));
  char errbuf[CURL_ERROR_SIZE] = "";
  commonOptions(c.get(), s_.url, s_.verify_tls, s_.timeout_seconds, errbuf, stop_);
  const std::string body =
      nlohmann::json{{"to", m.to}, {"from", s_.sender}, {"text", m.text}, {"id", m.id}}.dump();
  curl_slist* list = curl_slist_append(nullptr, "Content-Type: application/json");
  if (!s_.token.empty())
    list = curl_slist_append(list, (s_.token_header + ": " + s_.token).c_str());
  std::unique_ptr<curl_slist, ListDeleter> headers(list);
  curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, discard);
  const CURLcode rc = curl_easy_perform(c.get());
  if (rc != CURLE_OK) return curlError(rc, "sms", errbuf);
  long status = 0;
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300) {
    Error e = Error::unavailable("notification_not_sent", "SMS non inviato.");
    e.detail = "sms gateway answered HTTP " + std::to_string(status);
    return fail(e);
  }
  return {};
}

Status CurlSmsGateway::check() {
  Curl c = newCurl();
  if (!c) return fail(Error::internal("curl_easy_init failed"));
  char errbuf[CURL_ERROR_SIZE] = "";
  commonOptions(c.get(), s_.url, s_.verify_tls, 10, errbuf);
  curl_easy_setopt(c.get(), CURLOPT_CONNECT_ONLY, 1L);  // reachable, nothing sent
  const CURLcode rc = curl_easy_perform(c.get());
  if (rc != CURLE_OK) return curlError(rc, "sms", errbuf);
  return {};
}

}  // namespace kiosk::notify

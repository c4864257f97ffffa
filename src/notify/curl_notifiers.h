// Mail (e-mail and PEC) over SMTP with STARTTLS or SMTPS, and SMS over an
// HTTPS POST of JSON to a gateway, both with libcurl. A PEC mailbox is SMTP
// over TLS to the PEC provider: the same mailer with other settings.
// Thread-safe: each call uses its own curl handle.
#pragma once

#include <atomic>
#include <string>

#include "domain/ports/notifier.h"

namespace kiosk::notify {

struct MailSettings {
  std::string url;       // smtp://host:587 (STARTTLS) or smtps://host:465; empty: not configured
  std::string username;  // empty: no authentication
  std::string password;
  std::string from;         // the sender address
  bool require_tls = true;  // smtp:// only: refuse to send without STARTTLS
  bool verify_tls = true;   // check the server's certificate
  int timeout_seconds = 20;
};

class CurlMailer final : public domain::Mailer {
 public:
  explicit CurlMailer(MailSettings settings) : s_(std::move(settings)) {}
  Status send(const domain::MailMessage& m) override;
  Status check() override;
  bool configured() const override { return !s_.url.empty(); }
  // A send in progress is abandoned within a fraction of a second once *flag is true.
  void abortOn(const std::atomic<bool>* flag) { stop_ = flag; }

  // The RFC 5322 text sent for `m` (tests read it back from the Maildir).
  std::string format(const domain::MailMessage& m) const;

 private:
  MailSettings s_;
  const std::atomic<bool>* stop_ = nullptr;
};

struct SmsSettings {
  std::string url;  // https://gateway/… ; empty: not configured
  std::string token;
  std::string token_header = "Authorization";  // e.g. "Authorization: Bearer …" or "X-Api-Key"
  std::string sender = "INPS";
  bool verify_tls = true;
  int timeout_seconds = 15;
};

class CurlSmsGateway final : public domain::SmsGateway {
 public:
  explicit CurlSmsGateway(SmsSettings settings) : s_(std::move(settings)) {}
  Status send(const domain::SmsMessage& m) override;
  Status check() override;
  bool configured() const override { return !s_.url.empty(); }
  // A send in progress is abandoned within a fraction of a second once *flag is true.
  void abortOn(const std::atomic<bool>* flag) { stop_ = flag; }

 private:
  SmsSettings s_;
  const std::atomic<bool>* stop_ = nullptr;
};

// "=?UTF-8?B?…?=" (RFC 2047) unless the text is plain ASCII.
std::string encodeHeader(const std::string& text);

}  // namespace kiosk::notify

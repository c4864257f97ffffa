// Mail (e-mail and PEC) over SMTP with STARTTLS or SMTPS, and SMS over an
// HTTPS POST of JSON to a gateway, both with libcurl. A PEC mailbox is SMTP
// over TLS to the PEC provider: the same mailer with other settings.
// Thread-safe: each call uses its own curl handle.
#pragma once

#include <atomic>
#include <string>

#include "domain/ports/notifier.h"
#include "notify/notify_settings.h"

namespace kiosk::notify {

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

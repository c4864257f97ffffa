// Mailer and SmsGateway: where notifications leave the kiosk. Real ones use
// libcurl (src/notify); tests use a real local SMTP server and HTTP sink.
// Implementations must be safe to call from one dispatcher thread at a time.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace kiosk::domain {

struct MailAttachment {
  std::string filename;  // ASCII
  std::string content_type;
  std::string data;
};

struct MailMessage {
  std::string to;
  std::string subject;     // UTF-8; the mailer encodes it (RFC 2047)
  std::string body;        // UTF-8 plain text
  std::string message_id;  // "<…@…>", stable for one outbox row: a resend is the same message
  std::int64_t date = 0;   // Unix seconds
  std::vector<MailAttachment> attachments;  // none but the receipt mailed on request
};

struct SmsMessage {
  std::string to;    // E.164
  std::string text;  // at most 160 GSM-7 characters
  std::string id;    // stable for one outbox row
};

class Mailer {
 public:
  virtual ~Mailer() = default;
  virtual Status send(const MailMessage& m) = 0;
  // Connects and greets the server without sending anything (selftest).
  virtual Status check() = 0;
  virtual bool configured() const = 0;
};

class SmsGateway {
 public:
  virtual ~SmsGateway() = default;
  virtual Status send(const SmsMessage& m) = 0;
  virtual Status check() = 0;
  virtual bool configured() const = 0;
};

}  // namespace kiosk::domain

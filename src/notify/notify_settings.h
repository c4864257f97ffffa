// The settings of the notification channels, as the configuration holds
// them: plain values, so that config/ reads them without libcurl's adapters.
#pragma once

#include <string>

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

struct SmsSettings {
  std::string url;  // https://gateway/… ; empty: not configured
  std::string token;
  std::string token_header = "Authorization";  // e.g. "Authorization: Bearer …" or "X-Api-Key"
  std::string sender = "INPS";
  bool verify_tls = true;
  int timeout_seconds = 15;
};

}  // namespace kiosk::notify

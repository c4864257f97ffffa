// Notifications: the texts (Italian, free of content: protocol, topic and
// "accedi … per leggere", never the message or its attachments) and the
// dispatcher that takes due outbox rows, sends them and records the result.
//
// At-least-once: a row is claimed with a lease before sending; a crash during
// a send leaves it to be sent again when the lease ends, with the same
// Message-ID, so the duplicate is recognisably the same message. Failures
// back off exponentially (capped, with jitter) and after max_attempts the row
// is failed, for a technician to retry. Thread-safe: runOnce() from one
// thread (several kiosks may each run one on a shared database).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "domain/ports/notifier.h"
#include "domain/ports/receipt_renderer.h"
#include "domain/ports/store.h"
#include "domain/receipts.h"

namespace kiosk::domain {

struct NotifyPolicy {
  int max_attempts = 8;          // then the row is failed
  int base_delay_seconds = 30;   // first retry after about this long
  int max_delay_seconds = 3600;  // retries never wait longer
  int lease_seconds = 120;       // a claimed row is retried after this if never marked
  int batch = 20;                // rows claimed at once
  std::string message_id_domain = "cassetto-kiosk.invalid";
};

// The text of one notification, from its event.
struct NotificationText {
  std::string subject;
  std::string body;
  std::string sms;
};
NotificationText notificationText(NotifyEvent event,
                                  const std::string& protocol,
                                  const std::string& topic_label);

// True when `s` has at most 160 characters, all in the GSM 03.38 basic set.
bool fitsOneSms(std::string_view s);

struct DispatchStats {
  int sent = 0;
  int retried = 0;
  int failed = 0;
  int lease_lost = 0;  // sent, but the lease ran out and another kiosk holds the row
};

class NotificationObserver {
 public:
  virtual ~NotificationObserver() = default;
  virtual void notification(const std::string& channel, const std::string& result) = 0;
};

// The technicians' use case of the outbox: list it, and put failed rows back
// in the queue, audited as the one who asked. The HTTP API and the `outbox`
// command both go through it.
class OutboxDesk {
 public:
  OutboxDesk(Store& store, const Clock& clock) : store_(store), clock_(clock) {}
  // Newest first; no status: all.
  Result<std::vector<OutboxItem>> list(std::optional<OutboxStatus> status, int limit);
  // Failed rows due again now (id 0: every failed one), with an audit entry
  // by `actor`. Returns how many.
  Result<int> retry(const std::string& actor, std::int64_t id);

 private:
  Store& store_;
  const Clock& clock_;
};

// How one channel's provider is doing, for /metrics and the technician.
struct ChannelState {
  Channel channel = Channel::kEmail;
  int consecutive_failures = 0;   // tries in a row that failed (0: working, or not tried)
  std::int64_t last_success = 0;  // Unix seconds; 0: none in this run
  std::int64_t last_failure = 0;
  std::string last_error;
};

inline constexpr Channel kChannels[] = {Channel::kEmail, Channel::kPec, Channel::kSms};

// The outbox error of a PEC whose send was cut off (shown to technicians).
inline constexpr std::string_view kUncertainPec =
    "Invio interrotto a metà (chiosco fermato durante l'invio): la PEC può essere già partita. "
    "Controllare le ricevute del gestore PEC prima di «Riprova», per non mandarla due volte.";

class Dispatcher {
 public:
  Dispatcher(Store& store,
             const Clock& clock,
             Mailer& email,
             Mailer& pec,
             SmsGateway& sms,
             NotifyPolicy policy,
             NotificationObserver* observer = nullptr);

  // Claims the due rows (of `channel` only, when given: each channel has its
  // own worker, so that a silent provider holds back nobody else), sends
  // them, records the results. Once *stop is true it stops between rows; a
  // send cut short is not recorded, and the row keeps its lease, which
  // expires (nothing is lost). Thread safety: one call per channel at a time.
  Result<DispatchStats> runOnce(const std::atomic<bool>* stop = nullptr,
                                std::optional<Channel> channel = std::nullopt);

  // Each channel's provider as the last tries found it.
  std::vector<ChannelState> channelStates() const;
  // How long a channel's worker rests before its next round: the poll
  // interval while its provider works, doubling with each failing try in a
  // row up to `max_seconds`, so that a failing provider backs off alone.
  int restSeconds(Channel channel, int poll_seconds, int max_seconds = 300) const;

  // Seconds to wait after `attempts` failures (with jitter).
  std::int64_t backoff(int attempts) const;

  // Where "receipt" rows get their PDF (rendered when sent, so the mail
  // carries the same signed receipt as the screen). Without it they fail.
  void mailReceiptsWith(ReceiptService& receipts, ReceiptRenderer& renderer) {
    receipts_ = &receipts;
    renderer_ = &renderer;
  }

 private:
  Status deliver(const OutboxItem& item);
  Result<MailAttachment> receiptPdf(const OutboxItem& item);
  void record(Channel channel, const Status& sent);

  Store& store_;
  const Clock& clock_;
  Mailer& email_;
  Mailer& pec_;
  SmsGateway& sms_;
  NotifyPolicy policy_;
  NotificationObserver* observer_;
  ReceiptService* receipts_ = nullptr;
  ReceiptRenderer* renderer_ = nullptr;
  mutable std::mutex states_mutex_;
  ChannelState states_[3];  // by kChannels order, guarded by states_mutex_
};

}  // namespace kiosk::domain

#include "domain/notifications.h"

#include <random>

#include "core/log.h"
#include "core/topics.h"

namespace kiosk::domain {
namespace {

// GSM 03.38 basic character set (the characters one SMS carries as 7 bits).
constexpr std::u32string_view kGsm7 =
    U"@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ "
    U"!\"#¤%&'()*+,-./"
    U"0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

std::u32string toUtf32(std::string_view s) {
  std::u32string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    int extra = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : 3;
    char32_t cp = extra == 0 ? c : c & (0x3F >> extra);
    for (int k = 1; k <= extra && i + static_cast<std::size_t>(k) < s.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) & 0x3F);
    }
    out.push_back(cp);
    i += static_cast<std::size_t>(extra) + 1;
  }
  return out;
}

}  // namespace

bool fitsOneSms(std::string_view s) {
  const std::u32string text = toUtf32(s);
  if (text.size() > 160) return false;
  for (char32_t c : text) {
    if (kGsm7.find(c) == std::u32string_view::npos) return false;
  }
  return true;
}

namespace {

struct EventWords {
  const char* title;
  const char* sentence;
  const char* sms;  // followed by the protocol
};

// In NotifyEvent's order.
constexpr EventWords kEventWords[] = {
    {"Comunicazione registrata", "la sua comunicazione è stata registrata.",
     "INPS: comunicazione registrata, prot. "},
    {"Nuova risposta dell'INPS", "l'INPS ha risposto a una sua comunicazione.",
     "INPS: nuova risposta, prot. "},
    {"Nuova comunicazione dell'INPS", "l'INPS le ha inviato una comunicazione.",
     "INPS: nuova comunicazione per lei, prot. "},
    {"Comunicazione chiusa", "una sua comunicazione è stata chiusa con un esito.",
     "INPS: comunicazione chiusa, prot. "},
    {"Ricevuta",
     "come richiesto al chiosco, le inviamo in allegato la ricevuta della sua comunicazione. "
     "Il codice QR stampato sulla ricevuta permette di verificarla.",
     "INPS: ricevuta inviata alla sua PEC, prot. "},
};
static_assert(std::size(kEventWords) == EnumNames<NotifyEvent>::values.size());

}  // namespace

NotificationText notificationText(NotifyEvent event,
                                  const std::string& protocol,
                                  const std::string& topic_label) {
  const EventWords& w = kEventWords[static_cast<std::size_t>(event)];
  const std::string title = w.title;
  const std::string sentence = w.sentence;
  const std::string sms = w.sms;
  NotificationText t;
  t.subject = "INPS Cassetto previdenziale – " + title + " – protocollo " + protocol;
  t.body = "Gentile professionista,\n\n" + sentence + "\n\nProtocollo: " + protocol +
           "\nArgomento: " + topic_label +
           (event == NotifyEvent::kReceipt
                ? "\n\nNon rispondere a questo indirizzo.\n\nINPS – Gestione Separata\n"
                : "\n\nAccedi al Cassetto previdenziale o al chiosco per leggere.\n\n"
                  "Questo messaggio non riporta il contenuto della comunicazione. "
                  "Non rispondere a questo indirizzo.\n\nINPS – Gestione Separata\n");
  t.sms = sms + protocol + ". Accedi al Cassetto previdenziale o al chiosco per leggere.";
  return t;
}

Dispatcher::Dispatcher(Store& store,
                       const Clock& clock,
                       Mailer& email,
                       Mailer& pec,
                       SmsGateway& sms,
                       NotifyPolicy policy,
                       NotificationObserver* observer)
    : store_(store),
      clock_(clock),
      email_(email),
      pec_(pec),
      sms_(sms),
      policy_(std::move(policy)),
      observer_(observer) {}

std::int64_t Dispatcher::backoff(int attempts) const {
  double delay = policy_.base_delay_seconds;
  for (int i = 1; i < attempts && delay < policy_.max_delay_seconds; ++i) delay *= 2;
  if (delay > policy_.max_delay_seconds) delay = policy_.max_delay_seconds;
  thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(delay * jitter(rng)));
}

Status Dispatcher::deliver(const OutboxItem& item) {
  const Topic* topic = findTopic(item.topic);
  const NotificationText text =
      notificationText(item.event, item.protocol, topic ? std::string(topic->label) : item.topic);
  // Stable for the row: a resend after a crash is the same message.
  const std::string id = "<notifica-" + std::to_string(item.id) + "." + item.protocol + "@" +
                         policy_.message_id_domain + ">";
  if (item.channel == Channel::kSms) {
    if (!sms_.configured())
      return fail(Error::unavailable("sms_not_configured", "SMS gateway not configured"));
    return sms_.send({item.recipient, text.sms, id});
  }
  Mailer& mailer = item.channel == Channel::kPec ? pec_ : email_;
  if (!mailer.configured()) {
    return fail(Error::unavailable("mail_not_configured",
                                   std::string(nameOf(item.channel)) + " server not configured"));
  }
  MailMessage mail{item.recipient, text.subject, text.body, id, clock_.nowSeconds(), {}};
  if (item.event == NotifyEvent::kReceipt) {
    auto pdf = receiptPdf(item);
    if (!pdf) return fail(pdf.error());
    mail.attachments.push_back(std::move(*pdf));
  }
  return mailer.send(mail);
}

Result<MailAttachment> Dispatcher::receiptPdf(const OutboxItem& item) {
  if (!receipts_ || !renderer_) {
    return fail(Error::unavailable("receipts_not_configured", "no receipt source for the mail"));
  }
  auto data = receipts_->receiptOf(item.communication_id,
                                   item.message_id ? std::optional(item.message_id) : std::nullopt);
  if (!data) return fail(data.error());
  auto pdf = renderer_->render(*data);
  if (!pdf) return fail(pdf.error());
  return MailAttachment{"ricevuta-" + item.protocol + ".pdf", "application/pdf", std::move(*pdf)};
}

Result<std::vector<OutboxItem>> OutboxDesk::list(std::optional<OutboxStatus> status, int limit) {
  auto tx = store_.begin(TxMode::kRead);
  if (!tx) return fail(tx.error());
  return (*tx)->listOutbox(status, limit);
}

Result<int> OutboxDesk::retry(const std::string& actor, std::int64_t id) {
  const std::int64_t now = clock_.nowSeconds();
  auto tx = store_.begin(TxMode::kWrite);
  if (!tx) return fail(tx.error());
  auto n = (*tx)->retryOutbox(id, now);
  if (!n) return fail(n.error());
  if (auto st = (*tx)->appendAudit({now, actor, "outbox_retry",
                                    id ? "outbox:" + std::to_string(id) : "outbox:all-failed",
                                    std::to_string(*n) + " rows"});
      !st) {
    return fail(st.error());
  }
  if (auto st = (*tx)->commit(); !st) return fail(st.error());
  return *n;
}

// One row claimed at a time, its lease starting just before its own send:
// a batch claimed at once would hold its last rows under a lease that runs
// out while the first ones are sent (a slow PEC server), and another kiosk
// would send them again. The outcome is written only while the claim holds.
namespace {
std::size_t slotOf(Channel c) {
  for (std::size_t i = 0; i < std::size(kChannels); ++i) {
    if (kChannels[i] == c) return i;
  }
  return 0;
}
}  // namespace

void Dispatcher::record(Channel channel, const Status& sent) {
  std::lock_guard lock(states_mutex_);
  ChannelState& s = states_[slotOf(channel)];
  s.channel = channel;
  if (sent) {
    s.consecutive_failures = 0;
    s.last_success = clock_.nowSeconds();
  } else {
    s.consecutive_failures += 1;
    s.last_failure = clock_.nowSeconds();
    s.last_error = sent.error().detail.empty() ? sent.error().message : sent.error().detail;
  }
}

std::vector<ChannelState> Dispatcher::channelStates() const {
  std::lock_guard lock(states_mutex_);
  std::vector<ChannelState> out;
  for (std::size_t i = 0; i < std::size(kChannels); ++i) {
    out.push_back(states_[i]);
    out.back().channel = kChannels[i];
  }
  return out;
}

int Dispatcher::restSeconds(Channel channel, int poll_seconds, int max_seconds) const {
  int failures = 0;
  {
    std::lock_guard lock(states_mutex_);
    failures = states_[slotOf(channel)].consecutive_failures;
  }
  if (failures == 0) return poll_seconds;
  const int doubled = poll_seconds << std::min(failures, 10);
  return std::max(poll_seconds, std::min(doubled, max_seconds));
}

Result<DispatchStats> Dispatcher::runOnce(const std::atomic<bool>* stop,
                                          std::optional<Channel> channel) {
  DispatchStats stats;
  for (int n = 0; n < policy_.batch; ++n) {
    if (stop && *stop) break;
    const std::int64_t now = clock_.nowSeconds();
    const std::int64_t lease_until = now + policy_.lease_seconds;
    OutboxItem item;
    {
      auto tx = store_.begin(TxMode::kWrite);
      if (!tx) return fail(tx.error());
      auto claimed = (*tx)->claimOutbox(now, lease_until, 1, channel);
      if (!claimed) return fail(claimed.error());
      if (auto st = (*tx)->commit(); !st) return fail(st.error());
      if (claimed->empty()) break;
      item = std::move(claimed->front());
    }
    // What to record: sent, one more failed try, or given up.
    bool sent = false;
    int attempts = item.attempts;
    bool final = false;
    std::string why;
    const char* result = "failed";
    int* counter = &stats.failed;
    std::int64_t next_at = now;  // a held PEC: due at once, for the technician
    const bool held_pec = item.was_in_flight && item.channel == Channel::kPec;
    if (held_pec) {
      // Its kiosk stopped (or lost the lease) in the middle of sending it: the
      // provider may have accepted it already, and a second PEC is a second
      // legal delivery. It waits for a technician, who checks the provider's
      // receipts before "Riprova". (E-mail and SMS are sent again, under the
      // same Message-ID: at least once.)
      final = true;
      why = kUncertainPec;
      result = "uncertain";
    } else {
      // Sent outside any transaction: a slow server never holds the write lock.
      const Status delivered = deliver(item);
      if (!delivered && stop && *stop) break;  // cut short by the shutdown, not the server's fault
      record(item.channel, delivered);
      sent = static_cast<bool>(delivered);
      if (sent) {
        result = "sent";
        counter = &stats.sent;
      } else {
        attempts += 1;
        final = attempts >= policy_.max_attempts;
        why =
            delivered.error().detail.empty() ? delivered.error().message : delivered.error().detail;
        why = why.substr(0, 500);
        next_at = clock_.nowSeconds() + backoff(attempts);
        if (!final) {
          result = "retried";
          counter = &stats.retried;
        }
      }
    }
    auto tx = store_.begin(TxMode::kWrite);
    if (!tx) return fail(tx.error());
    auto held = sent
                    ? (*tx)->markOutboxSent(item.id, lease_until, clock_.nowSeconds())
                    : (*tx)->markOutboxAttempt(item.id, lease_until, attempts, next_at, why, final);
    if (!held) return fail(held.error());
    if (auto st = (*tx)->commit(); !st) return fail(st.error());
    const std::string channel_name(nameOf(item.channel));
    if (!*held) {
      // The lease ran out during the send and another kiosk took the row:
      // its outcome is the other kiosk's to write.
      log::warn("outbox_lease_lost",
                {{"outbox", std::to_string(item.id)}, {"channel", channel_name}});
      ++stats.lease_lost;
      continue;
    }
    if (final) {
      log::warn(held_pec ? "notification_uncertain" : "notification_failed",
                {{"outbox", std::to_string(item.id)}, {"channel", channel_name}, {"reason", why}});
    }
    ++*counter;
    if (observer_) observer_->notification(channel_name, result);
  }
  return stats;
}

}  // namespace kiosk::domain

#include "support/fake_store.h"

#include <algorithm>

namespace kiosk::test {

using namespace kiosk::domain;

class FakeTransaction final : public Transaction {
 public:
  FakeTransaction(FakeStore& store, TxMode mode) : store_(store) {
    if (mode == TxMode::kWrite) lock_ = std::unique_lock(store.write_mutex_);
    std::lock_guard guard(store.state_mutex_);
    s_ = store.state_;
  }

  Status commit() override {
    if (lock_.owns_lock()) {
      std::lock_guard guard(store_.state_mutex_);
      store_.state_ = s_;
    }
    return {};
  }

  Result<std::optional<Professional>> findProfessional(std::string_view cf) override {
    for (const auto& [id, p] : s_.professionals) {
      if (p.codice_fiscale == cf) return p;
    }
    return std::nullopt;
  }
  Result<std::optional<Professional>> professionalById(std::int64_t id) override {
    auto it = s_.professionals.find(id);
    if (it == s_.professionals.end()) return std::nullopt;
    return it->second;
  }
  Result<std::int64_t> insertProfessional(const Professional& p, std::int64_t) override {
    if (*findProfessional(p.codice_fiscale)) {
      return fail(Error::internal("UNIQUE constraint failed: professionals.codice_fiscale"));
    }
    Professional copy = p;
    copy.id = s_.next_id++;
    s_.professionals[copy.id] = copy;
    return copy.id;
  }
  Status updateProfessionalNames(std::int64_t id,
                                 std::string_view surname,
                                 std::string_view name,
                                 std::int64_t) override {
    s_.professionals.at(id).surname = surname;
    s_.professionals.at(id).name = name;
    return {};
  }
  Status setPinReset(std::int64_t id, const PinResetWindow& w) override {
    s_.professionals.at(id).pin_reset = w;
    return {};
  }
  Status setProfessionalPin(std::int64_t id, std::string_view hash) override {
    s_.professionals.at(id).pin_hash = hash;
    return {};
  }
  Status setLoginState(AccountKind kind, std::int64_t id, const LoginState& state) override {
    if (kind == AccountKind::kProfessional) {
      s_.professionals.at(id).login = state;
    } else {
      s_.staff.at(id).login = state;
    }
    return {};
  }
  Result<std::int64_t> countLockedAccounts(std::int64_t now) override {
    std::int64_t n = 0;
    for (const auto& [id, p] : s_.professionals) n += p.login.locked_until > now;
    for (const auto& [id, u] : s_.staff) n += u.login.locked_until > now;
    return n;
  }
  Result<std::optional<ContactsVersion>> currentContacts(std::int64_t professional_id) override {
    auto it = s_.contacts.find(professional_id);
    if (it == s_.contacts.end() || it->second.empty()) return std::nullopt;
    return it->second.back();
  }
  Result<ContactsVersion> addContactsVersion(std::int64_t professional_id,
                                             const Contacts& c,
                                             ContactsSource source,
                                             std::int64_t now) override {
    auto& list = s_.contacts[professional_id];
    ContactsVersion v{s_.next_id++, static_cast<int>(list.size()) + 1, c, source, now};
    list.push_back(v);
    return v;
  }
  Result<std::optional<StaffUser>> findStaff(std::string_view username) override {
    for (const auto& [id, u] : s_.staff) {
      if (u.username == username) return u;
    }
    return std::nullopt;
  }
  Result<std::optional<StaffUser>> staffById(std::int64_t id) override {
    auto it = s_.staff.find(id);
    if (it == s_.staff.end()) return std::nullopt;
    return it->second;
  }
  Result<std::int64_t> upsertStaff(const StaffUser& u, std::int64_t) override {
    for (auto& [id, existing] : s_.staff) {
      if (existing.username == u.username) {
        existing.display_name = u.display_name;
        existing.role = u.role;
        existing.password_hash = u.password_hash;
        existing.login = {};
        return id;
      }
    }
    StaffUser copy = u;
    copy.id = s_.next_id++;
    s_.staff[copy.id] = copy;
    return copy.id;
  }
  Status insertSession(const Session& s) override {
    Session copy = s;
    copy.id = s_.next_id++;
    s_.sessions[copy.id] = copy;
    return {};
  }
  Result<std::optional<Session>> findSession(std::string_view token_hash) override {
    for (const auto& [id, s] : s_.sessions) {
      if (s.token_hash == token_hash) return s;
    }
    return std::nullopt;
  }
  Status touchSession(std::int64_t id, std::int64_t now) override {
    s_.sessions.at(id).last_seen = now;
    return {};
  }
  Status deleteSession(std::int64_t id) override {
    s_.sessions.erase(id);
    return {};
  }
  Status deleteSessionsOf(Role role, std::int64_t subject_id) override {
    std::erase_if(s_.sessions, [&](const auto& kv) {
      return kv.second.role == role && kv.second.subject_id == subject_id;
    });
    return {};
  }
  Result<int> deleteExpiredSessions(std::int64_t idle_before,
                                    std::int64_t created_before) override {
    return static_cast<int>(std::erase_if(s_.sessions, [&](const auto& kv) {
      return kv.second.last_seen < idle_before || kv.second.created_at < created_before;
    }));
  }
  Status appendAudit(const AuditEntry& e) override {
    const std::string prev = s_.audit_hashes.empty() ? kAuditGenesis : s_.audit_hashes.back();
    s_.audit.push_back(e);
    s_.audit_hashes.push_back(auditHash(prev, e));
    return {};
  }

  Status scanAudit(const AuditVisitor& visit) override {
    std::string prev = kAuditGenesis;
    for (std::size_t i = 0; i < s_.audit.size(); ++i) {
      if (!visit(static_cast<std::int64_t>(i + 1), s_.audit[i], prev, s_.audit_hashes[i])) break;
      prev = s_.audit_hashes[i];
    }
    return {};
  }

  Result<std::optional<AuditHead>> auditHead() override {
    if (s_.audit.empty()) return std::optional<AuditHead>();
    return std::optional<AuditHead>(
        AuditHead{static_cast<std::int64_t>(s_.audit.size()), s_.audit_hashes.back()});
  }
  Status appendAuditAnchor(const AuditAnchor& a) override {
    s_.audit_anchors.push_back(a);
    s_.audit_anchors.back().id = static_cast<std::int64_t>(s_.audit_anchors.size());
    return {};
  }
  Result<std::vector<AuditAnchor>> auditAnchors() override { return s_.audit_anchors; }
  Result<std::optional<AuditAnchor>> lastAuditAnchor() override {
    if (s_.audit_anchors.empty()) return std::optional<AuditAnchor>();
    return std::optional<AuditAnchor>(s_.audit_anchors.back());
  }
  Result<std::int64_t> nextAnchorSeq(std::string_view kiosk_id) override {
    std::int64_t last = 0;
    for (const auto& a : s_.audit_anchors) {
      if (a.kiosk_id == kiosk_id) last = std::max(last, a.seq);
    }
    return last + 1;
  }
  Result<bool> hasAuditAnchors(std::string_view kiosk_id) override {
    for (const auto& a : s_.audit_anchors) {
      if (a.kiosk_id == kiosk_id) return true;
    }
    return false;
  }
  Status publishReceiptKey(const domain::PublishedKey& key) override {
    for (const auto& k : s_.keys) {
      if (k.key_id == key.key_id) return {};
    }
    s_.keys.push_back(key);
    return {};
  }
  Result<std::vector<domain::PublishedKey>> receiptKeys() override { return s_.keys; }
  Status recordHeartbeat(const domain::KioskStatus& status) override {
    auto& k = s_.kiosks[status.kiosk_id];
    domain::KioskStatus next = status;  // the selftest's fields stay as they were
    next.selftest_at = k.selftest_at;
    next.selftest_ok = k.selftest_ok;
    next.selftest_summary = k.selftest_summary;
    k = std::move(next);
    return {};
  }
  Status recordSelftest(std::string_view kiosk_id,
                        std::int64_t at,
                        bool ok,
                        std::string_view summary) override {
    auto& k = s_.kiosks[std::string(kiosk_id)];
    k.kiosk_id = kiosk_id;
    k.selftest_at = at;
    k.selftest_ok = ok;
    k.selftest_summary = summary;
    return {};
  }
  Result<std::vector<domain::KioskStatus>> listKiosks() override {
    std::vector<domain::KioskStatus> out;
    for (const auto& [id, k] : s_.kiosks) out.push_back(k);
    return out;
  }

  Result<std::int64_t> nextProtocolNumber(int year) override {
    return ++s_.protocol_counters[year];
  }
  Result<std::optional<std::int64_t>> findIdempotencyKey(std::int64_t professional_id,
                                                         std::string_view key) override {
    auto it = s_.idempotency.find({professional_id, std::string(key)});
    if (it == s_.idempotency.end()) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(it->second);
  }
  Status saveIdempotencyKey(std::int64_t professional_id,
                            std::string_view key,
                            std::int64_t communication_id,
                            std::int64_t) override {
    s_.idempotency[{professional_id, std::string(key)}] = communication_id;
    return {};
  }
  Result<std::int64_t> insertCommunication(const Communication& c) override {
    Communication copy = c;
    copy.id = s_.next_id++;
    s_.communications[copy.id] = copy;
    return copy.id;
  }
  Result<std::int64_t> insertMessage(const Message& m) override {
    Message copy = m;
    copy.id = s_.next_id++;
    copy.attachments.clear();
    s_.messages[copy.id] = copy;
    return copy.id;
  }
  Result<std::int64_t> insertAttachment(std::int64_t message_id, const NewAttachment& a) override {
    const std::int64_t id = s_.next_id++;
    AttachmentMeta meta{id, a.filename, a.content_type, static_cast<std::int64_t>(a.data.size()),
                        a.sha256};
    Message& m = s_.messages.at(message_id);
    m.attachments.push_back(meta);
    s_.files[id] = {meta, s_.communications.at(m.communication_id).professional_id, a.data};
    return id;
  }
  Communication joined(Communication c) {
    const auto& p = s_.professionals.at(c.professional_id);
    c.codice_fiscale = p.codice_fiscale;
    c.professional_name = p.displayName();
    return c;
  }
  Result<std::optional<Communication>> communicationById(std::int64_t id) override {
    auto it = s_.communications.find(id);
    if (it == s_.communications.end()) return std::optional<Communication>();
    return std::optional<Communication>(joined(it->second));
  }
  Result<std::optional<Communication>> communicationByProtocol(std::string_view protocol) override {
    for (const auto& [id, c] : s_.communications) {
      if (c.protocol == protocol) return std::optional<Communication>(joined(c));
    }
    return std::optional<Communication>();
  }
  Result<CommPage> listCommunications(const CommFilter& f) override {
    std::vector<Communication> all;
    for (const auto& [id, c] : s_.communications) {
      if (f.professional_id && c.professional_id != *f.professional_id) continue;
      if (f.box && c.box != *f.box) continue;
      if (f.status && c.status != *f.status) continue;
      if (f.topic && c.topic != *f.topic) continue;
      if (f.unread && c.unread != *f.unread) continue;
      Communication j = joined(c);
      if (!f.q.empty() && j.protocol != f.q && j.codice_fiscale != f.q &&
          j.subject.find(f.q) == std::string::npos) {
        continue;
      }
      all.push_back(j);
    }
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
      return a.created_at != b.created_at ? a.created_at > b.created_at : a.id > b.id;
    });
    CommPage page;
    page.total = static_cast<std::int64_t>(all.size());
    const auto from = static_cast<std::size_t>((f.page - 1) * f.per_page);
    for (std::size_t i = from; i < all.size() && i < from + static_cast<std::size_t>(f.per_page);
         ++i) {
      page.items.push_back(all[i]);
    }
    return page;
  }
  Result<std::vector<Message>> messagesOf(std::int64_t communication_id) override {
    std::vector<Message> out;
    for (const auto& [id, m] : s_.messages) {
      if (m.communication_id == communication_id) out.push_back(m);
    }
    return out;
  }
  Status updateCommunication(const Communication& c) override {
    Communication& stored = s_.communications.at(c.id);
    stored.status = c.status;
    stored.outcome = c.outcome;
    stored.unread = c.unread;
    stored.assigned_staff_id = c.assigned_staff_id;
    stored.updated_at = c.updated_at;
    return {};
  }
  Result<std::optional<StoredFile>> attachmentById(std::int64_t id) override {
    auto it = s_.files.find(id);
    if (it == s_.files.end()) return std::optional<StoredFile>();
    return std::optional<StoredFile>(it->second);
  }
  Result<std::optional<ContactsVersion>> contactsVersionById(std::int64_t id) override {
    for (const auto& [pid, versions] : s_.contacts) {
      for (const auto& v : versions) {
        if (v.id == id) return std::optional<ContactsVersion>(v);
      }
    }
    return std::optional<ContactsVersion>();
  }
  Result<std::vector<SentSize>> professionalSends(std::int64_t professional_id,
                                                  std::int64_t since) override {
    std::vector<SentSize> out;
    for (const auto& [id, m] : s_.messages) {
      if (m.author != Author::kProfessional || m.created_at < since) continue;
      if (s_.communications.at(m.communication_id).professional_id != professional_id) continue;
      std::int64_t bytes = 0;
      for (const auto& a : m.attachments) bytes += a.size;
      out.push_back({m.created_at, bytes});
    }
    std::stable_sort(out.begin(), out.end(), [](const SentSize& a, const SentSize& b) {
      return a.created_at < b.created_at;
    });
    return out;
  }
  Result<std::int64_t> unreadCount(std::int64_t professional_id) override {
    std::int64_t n = 0;
    for (const auto& [id, c] : s_.communications) {
      n += c.professional_id == professional_id && c.unread;
    }
    return n;
  }
  Status insertOutbox(const OutboxRow& row) override {
    FakeStore::State::Outbox o;
    static_cast<OutboxRow&>(o) = row;
    o.next_attempt_at = row.created_at;
    s_.outbox.push_back(o);
    return {};
  }

  Result<std::int64_t> lastOutboxAt(std::int64_t communication_id,
                                    domain::NotifyEvent event) override {
    std::int64_t at = 0;
    for (const auto& o : s_.outbox) {
      if (o.communication_id == communication_id && o.event == event)
        at = std::max(at, o.created_at);
    }
    return at;
  }
  Result<std::vector<OutboxItem>> claimOutbox(std::int64_t now,
                                              std::int64_t lease_until,
                                              int limit,
                                              std::optional<domain::Channel> channel) override {
    std::vector<OutboxItem> out;
    for (std::size_t i = 0; i < s_.outbox.size() && static_cast<int>(out.size()) < limit; ++i) {
      auto& o = s_.outbox[i];
      if (o.status != domain::OutboxStatus::kPending || o.next_attempt_at > now) continue;
      if (channel && o.channel != *channel) continue;
      out.push_back(item(i));
      o.next_attempt_at = lease_until;
      o.in_flight = true;
    }
    return out;
  }
  static bool held(const FakeStore::State::Outbox& o, std::int64_t lease_until) {
    return o.status == domain::OutboxStatus::kPending && o.next_attempt_at == lease_until;
  }
  Result<bool> markOutboxSent(std::int64_t id, std::int64_t lease_until, std::int64_t) override {
    auto& o = s_.outbox.at(static_cast<std::size_t>(id - 1));
    if (!held(o, lease_until)) return false;
    o.status = domain::OutboxStatus::kSent;
    ++o.attempts;
    o.in_flight = false;
    return true;
  }
  Result<bool> markOutboxAttempt(std::int64_t id,
                                 std::int64_t lease_until,
                                 int attempts,
                                 std::int64_t next_attempt_at,
                                 const std::string& error,
                                 bool failed) override {
    auto& o = s_.outbox.at(static_cast<std::size_t>(id - 1));
    if (!held(o, lease_until)) return false;
    o.attempts = attempts;
    o.next_attempt_at = next_attempt_at;
    o.last_error = error;
    o.status = failed ? domain::OutboxStatus::kFailed : domain::OutboxStatus::kPending;
    o.in_flight = false;
    return true;
  }
  Result<std::vector<OutboxItem>> listOutbox(std::optional<domain::OutboxStatus> status,
                                             int limit) override {
    std::vector<OutboxItem> out;
    for (std::size_t i = s_.outbox.size(); i-- > 0 && static_cast<int>(out.size()) < limit;) {
      if (!status || s_.outbox[i].status == *status) out.push_back(item(i));
    }
    return out;
  }
  Result<std::int64_t> countOutbox(domain::OutboxStatus status,
                                   std::optional<domain::Channel> channel) override {
    std::int64_t n = 0;
    for (const auto& o : s_.outbox) n += o.status == status && (!channel || o.channel == *channel);
    return n;
  }
  Result<int> retryOutbox(std::int64_t id, std::int64_t now) override {
    int n = 0;
    for (std::size_t i = 0; i < s_.outbox.size(); ++i) {
      auto& o = s_.outbox[i];
      if (o.status == domain::OutboxStatus::kFailed &&
          (id == 0 || static_cast<std::int64_t>(i + 1) == id)) {
        o.status = domain::OutboxStatus::kPending;
        o.attempts = 0;
        o.next_attempt_at = now;
        o.in_flight = false;
        ++n;
      }
    }
    return n;
  }

 private:
  OutboxItem item(std::size_t i) {
    const auto& o = s_.outbox[i];
    OutboxItem it;
    it.id = static_cast<std::int64_t>(i + 1);
    it.communication_id = o.communication_id;
    it.event = o.event;
    it.channel = o.channel;
    it.recipient = o.recipient;
    it.status = o.status;
    it.attempts = o.attempts;
    it.next_attempt_at = o.next_attempt_at;
    it.last_error = o.last_error;
    it.message_id = o.message_id;
    it.was_in_flight = o.in_flight;
    const auto& c = s_.communications.at(o.communication_id);
    it.protocol = c.protocol;
    it.topic = c.topic;
    return it;
  }

  FakeStore& store_;
  std::unique_lock<std::mutex> lock_;
  FakeStore::State s_;
};

Result<std::unique_ptr<Transaction>> FakeStore::begin(TxMode mode) {
  return std::unique_ptr<Transaction>(new FakeTransaction(*this, mode));
}

}  // namespace kiosk::test

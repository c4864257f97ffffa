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

 private:
  FakeStore& store_;
  std::unique_lock<std::mutex> lock_;
  FakeStore::State s_;
};

Result<std::unique_ptr<Transaction>> FakeStore::begin(TxMode mode) {
  return std::unique_ptr<Transaction>(new FakeTransaction(*this, mode));
}

}  // namespace kiosk::test

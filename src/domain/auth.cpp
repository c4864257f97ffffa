#include "domain/auth.h"

#include <algorithm>

#include "core/codice_fiscale.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/validators.h"

namespace kiosk::domain {

// The screen speaks to the person with "Lei"; the server's words too.
Error invalidCredentials(int left, bool professional) {
  std::string message = professional ? "Codice fiscale o PIN errati: li controlli e riprovi."
                                     : "Nome utente o password errati: li controlli e riprovi.";
  if (left == 1) {
    message += " Resta 1 tentativo prima del blocco dell'accesso.";
  } else if (left > 1) {
    message += " Restano " + std::to_string(left) + " tentativi prima del blocco dell'accesso.";
  }
  return {ErrorCode::kUnauthenticated, "invalid_credentials", message};
}

Error lockedError(int lock_seconds) {
  const int minutes = std::max(1, (lock_seconds + 59) / 60);
  return {ErrorCode::kLocked, "locked",
          "Accesso bloccato per " + std::to_string(minutes) +
              " minuti dopo troppi tentativi errati. Per entrare subito si rivolga allo "
              "sportello con un documento di identità."};
}

Error unauthenticated() {
  return {ErrorCode::kUnauthenticated, "unauthenticated",
          "Sessione scaduta o assente. Accedere di nuovo."};
}

AuthService::AuthService(Store& store,
                         const Clock& clock,
                         AuthPolicy policy,
                         AuthObserver* observer)
    : store_(store), clock_(clock), policy_(policy), observer_(observer) {}

Result<LoginResult> AuthService::openSession(Transaction& tx,
                                             Role role,
                                             std::int64_t subject_id,
                                             const std::string& principal,
                                             const std::string& display_name) {
  LoginResult result;
  result.token = crypto::randomHex(32);  // 256 bits
  Session& s = result.session;
  s.token_hash = crypto::sha256Hex(result.token);
  s.role = role;
  s.subject_id = subject_id;
  s.principal = principal;
  s.display_name = display_name;
  s.csrf_token = crypto::randomHex(32);
  s.created_at = s.last_seen = clock_.nowSeconds();
  if (auto st = tx.insertSession(s); !st) return fail(st.error());
  {
    const std::int64_t mono = clock_.monotonicSeconds();
    std::lock_guard lock(cache_mutex_);
    if (seen_.size() > 10000) seen_.clear();
    seen_[s.token_hash] = {mono, mono};
  }
  return result;
}

bool AuthService::isLocked(const std::string& key, const LoginState& state, std::int64_t now) {
  if (state.locked_until == 0) return false;
  std::lock_guard lock(cache_mutex_);
  auto it = locks_.find(key);
  // Locked in this run: counted on the monotonic clock.
  if (it != locks_.end()) return clock_.monotonicSeconds() - it->second < policy_.lock_seconds;
  return state.locked_until > now;  // locked by another process or an earlier run
}

Result<LoginResult> AuthService::checkSecret(Transaction& tx,
                                             AccountKind kind,
                                             std::int64_t id,
                                             LoginState state,
                                             bool secret_ok,
                                             const std::string& principal,
                                             Role role,
                                             const std::string& display_name) {
  const std::string actor =
      actorOf(kind == AccountKind::kProfessional ? Role::kProfessional : Role::kStaff, principal);
  const std::int64_t now = clock_.nowSeconds();
  const std::string lock_key =
      (kind == AccountKind::kProfessional ? "p:" : "s:") + std::to_string(id);
  if (isLocked(lock_key, state, now)) {
    if (auto st = tx.appendAudit({now, actor, "login_refused_locked", actor, ""}); !st) {
      return fail(st.error());
    }
    if (auto st = tx.commit(); !st) return fail(st.error());
    if (observer_) observer_->loginFailed();
    return fail(lockedError(policy_.lock_seconds));
  }
  if (state.locked_until != 0) state = {};  // the lock has run out: start counting again

  if (!secret_ok) {
    state.failed_attempts += 1;
    const bool locks = state.failed_attempts >= policy_.max_failed_attempts;
    if (locks) {
      state.locked_until = now + policy_.lock_seconds;
      std::lock_guard lock(cache_mutex_);
      locks_[lock_key] = clock_.monotonicSeconds();
    }
    if (auto st = tx.setLoginState(kind, id, state); !st) return fail(st.error());
    if (auto st = tx.appendAudit({now, actor, "login_failed", actor,
                                  "attempt " + std::to_string(state.failed_attempts)});
        !st) {
      return fail(st.error());
    }
    if (locks) {
      if (auto st = tx.appendAudit({now, "system", "account_locked", actor,
                                    "until " + std::to_string(state.locked_until)});
          !st) {
        return fail(st.error());
      }
    }
    if (auto st = tx.commit(); !st) return fail(st.error());
    if (observer_) observer_->loginFailed();
    if (locks) {
      if (observer_) observer_->accountLocked();
      log::warn("account_locked", {{"account", actor}});
      return fail(lockedError(policy_.lock_seconds));
    }
    return fail(invalidCredentials(policy_.max_failed_attempts - state.failed_attempts,
                                   kind == AccountKind::kProfessional));
  }

  {
    std::lock_guard lock(cache_mutex_);
    locks_.erase(lock_key);
  }
  if (state.failed_attempts != 0 || state.locked_until != 0) {
    if (auto st = tx.setLoginState(kind, id, {}); !st) return fail(st.error());
  }
  auto result = openSession(tx, role, id, principal, display_name);
  if (!result) return result;
  if (auto st = tx.appendAudit({now, actor, "login_ok", actor, std::string(nameOf(role))}); !st) {
    return fail(st.error());
  }
  if (auto st = tx.commit(); !st) return fail(st.error());
  if (observer_) observer_->loginSucceeded(role);
  return result;
}

Result<LoginResult> AuthService::loginProfessional(std::string_view codice_fiscale,
                                                   std::string_view pin) {
  const std::string cf = cf::normalize(codice_fiscale);
  auto lookup = [&](Transaction& tx) -> Result<std::optional<Professional>> {
    if (!cf::isValid(cf)) return std::optional<Professional>();
    return tx.findProfessional(cf);
  };
  // The argon2id check (~0.1 s) runs outside the write transaction, so that
  // other kiosks' writes do not wait for it; the write transaction re-reads
  // the login state so that concurrent failures all count.
  auto before = readAccount<Professional>(lookup);
  if (!before) return fail(before.error());
  const bool has_secret = *before && !(*before)->pin_hash.empty();
  const bool secret_ok =
      has_secret &&
      !isLocked("p:" + std::to_string((*before)->id), (*before)->login, clock_.nowSeconds()) &&
      crypto::verifySecret((*before)->pin_hash, pin);
  // Unknown, locked and wrong all take one argon2id check: timing tells nothing.
  if (!has_secret)
    crypto::burnVerification(pin);
  else if (!secret_ok &&
           isLocked("p:" + std::to_string((*before)->id), (*before)->login, clock_.nowSeconds())) {
    crypto::burnVerification(pin);
  }

  auto tx = store_.begin(TxMode::kWrite);
  if (!tx) return fail(tx.error());
  auto p = lookup(**tx);
  if (!p) return fail(p.error());
  if (!*p || (*p)->pin_hash.empty()) {
    const std::string subject = cf::isValid(cf) ? cf : "codice-non-valido";
    return refuseUnknown(**tx, actorOf(Role::kProfessional, subject),
                         *p ? "no pin set" : "unknown");
  }
  return checkSecret(**tx, AccountKind::kProfessional, (*p)->id, (*p)->login,
                     secret_ok && (*p)->pin_hash == (*before)->pin_hash, cf, Role::kProfessional,
                     (*p)->displayName());
}

Result<LoginResult> AuthService::loginStaff(std::string_view username, std::string_view password) {
  auto lookup = [&](Transaction& tx) -> Result<std::optional<StaffUser>> {
    if (!validate::username(username)) return std::optional<StaffUser>();
    return tx.findStaff(username);
  };
  auto before = readAccount<StaffUser>(lookup);
  if (!before) return fail(before.error());
  const bool secret_ok =
      *before &&
      !isLocked("s:" + std::to_string((*before)->id), (*before)->login, clock_.nowSeconds()) &&
      crypto::verifySecret((*before)->password_hash, password);
  if (!*before) {
    crypto::burnVerification(password);
  } else if (!secret_ok && isLocked("s:" + std::to_string((*before)->id), (*before)->login,
                                    clock_.nowSeconds())) {
    crypto::burnVerification(password);
  }

  auto tx = store_.begin(TxMode::kWrite);
  if (!tx) return fail(tx.error());
  auto u = lookup(**tx);
  if (!u) return fail(u.error());
  if (!*u) return refuseUnknown(**tx, actorOf(Role::kStaff, "unknown"), "unknown");
  return checkSecret(**tx, AccountKind::kStaff, (*u)->id, (*u)->login,
                     secret_ok && (*u)->password_hash == (*before)->password_hash, (*u)->username,
                     (*u)->role, (*u)->display_name);
}

Result<LoginResult> AuthService::refuseUnknown(Transaction& tx,
                                               const std::string& subject,
                                               const std::string& detail) {
  if (auto st = tx.appendAudit({clock_.nowSeconds(), "anonymous", "login_failed", subject, detail});
      !st) {
    return fail(st.error());
  }
  if (auto st = tx.commit(); !st) return fail(st.error());
  if (observer_) observer_->loginFailed();
  int left = 0;
  {
    const std::int64_t now = clock_.nowSeconds();
    std::lock_guard lock(cache_mutex_);
    if (unknown_.size() > 10000) unknown_.clear();
    Unknown& u = unknown_[subject];
    if (u.failures >= policy_.max_failed_attempts && now - u.since >= policy_.lock_seconds) u = {};
    if (u.failures == 0) u.since = now;
    if (u.failures >= policy_.max_failed_attempts) return fail(lockedError(policy_.lock_seconds));
    u.failures += 1;
    if (u.failures >= policy_.max_failed_attempts) {
      u.since = now;
      return fail(lockedError(policy_.lock_seconds));
    }
    left = policy_.max_failed_attempts - u.failures;
  }
  return fail(invalidCredentials(left, subject.starts_with("professional:")));
}

Result<Session> AuthService::authenticate(std::string_view token) {
  if (token.size() != 64) return fail(unauthenticated());
  const std::int64_t now = clock_.nowSeconds();
  const std::string hash = crypto::sha256Hex(token);
  {
    std::lock_guard lock(cache_mutex_);
    auto it = fresh_.find(hash);
    if (it != fresh_.end() && it->second.last_seen == now) return it->second;
  }
  std::optional<Session> found;
  {
    // Most requests only read: the write lock is taken only to expire or
    // refresh a session, at most once a second per session.
    auto tx = store_.begin(TxMode::kRead);
    if (!tx) return fail(tx.error());
    auto s = (*tx)->findSession(hash);
    if (!s) return fail(s.error());
    found = std::move(*s);
  }
  if (!found) return fail(unauthenticated());
  Session s = std::move(*found);
  {
    // A refresh not yet flushed is newer than the database's.
    std::lock_guard lock(cache_mutex_);
    if (auto it = touches_.find(s.id); it != touches_.end()) {
      s.last_seen = std::max(s.last_seen, it->second);
    }
  }
  bool idle = now - s.last_seen >= policy_.idle_timeout_seconds;
  bool old = now - s.created_at >= policy_.absolute_lifetime_seconds;
  const std::int64_t mono = clock_.monotonicSeconds();
  {
    // A session seen in this run is timed on the monotonic clock.
    std::lock_guard lock(cache_mutex_);
    if (auto it = seen_.find(hash); it != seen_.end()) {
      idle = mono - it->second.last_seen >= policy_.idle_timeout_seconds;
      old = mono - it->second.created >= policy_.absolute_lifetime_seconds;
      if (!idle && !old) it->second.last_seen = mono;
    } else if (!idle && !old) {
      seen_[hash] = {mono - (now - s.created_at), mono};
    }
  }
  auto remember = [&] {
    std::lock_guard lock(cache_mutex_);
    if (fresh_.size() > 10000) fresh_.clear();
    fresh_[hash] = s;
  };
  if (!idle && !old && s.last_seen == now) {
    remember();
    return s;
  }
  if (idle || old) {
    {
      std::lock_guard lock(cache_mutex_);
      fresh_.erase(hash);
      seen_.erase(hash);
      touches_.erase(s.id);
    }
    if (s.role == Role::kProfessional) professionalGone(s.subject_id);
    auto tx = store_.begin(TxMode::kWriteOwn);
    if (!tx) return fail(tx.error());
    if (auto st = (*tx)->deleteSession(s.id); !st) return fail(st.error());
    if (auto st = (*tx)->commit(); !st) return fail(st.error());
    return fail(unauthenticated());
  }
  // The idle timer moves on in memory now and in the database at the next
  // flushTouches(): no request waits for a write (and a full or read-only
  // disk does not end the sessions already open).
  s.last_seen = now;
  {
    std::lock_guard lock(cache_mutex_);
    touches_[s.id] = now;
  }
  remember();
  return s;
}

Status AuthService::flushTouches() {
  std::unordered_map<std::int64_t, std::int64_t> batch;
  {
    std::lock_guard lock(cache_mutex_);
    batch.swap(touches_);
  }
  if (batch.empty()) return {};
  Status st = [&]() -> Status {
    auto tx = store_.begin(TxMode::kWriteOwn);
    if (!tx) return fail(tx.error());
    // touchSession on a session deleted meanwhile (logout) changes nothing.
    for (const auto& [id, seen] : batch) {
      if (auto t = (*tx)->touchSession(id, seen); !t) return t;
    }
    return (*tx)->commit();
  }();
  if (!st) {
    // Kept for the next flush, unless a newer touch came meanwhile.
    std::lock_guard lock(cache_mutex_);
    for (const auto& [id, seen] : batch) touches_.try_emplace(id, seen);
  }
  return st;
}

Result<LoginResult> AuthService::loginProfessionalWithCard(const CardHolder& holder) {
  const std::string card =
      "card issuer=" + holder.issuer + " serial=" + holder.serial + " sha256=" + holder.fingerprint;
  const std::int64_t now = clock_.nowSeconds();
  auto tx = store_.begin(TxMode::kWrite);
  if (!tx) return fail(tx.error());
  auto p = (*tx)->findProfessional(holder.codice_fiscale);
  if (!p) return fail(p.error());
  const std::string actor = actorOf(Role::kProfessional, holder.codice_fiscale);
  if (!*p) {
    if (auto st = (*tx)->appendAudit(
            {now, "anonymous", "login_failed", actor, "card_not_in_archive " + card});
        !st) {
      return fail(st.error());
    }
    if (auto st = (*tx)->commit(); !st) return fail(st.error());
    if (observer_) observer_->loginFailed();
    return fail(Error{ErrorCode::kForbidden, "card_not_in_archive",
                      "La carta è valida, ma il codice fiscale " + holder.codice_fiscale +
                          " non risulta tra gli iscritti alla Gestione Separata di questa "
                          "sede. Si rivolga allo sportello per l'iscrizione."});
  }
  auto result =
      openSession(**tx, Role::kProfessional, (*p)->id, holder.codice_fiscale, (*p)->displayName());
  if (!result) return result;
  if (auto st = (*tx)->appendAudit({now, actor, "login_ok", actor, "professional " + card}); !st) {
    return fail(st.error());
  }
  if (auto st = (*tx)->commit(); !st) return fail(st.error());
  if (observer_) observer_->loginSucceeded(Role::kProfessional);
  return result;
}

Status AuthService::endSession(std::string_view token_hash, std::string_view why) {
  std::optional<Session> found;
  {
    auto tx = store_.begin(TxMode::kRead);
    if (!tx) return fail(tx.error());
    auto s = (*tx)->findSession(token_hash);
    if (!s) return fail(s.error());
    found = std::move(*s);
  }
  if (!found) return {};
  return logout(*found, why);
}

Status AuthService::logout(const Session& session, std::string_view why) {
  {
    std::lock_guard lock(cache_mutex_);
    fresh_.erase(session.token_hash);
    seen_.erase(session.token_hash);
    touches_.erase(session.id);
  }
  if (session.role == Role::kProfessional) professionalGone(session.subject_id);
  auto tx = store_.begin(TxMode::kWrite);
  if (!tx) return fail(tx.error());
  if (auto st = (*tx)->deleteSession(session.id); !st) return st;
  const std::string actor = actorOf(session);
  if (auto st = (*tx)->appendAudit({clock_.nowSeconds(), actor, "logout", actor, std::string(why)});
      !st) {
    return st;
  }
  return (*tx)->commit();
}

Result<Professional> AuthService::professionalAtCounter(Transaction& tx, const std::string& cf) {
  if (!cf::isValid(cf)) return fail(Error::notFound("Professionista non trovato."));
  auto p = tx.findProfessional(cf);
  if (!p) return fail(p.error());
  if (!*p) return fail(Error::notFound("Professionista non trovato."));
  return std::move(**p);
}

Result<CounterLookup> AuthService::lookupProfessional(std::string_view codice_fiscale) {
  const std::string cf = cf::normalize(codice_fiscale);
  auto tx = store_.begin(TxMode::kRead);
  if (!tx) return fail(tx.error());
  auto p = professionalAtCounter(**tx, cf);
  if (!p) return fail(p.error());
  return CounterLookup{p->codice_fiscale, p->displayName(),
                       isLocked("p:" + std::to_string(p->id), p->login, clock_.nowSeconds()),
                       p->login.failed_attempts};
}

Status AuthService::unlockProfessional(std::string_view codice_fiscale, const Session& staff) {
  const std::string cf = cf::normalize(codice_fiscale);
  auto tx = store_.begin(TxMode::kWrite);
  if (!tx) return fail(tx.error());
  auto p = professionalAtCounter(**tx, cf);
  if (!p) return fail(p.error());
  if (auto st = (*tx)->setLoginState(AccountKind::kProfessional, p->id, {}); !st) return st;
  {
    std::lock_guard lock(cache_mutex_);
    locks_.erase("p:" + std::to_string(p->id));
  }
  if (auto st = (*tx)->appendAudit({clock_.nowSeconds(), actorOf(staff), "account_unlocked",
                                    actorOf(Role::kProfessional, cf), ""});
      !st) {
    return st;
  }
  return (*tx)->commit();
}

Result<PinReset> AuthService::startPinReset(std::string_view codice_fiscale, const Session& staff) {
  const std::string cf = cf::normalize(codice_fiscale);
  auto tx = store_.begin(TxMode::kWrite);
  if (!tx) return fail(tx.error());
  auto p = professionalAtCounter(**tx, cf);
  if (!p) return fail(p.error());
  const std::int64_t until = clock_.nowSeconds() + policy_.pin_reset_seconds;
  std::string code = crypto::randomDigits(kPinResetCodeDigits);
  const std::string code_hash = crypto::hashSecret(code);
  if (code_hash.empty()) return fail(Error::internal("argon2id hashing failed"));
  if (auto st = (*tx)->setPinReset(p->id, {until, code_hash, 0}); !st) return fail(st.error());
  if (auto st = (*tx)->appendAudit({clock_.nowSeconds(), actorOf(staff), "pin_reset_started",
                                    actorOf(Role::kProfessional, cf), ""});
      !st) {
    return fail(st.error());
  }
  if (auto st = (*tx)->commit(); !st) return fail(st.error());
  return PinReset{cf, p->displayName(), until, std::move(code)};
}

Status AuthService::setPinAtKiosk(std::string_view codice_fiscale,
                                  std::string_view code,
                                  std::string_view pin,
                                  std::string_view pin_again) {
  const Error not_started = Error::conflict(
      "pin_reset_not_started",
      "Per questo codice fiscale non è stato avviato un nuovo PIN: si rivolga allo sportello "
      "con un documento di identità.");
  const Error expired = Error::conflict(
      "pin_reset_expired",
      "Il tempo per impostare il nuovo PIN è scaduto: si rivolga di nuovo allo sportello, che le "
      "darà un nuovo codice.");
  const Error closed = Error::conflict(
      "pin_reset_closed",
      "Troppi codici errati: il nuovo PIN è stato annullato. Si rivolga allo sportello con un "
      "documento di identità.");
  const std::string cf = cf::normalize(codice_fiscale);
  if (!validate::pin(pin)) {
    return fail(Error::invalid("invalid_pin", "Il PIN deve avere da 8 a 16 lettere o cifre."));
  }
  if (pin != pin_again) {
    return fail(Error::invalid("pin_mismatch", "I due PIN non coincidono: li digiti di nuovo."));
  }
  const std::int64_t now = clock_.nowSeconds();
  // What a window's state says, before any code is checked.
  auto windowError = [&](const std::optional<Professional>& p) -> std::optional<Error> {
    if (!p || p->pin_reset.code_hash.empty()) {
      if (p && p->pin_reset.wrong_codes >= policy_.pin_reset_code_tries) return closed;
      return not_started;
    }
    if (p->pin_reset.until <= now) return expired;
    return std::nullopt;
  };
  std::optional<Professional> before;
  if (cf::isValid(cf)) {
    auto tx = store_.begin(TxMode::kRead);
    if (!tx) return fail(tx.error());
    auto p = (*tx)->findProfessional(cf);
    if (!p) return fail(p.error());
    before = std::move(*p);
  }
  if (auto e = windowError(before)) {
    crypto::burnVerification(code);  // an unknown code takes as long as a wrong one
    return fail(*e);
  }
  const bool code_ok =
      code.size() == kPinResetCodeDigits && crypto::verifySecret(before->pin_reset.code_hash, code);
  std::string hash;
  if (code_ok) {
    hash = crypto::hashSecret(pin);
    if (hash.empty()) return fail(Error::internal("argon2id hashing failed"));
  }
  auto tx = store_.begin(TxMode::kWrite);
  if (!tx) return fail(tx.error());
  auto p = (*tx)->findProfessional(cf);
  if (!p) return fail(p.error());
  if (auto e = windowError(*p)) return fail(*e);
  if (!code_ok || (*p)->pin_reset.code_hash != before->pin_reset.code_hash) {
    // Counted in the writing transaction, so that tries from several kiosks all count.
    PinResetWindow w = (*p)->pin_reset;
    w.wrong_codes += 1;
    const int left = policy_.pin_reset_code_tries - w.wrong_codes;
    if (left <= 0) w = {0, "", w.wrong_codes};
    if (auto st = (*tx)->setPinReset((*p)->id, w); !st) return st;
    if (auto st = (*tx)->appendAudit(
            {now, "anonymous", left <= 0 ? "pin_reset_closed" : "pin_reset_code_wrong",
             actorOf(Role::kProfessional, cf), "attempt " + std::to_string(w.wrong_codes)});
        !st) {
      return st;
    }
    if (auto st = (*tx)->commit(); !st) return st;
    if (left <= 0) return fail(closed);
    return fail(
        Error::conflict("pin_reset_code_wrong",
                        std::string("Codice dello sportello errato. ") +
                            (left == 1 ? "Resta 1 tentativo, poi il nuovo PIN viene annullato."
                                       : "Restano " + std::to_string(left) +
                                             " tentativi, poi il nuovo PIN viene annullato.")));
  }
  if (auto st = (*tx)->setProfessionalPin((*p)->id, hash); !st) return st;
  if (auto st = (*tx)->setPinReset((*p)->id, {}); !st) return st;
  if (auto st = (*tx)->setLoginState(AccountKind::kProfessional, (*p)->id, {}); !st) return st;
  if (auto st = (*tx)->deleteSessionsOf(Role::kProfessional, (*p)->id); !st) return st;
  if (auto st = (*tx)->appendAudit({now, actorOf(Role::kProfessional, cf), "pin_set",
                                    actorOf(Role::kProfessional, cf), "at the kiosk"});
      !st) {
    return st;
  }
  if (auto st = (*tx)->commit(); !st) return st;
  forgetSessionsOf((*p)->id);
  return {};
}

// Drops what this process remembers of a professional's sessions and lock,
// after their sessions were deleted with a new PIN.
void AuthService::forgetSessionsOf(std::int64_t professional_id) {
  professionalGone(professional_id);
  std::lock_guard lock(cache_mutex_);
  locks_.erase("p:" + std::to_string(professional_id));
  std::erase_if(fresh_, [&](const auto& kv) {
    return kv.second.role == Role::kProfessional && kv.second.subject_id == professional_id;
  });
}

Status AuthService::setPin(std::string_view codice_fiscale, std::string_view pin) {
  const std::string cf = cf::normalize(codice_fiscale);
  if (!cf::isValid(cf)) {
    return fail(Error::invalid("invalid_codice_fiscale", "Codice fiscale non valido."));
  }
  if (!validate::pin(pin)) {
    return fail(Error::invalid("invalid_pin", "Il PIN deve avere da 8 a 16 lettere o cifre."));
  }
  const std::string hash = crypto::hashSecret(pin);
  if (hash.empty()) return fail(Error::internal("argon2id hashing failed"));
  auto tx = store_.begin(TxMode::kWrite);
  if (!tx) return fail(tx.error());
  auto p = (*tx)->findProfessional(cf);
  if (!p) return fail(p.error());
  if (!*p) {
    return fail(
        Error::notFound("Professionista non presente nell'archivio: importare prima "
                        "l'estratto della Gestione Separata."));
  }
  if (auto st = (*tx)->setProfessionalPin((*p)->id, hash); !st) return st;
  if (auto st = (*tx)->setLoginState(AccountKind::kProfessional, (*p)->id, {}); !st) return st;
  if (auto st = (*tx)->deleteSessionsOf(Role::kProfessional, (*p)->id); !st) return st;
  if (auto st = (*tx)->appendAudit(
          {clock_.nowSeconds(), "system", "pin_set", actorOf(Role::kProfessional, cf), ""});
      !st) {
    return st;
  }
  if (auto st = (*tx)->commit(); !st) return st;
  forgetSessionsOf((*p)->id);
  return {};
}

Status AuthService::addStaff(std::string_view username,
                             Role role,
                             std::string_view password,
                             std::string_view display_name) {
  // The name and role are checked by addStaffWithHash (after the hash).
  if (!validate::staffPassword(password)) {
    return fail(Error::invalid("weak_password", "La password deve avere almeno 12 caratteri."));
  }
  const std::string hash = crypto::hashSecret(password);
  if (hash.empty()) return fail(Error::internal("argon2id hashing failed"));
  auto saved = addStaffWithHash(username, role, hash, display_name);
  if (!saved) return fail(saved.error());
  return {};
}

Result<bool> AuthService::addStaffWithHash(std::string_view username,
                                           Role role,
                                           std::string_view password_hash,
                                           std::string_view display_name) {
  if (!validate::username(username)) {
    return fail(Error::invalid("invalid_username",
                               "Il nome utente deve avere da 3 a 32 caratteri tra a-z, 0-9, "
                               "punto, trattino e trattino basso."));
  }
  if (role == Role::kProfessional) {
    return fail(Error::invalid("invalid_role", "Ruolo non valido: staff o technician."));
  }
  if (!password_hash.starts_with("$argon2id$")) {
    return fail(Error::invalid("invalid_hash", "L'hash della password deve essere argon2id."));
  }
  StaffUser user;
  user.username = std::string(username);
  user.display_name = display_name.empty() ? user.username : std::string(display_name);
  user.role = role;
  user.password_hash = std::string(password_hash);
  auto tx = store_.begin(TxMode::kWrite);
  if (!tx) return fail(tx.error());
  auto existing = (*tx)->findStaff(user.username);
  if (!existing) return fail(existing.error());
  if (*existing && (*existing)->display_name == user.display_name && (*existing)->role == role &&
      (*existing)->password_hash == user.password_hash) {
    return false;
  }
  if (auto id = (*tx)->upsertStaff(user, clock_.nowSeconds()); !id) return fail(id.error());
  if (auto st =
          (*tx)->appendAudit({clock_.nowSeconds(), "system", "staff_saved",
                              actorOf(Role::kStaff, user.username), std::string(nameOf(role))});
      !st) {
    return fail(st.error());
  }
  if (auto st = (*tx)->commit(); !st) return fail(st.error());
  return true;
}

}  // namespace kiosk::domain

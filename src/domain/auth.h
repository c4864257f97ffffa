// AuthService: logins of professionals (codice fiscale + PIN) and of staff and
// technicians (user name + password), sessions with idle and absolute expiry,
// lockout after repeated failures, and the accounts' secrets.
//
// Every login, failure, lock and unlock is written to the audit log in the
// same transaction as the state it changes. Thread-safe: its in-memory caches
// (sessions already checked this second, session and lock times on the
// monotonic clock of this run) sit behind one mutex; the Store serialises
// writes, across kiosks too on a shared database.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "core/error.h"
#include "domain/model.h"
#include "domain/ports/card.h"
#include "domain/ports/store.h"

namespace kiosk::domain {

struct AuthPolicy {
  int max_failed_attempts = 5;              // wrong tries in a row before the lock
  int lock_seconds = 15 * 60;               // how long a lock lasts unless staff unlock it
  int idle_timeout_seconds = 3 * 60;        // a session unused this long is over
  int absolute_lifetime_seconds = 30 * 60;  // a session is over this long after login
  int pin_reset_seconds = 10 * 60;          // how long "Nuovo PIN" stays open at the kiosk
  int pin_reset_code_tries = 5;             // wrong one-time codes before the window closes
};

// A "Nuovo PIN" window staff opened for a professional.
struct PinReset {
  std::string codice_fiscale;
  std::string name;  // to compare with the identity document
  std::int64_t until = 0;
  std::string code;  // the one-time code for the professional: shown once, only its hash kept
};

inline constexpr std::size_t kPinResetCodeDigits = 6;

struct LoginResult {
  Session session;
  std::string token;  // the cookie value; only its hash is stored
  bool just_locked = false;
};

// Outcome counters for metrics; the service calls them after each login.
class AuthObserver {
 public:
  virtual ~AuthObserver() = default;
  virtual void loginSucceeded(Role role) = 0;
  virtual void loginFailed() = 0;
  virtual void accountLocked() = 0;
};

// A professional as the counter sees them before unlocking.
struct CounterLookup {
  std::string codice_fiscale;
  std::string name;
  bool locked = false;
  int failed_attempts = 0;
};

class AuthService {
 public:
  AuthService(Store& store,
              const Clock& clock,
              AuthPolicy policy,
              AuthObserver* observer = nullptr);

  // 401 invalid_credentials for an unknown codice fiscale and for a wrong PIN
  // alike; 423 locked while locked (and on the try that locks).
  Result<LoginResult> loginProfessional(std::string_view codice_fiscale, std::string_view pin);
  Result<LoginResult> loginStaff(std::string_view username, std::string_view password);

  // The live session for a cookie token; refreshes its idle timer (in
  // memory: see flushTouches). 401 unauthenticated when missing or expired
  // (an expired one is deleted).
  Result<Session> authenticate(std::string_view token);

  // Writes the idle timers refreshed since the last flush, in one
  // transaction (serve calls it every few seconds and before sweeping
  // expired sessions). A failed flush is kept for the next one.
  Status flushTouches();

  // A professional whose identity card was verified (CardLogin): a session
  // as a PIN login opens, audited with the certificate's issuer, serial and
  // fingerprint. The kiosk PIN's lock does not stop it (the card is its own
  // factor). 403 card_not_in_archive when the codice fiscale is unknown.
  Result<LoginResult> loginProfessionalWithCard(const CardHolder& holder);

  Status logout(const Session& session, std::string_view why = {});
  // Called with a professional's id when a session of theirs ends (logout,
  // expiry, a new PIN): what else the kiosk keeps of them in memory goes
  // too. Set once, before the service is shared.
  void onProfessionalGone(std::function<void(std::int64_t)> gone) { gone_ = std::move(gone); }
  // Ends the session with this token hash, if it is still open.
  Status endSession(std::string_view token_hash, std::string_view why);

  // Who a codice fiscale belongs to, for the counter to compare with the
  // identity document before unlocking; 404 not_found for an unknown or
  // malformed code.
  Result<CounterLookup> lookupProfessional(std::string_view codice_fiscale);

  // Clears a PIN lock (staff, after checking an identity document).
  Status unlockProfessional(std::string_view codice_fiscale, const Session& staff);

  // "Nuovo PIN" at the counter: staff, after checking the identity document,
  // open a window of pin_reset_seconds and hand the professional the one-time
  // code it returns; the professional then types the code and the new PIN
  // twice on the kiosk (staff never see the PIN). Both steps are audited; the
  // new PIN also clears a lock and ends the professional's other sessions.
  // Opening it again replaces the code. 404 not_found for an unknown code.
  Result<PinReset> startPinReset(std::string_view codice_fiscale, const Session& staff);
  // 409 pin_reset_not_started (also for an unknown codice fiscale: nothing
  // is told about who is in the archive), 409 pin_reset_expired, 409
  // pin_reset_code_wrong (with the tries left), 409 pin_reset_closed (too
  // many wrong codes), 422 invalid_pin, 422 pin_mismatch.
  Status setPinAtKiosk(std::string_view codice_fiscale,
                       std::string_view code,
                       std::string_view pin,
                       std::string_view pin_again);

  // Administrative commands (set-pin, add-staff).
  Status setPin(std::string_view codice_fiscale, std::string_view pin);
  Status addStaff(std::string_view username,
                  Role role,
                  std::string_view password,
                  std::string_view display_name);
  // The same from an argon2id hash made elsewhere (provisioning: no password
  // in clear on the box). Answers false when the account was already exactly
  // so (nothing written, nothing audited), true when it was saved.
  Result<bool> addStaffWithHash(std::string_view username,
                                Role role,
                                std::string_view password_hash,
                                std::string_view display_name);

  const AuthPolicy& policy() const { return policy_; }

 private:
  void forgetSessionsOf(std::int64_t professional_id);
  Result<LoginResult> openSession(Transaction& tx,
                                  Role role,
                                  std::int64_t subject_id,
                                  const std::string& principal,
                                  const std::string& display_name);
  Result<LoginResult> checkSecret(Transaction& tx,
                                  AccountKind kind,
                                  std::int64_t id,
                                  LoginState state,
                                  bool secret_ok,
                                  const std::string& principal,
                                  Role role,
                                  const std::string& display_name);

  // The professional a counter action is about; 404 for an unknown or malformed code.
  Result<Professional> professionalAtCounter(Transaction& tx, const std::string& cf);

  Result<LoginResult> refuseUnknown(Transaction& tx,
                                    const std::string& subject,
                                    const std::string& detail);

  // Runs `lookup` in a read transaction.
  template <typename T, typename Lookup>
  Result<std::optional<T>> readAccount(Lookup& lookup) {
    auto tx = store_.begin(TxMode::kRead);
    if (!tx) return fail(tx.error());
    return lookup(**tx);
  }

  Store& store_;
  const Clock& clock_;
  AuthPolicy policy_;
  AuthObserver* observer_;
  std::function<void(std::int64_t)> gone_;
  void professionalGone(std::int64_t professional_id) {
    if (gone_) gone_(professional_id);
  }
  // Sessions already refreshed in the current second, by token hash: most
  // requests need no database round trip. At most one second stale for
  // another process sharing the database; a logout here drops the entry.
  std::mutex cache_mutex_;
  std::unordered_map<std::string, Session> fresh_;
  // Failures for accounts that do not exist, counted like real ones so that
  // the answer ("N tries left", then locked) does not tell them apart.
  struct Unknown {
    int failures = 0;
    std::int64_t since = 0;
  };
  std::unordered_map<std::string, Unknown> unknown_;  // guarded by cache_mutex_
  // Durations inside this run on the monotonic clock, so that a step of the
  // wall clock neither ends every session nor stretches or cuts a lock. The
  // database keeps wall times for other processes and the next run.
  struct SeenAt {
    std::int64_t created = 0;    // monotonic seconds
    std::int64_t last_seen = 0;  // monotonic seconds
  };
  std::unordered_map<std::string, SeenAt> seen_;  // by token hash, guarded by cache_mutex_
  std::unordered_map<std::int64_t, std::int64_t>
      touches_;  // session id → last seen, not yet written
  std::unordered_map<std::string, std::int64_t> locks_;  // account → monotonic lock start
  // True while `state` locks the account (`key`: "p:ID" or "s:ID").
  bool isLocked(const std::string& key, const LoginState& state, std::int64_t now);
};

// The errors of this service, shared with the HTTP layer's tests.
Error invalidCredentials();
Error lockedError();
Error unauthenticated();

}  // namespace kiosk::domain

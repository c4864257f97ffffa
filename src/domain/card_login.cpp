#include "domain/card_login.h"

#include <algorithm>

#include "core/crypto.h"
#include "core/log.h"

namespace kiosk::domain {

bool plausibleCardPin(std::string_view pin) {
  return pin.size() >= 5 && pin.size() <= 8 &&
         std::all_of(pin.begin(), pin.end(), [](char c) { return c >= '0' && c <= '9'; });
}

CardStatus CardLogin::status() { return reader_.status(); }

Status CardLogin::audit(const std::string& subject, const std::string& detail) {
  auto tx = store_.begin(TxMode::kWrite);
  if (!tx) return fail(tx.error());
  if (auto st = (*tx)->appendAudit(
          {clock_.nowSeconds(), "anonymous", "card_login_failed", subject, detail});
      !st) {
    return st;
  }
  return (*tx)->commit();
}

Result<LoginResult> CardLogin::login(std::string_view pin) {
  if (!plausibleCardPin(pin)) {
    return fail(Error::invalid("card_pin_format",
                               "Il PIN della carta è fatto di sole cifre: 8 per la carta "
                               "d'identità elettronica, da 5 a 8 per la tessera sanitaria."));
  }
  // A fresh challenge for each login: a signature can never be replayed.
  const std::string challenge = "cassetto-kiosk card login " + crypto::randomHex(32);
  auto proof = reader_.prove(pin, challenge);
  if (!proof) {
    const Error& e = proof.error();
    if (e.code != ErrorCode::kUnavailable || e.reason != "card_reader_missing") {
      const auto st = status();
      (void)audit("card:" + (st.card_id.empty() ? std::string("unknown") : st.card_id),
                  e.reason + (e.detail.empty() ? "" : " " + e.detail));
    }
    if (e.code == ErrorCode::kInternal || e.reason == "card_reader_busy") {
      log::warn("card_login_error", {{"reason", e.reason}, {"detail", e.detail}});
    }
    return fail(e);
  }
  auto holder = verifier_.verify(*proof, challenge, clock_.nowSeconds());
  if (!holder) {
    (void)audit("card:" + proof->card_id, holder.error().reason + " " + holder.error().detail);
    log::info("card_login_refused", {{"reason", holder.error().reason}});
    return fail(holder.error());
  }
  auto result = auth_.loginProfessionalWithCard(*holder);
  if (!result) return result;
  {
    std::lock_guard lock(mutex_);
    bound_[proof->card_id].emplace_back(++logins_, result->session.token_hash);
  }
  return result;
}

std::vector<std::string> CardLogin::watch() {
  std::uint64_t logins_before = 0;
  {
    std::lock_guard lock(mutex_);
    logins_before = logins_;
  }
  const CardStatus st = reader_.status();
  std::vector<std::string> gone;
  {
    std::lock_guard lock(mutex_);
    for (auto it = bound_.begin(); it != bound_.end();) {
      auto& sessions = it->second;
      if (it->first != st.card_id) {
        std::erase_if(sessions, [&](const auto& s) {
          if (s.first > logins_before) return false;  // opened after this look
          gone.push_back(s.second);
          return true;
        });
      }
      it = sessions.empty() ? bound_.erase(it) : std::next(it);
    }
  }
  for (const auto& hash : gone) {
    sources_.cancelScan();
    sources_.sessionEnded(hash);
    if (auto st2 = auth_.endSession(hash, "card removed"); !st2) {
      log::warn("card_logout_failed", {{"detail", st2.error().detail}});
    }
  }
  if (!gone.empty()) log::info("card_removed", {{"sessions", std::to_string(gone.size())}});
  return gone;
}

}  // namespace kiosk::domain

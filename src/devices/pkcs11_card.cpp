#include "devices/pkcs11_card.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>
#include <sodium.h>

#include <cstring>
#include <ctime>
#include <optional>
#include <vector>

#include "core/log.h"
#include "core/own_stack.h"
#include "devices/card_certificates.h"

namespace kiosk::devices {
namespace {

// How long a login waits for another one on the same reader.
constexpr auto kReaderWait = std::chrono::seconds(3);

std::string trimmed(const unsigned char* field, std::size_t size) {
  std::string s(reinterpret_cast<const char*>(field), size);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

std::string rvText(CK_RV rv) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "CKR 0x%lx", static_cast<unsigned long>(rv));
  return buf;
}

Error readerMissing(const std::string& detail) {
  return {ErrorCode::kUnavailable, "card_reader_missing",
          "Il lettore di carte non risponde. Si rivolga al personale dello sportello, oppure "
          "acceda con codice fiscale e PIN se lo ha.",
          detail};
}

Error cardMissing() {
  return Error::conflict("card_missing",
                         "Inserisca la carta d'identità elettronica o la tessera sanitaria nel "
                         "lettore, con il chip verso l'alto.");
}

Error cardRemoved(const std::string& detail) {
  return {ErrorCode::kConflict, "card_removed",
          "La carta è stata tolta durante l'accesso. La inserisca di nuovo e ripeta il PIN.",
          detail};
}

Error readerBusy(const std::string& detail) {
  return {ErrorCode::kConflict, "card_reader_busy",
          "Il lettore sta già leggendo una carta: attenda qualche secondo e riprovi.", detail};
}

// The card's PIN is blocked (`what`: just now, or already): what to do.
Error pinBlocked(const std::string& what) {
  return {ErrorCode::kLocked, "card_pin_blocked",
          what +
              " Lo sblocchi con il PUK (è nella lettera ricevuta con la carta) oppure chieda "
              "aiuto allo sportello."};
}

bool removedCode(CK_RV rv) {
  return rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT ||
         rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED ||
         rv == CKR_TOKEN_NOT_RECOGNIZED || rv == CKR_SLOT_ID_INVALID;
}

// A session on the card, closed (and logged out) on every path.
class CardSession {
 public:
  CardSession(CK_FUNCTION_LIST* f, CK_SESSION_HANDLE h) : f_(f), h_(h) {}
  ~CardSession() {
    if (logged_in_) f_->C_Logout(h_);
    f_->C_CloseSession(h_);
  }
  CardSession(const CardSession&) = delete;
  CardSession& operator=(const CardSession&) = delete;
  CK_SESSION_HANDLE handle() const { return h_; }
  void loggedIn() { logged_in_ = true; }

  // The objects of `cls` (with CKA_ID `id` when given).
  std::vector<CK_OBJECT_HANDLE> find(CK_OBJECT_CLASS cls, const std::string* id, CK_RV& rv) {
    std::vector<CK_ATTRIBUTE> tmpl = {{CKA_CLASS, &cls, sizeof cls}};
    if (id) tmpl.push_back({CKA_ID, const_cast<char*>(id->data()), id->size()});
    std::vector<CK_OBJECT_HANDLE> out;
    rv = f_->C_FindObjectsInit(h_, tmpl.data(), tmpl.size());
    if (rv != CKR_OK) return out;
    CK_OBJECT_HANDLE batch[16];
    CK_ULONG n = 0;
    while ((rv = f_->C_FindObjects(h_, batch, 16, &n)) == CKR_OK && n > 0) {
      out.insert(out.end(), batch, batch + n);
      if (out.size() > 64) break;
    }
    f_->C_FindObjectsFinal(h_);
    return out;
  }

  // One attribute's bytes ("" when missing).
  std::string attribute(CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type, CK_RV& rv) {
    CK_ATTRIBUTE a = {type, nullptr, 0};
    rv = f_->C_GetAttributeValue(h_, o, &a, 1);
    if (rv != CKR_OK || a.ulValueLen == CK_UNAVAILABLE_INFORMATION) return {};
    std::string value(a.ulValueLen, '\0');
    a.pValue = value.data();
    rv = f_->C_GetAttributeValue(h_, o, &a, 1);
    if (rv != CKR_OK) return {};
    value.resize(a.ulValueLen);
    return value;
  }

 private:
  CK_FUNCTION_LIST* f_;
  CK_SESSION_HANDLE h_;
  bool logged_in_ = false;
};

// The certificate to log in with: one whose key signs (digitalSignature)
// and is not the qualified-signature one (nonRepudiation).
bool isAuthenticationCertificate(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (!cert) return false;
  bool ok = true;
  if (X509_get_extension_flags(cert) & EXFLAG_KUSAGE) {
    const auto ku = X509_get_key_usage(cert);
    ok = (ku & KU_DIGITAL_SIGNATURE) != 0 && (ku & KU_NON_REPUDIATION) == 0;
  }
  X509_free(cert);
  return ok;
}

// The DER ECDSA signature of a PKCS#11 one (r ‖ s).
std::string ecdsaDer(const std::string& raw) {
  const std::size_t half = raw.size() / 2;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(half),
                        nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + half,
                        static_cast<int>(half), nullptr);
  std::string out;
  if (sig && r && s && ECDSA_SIG_set0(sig, r, s) == 1) {
    r = s = nullptr;
    unsigned char* der = nullptr;
    const int n = i2d_ECDSA_SIG(sig, &der);
    if (n > 0) out.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
  }
  BN_free(r);
  BN_free(s);
  ECDSA_SIG_free(sig);
  return out;
}

}  // namespace

Pkcs11Card::~Pkcs11Card() {
  std::lock_guard lock(mutex_);
  if (module_) {
    auto* m = static_cast<CK_FUNCTION_LIST*>(module_);
    p11_kit_module_finalize(m);
    p11_kit_module_release(m);
  }
}

Status Pkcs11Card::load() {
  if (module_) return {};
  if (settings_.module.empty()) return fail(readerMissing("no [card] module configured"));
  CK_FUNCTION_LIST* m = p11_kit_module_load(settings_.module.c_str(), 0);
  if (!m) {
    load_error_ = "cannot load " + settings_.module + ": " + p11_kit_message();
    return fail(readerMissing(load_error_));
  }
  if (const CK_RV rv = p11_kit_module_initialize(m); rv != CKR_OK) {
    load_error_ = "C_Initialize of " + settings_.module + ": " + rvText(rv);
    p11_kit_module_release(m);
    return fail(readerMissing(load_error_));
  }
  load_error_.clear();
  module_ = m;
  return {};
}

domain::CardStatus Pkcs11Card::look(unsigned long* card_slot) {
  auto fns = [this] { return static_cast<CK_FUNCTION_LIST*>(module_); };
  domain::CardStatus st;
  st.configured = !settings_.module.empty();
  if (!st.configured) return st;
  if (auto loaded = load(); !loaded) {
    st.detail = load_error_;
    return st;
  }
  // The list with no buffer first: OpenSC looks for readers plugged in since.
  CK_ULONG n = 0;
  CK_RV rv = fns()->C_GetSlotList(CK_FALSE, nullptr, &n);
  std::vector<CK_SLOT_ID> slots(n);
  if (rv == CKR_OK && n > 0) rv = fns()->C_GetSlotList(CK_FALSE, slots.data(), &n);
  if (rv != CKR_OK || n == 0) {
    st.detail = rv != CKR_OK ? "C_GetSlotList: " + rvText(rv) : "nessun lettore collegato";
    return st;
  }
  slots.resize(n);
  st.reader = true;
  for (CK_SLOT_ID slot : slots) {
    CK_SLOT_INFO info;
    if (fns()->C_GetSlotInfo(slot, &info) != CKR_OK) continue;
    if (st.reader_name.empty()) {
      st.reader_name = trimmed(info.slotDescription, sizeof info.slotDescription);
    }
    if (!(info.flags & CKF_TOKEN_PRESENT)) continue;
    CK_TOKEN_INFO token;
    if (fns()->C_GetTokenInfo(slot, &token) != CKR_OK) continue;
    st.reader_name = trimmed(info.slotDescription, sizeof info.slotDescription);
    st.card = true;
    st.card_id = trimmed(token.serialNumber, sizeof token.serialNumber) + "/" +
                 trimmed(token.label, sizeof token.label);
    if (card_slot) *card_slot = slot;
    break;
  }
  return st;
}

// The module (OpenSC, SoftHSM2 and the OpenSSL they load) runs on a stack
// of its own: CivetWeb's worker threads have small ones.
domain::CardStatus Pkcs11Card::status() {
  return runOnOwnStack([this] { return statusHere(); });
}

Result<domain::CardProof> Pkcs11Card::prove(std::string_view pin, std::string_view challenge) {
  return runOnOwnStack([&] { return proveHere(pin, challenge); });
}

domain::CardStatus Pkcs11Card::statusHere() {
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock()) {  // a login is talking to the card: the last look stands
    std::lock_guard last(last_mutex_);
    return last_;
  }
  auto st = look();
  std::lock_guard last(last_mutex_);
  last_ = st;
  return st;
}

domain::DeviceState Pkcs11Card::state() {
  const auto st = status();
  domain::DeviceState d;
  if (!st.configured) return d;
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  const std::int64_t ca = earliestExpiry(settings_.ca_bundle);
  std::string problem;
  if (!st.reader) problem = "nessun lettore collegato";
  if (ca == 0) problem = "certificati delle CA illeggibili";
  if (ca != 0 && ca < now) problem = "certificati delle CA scaduti";
  d.detail =
      "modulo " + settings_.module + "; lettore " +
      (st.reader ? st.reader_name : "assente" + (st.detail.empty() ? "" : " (" + st.detail + ")")) +
      "; carta " + (st.card ? "inserita" : "assente") + "; CA " + settings_.ca_bundle +
      (ca == 0 ? " illeggibili" : " valide fino al " + utcDay(ca, "%Y-%m-%d"));
  if (!settings_.crl.empty()) {
    const std::int64_t next = crlNextUpdate(settings_.crl);
    d.detail +=
        "; CRL " + settings_.crl +
        (next == 0 ? " illeggibile" : " prossimo aggiornamento " + utcDay(next, "%Y-%m-%d"));
    if (next == 0 || next < now) {
      problem = "CRL scaduta: le carte sono rifiutate finché non viene aggiornata";
    }
  }
  if (!problem.empty()) d.detail = problem + "; " + d.detail;
  d.status = problem.empty() ? domain::DeviceStatus::kReady : domain::DeviceStatus::kUnavailable;
  return d;
}

Result<domain::CardProof> Pkcs11Card::proveHere(std::string_view pin, std::string_view challenge) {
  auto fns = [this] { return static_cast<CK_FUNCTION_LIST*>(module_); };
  std::unique_lock lock(mutex_, kReaderWait);
  if (!lock.owns_lock()) return fail(readerBusy("another login holds the reader"));
  CK_SLOT_ID slot = 0;
  const auto st = look(&slot);
  {
    std::lock_guard last(last_mutex_);
    last_ = st;
  }
  if (!st.reader) return fail(readerMissing(st.detail));
  if (!st.card) return fail(cardMissing());
  CK_RV rv = CKR_OK;

  CK_SESSION_HANDLE h = 0;
  rv = fns()->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &h);
  if (removedCode(rv)) return fail(cardRemoved("C_OpenSession: " + rvText(rv)));
  if (rv != CKR_OK) return fail(readerBusy("C_OpenSession: " + rvText(rv)));
  CardSession session(fns(), h);

  // The authentication certificate, public on CIE and TS-CNS: read before the PIN.
  std::string certificate, id;
  auto certs = session.find(CKO_CERTIFICATE, nullptr, rv);
  if (removedCode(rv)) return fail(cardRemoved("C_FindObjects: " + rvText(rv)));
  for (CK_OBJECT_HANDLE o : certs) {
    std::string der = session.attribute(o, CKA_VALUE, rv);
    if (der.empty() || !isAuthenticationCertificate(der)) continue;
    certificate = std::move(der);
    id = session.attribute(o, CKA_ID, rv);
    break;
  }
  if (removedCode(rv)) return fail(cardRemoved("C_GetAttributeValue: " + rvText(rv)));
  if (certificate.empty()) {
    return fail(Error::invalid("card_no_certificate",
                               "La carta non contiene un certificato di autenticazione leggibile: "
                               "per accedere serve la carta d'identità elettronica o la tessera "
                               "sanitaria (CNS)."));
  }

  // The PIN: a copy that is wiped on every path.
  std::string pin_copy(pin);
  rv =
      fns()->C_Login(h, CKU_USER, reinterpret_cast<CK_UTF8CHAR*>(pin_copy.data()), pin_copy.size());
  sodium_memzero(pin_copy.data(), pin_copy.size());
  if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) {
    session.loggedIn();
  } else if (rv == CKR_PIN_INCORRECT) {
    CK_TOKEN_INFO token;
    CK_RV info_rv = fns()->C_GetTokenInfo(slot, &token);
    if (info_rv == CKR_OK && (token.flags & CKF_USER_PIN_LOCKED)) {
      return fail(pinBlocked("PIN errato: il PIN della carta ora è bloccato."));
    }
    int left = -1;
    if (info_rv == CKR_OK) {
      if (token.flags & CKF_USER_PIN_FINAL_TRY) {
        left = 1;
      } else if ((token.flags & CKF_USER_PIN_COUNT_LOW) && settings_.pin_tries == 3) {
        left = 2;
      }
    }
    std::string message = "PIN della carta errato.";
    if (left == 1) {
      message += " Resta 1 solo tentativo: al prossimo errore il PIN della carta si blocca.";
    } else if (left > 1) {
      message += " Restano " + std::to_string(left) +
                 " tentativi prima che il PIN della carta si blocchi.";
    } else {
      message += " Dopo pochi errori il PIN della carta si blocca: lo controlli con calma.";
    }
    Error e{ErrorCode::kUnauthenticated, "card_pin_wrong", message};
    e.tries_left = left;
    return fail(std::move(e));
  } else if (rv == CKR_PIN_LOCKED) {
    return fail(pinBlocked("Il PIN della carta è bloccato."));
  } else if (rv == CKR_PIN_LEN_RANGE || rv == CKR_PIN_INVALID) {
    return fail(Error::invalid("card_pin_format",
                               "Il PIN della carta ha un numero di cifre sbagliato: quello della "
                               "carta d'identità ha 8 cifre, quello della tessera sanitaria da 5 "
                               "a 8."));
  } else if (removedCode(rv)) {
    return fail(cardRemoved("C_Login: " + rvText(rv)));
  } else {
    return fail(readerBusy("C_Login: " + rvText(rv)));
  }

  // Its private key, by the certificate's id.
  auto keys = session.find(CKO_PRIVATE_KEY, id.empty() ? nullptr : &id, rv);
  if (removedCode(rv)) return fail(cardRemoved("C_FindObjects: " + rvText(rv)));
  if (keys.empty()) {
    return fail(Error::invalid("card_no_certificate",
                               "La carta non ha la chiave del certificato di autenticazione. Si "
                               "rivolga allo sportello."));
  }
  const CK_OBJECT_HANDLE key = keys[0];
  CK_KEY_TYPE key_type = CKK_RSA;
  {
    CK_ATTRIBUTE a = {CKA_KEY_TYPE, &key_type, sizeof key_type};
    rv = fns()->C_GetAttributeValue(h, key, &a, 1);
    if (removedCode(rv)) return fail(cardRemoved("C_GetAttributeValue: " + rvText(rv)));
  }
  CK_BBOOL always_authenticate = CK_FALSE;
  {
    CK_ATTRIBUTE a = {CKA_ALWAYS_AUTHENTICATE, &always_authenticate, sizeof always_authenticate};
    if (fns()->C_GetAttributeValue(h, key, &a, 1) != CKR_OK) always_authenticate = CK_FALSE;
  }

  // SHA-256 of the challenge, for the mechanisms that take a digest.
  unsigned char digest[32];
  unsigned int digest_len = 0;
  EVP_Digest(challenge.data(), challenge.size(), digest, &digest_len, EVP_sha256(), nullptr);

  auto sign = [&](CK_MECHANISM_TYPE type, const std::string& data, std::string& out) -> CK_RV {
    CK_MECHANISM mech = {type, nullptr, 0};
    CK_RV r = fns()->C_SignInit(h, &mech, key);
    if (r != CKR_OK) return r;
    if (always_authenticate) {
      std::string again(pin);
      r = fns()->C_Login(h, CKU_CONTEXT_SPECIFIC, reinterpret_cast<CK_UTF8CHAR*>(again.data()),
                         again.size());
      sodium_memzero(again.data(), again.size());
      if (r != CKR_OK) return r;
    }
    CK_ULONG len = 0;
    r = fns()->C_Sign(h, reinterpret_cast<CK_BYTE*>(const_cast<char*>(data.data())), data.size(),
                      nullptr, &len);
    if (r != CKR_OK) return r;
    out.assign(len, '\0');
    r = fns()->C_Sign(h, reinterpret_cast<CK_BYTE*>(const_cast<char*>(data.data())), data.size(),
                      reinterpret_cast<CK_BYTE*>(out.data()), &len);
    out.resize(len);
    return r;
  };

  domain::CardProof proof;
  proof.certificate = std::move(certificate);
  proof.card_id = st.card_id;
  if (key_type == CKK_EC) {
    std::string raw;
    rv = sign(CKM_ECDSA, std::string(reinterpret_cast<char*>(digest), digest_len), raw);
    if (rv == CKR_OK) proof.signature = ecdsaDer(raw);
  } else {
    rv = sign(CKM_SHA256_RSA_PKCS, std::string(challenge), proof.signature);
    if (rv == CKR_MECHANISM_INVALID) {
      // A card that signs only raw PKCS#1: the DigestInfo of SHA-256 in front.
      static const unsigned char prefix[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                             0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                             0x01, 0x05, 0x00, 0x04, 0x20};
      std::string info(reinterpret_cast<const char*>(prefix), sizeof prefix);
      info.append(reinterpret_cast<char*>(digest), digest_len);
      rv = sign(CKM_RSA_PKCS, info, proof.signature);
    }
  }
  if (removedCode(rv)) return fail(cardRemoved("C_Sign: " + rvText(rv)));
  if (rv != CKR_OK) return fail(readerBusy("C_Sign: " + rvText(rv)));
  return proof;
}

Result<domain::CardProof> NoCardReader::prove(std::string_view, std::string_view) {
  return fail(readerMissing("no [card] module configured"));
}

}  // namespace kiosk::devices

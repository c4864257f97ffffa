#include "devices/card_certificates.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <vector>

#include "core/codice_fiscale.h"
#include "core/own_stack.h"

namespace kiosk::devices {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using CrlPtr = std::unique_ptr<X509_CRL, Deleter<X509_CRL, X509_CRL_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

Error cardError(ErrorCode code, const char* reason, const std::string& message) {
  return {code, reason, message};
}

X509Ptr parse(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  return X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

std::int64_t timeOf(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::string hex(const unsigned char* data, std::size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

std::string oneLine(const X509_NAME* name) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (!bio) return {};
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n > 0 ? n : 0));
  BIO_free(bio);
  return out;
}

std::string entryText(const X509_NAME* name, int nid) {
  const int at = X509_NAME_get_index_by_NID(name, nid, -1);
  if (at < 0) return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at));
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, data);
  if (n < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

std::string codiceFiscaleIn(const X509* cert) {
  const X509_NAME* subject = X509_get_subject_name(cert);
  // CIE: serialNumber "TINIT-<CF>" (ETSI EN 319 412-1 semantics identifier).
  const std::string serial = entryText(subject, NID_serialNumber);
  if (serial.starts_with("TINIT-")) {
    const std::string cf = cf::normalize(serial.substr(6));
    if (cf::isValid(cf)) return cf;
  }
  // TS-CNS: common name "<CF>/<card number>.<hash>".
  const std::string cn = entryText(subject, NID_commonName);
  if (const auto slash = cn.find('/'); slash != std::string::npos) {
    const std::string cf = cf::normalize(cn.substr(0, slash));
    if (cf::isValid(cf)) return cf;
  }
  return {};
}

// What the audit log keeps of a certificate.
struct Described {
  std::string issuer, serial, fingerprint, subject_cn;
  std::int64_t not_after = 0;
};

Described describe(X509* cert, std::string_view der) {
  Described d;
  d.issuer = oneLine(X509_get_issuer_name(cert));
  if (const ASN1_INTEGER* sn = X509_get0_serialNumber(cert)) {
    d.serial = hex(sn->data, static_cast<std::size_t>(sn->length));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (EVP_Digest(der.data(), der.size(), md, &md_len, EVP_sha256(), nullptr) == 1) {
    d.fingerprint = hex(md, md_len);
  }
  d.subject_cn = entryText(X509_get_subject_name(cert), NID_commonName);
  d.not_after = timeOf(X509_get0_notAfter(cert));
  return d;
}

std::string auditText(const Described& d) {
  return "issuer=" + d.issuer + " serial=" + d.serial + " sha256=" + d.fingerprint;
}

std::vector<X509Ptr> readBundle(const std::string& path) {
  std::vector<X509Ptr> out;
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "r"));
  if (!f) return out;
  while (X509* c = PEM_read_X509(f.get(), nullptr, nullptr, nullptr)) out.emplace_back(c);
  return out;
}

CrlPtr readCrl(const std::string& path) {
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) return nullptr;
  if (X509_CRL* crl = PEM_read_X509_CRL(f.get(), nullptr, nullptr, nullptr)) return CrlPtr(crl);
  std::rewind(f.get());
  return CrlPtr(d2i_X509_CRL_fp(f.get(), nullptr));
}

bool signatureOk(X509* cert, std::string_view challenge, std::string_view signature) {
  PkeyPtr key(X509_get_pubkey(cert));
  if (!key) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return false;
  // RSA: PKCS#1 v1.5 (the padding OpenSSL defaults to); EC: DER ECDSA.
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(
             ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
             reinterpret_cast<const unsigned char*>(challenge.data()), challenge.size()) == 1;
}

}  // namespace

std::string utcDay(std::int64_t t, const char* format) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

std::string codiceFiscaleOf(std::string_view der) {
  X509Ptr cert = parse(der);
  return cert ? codiceFiscaleIn(cert.get()) : std::string();
}

std::int64_t earliestExpiry(const std::string& pem_path) {
  std::int64_t earliest = 0;
  for (const auto& c : readBundle(pem_path)) {
    const std::int64_t t = timeOf(X509_get0_notAfter(c.get()));
    if (t != 0 && (earliest == 0 || t < earliest)) earliest = t;
  }
  return earliest;
}

std::int64_t crlNextUpdate(const std::string& path) {
  CrlPtr crl = readCrl(path);
  return crl ? timeOf(X509_CRL_get0_nextUpdate(crl.get())) : 0;
}

std::int64_t OpenSslCardVerifier::caExpiry() { return earliestExpiry(ca_bundle_); }

// OpenSSL's chain building runs on a stack of its own (CivetWeb's are small).
Result<domain::CardHolder> OpenSslCardVerifier::verify(const domain::CardProof& proof,
                                                       std::string_view challenge,
                                                       std::int64_t now) {
  return runOnOwnStack([&] { return verifyHere(proof, challenge, now); });
}

Result<domain::CardHolder> OpenSslCardVerifier::verifyHere(const domain::CardProof& proof,
                                                           std::string_view challenge,
                                                           std::int64_t now) {
  X509Ptr cert = parse(proof.certificate);
  if (!cert) {
    return fail(cardError(ErrorCode::kInvalid, "card_no_certificate",
                          "La carta non contiene un certificato di autenticazione leggibile. "
                          "Si rivolga allo sportello."));
  }
  const Described d = describe(cert.get(), proof.certificate);
  auto refuse = [&](ErrorCode code, const char* reason, const std::string& message) {
    Error e = cardError(code, reason, message);
    e.detail = auditText(d);
    return fail(std::move(e));
  };

  auto bundle = readBundle(ca_bundle_);
  if (bundle.empty()) {
    return refuse(ErrorCode::kUnavailable, "card_ca_missing",
                  "Il chiosco non può verificare le carte in questo momento: si rivolga al "
                  "personale dello sportello.");
  }
  StorePtr store(X509_STORE_new());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !ctx) return fail(Error::internal("openssl: out of memory"));
  for (const auto& c : bundle) X509_STORE_add_cert(store.get(), c.get());
  unsigned long flags = 0;
  if (!crl_.empty()) {
    CrlPtr crl = readCrl(crl_);
    if (!crl) {
      return refuse(ErrorCode::kUnavailable, "card_crl_expired",
                    "L'elenco delle carte revocate non è disponibile: il chiosco non può "
                    "verificare la carta. Si rivolga al personale dello sportello.");
    }
    X509_STORE_add_crl(store.get(), crl.get());
    flags |= X509_V_FLAG_CRL_CHECK;
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) != 1) {
    return fail(Error::internal("openssl: X509_STORE_CTX_init"));
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(now));
  X509_VERIFY_PARAM_set_flags(param, flags);
  if (X509_verify_cert(ctx.get()) != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    switch (err) {
      case X509_V_ERR_CERT_HAS_EXPIRED:
        return refuse(ErrorCode::kUnauthenticated, "card_expired",
                      "La carta è scaduta il " + utcDay(d.not_after, "%d/%m/%Y") +
                          ": per accedere serve una carta valida. Può chiedere aiuto allo "
                          "sportello.");
      case X509_V_ERR_CERT_NOT_YET_VALID:
        return refuse(ErrorCode::kUnauthenticated, "card_not_yet_valid",
                      "La carta non è ancora valida. Controlli la data del chiosco con il "
                      "personale dello sportello.");
      case X509_V_ERR_CERT_REVOKED:
        return refuse(ErrorCode::kUnauthenticated, "card_revoked",
                      "La carta risulta revocata e non può essere usata per accedere. Si "
                      "rivolga all'ente che l'ha emessa o allo sportello.");
      case X509_V_ERR_UNABLE_TO_GET_CRL:
      case X509_V_ERR_CRL_HAS_EXPIRED:
      case X509_V_ERR_CRL_NOT_YET_VALID:
      case X509_V_ERR_CRL_SIGNATURE_FAILURE:
      case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
        return refuse(ErrorCode::kUnavailable, "card_crl_expired",
                      "L'elenco delle carte revocate del chiosco non è aggiornato: il chiosco "
                      "non può verificare la carta. Si rivolga al personale dello sportello.");
      default:
        return refuse(ErrorCode::kUnauthenticated, "card_unknown_ca",
                      "La carta non è stata emessa da un'autorità riconosciuta da questo "
                      "chiosco. Si usano la carta d'identità elettronica e la tessera "
                      "sanitaria (CNS).");
    }
  }
  // An authentication certificate signs (digitalSignature); one made only
  // for the qualified signature (nonRepudiation alone) or for encryption is
  // not for logging in.
  if ((X509_get_extension_flags(cert.get()) & EXFLAG_KUSAGE) &&
      !(X509_get_key_usage(cert.get()) & KU_DIGITAL_SIGNATURE)) {
    return refuse(ErrorCode::kUnauthenticated, "card_key_usage",
                  "Il certificato letto dalla carta non è quello di autenticazione. Si "
                  "rivolga allo sportello.");
  }
  if (!signatureOk(cert.get(), challenge, proof.signature)) {
    return refuse(ErrorCode::kUnauthenticated, "card_signature_invalid",
                  "La carta non ha confermato l'identità. La tolga, la inserisca di nuovo e "
                  "riprovi.");
  }
  domain::CardHolder holder;
  holder.codice_fiscale = codiceFiscaleIn(cert.get());
  holder.name = d.subject_cn;
  holder.issuer = d.issuer;
  holder.serial = d.serial;
  holder.fingerprint = d.fingerprint;
  holder.not_after = d.not_after;
  if (holder.codice_fiscale.empty()) {
    return refuse(ErrorCode::kInvalid, "card_no_codice_fiscale",
                  "La carta non riporta un codice fiscale: per accedere serve la carta "
                  "d'identità elettronica o la tessera sanitaria. Può chiedere aiuto allo "
                  "sportello.");
  }
  return holder;
}

}  // namespace kiosk::devices

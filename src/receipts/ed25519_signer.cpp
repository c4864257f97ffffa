#include "receipts/ed25519_signer.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/crypto.h"

namespace kiosk::receipts {
namespace {

constexpr int kBase64 = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

Error keyError(const std::string& what) {
  return Error::unavailable("receipt_key_unavailable",
                            "Chiave delle ricevute non disponibile: " + what);
}

}  // namespace

Result<std::unique_ptr<Ed25519Signer>> Ed25519Signer::open(const std::string& path) {
  crypto::init();
  std::unique_ptr<Ed25519Signer> s(new Ed25519Signer());
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if ((st.st_mode & 077) != 0) {
      return fail(Error::invalid("insecure_key", path + " is readable by others: chmod 600 it"));
    }
    std::ifstream in(path);
    if (!in) {
      // Not "no key in it": the file is there but this user may not read it.
      return fail(Error::invalid("unreadable_key",
                                 path + " cannot be read: " + std::strerror(errno) +
                                     " (owned by another user? the kiosk runs as its own user)"));
    }
    std::string hex;
    in >> hex;
    std::size_t len = 0;
    if (hex.size() != 128 ||
        sodium_hex2bin(s->secret_.data(), s->secret_.size(), hex.data(), hex.size(), nullptr, &len,
                       nullptr) != 0 ||
        len != 64) {
      return fail(Error::invalid("bad_key", path + " does not hold an Ed25519 key"));
    }
    crypto_sign_ed25519_sk_to_pk(s->public_.data(), s->secret_.data());
    // The keyring's retired public keys, if any.
    std::ifstream retired(path + ".retired");
    std::string id, pub;
    while (retired >> id >> pub) {
      std::array<unsigned char, 32> key{};
      std::size_t n = 0;
      if (sodium_hex2bin(key.data(), key.size(), pub.data(), pub.size(), nullptr, &n, nullptr) !=
              0 ||
          n != key.size() || keyIdOf(key) != id) {
        return fail(Error::invalid("bad_key", path + ".retired holds a line that is not a key"));
      }
      s->retired_.push_back(key);
      s->retired_lines_.push_back(id + " " + pub);
    }
    return s;
  }
  crypto_sign_keypair(s->public_.data(), s->secret_.data());
  char hex[129];
  sodium_bin2hex(hex, sizeof hex, s->secret_.data(), s->secret_.size());
  // Its folder too, private (a kiosk's state folder on first start).
  if (const auto dir = std::filesystem::path(path).parent_path(); !dir.empty()) {
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec) && std::filesystem::create_directories(dir, ec)) {
      std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
    }
  }
  // O_EXCL: never overwrite a key another process just made.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return fail(keyError("cannot create " + path + ": " + std::strerror(errno)));
  const std::string line = std::string(hex) + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  sodium_memzero(hex, sizeof hex);
  if (!ok) return fail(keyError("cannot write " + path));
  return s;
}

std::string Ed25519Signer::sign(std::string_view message) {
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), secret_.data());
  char out[sodium_base64_ENCODED_LEN(crypto_sign_BYTES, kBase64)];
  sodium_bin2base64(out, sizeof out, sig, sizeof sig, kBase64);
  return out;
}

bool Ed25519Signer::verify(std::string_view message, std::string_view signature) {
  unsigned char sig[crypto_sign_BYTES];
  std::size_t len = 0;
  if (sodium_base642bin(sig, sizeof sig, signature.data(), signature.size(), nullptr, &len, nullptr,
                        kBase64) != 0 ||
      len != sizeof sig) {
    return false;
  }
  const auto* m = reinterpret_cast<const unsigned char*>(message.data());
  if (crypto_sign_verify_detached(sig, m, message.size(), public_.data()) == 0) return true;
  for (const auto& key : retired_) {
    if (crypto_sign_verify_detached(sig, m, message.size(), key.data()) == 0) return true;
  }
  return false;
}

bool Ed25519Signer::verifyWith(std::string_view public_key_hex,
                               std::string_view message,
                               std::string_view signature) {
  Ed25519Verifier verifier;
  return verifier.verifyWith(public_key_hex, message, signature);
}

bool Ed25519Verifier::verifyWith(std::string_view public_key_hex,
                                 std::string_view message,
                                 std::string_view signature) {
  crypto::init();
  std::array<unsigned char, 32> key{};
  std::size_t key_len = 0;
  unsigned char sig[crypto_sign_BYTES];
  std::size_t sig_len = 0;
  if (sodium_hex2bin(key.data(), key.size(), public_key_hex.data(), public_key_hex.size(), nullptr,
                     &key_len, nullptr) != 0 ||
      key_len != key.size() ||
      sodium_base642bin(sig, sizeof sig, signature.data(), signature.size(), nullptr, &sig_len,
                        nullptr, kBase64) != 0 ||
      sig_len != sizeof sig) {
    return false;
  }
  return crypto_sign_verify_detached(sig, reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), key.data()) == 0;
}

std::string Ed25519Signer::keyIdOf(const std::array<unsigned char, 32>& public_key) {
  return crypto::sha256Hex(
             std::string_view(reinterpret_cast<const char*>(public_key.data()), public_key.size()))
      .substr(0, 16);
}

Status Ed25519Signer::rotate(const std::string& path) {
  auto current = open(path);
  if (!current) return fail(current.error());
  {
    // Appended and synced before the old key goes: a crash between the two
    // steps leaves both keys usable, never neither.
    const int fd = ::open((path + ".retired").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd < 0) return fail(keyError("cannot write " + path + ".retired: " + std::strerror(errno)));
    const std::string line = (*current)->keyId() + " " + (*current)->publicKeyHex() + "\n";
    const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                    ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) return fail(keyError("cannot write " + path + ".retired"));
  }
  const std::string old = path + ".old";
  if (::rename(path.c_str(), old.c_str()) != 0) {
    return fail(keyError("cannot move " + path + ": " + std::strerror(errno)));
  }
  auto fresh = open(path);  // makes the new key
  if (!fresh) {
    (void)::rename(old.c_str(), path.c_str());
    return fail(fresh.error());
  }
  ::unlink(old.c_str());  // the old secret half is no longer needed
  return {};
}

std::string Ed25519Signer::publicKeyHex() const {
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, public_.data(), public_.size());
  return hex;
}

}  // namespace kiosk::receipts

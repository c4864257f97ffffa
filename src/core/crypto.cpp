#include "core/crypto.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <fstream>
#include <memory>
#include <vector>

namespace kiosk::crypto {
namespace {

std::string toHex(const unsigned char* data, std::size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, size);
  out.pop_back();
  return out;
}

const std::string& dummyHash() {
  static const std::string hash = hashSecret("cassetto-kiosk-timing-equaliser");
  return hash;
}

}  // namespace

bool init() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

std::string randomHex(std::size_t bytes) {
  init();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  return toHex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

std::string randomDigits(std::size_t count) {
  init();
  std::string out(count, '0');
  for (char& c : out) c = static_cast<char>('0' + randombytes_uniform(10));
  return out;
}

std::string sha256Hex(std::string_view data) {
  init();
  unsigned char digest[crypto_hash_sha256_BYTES];
  // Attachments go through OpenSSL, which uses the CPU's SHA instructions
  // (libsodium's portable code took ~20 ms for a 5 MiB send); short inputs
  // (session tokens) stay with libsodium, with no allocation or lookup.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  unsigned int size = 0;
  if (data.size() < 4096 || !kSha256 ||
      EVP_Digest(data.data(), data.size(), digest, &size, kSha256, nullptr) != 1 ||
      size != sizeof digest) {
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  }
  return toHex(digest, sizeof digest);
}

std::optional<FileDigest> sha256File(const std::string& path) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::ifstream in(path, std::ios::binary);
  if (!ctx || !in || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return std::nullopt;
  std::vector<char> piece(1 << 20);
  FileDigest out;
  while (in) {
    in.read(piece.data(), static_cast<std::streamsize>(piece.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    if (n > 0 && EVP_DigestUpdate(ctx.get(), piece.data(), n) != 1) return std::nullopt;
    out.size += n;
  }
  if (!in.eof()) return std::nullopt;  // a read error, not the end
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest, &size) != 1) return std::nullopt;
  out.sha256 = toHex(digest, size);
  return out;
}

std::string hashSecret(std::string_view secret) {
  init();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, secret.data(), secret.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return {};
  }
  return out;
}

bool verifySecret(std::string_view hash, std::string_view secret) {
  init();
  const std::string h(hash);  // needs a NUL-terminated string
  return !h.empty() && crypto_pwhash_str_verify(h.c_str(), secret.data(), secret.size()) == 0;
}

void burnVerification(std::string_view secret) { (void)verifySecret(dummyHash(), secret); }

}  // namespace kiosk::crypto

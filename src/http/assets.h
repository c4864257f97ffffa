// Assets: the web UI's files, compiled into the binary (webui/src as "app/…"
// and the parts of Bootstrap Italia as "vendor/bootstrap-italia/…"). One hash
// over all of them goes into the asset URLs, so that a browser may cache an
// asset for a year exactly when its URL carries the current hash.
//
// With a development folder (serve --webui-dir webui) the same paths are read
// from disk at each request instead: webui/src/… and
// webui/node_modules/bootstrap-italia/dist/…; only paths that are embedded
// are served, so the folder cannot expose anything else. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kiosk::http {

class Assets {
 public:
  explicit Assets(std::string dev_dir = {});

  // 16 hex characters of the SHA-256 of every embedded path and content.
  const std::string& hash() const { return hash_; }
  bool fromDisk() const { return !dev_dir_.empty(); }

  // The bytes of `path` ("app/js/app.js"); nullopt when there is no such asset.
  std::optional<std::string> load(std::string_view path) const;

  static std::string contentType(std::string_view path);

 private:
  std::string dev_dir_;
  std::string hash_;
};

}  // namespace kiosk::http

// CardDesk: the identity cards of tests/card/make_cards.sh behind the test
// reader module (tests/card/fake_reader.c), and the hands that put a card in
// the reader and take it out. Each CardDesk makes its own cards and reader
// state in a temporary folder; the environment it sets (SOFTHSM2_CONF,
// KIOSK_TEST_READER_DIR) is read by the module at each call.
#pragma once

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"
#include "support/shell.h"
#include "support/temp_dir.h"

namespace kiosk::test {

class CardDesk {
 public:
  CardDesk() {
    const auto [status, out] =
        run("bash " KIOSK_SOURCE_DIR "/tests/card/make_cards.sh " + dir_.file("cards") + " 2>&1");
    INFO(out);
    REQUIRE(status == 0);
    ::setenv("SOFTHSM2_CONF", file("softhsm2.conf").c_str(), 1);
    ::setenv("KIOSK_TEST_READER_DIR", reader().c_str(), 1);
  }

  std::string file(const std::string& name) const { return dir_.file("cards/" + name); }
  std::string reader() const { return file("reader"); }

  // The config of a kiosk with this reader, its CAs and its CRL.
  void configure(config::Config& c) const {
    c.card.module = KIOSK_TEST_READER_MODULE;
    c.card.ca_bundle = file("ca.pem");
    c.card.crl = file("crl.pem");
  }

  void insert(const std::string& label) { write("inserted", label); }
  void remove() { std::filesystem::remove(reader() + "/inserted"); }
  void unplugReader() { write("no-reader", ""); }
  void plugReader() { std::filesystem::remove(reader() + "/no-reader"); }
  void removeDuringNextLogin() { write("remove-on-login", ""); }
  // PIN tries the card has left (3 when none failed).
  int triesLeft(const std::string& label) const {
    std::ifstream in(reader() + "/tries-" + label);
    int n = 3;
    if (in) in >> n;
    return n;
  }

 private:
  void write(const std::string& name, const std::string& text) {
    std::ofstream(reader() + "/" + name) << text << "\n";
  }
  TempDir dir_;
};

}  // namespace kiosk::test

// Reads a whole file into a string (tests only); empty when it cannot.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace kiosk::test {

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace kiosk::test

// The Catch2 main, alone so that it compiles once. A test binary started
// with the scanner's helper flag is the scan's helper process (a scan runs
// in /proc/self/exe, as in the kiosk).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <string_view>

#include "devices/sane_scanner.h"

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == kiosk::devices::kScanHelperFlag) {
    kiosk::devices::scanHelperMain(argc, argv);
  }
  return Catch::Session().run(argc, argv);
}

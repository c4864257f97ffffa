// The Catch2 main, alone so that it compiles once. A test binary started
// with the scanner's helper flag is the scan's helper process (a scan runs
// in /proc/self/exe, as in the kiosk).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "devices/sane_scanner.h"

int main(int argc, char** argv) {
  kiosk::devices::runScanHelperIfAsked(argc, argv);
  return Catch::Session().run(argc, argv);
}

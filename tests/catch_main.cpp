// The Catch2 main, alone so that it compiles once.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#!/usr/bin/env bash
# Catch test names that ctest cannot pass back to Catch (a ';' splits the
# name, a '"' or a "'" ends it early) register a ctest entry that runs no test
# at all and "passes". Refuse them.
# Usage: test_names_test.sh TESTS_DIR
set -u
bad=$(grep -rnE 'TEST_CASE\("([^"\\]|\\.)*(;|\\")' "$1" --include=*.cpp)
if [ -n "$bad" ]; then
  echo "FAIL: test names ctest would not run (no ';' or '\"' in a TEST_CASE name):"
  echo "$bad"
  exit 1
fi
echo "ok - every TEST_CASE name reaches Catch through ctest"

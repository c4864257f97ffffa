// The subcommands of cassetto-kiosk (CONTRACT.md). Each returns the process
// exit status: 0 success, 1 runtime failure, 2 bad usage or configuration.
#pragma once

#include <string>
#include <vector>

namespace kiosk::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// argv without the program name and the command.
int runServe(const std::vector<std::string>& args);
int runImportArchive(const std::vector<std::string>& args);
int runSetPin(const std::vector<std::string>& args);
int runAddStaff(const std::vector<std::string>& args);
int runSelftest(const std::vector<std::string>& args);
int runAuditVerify(const std::vector<std::string>& args);
int runVerifyReceipt(const std::vector<std::string>& args);
int runOutbox(const std::vector<std::string>& args);
int runHashPassword(const std::vector<std::string>& args);
int runBackup(const std::vector<std::string>& args);
int runRestore(const std::vector<std::string>& args);
int runReceiptKey(const std::vector<std::string>& args);
int runMigrateDb(const std::vector<std::string>& args);

}  // namespace kiosk::app

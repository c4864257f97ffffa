#include "support/fault_disk.h"

#include <stdexcept>
#include <string>

namespace kiosk::test {

// A file of the fault VFS: the real file follows it in the same allocation.
struct FaultFile {
  sqlite3_file base;
  FaultDisk* disk;
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }

  static FaultFile* of(sqlite3_file* f) { return reinterpret_cast<FaultFile*>(f); }
  static const sqlite3_io_methods* realMethods(sqlite3_file* f) { return of(f)->real()->pMethods; }
  // True (and counted) when the disk refuses this write.
  static bool refuse(sqlite3_file* f) {
    FaultDisk* d = of(f)->disk;
    if (!d->full_) return false;
    ++d->refused_;
    return true;
  }
};

namespace {

// Every method passes to the real file; writes and growth fail while full.
int faultClose(sqlite3_file* f) {
  return FaultFile::realMethods(f)->xClose(FaultFile::of(f)->real());
}
int faultRead(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  return FaultFile::realMethods(f)->xRead(FaultFile::of(f)->real(), buf, n, off);
}
int faultWrite(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  if (FaultFile::refuse(f)) return SQLITE_FULL;
  return FaultFile::realMethods(f)->xWrite(FaultFile::of(f)->real(), buf, n, off);
}
int faultTruncate(sqlite3_file* f, sqlite3_int64 size) {
  sqlite3_int64 now = 0;
  if (FaultFile::realMethods(f)->xFileSize(FaultFile::of(f)->real(), &now) == SQLITE_OK &&
      size > now && FaultFile::refuse(f)) {
    return SQLITE_FULL;
  }
  return FaultFile::realMethods(f)->xTruncate(FaultFile::of(f)->real(), size);
}
int faultSync(sqlite3_file* f, int flags) {
  return FaultFile::realMethods(f)->xSync(FaultFile::of(f)->real(), flags);
}
int faultFileSize(sqlite3_file* f, sqlite3_int64* size) {
  return FaultFile::realMethods(f)->xFileSize(FaultFile::of(f)->real(), size);
}
int faultLock(sqlite3_file* f, int level) {
  return FaultFile::realMethods(f)->xLock(FaultFile::of(f)->real(), level);
}
int faultUnlock(sqlite3_file* f, int level) {
  return FaultFile::realMethods(f)->xUnlock(FaultFile::of(f)->real(), level);
}
int faultCheckReservedLock(sqlite3_file* f, int* out) {
  return FaultFile::realMethods(f)->xCheckReservedLock(FaultFile::of(f)->real(), out);
}
int faultFileControl(sqlite3_file* f, int op, void* arg) {
  return FaultFile::realMethods(f)->xFileControl(FaultFile::of(f)->real(), op, arg);
}
int faultSectorSize(sqlite3_file* f) {
  return FaultFile::realMethods(f)->xSectorSize(FaultFile::of(f)->real());
}
int faultDeviceCharacteristics(sqlite3_file* f) {
  return FaultFile::realMethods(f)->xDeviceCharacteristics(FaultFile::of(f)->real());
}
int faultShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return FaultFile::realMethods(f)->xShmMap(FaultFile::of(f)->real(), region, size, extend, out);
}
int faultShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return FaultFile::realMethods(f)->xShmLock(FaultFile::of(f)->real(), offset, n, flags);
}
void faultShmBarrier(sqlite3_file* f) {
  FaultFile::realMethods(f)->xShmBarrier(FaultFile::of(f)->real());
}
int faultShmUnmap(sqlite3_file* f, int del) {
  return FaultFile::realMethods(f)->xShmUnmap(FaultFile::of(f)->real(), del);
}
int faultFetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
  return FaultFile::realMethods(f)->xFetch(FaultFile::of(f)->real(), off, n, out);
}
int faultUnfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return FaultFile::realMethods(f)->xUnfetch(FaultFile::of(f)->real(), off, p);
}

const sqlite3_io_methods kFaultMethods = {3,
                                          faultClose,
                                          faultRead,
                                          faultWrite,
                                          faultTruncate,
                                          faultSync,
                                          faultFileSize,
                                          faultLock,
                                          faultUnlock,
                                          faultCheckReservedLock,
                                          faultFileControl,
                                          faultSectorSize,
                                          faultDeviceCharacteristics,
                                          faultShmMap,
                                          faultShmLock,
                                          faultShmBarrier,
                                          faultShmUnmap,
                                          faultFetch,
                                          faultUnfetch};

sqlite3_vfs* realOf(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

int faultOpen(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* out_flags);
int faultDelete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return realOf(vfs)->xDelete(realOf(vfs), name, sync_dir);
}
int faultAccess(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return realOf(vfs)->xAccess(realOf(vfs), name, flags, out);
}
int faultFullPathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
  return realOf(vfs)->xFullPathname(realOf(vfs), name, n, out);
}
void* faultDlOpen(sqlite3_vfs* vfs, const char* name) {
  return realOf(vfs)->xDlOpen(realOf(vfs), name);
}
void faultDlError(sqlite3_vfs* vfs, int n, char* out) {
  realOf(vfs)->xDlError(realOf(vfs), n, out);
}
void (*faultDlSym(sqlite3_vfs* vfs, void* h, const char* sym))(void) {
  return realOf(vfs)->xDlSym(realOf(vfs), h, sym);
}
void faultDlClose(sqlite3_vfs* vfs, void* h) { realOf(vfs)->xDlClose(realOf(vfs), h); }
int faultRandomness(sqlite3_vfs* vfs, int n, char* out) {
  return realOf(vfs)->xRandomness(realOf(vfs), n, out);
}
int faultSleep(sqlite3_vfs* vfs, int us) { return realOf(vfs)->xSleep(realOf(vfs), us); }
int faultCurrentTime(sqlite3_vfs* vfs, double* out) {
  return realOf(vfs)->xCurrentTime(realOf(vfs), out);
}
int faultGetLastError(sqlite3_vfs* vfs, int n, char* out) {
  return realOf(vfs)->xGetLastError(realOf(vfs), n, out);
}
int faultCurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return realOf(vfs)->xCurrentTimeInt64(realOf(vfs), out);
}

// The FaultDisk whose VFS is registered (one at a time).
FaultDisk* g_disk = nullptr;

int faultOpen(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  auto* file = FaultFile::of(f);
  file->base.pMethods = nullptr;
  file->disk = g_disk;
  const int rc = realOf(vfs)->xOpen(realOf(vfs), name, file->real(), flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  file->base.pMethods = &kFaultMethods;
  return SQLITE_OK;
}

// The wrapped store: free bytes from the disk, everything else its own.
class ReportingStore final : public domain::Store {
 public:
  ReportingStore(std::unique_ptr<domain::Store> inner, const FaultDisk& disk)
      : inner_(std::move(inner)), disk_(disk) {}
  Result<std::unique_ptr<domain::Transaction>> begin(domain::TxMode mode) override {
    return inner_->begin(mode);
  }
  Status ping() override { return inner_->ping(); }
  Status checkWritable() override { return inner_->checkWritable(); }
  std::optional<std::uint64_t> freeBytes() override {
    if (auto set = disk_.freeBytes()) return set;
    return inner_->freeBytes();
  }
  std::string describe() const override { return inner_->describe(); }
  std::chrono::milliseconds listNewsDelay() const override { return inner_->listNewsDelay(); }

 private:
  std::unique_ptr<domain::Store> inner_;
  const FaultDisk& disk_;
};

}  // namespace

FaultDisk::FaultDisk() {
  if (g_disk) throw std::logic_error("one FaultDisk at a time");
  real_ = sqlite3_vfs_find(nullptr);
  if (!real_) throw std::runtime_error("no SQLite VFS");
  vfs_.iVersion = 2;
  vfs_.szOsFile = static_cast<int>(sizeof(FaultFile)) + real_->szOsFile;
  vfs_.mxPathname = real_->mxPathname;
  vfs_.zName = "kiosk-fault-disk";
  vfs_.pAppData = real_;
  vfs_.xOpen = faultOpen;
  vfs_.xDelete = faultDelete;
  vfs_.xAccess = faultAccess;
  vfs_.xFullPathname = faultFullPathname;
  vfs_.xDlOpen = faultDlOpen;
  vfs_.xDlError = faultDlError;
  vfs_.xDlSym = faultDlSym;
  vfs_.xDlClose = faultDlClose;
  vfs_.xRandomness = faultRandomness;
  vfs_.xSleep = faultSleep;
  vfs_.xCurrentTime = faultCurrentTime;
  vfs_.xGetLastError = faultGetLastError;
  vfs_.xCurrentTimeInt64 = faultCurrentTimeInt64;
  g_disk = this;
  if (sqlite3_vfs_register(&vfs_, 1) != SQLITE_OK) {
    g_disk = nullptr;
    throw std::runtime_error("cannot register the fault VFS");
  }
}

FaultDisk::~FaultDisk() {
  sqlite3_vfs_unregister(&vfs_);
  sqlite3_vfs_register(real_, 1);  // the real one is the default again
  g_disk = nullptr;
}

std::unique_ptr<domain::Store> FaultDisk::wrap(std::unique_ptr<domain::Store> store) {
  return std::make_unique<ReportingStore>(std::move(store), *this);
}

}  // namespace kiosk::test

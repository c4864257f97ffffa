/* A card reader for the tests: a PKCS#11 module that shows one SoftHSM2
 * token as the card in a removable reader, and gives it what a smart card
 * has and SoftHSM2 lacks: a PIN try counter that blocks the card.
 *
 * It forwards to SoftHSM2 (KIOSK_TEST_READER_UNDER, default Debian's
 * libsofthsm2.so; SOFTHSM2_CONF names its tokens) and reads its state from
 * files in KIOSK_TEST_READER_DIR, which the test writes as a person would
 * act at the desk:
 *   inserted          the label of the token in the reader; absent: no card
 *   no-reader         present: the reader is unplugged (no slot at all)
 *   remove-on-login   present: the card is pulled out while the PIN is checked
 *   tries-LABEL       PIN tries left on that card (3 when absent; 0 blocked)
 * Built only for the tests (tests/CMakeLists.txt), never installed. */
#include <dlfcn.h>
#include <p11-kit/pkcs11.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READER_SLOT ((CK_SLOT_ID)7)
#define MAX_TRIES 3

static CK_FUNCTION_LIST mine;
static CK_FUNCTION_LIST_PTR under;

static void path_of(char *out, size_t size, const char *name) {
  const char *dir = getenv("KIOSK_TEST_READER_DIR");
  snprintf(out, size, "%s/%s", dir ? dir : "/nonexistent", name);
}

static int exists(const char *name) {
  char path[4096];
  path_of(path, sizeof path, name);
  return access(path, F_OK) == 0;
}

/* The label of the card in the reader, or "" when there is none. */
static void inserted(char *label, size_t size) {
  char path[4096];
  label[0] = 0;
  path_of(path, sizeof path, "inserted");
  FILE *f = fopen(path, "r");
  if (!f) return;
  if (!fgets(label, (int)size, f)) label[0] = 0;
  fclose(f);
  label[strcspn(label, "\r\n")] = 0;
}

static int tries_left(const char *label) {
  char name[256], path[4096];
  snprintf(name, sizeof name, "tries-%s", label);
  path_of(path, sizeof path, name);
  FILE *f = fopen(path, "r");
  if (!f) return MAX_TRIES;
  int n = MAX_TRIES;
  if (fscanf(f, "%d", &n) != 1) n = MAX_TRIES;
  fclose(f);
  return n;
}

static void set_tries(const char *label, int n) {
  char name[256], path[4096];
  snprintf(name, sizeof name, "tries-%s", label);
  path_of(path, sizeof path, name);
  FILE *f = fopen(path, "w");
  if (!f) return;
  fprintf(f, "%d\n", n);
  fclose(f);
}

/* The SoftHSM2 slot holding the token in the reader; CKR_TOKEN_NOT_PRESENT without one. */
static CK_RV under_slot(CK_SLOT_ID *slot, char *label, size_t label_size) {
  char want[64];
  inserted(want, sizeof want);
  if (label) snprintf(label, label_size, "%s", want);
  if (!want[0] || exists("no-reader")) return CKR_TOKEN_NOT_PRESENT;
  CK_SLOT_ID slots[64];
  CK_ULONG n = 64;
  CK_RV rv = under->C_GetSlotList(CK_TRUE, slots, &n);
  if (rv != CKR_OK) return rv;
  for (CK_ULONG i = 0; i < n; ++i) {
    CK_TOKEN_INFO info;
    if (under->C_GetTokenInfo(slots[i], &info) != CKR_OK) continue;
    char got[33];
    memcpy(got, info.label, 32);
    got[32] = 0;
    for (int j = 31; j >= 0 && got[j] == ' '; --j) got[j] = 0;
    if (strcmp(got, want) == 0) {
      *slot = slots[i];
      return CKR_OK;
    }
  }
  return CKR_TOKEN_NOT_PRESENT;
}

static CK_RV present(void) {
  CK_SLOT_ID slot;
  return under_slot(&slot, NULL, 0) == CKR_OK ? CKR_OK : CKR_DEVICE_REMOVED;
}

static CK_RV my_GetSlotList(CK_BBOOL token_present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count) {
  if (!count) return CKR_ARGUMENTS_BAD;
  CK_SLOT_ID slot;
  CK_ULONG n = exists("no-reader") ? 0 : 1;
  if (n && token_present && under_slot(&slot, NULL, 0) != CKR_OK) n = 0;
  if (!list) {
    *count = n;
    return CKR_OK;
  }
  if (*count < n) {
    *count = n;
    return CKR_BUFFER_TOO_SMALL;
  }
  if (n) list[0] = READER_SLOT;
  *count = n;
  return CKR_OK;
}

static void pad(CK_UTF8CHAR *field, size_t size, const char *text) {
  memset(field, ' ', size);
  memcpy(field, text, strlen(text) < size ? strlen(text) : size);
}

static CK_RV my_GetSlotInfo(CK_SLOT_ID id, CK_SLOT_INFO_PTR info) {
  if (id != READER_SLOT || exists("no-reader")) return CKR_SLOT_ID_INVALID;
  memset(info, 0, sizeof *info);
  pad(info->slotDescription, sizeof info->slotDescription, "Lettore di prova (SoftHSM2)");
  pad(info->manufacturerID, sizeof info->manufacturerID, "Cassetto Kiosk test");
  CK_SLOT_ID slot;
  info->flags = CKF_REMOVABLE_DEVICE | CKF_HW_SLOT;
  if (under_slot(&slot, NULL, 0) == CKR_OK) info->flags |= CKF_TOKEN_PRESENT;
  return CKR_OK;
}

static CK_RV my_GetTokenInfo(CK_SLOT_ID id, CK_TOKEN_INFO_PTR info) {
  if (id != READER_SLOT || exists("no-reader")) return CKR_SLOT_ID_INVALID;
  CK_SLOT_ID slot;
  char label[64];
  CK_RV rv = under_slot(&slot, label, sizeof label);
  if (rv != CKR_OK) return rv;
  rv = under->C_GetTokenInfo(slot, info);
  if (rv != CKR_OK) return rv;
  /* The counter as OpenSC reports a card's (pkcs11/framework-pkcs15.c). */
  info->flags &= ~(CK_FLAGS)(CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED);
  const int left = tries_left(label);
  if (left <= 0)
    info->flags |= CKF_USER_PIN_LOCKED;
  else if (left == 1)
    info->flags |= CKF_USER_PIN_FINAL_TRY;
  else if (left < MAX_TRIES)
    info->flags |= CKF_USER_PIN_COUNT_LOW;
  return CKR_OK;
}

static CK_RV my_GetMechanismList(CK_SLOT_ID id, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count) {
  CK_SLOT_ID slot;
  if (id != READER_SLOT) return CKR_SLOT_ID_INVALID;
  CK_RV rv = under_slot(&slot, NULL, 0);
  return rv != CKR_OK ? rv : under->C_GetMechanismList(slot, list, count);
}

static CK_RV my_GetMechanismInfo(CK_SLOT_ID id, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info) {
  CK_SLOT_ID slot;
  if (id != READER_SLOT) return CKR_SLOT_ID_INVALID;
  CK_RV rv = under_slot(&slot, NULL, 0);
  return rv != CKR_OK ? rv : under->C_GetMechanismInfo(slot, type, info);
}

static CK_RV my_OpenSession(CK_SLOT_ID id, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify,
                            CK_SESSION_HANDLE_PTR session) {
  CK_SLOT_ID slot;
  if (id != READER_SLOT || exists("no-reader")) return CKR_SLOT_ID_INVALID;
  CK_RV rv = under_slot(&slot, NULL, 0);
  return rv != CKR_OK ? rv : under->C_OpenSession(slot, flags, app, notify, session);
}

static CK_RV my_CloseAllSessions(CK_SLOT_ID id) {
  CK_SLOT_ID slot;
  if (id != READER_SLOT) return CKR_SLOT_ID_INVALID;
  CK_RV rv = under_slot(&slot, NULL, 0);
  return rv != CKR_OK ? CKR_OK : under->C_CloseAllSessions(slot);
}

static CK_RV my_GetSessionInfo(CK_SESSION_HANDLE session, CK_SESSION_INFO_PTR info) {
  CK_RV rv = under->C_GetSessionInfo(session, info);
  if (rv == CKR_OK) info->slotID = READER_SLOT;
  return rv;
}

static CK_RV my_Login(CK_SESSION_HANDLE session, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin,
                      CK_ULONG pin_len) {
  CK_SLOT_ID slot;
  char label[64];
  if (under_slot(&slot, label, sizeof label) != CKR_OK) return CKR_DEVICE_REMOVED;
  if (exists("remove-on-login")) {
    char path[4096];
    path_of(path, sizeof path, "inserted");
    unlink(path);
    return CKR_DEVICE_REMOVED;
  }
  if (user != CKU_USER) return under->C_Login(session, user, pin, pin_len);
  const int left = tries_left(label);
  if (left <= 0) return CKR_PIN_LOCKED;
  CK_RV rv = under->C_Login(session, user, pin, pin_len);
  if (rv == CKR_PIN_INCORRECT) {
    set_tries(label, left - 1);
  } else if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) {
    set_tries(label, MAX_TRIES);
  }
  return rv;
}

/* Every call on a session of a card that has gone answers as a reader does. */
static CK_RV my_FindObjectsInit(CK_SESSION_HANDLE s, CK_ATTRIBUTE_PTR t, CK_ULONG n) {
  CK_RV rv = present();
  return rv != CKR_OK ? rv : under->C_FindObjectsInit(s, t, n);
}
static CK_RV my_GetAttributeValue(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t,
                                  CK_ULONG n) {
  CK_RV rv = present();
  return rv != CKR_OK ? rv : under->C_GetAttributeValue(s, o, t, n);
}
static CK_RV my_SignInit(CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k) {
  CK_RV rv = present();
  return rv != CKR_OK ? rv : under->C_SignInit(s, m, k);
}
static CK_RV my_Sign(CK_SESSION_HANDLE s, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR sig,
                     CK_ULONG_PTR sl) {
  CK_RV rv = present();
  return rv != CKR_OK ? rv : under->C_Sign(s, d, dl, sig, sl);
}
static CK_RV my_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR reserved) {
  (void)flags, (void)slot, (void)reserved;
  return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list) {
  if (!list) return CKR_ARGUMENTS_BAD;
  if (!under) {
    const char *path = getenv("KIOSK_TEST_READER_UNDER");
    void *lib = dlopen(path ? path : "/usr/lib/softhsm/libsofthsm2.so", RTLD_NOW | RTLD_LOCAL);
    if (!lib) return CKR_GENERAL_ERROR;
    CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList");
    if (!get || get(&under) != CKR_OK) return CKR_GENERAL_ERROR;
    mine = *under;
    mine.C_GetSlotList = my_GetSlotList;
    mine.C_GetSlotInfo = my_GetSlotInfo;
    mine.C_GetTokenInfo = my_GetTokenInfo;
    mine.C_GetMechanismList = my_GetMechanismList;
    mine.C_GetMechanismInfo = my_GetMechanismInfo;
    mine.C_OpenSession = my_OpenSession;
    mine.C_CloseAllSessions = my_CloseAllSessions;
    mine.C_GetSessionInfo = my_GetSessionInfo;
    mine.C_Login = my_Login;
    mine.C_FindObjectsInit = my_FindObjectsInit;
    mine.C_GetAttributeValue = my_GetAttributeValue;
    mine.C_SignInit = my_SignInit;
    mine.C_Sign = my_Sign;
    mine.C_WaitForSlotEvent = my_WaitForSlotEvent;
  }
  *list = &mine;
  return CKR_OK;
}

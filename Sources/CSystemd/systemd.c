// libsystemd, loaded when the process runs under systemd and not before.
//
// Linking libsystemd.so.0 would load it and the six libraries it needs (libcap, libgcrypt,
// libgpg-error, liblzma, libzstd, liblz4) into every process of the binary: the supervisor,
// each child and each command-line call, about 0.35 MiB of PSS and their relocations apiece.
// Only a supervisor or beat that systemd started talks to systemd, and only through two
// functions; so they are looked up once, when the environment names a notify socket or a
// watchdog.
#include "CSystemd.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static __typeof__(sd_notify) *notify_function;
static __typeof__(sd_watchdog_enabled) *watchdog_function;
static char load_error[256];

static void load_systemd(void) {
  void *library = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (library == NULL) {
    const char *reason = dlerror();
    snprintf(load_error, sizeof load_error, "%s", reason ? reason : "libsystemd.so.0: not found");
    return;
  }
  notify_function = (__typeof__(sd_notify) *)dlsym(library, "sd_notify");
  watchdog_function = (__typeof__(sd_watchdog_enabled) *)dlsym(library, "sd_watchdog_enabled");
  if (notify_function == NULL || watchdog_function == NULL) {
    notify_function = NULL;
    watchdog_function = NULL;
    snprintf(load_error, sizeof load_error,
             "libsystemd.so.0 has no sd_notify or sd_watchdog_enabled");
  }
}

// Whether systemd gave this process anything to talk to. Read-only use of the environment:
// the supervisor never changes its own (children get a list of their own).
static int systemd_is_listening(void) {
  return getenv("NOTIFY_SOCKET") != NULL || getenv("WATCHDOG_USEC") != NULL;
}

int celeriac_sd_notify(int unset_environment, const char *state) {
  if (!systemd_is_listening()) return 0;
  pthread_once(&load_once, load_systemd);
  if (notify_function == NULL) return -ELIBACC;
  return notify_function(unset_environment, state);
}

int celeriac_sd_watchdog_enabled(int unset_environment, uint64_t *usec) {
  if (!systemd_is_listening()) return 0;
  pthread_once(&load_once, load_systemd);
  if (watchdog_function == NULL) return -ELIBACC;
  return watchdog_function(unset_environment, usec);
}

const char *celeriac_systemd_load_error(void) {
  return load_error[0] == '\0' ? NULL : load_error;
}

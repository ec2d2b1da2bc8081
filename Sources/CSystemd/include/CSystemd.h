#ifndef CELERIAC_CSYSTEMD_H
#define CELERIAC_CSYSTEMD_H

#include <stdint.h>

/// libsystemd's `sd_notify`, from libsystemd.so.0 loaded on first use. Returns 0 without
/// loading anything when neither `NOTIFY_SOCKET` nor `WATCHDOG_USEC` is set (what libsystemd
/// itself returns then), and -ELIBACC when they are set but the library cannot be loaded
/// (celeriac_systemd_load_error() says why).
int celeriac_sd_notify(int unset_environment, const char *state);

/// libsystemd's `sd_watchdog_enabled`, loaded and answered as celeriac_sd_notify().
int celeriac_sd_watchdog_enabled(int unset_environment, uint64_t *usec);

/// Why libsystemd.so.0 could not be loaded, or NULL when it was (or was never needed).
const char *celeriac_systemd_load_error(void);

#endif

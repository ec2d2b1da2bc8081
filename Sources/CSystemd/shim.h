#ifndef CELERIAC_CSYSTEMD_SHIM_H
#define CELERIAC_CSYSTEMD_SHIM_H
#include <systemd/sd-daemon.h>
#endif

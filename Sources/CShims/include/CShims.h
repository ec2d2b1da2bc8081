#ifndef CELERIAC_CSHIMS_H
#define CELERIAC_CSHIMS_H

#include <sys/types.h>
#include <stdint.h>

/// Asks the kernel to send `signal` to the calling process when the thread that spawned it
/// exits. Returns 0 on success, -1 with errno set otherwise.
int celeriac_set_parent_death_signal(int signal);

/// Opens a pidfd for `pid` (Linux 5.3+). Returns the descriptor, or -1 with errno set.
int celeriac_pidfd_open(pid_t pid);

/// Spawns `path` with `argv` and `envp` through posix_spawn, with an empty signal mask, every
/// signal set to its default disposition, and the given descriptors mapped: for each i,
/// `source_fds[i]` becomes `target_fds[i]` in the child. All other descriptors above 2 are
/// closed in the child. Returns 0 and stores the pid, or an errno value.
int celeriac_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                   const int *source_fds, const int *target_fds, int fd_count);

/// Installs `handler` for `signal` with SA_RESTART, with every signal blocked while it runs.
/// Returns 0 on success, -1 with errno set.
int celeriac_install_signal_handler(int signal, void (*handler)(int));

/// Resets `signal` to its default disposition. Returns 0 on success, -1 with errno set.
int celeriac_reset_signal_handler(int signal);

/// Ignores `signal` in the calling process. Returns 0 on success, -1 with errno set.
int celeriac_ignore_signal(int signal);

/// Unblocks every signal in the calling thread. Returns 0 on success, an errno value otherwise.
int celeriac_unblock_all_signals(void);

/// Creates a pipe whose ends are non-blocking and close-on-exec. Returns 0 or -1 with errno.
int celeriac_nonblocking_pipe(int fds[2]);

/// The CLOCK_MONOTONIC time in microseconds (what systemd's MONOTONIC_USEC expects).
uint64_t celeriac_monotonic_usec(void);

#endif

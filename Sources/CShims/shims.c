#define _GNU_SOURCE
#include "CShims.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int celeriac_set_parent_death_signal(int signal) {
  return prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0);
}

int celeriac_pidfd_open(pid_t pid) {
  return (int)syscall(SYS_pidfd_open, pid, 0);
}

int celeriac_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                   const int *source_fds, const int *target_fds, int fd_count) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  int status = posix_spawn_file_actions_init(&actions);
  if (status != 0) return status;
  status = posix_spawnattr_init(&attributes);
  if (status != 0) {
    posix_spawn_file_actions_destroy(&actions);
    return status;
  }
  for (int i = 0; i < fd_count && status == 0; i++) {
    status = posix_spawn_file_actions_adddup2(&actions, source_fds[i], target_fds[i]);
  }
  int highest = 2;
  for (int i = 0; i < fd_count; i++) {
    if (target_fds[i] > highest) highest = target_fds[i];
  }
  if (status == 0) status = posix_spawn_file_actions_addclosefrom_np(&actions, highest + 1);
  sigset_t empty, all;
  sigemptyset(&empty);
  sigfillset(&all);
  if (status == 0) status = posix_spawnattr_setsigmask(&attributes, &empty);
  if (status == 0) status = posix_spawnattr_setsigdefault(&attributes, &all);
  if (status == 0) {
    status = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }
  if (status == 0) status = posix_spawn(pid, path, &actions, &attributes, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  return status;
}

int celeriac_install_signal_handler(int signal, void (*handler)(int)) {
  struct sigaction action = {0};
  action.sa_handler = handler;
  sigfillset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  return sigaction(signal, &action, NULL);
}

int celeriac_reset_signal_handler(int signal) {
  struct sigaction action = {0};
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  return sigaction(signal, &action, NULL);
}

int celeriac_ignore_signal(int signal) {
  struct sigaction action = {0};
  action.sa_handler = SIG_IGN;
  sigemptyset(&action.sa_mask);
  return sigaction(signal, &action, NULL);
}

int celeriac_unblock_all_signals(void) {
  sigset_t empty;
  sigemptyset(&empty);
  return pthread_sigmask(SIG_SETMASK, &empty, NULL);
}

uint64_t celeriac_monotonic_usec(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
}

int celeriac_nonblocking_pipe(int fds[2]) {
  return pipe2(fds, O_NONBLOCK | O_CLOEXEC);
}

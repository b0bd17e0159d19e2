/*
 * preview_sandbox.h - the walls scanpost-preview puts up around itself
 * before it reads a byte of a document (README, "Preview before sending").
 */
#ifndef SCANPOST_PREVIEW_SANDBOX_H
#define SCANPOST_PREVIEW_SANDBOX_H

struct sandbox_limits {
	long cpu_seconds;  /* RLIMIT_CPU: SIGXCPU, then SIGKILL one second later */
	long memory_bytes; /* RLIMIT_AS: allocations fail above it */
};

/* Closes every descriptor above stderr (the api's sockets and anything
 * else inherited), then sets RLIMIT_CPU, RLIMIT_AS, RLIMIT_CORE = 0 and
 * RLIMIT_FSIZE = 0 (soft = hard, so they cannot be raised).  0 or -1. */
int sandbox_limits_apply(const struct sandbox_limits *l);

/* After the libraries are initialised: RLIMIT_NOFILE = 0 (no new
 * descriptor of any kind), then the seccomp filter: read on stdin, write
 * on stdout and stderr, memory without PROT_EXEC, futex, time, exit.
 * Every other system call fails with EPERM (open* with EACCES, so a
 * library looking for a font or a CMap falls back), and the calls that
 * would reach outside -- exec, fork/clone, sockets, ptrace -- kill the
 * process.  0 or -1 (the caller must then not go on). */
int sandbox_lock(void);

#endif

/*
 * preview_sandbox.c - rlimits and the seccomp filter of scanpost-preview.
 */
#include "preview_sandbox.h"

#include <errno.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

static int limit_set(int resource, rlim_t v)
{
	struct rlimit rl = {v, v};

	return setrlimit(resource, &rl);
}

int sandbox_limits_apply(const struct sandbox_limits *l)
{
	if (close_range(3, ~0U, 0) != 0)
		return -1;
	if (limit_set(RLIMIT_CORE, 0) != 0 || limit_set(RLIMIT_FSIZE, 0) != 0 ||
	    limit_set(RLIMIT_CPU, (rlim_t)l->cpu_seconds) != 0 ||
	    limit_set(RLIMIT_AS, (rlim_t)l->memory_bytes) != 0)
		return -1;
	return 0;
}

/* Calls that rendering never makes and that would reach outside the
 * process: a hostile file that gets this far is stopped at once. */
static const int killed[] = {
    SCMP_SYS(execve),
    SCMP_SYS(execveat),
    SCMP_SYS(fork),
    SCMP_SYS(vfork),
    SCMP_SYS(clone),
    SCMP_SYS(clone3),
    SCMP_SYS(socket),
    SCMP_SYS(socketpair),
    SCMP_SYS(connect),
    SCMP_SYS(bind),
    SCMP_SYS(listen),
    SCMP_SYS(accept),
    SCMP_SYS(accept4),
    SCMP_SYS(sendto),
    SCMP_SYS(sendmsg),
    SCMP_SYS(recvfrom),
    SCMP_SYS(recvmsg),
    SCMP_SYS(ptrace),
    SCMP_SYS(kill),
    SCMP_SYS(tgkill),
    SCMP_SYS(setrlimit),
    SCMP_SYS(prlimit64),
    SCMP_SYS(process_vm_readv),
    SCMP_SYS(process_vm_writev),
};

/* What rendering from memory to memory needs. */
static const int allowed[] = {
    SCMP_SYS(close),         SCMP_SYS(munmap),
    SCMP_SYS(mremap),        SCMP_SYS(brk),
    SCMP_SYS(madvise),       SCMP_SYS(futex),
    SCMP_SYS(exit),          SCMP_SYS(exit_group),
    SCMP_SYS(rt_sigreturn),  SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres),
    SCMP_SYS(gettimeofday),  SCMP_SYS(getrandom),
    SCMP_SYS(getpid),        SCMP_SYS(gettid),
    SCMP_SYS(sched_yield),
};

static const int no_files[] = {
    SCMP_SYS(open),
    SCMP_SYS(openat),
    SCMP_SYS(openat2),
    SCMP_SYS(creat),
};

int sandbox_lock(void)
{
	scmp_filter_ctx ctx;
	int rc = -1;

	if (limit_set(RLIMIT_NOFILE, 0) != 0)
		return -1;
	if ((ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM))) == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(killed) / sizeof(killed[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, killed[i], 0) != 0)
			goto out;
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0) != 0)
			goto out;
	for (size_t i = 0; i < sizeof(no_files) / sizeof(no_files[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), no_files[i], 0) != 0)
			goto out;
	/* Reads from the document, writes of the answer (and stderr). */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(read), 1, SCMP_A0(SCMP_CMP_EQ, 0)) ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_EQ, 1)) ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_EQ, 2)))
		goto out;
	/* Memory, never executable: no code can be written and then run. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
	                     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
	                     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)))
		goto out;
	rc = seccomp_load(ctx) == 0 ? 0 : -1;
out:
	seccomp_release(ctx);
	return rc;
}

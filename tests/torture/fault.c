/*
 * fault.c: an LD_PRELOAD library that makes the N-th call of a fallible
 * function fail, so that tests/torture can walk every error path of an
 * operation the way SQLite's I/O-error loops and curl's torture mode
 * do: count the calls an operation makes (K), then run it once per N in
 * 1..K with call N failing, and check that nothing was lost.
 *
 * Built by the test harness (Makefile.am) as tests/torture/fault.so,
 * with the project's compiler but none of its sanitizer flags, and
 * given only to the processes under test (venna-fcgi, venna-batch,
 * vennactl), never to the web server or the clients.
 *
 * Wrapped: write, pwrite(64), writev, pwritev(64), fsync, fdatasync,
 * rename, renameat, renameat2, open(64), openat(64), creat(64) (only
 * opens that may write: O_WRONLY, O_RDWR or O_CREAT; counted as
 * "open"), read, pread(64), malloc, calloc, realloc (strdup and the
 * rest of libc allocate through malloc, so they are counted there).
 *
 * Control.  VENNA_FAULT_CTL names a control file of CTL_SIZE bytes,
 * made by the driver before the process starts; every process maps it
 * shared, so the driver arms, re-arms and reads it at any time without
 * restarting anything.  Its first CTL_TEXT bytes are a text line:
 *
 *	GEN fn=NAME n=N mode=once|from|torn errno=NAME pid=PID prog=NAME
 *	    trace=1
 *
 * GEN is a number the driver increments on each change (a process
 * re-reads the line when it differs).  fn=none (or a missing line)
 * only counts; fn=off disarms: nothing is counted or failed, which is
 * how startup is excluded.  pid=0 counts in every process that has
 * this library; otherwise only in that one (a venna-fcgi worker, not
 * its master); prog=NAME only in the programs of that name.
 * mode=once fails call N only; from fails N and every later call;
 * torn writes or reads only part of the buffer of call N
 * and returns the short count (write, pwrite, writev, read, pread;
 * "once" for the others).  errno is ENOSPC, EIO, ENOMEM, ... or a
 * number (the default: ENOMEM for allocations, EIO otherwise).
 *
 * From byte CTL_TEXT on, the file holds what this library counts, as
 * native 64-bit integers (struct shared): how many faults were
 * injected, the pid of the first process that injected one, then one
 * counter per function in the order of fn_name[].  Counting is always
 * on while armed, so a run with fn=none tells the driver K.
 *
 * With trace=1 every counted call is logged to VENNA_FAULT_CTL.trace
 * ("fn N pid frame frame ..."), so the driver learns which call sites
 * an operation reaches, and with which N.
 *
 * Where each fault struck goes to VENNA_FAULT_CTL.site (the first one
 * of a run: the call, its N, and the caller's stack), and a crash of a
 * process that got a fault (SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL)
 * to VENNA_FAULT_CTL.crash with its stack, so the driver can tell a
 * crash inside libfcgi or json-c from one of ours.  Frames are written
 * as "module+0xOFFSET symbol", for addr2line.
 *
 * Not counted or failed: calls made by this library itself (a
 * thread-local flag), calls made by the dynamic loader (their caller
 * lies in ld.so), and calls before the control file was mapped.
 * Counters are atomic and shared; the configuration is re-read under a
 * mutex that never allocates (and that fork() waits for).  The driver
 * rewrites the line only between runs, while the process under test is
 * idle, so no thread acts on half of it.  Allocations made while
 * dlsym() resolves the real functions come from a small static arena.
 *
 * Under ASan or UBSan the crash handlers are not installed (the
 * sanitizer reports crashes itself), and with ASan linked statically
 * its allocator comes before this library: allocations are then not
 * counted or failed, the other calls are.  Under ThreadSanitizer, a
 * shared runtime after this library, allocations are failed and the
 * crash handlers are installed (see fault_init()).
 */
#define _GNU_SOURCE
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CTL_SIZE	4096
#define CTL_TEXT	512	/* the driver's line */
#define GEN_LEN		24	/* leading bytes that identify a version */
#define ARENA_SIZE	(64 * 1024)
#define MAX_FRAMES	24
#define TRACE_FRAMES	12	/* frames kept per traced call */
#define EXPORT		__attribute__((visibility("default")))

enum fn {
	F_WRITE, F_PWRITE, F_WRITEV, F_FSYNC, F_FDATASYNC, F_RENAME, F_OPEN,
	F_READ, F_PREAD, F_MALLOC, F_CALLOC, F_REALLOC, F__MAX
};

/* The names the driver uses, in counter order. */
static const char *const fn_name[F__MAX] = {
	"write", "pwrite", "writev", "fsync", "fdatasync", "rename", "open",
	"read", "pread", "malloc", "calloc", "realloc",
};

enum mode { M_ONCE, M_FROM, M_TORN };

/* What the control file holds after the text line. */
struct shared {
	uint64_t	 fired;		/* faults injected */
	uint64_t	 fired_pid;	/* the first process that got one */
	uint64_t	 count[F__MAX];	/* calls seen while armed */
};

/* The driver's line, parsed. */
struct conf {
	int		 armed;		/* 0: fn=off or no line */
	int		 fn;		/* -1: count only */
	uint64_t	 n;
	enum mode	 mode;
	int		 err;		/* 0: the function's default */
	pid_t		 pid;		/* 0: any process */
	char		 prog[64];	/* "": any program */
	int		 trace;		/* log every counted call's stack */
};

static const struct {
	const char	*name;
	int		 value;
} errnos[] = {
	{ "ENOSPC", ENOSPC }, { "EIO", EIO }, { "ENOMEM", ENOMEM },
	{ "EDQUOT", EDQUOT }, { "EINTR", EINTR }, { "EAGAIN", EAGAIN },
	{ "EACCES", EACCES }, { "EMFILE", EMFILE }, { "ENFILE", ENFILE },
	{ "EROFS", EROFS }, { "EFBIG", EFBIG }, { "EPERM", EPERM },
	{ "EBADF", EBADF }, { "EPIPE", EPIPE }, { "ECONNRESET", ECONNRESET },
};

/* The real functions. */
static ssize_t	(*real_write)(int, const void *, size_t);
static ssize_t	(*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t	(*real_pwrite64)(int, const void *, size_t, off64_t);
static ssize_t	(*real_writev)(int, const struct iovec *, int);
static ssize_t	(*real_pwritev)(int, const struct iovec *, int, off_t);
static ssize_t	(*real_pwritev64)(int, const struct iovec *, int, off64_t);
static int	(*real_fsync)(int);
static int	(*real_fdatasync)(int);
static int	(*real_rename)(const char *, const char *);
static int	(*real_renameat)(int, const char *, int, const char *);
static int	(*real_renameat2)(int, const char *, int, const char *,
		    unsigned);
static int	(*real_open)(const char *, int, ...);
static int	(*real_open64)(const char *, int, ...);
static int	(*real_openat)(int, const char *, int, ...);
static int	(*real_openat64)(int, const char *, int, ...);
static int	(*real_creat)(const char *, mode_t);
static int	(*real_creat64)(const char *, mode_t);
static ssize_t	(*real_read)(int, void *, size_t);
static ssize_t	(*real_pread)(int, void *, size_t, off_t);
static ssize_t	(*real_pread64)(int, void *, size_t, off64_t);
static void	*(*real_malloc)(size_t);
static void	*(*real_calloc)(size_t, size_t);
static void	*(*real_realloc)(void *, size_t);
static void	 (*real_free)(void *);

/* Allocations made while dlsym() runs, before real_malloc is known. */
static _Alignas(16) unsigned char arena[ARENA_SIZE];
static size_t		 arena_used;
static int		 resolving;

static char		 ctl_path[512];
static volatile char	*ctl;		/* the mapping; NULL: inert */
static struct shared	*sh;
static char		 seen[GEN_LEN];	/* the version parsed into conf */
static struct conf	 conf;
static pthread_mutex_t	 conf_mu = PTHREAD_MUTEX_INITIALIZER;
static pid_t		 self;		/* getpid(), kept across fork */
static uintptr_t	 ldso_lo, ldso_hi;	/* the dynamic loader's text */
static uintptr_t	 me_lo, me_hi;		/* this library's */
static uintptr_t	 tsan_lo, tsan_hi;	/* ThreadSanitizer's runtime */
static int		 sanitized;	/* ASan or UBSan owns the signals */
static volatile sig_atomic_t faulted;	/* this process got a fault */

/* Set while this library works: its own calls pass through. */
static __thread int	 busy __attribute__((tls_model("initial-exec")));

static void	 resolve(void);

/* ---- the arena ------------------------------------------------------ */

static int
in_arena(const void *p)
{
	return (const unsigned char *)p >= arena &&
	    (const unsigned char *)p < arena + ARENA_SIZE;
}

/* 16 bytes of header hold the size, for realloc. */
static void *
arena_alloc(size_t n)
{
	size_t		 need = (n + 15) / 16 * 16 + 16;
	unsigned char	*p;

	if (need > ARENA_SIZE - arena_used)
		return NULL;
	p = arena + arena_used;
	arena_used += need;
	memcpy(p, &n, sizeof(n));
	return p + 16;
}

static size_t
arena_size(const void *p)
{
	size_t	 n;

	memcpy(&n, (const unsigned char *)p - 16, sizeof(n));
	return n;
}

/* ---- small helpers that neither allocate nor call what we wrap -------- */

static ssize_t
raw_write(int fd, const void *p, size_t n)
{
	return syscall(SYS_write, fd, p, n);
}

static void
put(char *buf, size_t sz, size_t *len, const char *s)
{
	while (*s != '\0' && *len + 1 < sz)
		buf[(*len)++] = *s++;
	buf[*len] = '\0';
}

static void
put_num(char *buf, size_t sz, size_t *len, unsigned long long v, int base)
{
	char	 d[32];
	int	 i = 0;

	if (base == 16)
		put(buf, sz, len, "0x");
	do {
		d[i++] = "0123456789abcdef"[v % (unsigned)base];
		v /= (unsigned)base;
	} while (v != 0 && i < (int)sizeof(d));
	while (i > 0 && *len + 1 < sz)
		buf[(*len)++] = d[--i];
	buf[*len] = '\0';
}

static unsigned long long
num(const char *s, const char *end)
{
	unsigned long long	 v = 0;

	while (s < end && *s >= '0' && *s <= '9')
		v = v * 10 + (unsigned long long)(*s++ - '0');
	return v;
}

/*
 * Parse the driver's line into c: "GEN key=value ...".  Pure; unknown
 * keys are ignored, an unknown function disarms (a typo must not look
 * like a clean run).
 */
static void
parse(const char *text, size_t len, struct conf *c)
{
	const char	*p = text, *end, *eq, *lim = text + len;
	size_t		 i, kl, vl;

	memset(c, 0, sizeof(*c));
	c->fn = -1;
	c->armed = 1;
	while (p < lim && *p != '\0' && *p != '\n') {
		while (p < lim && *p == ' ')
			p++;
		for (end = p; end < lim && *end != ' ' && *end != '\0' &&
		    *end != '\n'; end++)
			continue;
		for (eq = p; eq < end && *eq != '='; eq++)
			continue;
		kl = (size_t)(eq - p);
		vl = eq < end ? (size_t)(end - eq - 1) : 0;
		eq++;
#define KEY(k)	(kl == sizeof(k) - 1 && memcmp(p, k, kl) == 0)
#define VAL(v)	(vl == sizeof(v) - 1 && memcmp(eq, v, vl) == 0)
		if (KEY("fn")) {
			if (VAL("off"))
				c->armed = 0;
			else if (!VAL("none")) {
				c->fn = -2;
				for (i = 0; i < F__MAX; i++)
					if (vl == strlen(fn_name[i]) &&
					    memcmp(eq, fn_name[i], vl) == 0)
						c->fn = (int)i;
				if (c->fn == -2)
					c->armed = 0;
			}
		} else if (KEY("n"))
			c->n = num(eq, end);
		else if (KEY("mode"))
			c->mode = VAL("from") ? M_FROM : VAL("torn") ? M_TORN :
			    M_ONCE;
		else if (KEY("errno")) {
			c->err = (int)num(eq, end);
			for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
				if (vl == strlen(errnos[i].name) &&
				    memcmp(eq, errnos[i].name, vl) == 0)
					c->err = errnos[i].value;
		} else if (KEY("pid"))
			c->pid = (pid_t)num(eq, end);
		else if (KEY("prog")) {
			if (vl < sizeof(c->prog)) {
				memcpy(c->prog, eq, vl);
				c->prog[vl] = '\0';
			}
		} else if (KEY("trace"))
			c->trace = (int)num(eq, end);
#undef KEY
#undef VAL
		p = end;
	}
	if (len == 0 || text[0] == '\0')
		c->armed = 0;
}

/* ---- where a fault or a crash happened --------------------------------- */

/*
 * Format the stack of the calling thread into buf, one frame after
 * another as "module+0xOFF" or "module+0xOFF:symbol+0xOFF", each
 * followed by sep.  Frames of this library are left out.  Only
 * dladdr(), which takes no allocation; backtrace() was warmed up in
 * the constructor (its first call loads libgcc_s).  Returns the length.
 */
static size_t
format_stack(char *buf, size_t sz, const char *sep, int max)
{
	void		*frames[MAX_FRAMES];
	Dl_info		 di;
	uintptr_t	 a;
	size_t		 len = 0;
	int		 i, n, kept = 0;

	buf[0] = '\0';
	n = backtrace(frames, MAX_FRAMES);
	for (i = 0; i < n && kept < max; i++) {
		a = (uintptr_t)frames[i];
		if (a >= me_lo && a < me_hi)
			continue;
		/*
		 * Nor where a call comes from: ThreadSanitizer's signal
		 * handler, which calls on_crash(), and its interceptors
		 * (strlen...) between a library and libc.
		 */
		if (a >= tsan_lo && a < tsan_hi)
			continue;
		kept++;
		/* a return address: the call is the byte before */
		if (dladdr((void *)(a - 1), &di) != 0 && di.dli_fname != NULL) {
			put(buf, sz, &len, di.dli_fname);
			put(buf, sz, &len, "+");
			put_num(buf, sz, &len,
			    a - 1 - (uintptr_t)di.dli_fbase, 16);
			if (di.dli_sname != NULL) {
				put(buf, sz, &len, ":");
				put(buf, sz, &len, di.dli_sname);
				put(buf, sz, &len, "+");
				put_num(buf, sz, &len,
				    a - 1 - (uintptr_t)di.dli_saddr, 16);
			}
		} else {
			put(buf, sz, &len, "?+");
			put_num(buf, sz, &len, a, 16);
		}
		put(buf, sz, &len, sep);
	}
	return len;
}

/* Append head and the stack, a frame a line, to path. */
static void
dump_stack(const char *path, const char *head)
{
	char	 stack[MAX_FRAMES * 256];
	size_t	 len;
	int	 fd;

	if ((fd = (int)syscall(SYS_openat, AT_FDCWD, path,
	    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0)
		return;
	len = format_stack(stack, sizeof(stack), "\n", MAX_FRAMES);
	(void)raw_write(fd, head, strlen(head));
	(void)raw_write(fd, stack, len);
	close(fd);
}

static void
site_path(char *out, size_t sz, const char *suffix)
{
	size_t	 len = 0;

	out[0] = '\0';
	put(out, sz, &len, ctl_path);
	put(out, sz, &len, suffix);
}

static void
record_fault(int fn, uint64_t n)
{
	char	 path[600], head[160];
	size_t	 len = 0;

	site_path(path, sizeof(path), ".site");
	put(head, sizeof(head), &len, "fault fn=");
	put(head, sizeof(head), &len, fn_name[fn]);
	put(head, sizeof(head), &len, " n=");
	put_num(head, sizeof(head), &len, n, 10);
	put(head, sizeof(head), &len, " pid=");
	put_num(head, sizeof(head), &len, (unsigned long long)self, 10);
	put(head, sizeof(head), &len, "\n");
	dump_stack(path, head);
}

/*
 * Trace mode: one line per counted call, "fn N pid frame frame ...",
 * so the driver can tell which call sites an operation reaches and
 * with which N.  A single O_APPEND write keeps lines whole.
 */
static void
record_call(int fn, uint64_t n)
{
	char	 line[TRACE_FRAMES * 256 + 96], path[600];
	size_t	 len = 0;
	int	 fd;

	site_path(path, sizeof(path), ".trace");
	put(line, sizeof(line), &len, fn_name[fn]);
	put(line, sizeof(line), &len, " ");
	put_num(line, sizeof(line), &len, n, 10);
	put(line, sizeof(line), &len, " ");
	put_num(line, sizeof(line), &len, (unsigned long long)self, 10);
	put(line, sizeof(line), &len, " ");
	len += format_stack(line + len, sizeof(line) - len - 1, " ",
	    TRACE_FRAMES);
	line[len++] = '\n';
	if ((fd = (int)syscall(SYS_openat, AT_FDCWD, path,
	    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0)
		return;
	(void)raw_write(fd, line, len);
	close(fd);
}

static void
on_crash(int sig)
{
	char	 path[600], head[96];
	size_t	 len = 0;

	busy = 1;
	if (faulted) {
		site_path(path, sizeof(path), ".crash");
		put(head, sizeof(head), &len, "crash sig=");
		put_num(head, sizeof(head), &len, (unsigned)sig, 10);
		put(head, sizeof(head), &len, " pid=");
		put_num(head, sizeof(head), &len, (unsigned long long)self,
		    10);
		put(head, sizeof(head), &len, "\n");
		dump_stack(path, head);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* ---- deciding ---------------------------------------------------------- */

/* Re-read the driver's line if it changed.  Called with busy set. */
static void
refresh(void)
{
	char	 text[CTL_TEXT];

	if (memcmp((const char *)ctl, seen, GEN_LEN) == 0)
		return;
	pthread_mutex_lock(&conf_mu);
	memcpy(text, (const char *)ctl, CTL_TEXT);
	if (memcmp(text, seen, GEN_LEN) != 0) {
		parse(text, CTL_TEXT, &conf);
		memcpy(seen, text, GEN_LEN);
	}
	pthread_mutex_unlock(&conf_mu);
}

/*
 * Count a call of fn made from caller and say what to do with it:
 * 0 let it through, 1 fail it, 2 tear it (M_TORN).
 */
static int
decide(int fn, const void *caller)
{
	uintptr_t	 a = (uintptr_t)caller;
	uint64_t	 n;
	int		 act = 0;

	if (ctl == NULL || busy || (a >= ldso_lo && a < ldso_hi))
		return 0;
	busy = 1;
	refresh();
	if (!conf.armed || (conf.pid != 0 && conf.pid != self) ||
	    (conf.prog[0] != '\0' &&
	    strcmp(conf.prog, program_invocation_short_name) != 0)) {
		busy = 0;
		return 0;
	}
	n = __atomic_add_fetch(&sh->count[fn], 1, __ATOMIC_SEQ_CST);
	if (conf.trace)
		record_call(fn, n);
	if (conf.fn == fn && conf.n > 0 && (n == conf.n ||
	    (conf.mode == M_FROM && n > conf.n))) {
		act = conf.mode == M_TORN ? 2 : 1;
		faulted = 1;
		if (__atomic_fetch_add(&sh->fired, 1, __ATOMIC_SEQ_CST) == 0) {
			__atomic_store_n(&sh->fired_pid, (uint64_t)self,
			    __ATOMIC_SEQ_CST);
			record_fault(fn, n);
		}
	}
	busy = 0;
	return act;
}

static int
err_of(int fn)
{
	if (conf.err != 0)
		return conf.err;
	return fn == F_MALLOC || fn == F_CALLOC || fn == F_REALLOC ? ENOMEM :
	    EIO;
}

#define CALLER	__builtin_return_address(0)
#define NEED(f)	do { if ((f) == NULL) resolve(); } while (0)

/* ---- the wrappers ------------------------------------------------------ */

EXPORT void *
malloc(size_t n)
{
	if (real_malloc == NULL) {
		if (resolving)
			return arena_alloc(n);
		resolve();
		if (real_malloc == NULL)
			return arena_alloc(n);
	}
	if (decide(F_MALLOC, CALLER)) {
		errno = err_of(F_MALLOC);
		return NULL;
	}
	return real_malloc(n);
}

EXPORT void *
calloc(size_t m, size_t n)
{
	void	*p;

	if (real_calloc == NULL) {
		if (resolving || (resolve(), real_calloc == NULL)) {
			if (n != 0 && m > SIZE_MAX / n)
				return NULL;
			/* the arena is static: zeroed, never reused */
			p = arena_alloc(m * n);
			return p;
		}
	}
	if (decide(F_CALLOC, CALLER)) {
		errno = err_of(F_CALLOC);
		return NULL;
	}
	return real_calloc(m, n);
}

EXPORT void *
realloc(void *p, size_t n)
{
	void	*q;

	if (p != NULL && in_arena(p)) {
		if ((q = malloc(n)) != NULL)
			memcpy(q, p, arena_size(p) < n ? arena_size(p) : n);
		return q;
	}
	if (real_realloc == NULL) {
		if (resolving || (resolve(), real_realloc == NULL))
			return p == NULL ? arena_alloc(n) : NULL;
	}
	if (decide(F_REALLOC, CALLER)) {
		errno = err_of(F_REALLOC);
		return NULL;
	}
	return real_realloc(p, n);
}

EXPORT void
free(void *p)
{
	if (p == NULL || in_arena(p))
		return;
	NEED(real_free);
	if (real_free != NULL)
		real_free(p);
}

/* Write at most half of the n bytes (n >= 2). */
static size_t
torn(size_t n)
{
	return n / 2;
}

EXPORT ssize_t
write(int fd, const void *p, size_t n)
{
	int	 act;

	NEED(real_write);
	if ((act = decide(F_WRITE, CALLER)) == 1 || (act == 2 && n < 2)) {
		errno = err_of(F_WRITE);
		return -1;
	}
	return real_write(fd, p, act == 2 ? torn(n) : n);
}

EXPORT ssize_t
pwrite(int fd, const void *p, size_t n, off_t off)
{
	int	 act;

	NEED(real_pwrite);
	if ((act = decide(F_PWRITE, CALLER)) == 1 || (act == 2 && n < 2)) {
		errno = err_of(F_PWRITE);
		return -1;
	}
	return real_pwrite(fd, p, act == 2 ? torn(n) : n, off);
}

EXPORT ssize_t
pwrite64(int fd, const void *p, size_t n, off64_t off)
{
	int	 act;

	NEED(real_pwrite64);
	if ((act = decide(F_PWRITE, CALLER)) == 1 || (act == 2 && n < 2)) {
		errno = err_of(F_PWRITE);
		return -1;
	}
	return real_pwrite64(fd, p, act == 2 ? torn(n) : n, off);
}

/*
 * The first iovcnt vectors cut to hold half of their bytes, into cut;
 * returns the new count (0: nothing to tear).
 */
static int
tear_iov(const struct iovec *iov, int iovcnt, struct iovec *cut, int max)
{
	size_t	 total = 0, want;
	int	 i;

	for (i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (total < 2)
		return 0;
	want = torn(total);
	for (i = 0; i < iovcnt && i < max && want > 0; i++) {
		cut[i] = iov[i];
		if (cut[i].iov_len > want)
			cut[i].iov_len = want;
		want -= cut[i].iov_len;
	}
	return i;
}

EXPORT ssize_t
writev(int fd, const struct iovec *iov, int iovcnt)
{
	struct iovec	 cut[64];
	int		 act, k = 0;

	NEED(real_writev);
	act = decide(F_WRITEV, CALLER);
	if (act == 2)
		k = tear_iov(iov, iovcnt, cut, 64);
	if (act == 1 || (act == 2 && k == 0)) {
		errno = err_of(F_WRITEV);
		return -1;
	}
	return act == 2 ? real_writev(fd, cut, k) : real_writev(fd, iov, iovcnt);
}

EXPORT ssize_t
pwritev(int fd, const struct iovec *iov, int iovcnt, off_t off)
{
	struct iovec	 cut[64];
	int		 act, k = 0;

	NEED(real_pwritev);
	act = decide(F_WRITEV, CALLER);
	if (act == 2)
		k = tear_iov(iov, iovcnt, cut, 64);
	if (act == 1 || (act == 2 && k == 0)) {
		errno = err_of(F_WRITEV);
		return -1;
	}
	return act == 2 ? real_pwritev(fd, cut, k, off) :
	    real_pwritev(fd, iov, iovcnt, off);
}

EXPORT ssize_t
pwritev64(int fd, const struct iovec *iov, int iovcnt, off64_t off)
{
	struct iovec	 cut[64];
	int		 act, k = 0;

	NEED(real_pwritev64);
	act = decide(F_WRITEV, CALLER);
	if (act == 2)
		k = tear_iov(iov, iovcnt, cut, 64);
	if (act == 1 || (act == 2 && k == 0)) {
		errno = err_of(F_WRITEV);
		return -1;
	}
	return act == 2 ? real_pwritev64(fd, cut, k, off) :
	    real_pwritev64(fd, iov, iovcnt, off);
}

EXPORT int
fsync(int fd)
{
	NEED(real_fsync);
	if (decide(F_FSYNC, CALLER)) {
		errno = err_of(F_FSYNC);
		return -1;
	}
	return real_fsync(fd);
}

EXPORT int
fdatasync(int fd)
{
	NEED(real_fdatasync);
	if (decide(F_FDATASYNC, CALLER)) {
		errno = err_of(F_FDATASYNC);
		return -1;
	}
	return real_fdatasync(fd);
}

EXPORT int
rename(const char *from, const char *to)
{
	NEED(real_rename);
	if (decide(F_RENAME, CALLER)) {
		errno = err_of(F_RENAME);
		return -1;
	}
	return real_rename(from, to);
}

EXPORT int
renameat(int fd1, const char *from, int fd2, const char *to)
{
	NEED(real_renameat);
	if (decide(F_RENAME, CALLER)) {
		errno = err_of(F_RENAME);
		return -1;
	}
	return real_renameat(fd1, from, fd2, to);
}

EXPORT int
renameat2(int fd1, const char *from, int fd2, const char *to, unsigned fl)
{
	NEED(real_renameat2);
	if (decide(F_RENAME, CALLER)) {
		errno = err_of(F_RENAME);
		return -1;
	}
	return real_renameat2(fd1, from, fd2, to, fl);
}

/* Does an open with these flags count?  Only if it may write. */
static int
writes(int flags)
{
	return (flags & (O_WRONLY | O_RDWR | O_CREAT)) != 0;
}

/* open and openat carry a mode only with O_CREAT or O_TMPFILE. */
#define MODE_ARG(flags, mode) do {					\
	va_list	 ap;							\
	if ((flags) & (O_CREAT | __O_TMPFILE)) {			\
		va_start(ap, flags);					\
		mode = (mode_t)va_arg(ap, int);				\
		va_end(ap);						\
	}								\
} while (0)

EXPORT int
open(const char *path, int flags, ...)
{
	mode_t	 mode = 0;

	MODE_ARG(flags, mode);
	NEED(real_open);
	if (writes(flags) && decide(F_OPEN, CALLER)) {
		errno = err_of(F_OPEN);
		return -1;
	}
	return real_open(path, flags, mode);
}

EXPORT int
open64(const char *path, int flags, ...)
{
	mode_t	 mode = 0;

	MODE_ARG(flags, mode);
	NEED(real_open64);
	if (writes(flags) && decide(F_OPEN, CALLER)) {
		errno = err_of(F_OPEN);
		return -1;
	}
	return real_open64(path, flags, mode);
}

EXPORT int
openat(int dirfd, const char *path, int flags, ...)
{
	mode_t	 mode = 0;

	MODE_ARG(flags, mode);
	NEED(real_openat);
	if (writes(flags) && decide(F_OPEN, CALLER)) {
		errno = err_of(F_OPEN);
		return -1;
	}
	return real_openat(dirfd, path, flags, mode);
}

EXPORT int
openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t	 mode = 0;

	MODE_ARG(flags, mode);
	NEED(real_openat64);
	if (writes(flags) && decide(F_OPEN, CALLER)) {
		errno = err_of(F_OPEN);
		return -1;
	}
	return real_openat64(dirfd, path, flags, mode);
}

EXPORT int
creat(const char *path, mode_t mode)
{
	NEED(real_creat);
	if (decide(F_OPEN, CALLER)) {
		errno = err_of(F_OPEN);
		return -1;
	}
	return real_creat(path, mode);
}

EXPORT int
creat64(const char *path, mode_t mode)
{
	NEED(real_creat64);
	if (decide(F_OPEN, CALLER)) {
		errno = err_of(F_OPEN);
		return -1;
	}
	return real_creat64(path, mode);
}

EXPORT ssize_t
read(int fd, void *p, size_t n)
{
	int	 act;

	NEED(real_read);
	if ((act = decide(F_READ, CALLER)) == 1 || (act == 2 && n < 2)) {
		errno = err_of(F_READ);
		return -1;
	}
	return real_read(fd, p, act == 2 ? torn(n) : n);
}

EXPORT ssize_t
pread(int fd, void *p, size_t n, off_t off)
{
	int	 act;

	NEED(real_pread);
	if ((act = decide(F_PREAD, CALLER)) == 1 || (act == 2 && n < 2)) {
		errno = err_of(F_PREAD);
		return -1;
	}
	return real_pread(fd, p, act == 2 ? torn(n) : n, off);
}

EXPORT ssize_t
pread64(int fd, void *p, size_t n, off64_t off)
{
	int	 act;

	NEED(real_pread64);
	if ((act = decide(F_PREAD, CALLER)) == 1 || (act == 2 && n < 2)) {
		errno = err_of(F_PREAD);
		return -1;
	}
	return real_pread64(fd, p, act == 2 ? torn(n) : n, off);
}

/* ---- setting up -------------------------------------------------------- */

static void *
sym(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

/* Look up the real functions; allocations meanwhile use the arena. */
static void
resolve(void)
{
	if (resolving || real_free != NULL)
		return;
	resolving = 1;
	real_malloc = sym("malloc");
	real_calloc = sym("calloc");
	real_realloc = sym("realloc");
	real_write = sym("write");
	real_pwrite = sym("pwrite");
	real_pwrite64 = sym("pwrite64");
	real_writev = sym("writev");
	real_pwritev = sym("pwritev");
	real_pwritev64 = sym("pwritev64");
	real_fsync = sym("fsync");
	real_fdatasync = sym("fdatasync");
	real_rename = sym("rename");
	real_renameat = sym("renameat");
	real_renameat2 = sym("renameat2");
	real_open = sym("open");
	real_open64 = sym("open64");
	real_openat = sym("openat");
	real_openat64 = sym("openat64");
	real_creat = sym("creat");
	real_creat64 = sym("creat64");
	real_read = sym("read");
	real_pread = sym("pread");
	real_pread64 = sym("pread64");
	real_free = sym("free");
	resolving = 0;
}

/* The text segment of the object loaded at base, into lo/hi. */
struct range {
	uintptr_t	 base, lo, hi;
};

static int
find_range(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct range	*r = arg;
	uintptr_t	 lo, hi;
	int		 i;

	(void)size;
	if (info->dlpi_addr != r->base)
		return 0;
	for (i = 0; i < info->dlpi_phnum; i++) {
		if (info->dlpi_phdr[i].p_type != PT_LOAD)
			continue;
		lo = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
		hi = lo + info->dlpi_phdr[i].p_memsz;
		if (r->lo == 0 || lo < r->lo)
			r->lo = lo;
		if (hi > r->hi)
			r->hi = hi;
	}
	return 1;
}

/* No fork while another thread re-reads the line: conf_mu is held. */
static void
before_fork(void)
{
	pthread_mutex_lock(&conf_mu);
}

static void
after_fork_parent(void)
{
	pthread_mutex_unlock(&conf_mu);
}

static void
after_fork(void)
{
	pthread_mutex_unlock(&conf_mu);
	self = (pid_t)syscall(SYS_getpid);
	faulted = 0;
}

__attribute__((constructor)) static void
fault_init(void)
{
	struct range	 r;
	struct stat	 st;
	Dl_info		 di;
	void		*warm[2];
	const char	*path;
	void		*m;
	int		 fd, sig;
	static const int sigs[] = { SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL };

	busy = 1;
	resolve();
	self = (pid_t)syscall(SYS_getpid);
	pthread_atfork(before_fork, after_fork_parent, after_fork);

	/* Calls whose caller is the dynamic loader are never counted. */
	memset(&r, 0, sizeof(r));
	if ((r.base = (uintptr_t)getauxval(AT_BASE)) != 0 &&
	    dl_iterate_phdr(find_range, &r) != 0) {
		ldso_lo = r.lo;
		ldso_hi = r.hi;
	}
	memset(&r, 0, sizeof(r));
	if (dladdr((void *)fault_init, &di) != 0) {
		r.base = (uintptr_t)di.dli_fbase;
		if (dl_iterate_phdr(find_range, &r) != 0) {
			me_lo = r.lo;
			me_hi = r.hi;
		}
	}
	memset(&r, 0, sizeof(r));
	if ((m = dlsym(RTLD_DEFAULT, "__tsan_init")) != NULL &&
	    dladdr(m, &di) != 0) {
		r.base = (uintptr_t)di.dli_fbase;
		if (dl_iterate_phdr(find_range, &r) != 0) {
			tsan_lo = r.lo;
			tsan_hi = r.hi;
		}
	}
	/* The first backtrace() loads libgcc_s: not in a wrapper later. */
	(void)backtrace(warm, 2);
	/*
	 * Not ThreadSanitizer: it finds races without signals, and its
	 * SEGV handler would turn json-c 0.16's known crash after a
	 * failed strdup (the driver's "library:json-c", reached because
	 * allocations are failed under it) into a report that fails the
	 * test, from a process the driver then saw exit 66, as if it had
	 * failed cleanly.  With our handlers the driver sees the signal
	 * and the stack, and judges every crash as in the plain build.
	 */
	sanitized = dlsym(RTLD_DEFAULT, "__asan_init") != NULL ||
	    dlsym(RTLD_DEFAULT, "__ubsan_handle_builtin_unreachable") != NULL;

	if ((path = getenv("VENNA_FAULT_CTL")) == NULL || path[0] == '\0' ||
	    strlen(path) >= sizeof(ctl_path)) {
		busy = 0;
		return;
	}
	memcpy(ctl_path, path, strlen(path) + 1);
	if ((fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_CLOEXEC))
	    < 0) {
		busy = 0;
		return;
	}
	/* A short file would fault on access (SIGBUS): inert instead. */
	if (fstat(fd, &st) == -1 || st.st_size < CTL_SIZE) {
		close(fd);
		busy = 0;
		return;
	}
	m = mmap(NULL, CTL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		busy = 0;
		return;
	}
	sh = (struct shared *)((char *)m + CTL_TEXT);
	ctl = m;
	/* ASan and UBSan report crashes themselves, with their handlers. */
	if (!sanitized)
		for (sig = 0; sig < (int)(sizeof(sigs) / sizeof(sigs[0]));
		    sig++)
			signal(sigs[sig], on_crash);
	busy = 0;
}

/*
 * sso_proto.c - the api <-> ssod line protocol (see sso_proto.h): a flat
 * JSON reader and writer over fixed buffers, and the client call.
 */
#include "sso_proto.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "utf8.h"

static const char *const op_names[SSO_OP__MAX] = {
    [SSO_OP_TICKET] = "ticket", [SSO_OP_STORE] = "store",     [SSO_OP_FETCH] = "fetch",
    [SSO_OP_FORGET] = "forget", [SSO_OP_REFUSED] = "refused",
};

static const char *const error_names[SSO_ERR__MAX] = {
    [SSO_ERR_NONE] = "",
    [SSO_ERR_NOT_STORED] = "not_stored",
    [SSO_ERR_ASSERTION_REFUSED] = "assertion_refused",
    [SSO_ERR_OTHER_ACCOUNT] = "other_account",
    [SSO_ERR_UNAVAILABLE] = "unavailable",
    [SSO_ERR_BAD_REQUEST] = "bad_request",
};

const char *sso_op_name(enum sso_op op)
{
	return (unsigned)op < SSO_OP__MAX ? op_names[op] : "?";
}

const char *sso_error_name(enum sso_proto_err err)
{
	return (unsigned)err < SSO_ERR__MAX ? error_names[err] : "?";
}

/* ---- the members of each message ---------------------------------------- */

enum member_kind { M_STRING, M_BOOL };

struct member {
	const char *name;
	enum member_kind kind;
	size_t offset; /* in the wire struct */
	size_t cap;    /* M_STRING: bytes including the NUL */
};

/* What is parsed, before the op and error names are mapped to enums. */
struct request_wire {
	char op[16];
	struct sso_request req;
};

struct answer_wire {
	int ok;
	char error[24];
	struct sso_answer ans;
};

#define RQ(f)     offsetof(struct request_wire, f)
#define AN(f)     offsetof(struct answer_wire, f)
#define CAP(t, f) sizeof(((t *)0)->f)

static const struct member request_members[] = {
    {"op", M_STRING, RQ(op), CAP(struct request_wire, op)},
    {"serial", M_STRING, RQ(req.serial), SSO_SERIAL_MAX + 1},
    {"token", M_STRING, RQ(req.token), SSO_TOKEN_MAX + 1},
    {"ticket", M_STRING, RQ(req.ticket), SSO_TICKET_MAX + 1},
    {"username", M_STRING, RQ(req.username), SSO_USERNAME_MAX + 1},
    {"password", M_STRING, RQ(req.password), SSO_PASSWORD_MAX + 1},
};
enum { RQ_OP, RQ_SERIAL, RQ_TOKEN, RQ_TICKET, RQ_USERNAME, RQ_PASSWORD };

static const struct member answer_members[] = {
    {"ok", M_BOOL, AN(ok), 0},
    {"error", M_STRING, AN(error), CAP(struct answer_wire, error)},
    {"reason", M_STRING, AN(ans.reason), SSO_REASON_MAX + 1},
    {"identity", M_STRING, AN(ans.identity), SSO_IDENTITY_MAX + 1},
    {"ticket", M_STRING, AN(ans.ticket), SSO_TICKET_MAX + 1},
    {"username", M_STRING, AN(ans.username), SSO_USERNAME_MAX + 1},
    {"password", M_STRING, AN(ans.password), SSO_PASSWORD_MAX + 1},
};
enum { AN_OK, AN_ERROR, AN_REASON, AN_IDENTITY, AN_TICKET, AN_USERNAME, AN_PASSWORD };

#define NMEMBERS(t) (sizeof(t) / sizeof(t[0]))

/* ---- the reader ------------------------------------------------------------ */

struct lex {
	const char *p, *end;
};

static void skip_ws(struct lex *l)
{
	/* RFC 8259, 2: ws = space, tab, LF, CR. */
	while (l->p < l->end && (*l->p == ' ' || *l->p == '\t' || *l->p == '\n' || *l->p == '\r'))
		l->p++;
}

static int hex4(struct lex *l, unsigned *out)
{
	unsigned v = 0;

	if (l->end - l->p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = *l->p++;
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/*
 * A JSON string (RFC 8259, 7) into dst (cap bytes with the NUL).  \u0000
 * is refused: these values become C strings.  -1 on anything else wrong,
 * including a value too long for dst.
 */
static int read_string(struct lex *l, char *dst, size_t cap)
{
	size_t o = 0;

	if (l->p == l->end || *l->p != '"')
		return -1;
	l->p++;
	for (;;) {
		unsigned char c;

		if (l->p == l->end)
			return -1;
		c = (unsigned char)*l->p++;
		if (c == '"')
			break;
		if (c < 0x20)
			return -1;
		if (c != '\\') {
			if (o + 1 >= cap)
				return -1;
			dst[o++] = (char)c;
			continue;
		}
		if (l->p == l->end)
			return -1;
		c = (unsigned char)*l->p++;
		static const char esc_in[] = "\"\\/bfnrt", esc_out[] = "\"\\/\b\f\n\r\t";
		const char *e = c ? strchr(esc_in, c) : NULL;
		if (e != NULL) {
			if (o + 1 >= cap)
				return -1;
			dst[o++] = esc_out[e - esc_in];
			continue;
		}
		if (c != 'u')
			return -1;
		unsigned cp, lo;
		if (hex4(l, &cp) != 0 || cp == 0 || (cp >= 0xdc00 && cp <= 0xdfff))
			return -1;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			/* A high surrogate needs its low half (RFC 8259, 7). */
			if (l->end - l->p < 2 || l->p[0] != '\\' || l->p[1] != 'u')
				return -1;
			l->p += 2;
			if (hex4(l, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
				return -1;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
		uint8_t b[4];
		size_t n = utf8_encode(cp, b);
		if (n == 0 || o + n >= cap)
			return -1;
		memcpy(dst + o, b, n);
		o += n;
		OPENSSL_cleanse(b, sizeof(b));
	}
	dst[o] = '\0';
	return utf8_valid((const uint8_t *)dst, o) ? 0 : -1;
}

static int read_literal(struct lex *l, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(l->end - l->p) < n || memcmp(l->p, word, n) != 0)
		return -1;
	l->p += n;
	return 0;
}

/*
 * One flat object of the members in table into the wire struct at base.
 * *seen gets a bit per member present.  Values are never quoted in msg.
 */
static int read_object(const char *line, size_t len, const struct member *table, size_t n,
                       void *base, unsigned *seen, char *msg, size_t msglen)
{
	struct lex l = {line, line + len};
	char key[24];

	*seen = 0;
	skip_ws(&l);
	if (l.p == l.end || *l.p++ != '{') {
		snprintf(msg, msglen, "not a JSON object");
		return -1;
	}
	skip_ws(&l);
	if (l.p < l.end && *l.p == '}') {
		l.p++;
		goto end;
	}
	for (;;) {
		const struct member *m = NULL;
		size_t i;

		skip_ws(&l);
		if (read_string(&l, key, sizeof(key)) != 0) {
			snprintf(msg, msglen, "bad member name");
			return -1;
		}
		for (i = 0; i < n && m == NULL; i++)
			if (strcmp(table[i].name, key) == 0)
				m = &table[i];
		if (m == NULL) {
			snprintf(msg, msglen, "unknown member");
			return -1;
		}
		i = (size_t)(m - table);
		if (*seen & (1u << i)) {
			snprintf(msg, msglen, "%s is repeated", m->name);
			return -1;
		}
		*seen |= 1u << i;
		skip_ws(&l);
		if (l.p == l.end || *l.p++ != ':') {
			snprintf(msg, msglen, "expected ':' after %s", m->name);
			return -1;
		}
		skip_ws(&l);
		if (m->kind == M_STRING) {
			if (read_string(&l, (char *)base + m->offset, m->cap) != 0) {
				snprintf(msg, msglen, "%s must be a string of at most %zu bytes",
				         m->name, m->cap - 1);
				return -1;
			}
		} else {
			int *b = (int *)(void *)((char *)base + m->offset);
			if (read_literal(&l, "true") == 0)
				*b = 1;
			else if (read_literal(&l, "false") == 0)
				*b = 0;
			else {
				snprintf(msg, msglen, "%s must be true or false", m->name);
				return -1;
			}
		}
		skip_ws(&l);
		if (l.p < l.end && *l.p == ',') {
			l.p++;
			continue;
		}
		if (l.p < l.end && *l.p == '}') {
			l.p++;
			break;
		}
		snprintf(msg, msglen, "expected ',' or '}'");
		return -1;
	}
end:
	skip_ws(&l);
	if (l.p != l.end) {
		snprintf(msg, msglen, "bytes after the object");
		return -1;
	}
	return 0;
}

static int name_index(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (names[i][0] && strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

/* Which members each op takes: required, and allowed beyond those. */
static const struct {
	unsigned required, optional;
} op_members[SSO_OP__MAX] = {
    [SSO_OP_TICKET] = {1u << RQ_SERIAL | 1u << RQ_TOKEN, 0},
    [SSO_OP_STORE] = {1u << RQ_TICKET | 1u << RQ_USERNAME | 1u << RQ_PASSWORD, 0},
    [SSO_OP_FETCH] = {1u << RQ_TICKET, 0},
    [SSO_OP_FORGET] = {1u << RQ_TICKET, 0},
    [SSO_OP_REFUSED] = {1u << RQ_TICKET, 0},
};

int sso_request_parse(const char *line, size_t len, struct sso_request *req, char *msg,
                      size_t msglen)
{
	struct request_wire w;
	unsigned seen, need;
	int op, rc = -1;

	memset(&w, 0, sizeof(w));
	memset(req, 0, sizeof(*req));
	if (len > SSO_LINE_MAX) {
		snprintf(msg, msglen, "line too long");
		goto out;
	}
	if (read_object(line, len, request_members, NMEMBERS(request_members), &w, &seen, msg,
	                msglen) != 0)
		goto out;
	if (!(seen & 1u << RQ_OP) || (op = name_index(op_names, SSO_OP__MAX, w.op)) < 0) {
		snprintf(msg, msglen, "op must be ticket, store, fetch, forget or refused");
		goto out;
	}
	need = op_members[op].required;
	if ((seen & need) != need || (seen & ~(need | op_members[op].optional | 1u << RQ_OP))) {
		snprintf(msg, msglen, "%s takes %s", op_names[op],
		         op == SSO_OP_TICKET  ? "serial and token"
		         : op == SSO_OP_STORE ? "ticket, username and password"
		                              : "ticket");
		goto out;
	}
	/* Every member an op takes is required, and none may be empty. */
	for (size_t i = 1; i < NMEMBERS(request_members); i++)
		if ((need & 1u << i) && ((char *)&w + request_members[i].offset)[0] == '\0') {
			snprintf(msg, msglen, "%s must not be empty", request_members[i].name);
			goto out;
		}
	w.req.op = (enum sso_op)op;
	*req = w.req;
	rc = 0;
out:
	OPENSSL_cleanse(&w, sizeof(w));
	return rc;
}

int sso_answer_parse(const char *line, size_t len, struct sso_answer *ans, char *msg, size_t msglen)
{
	struct answer_wire w;
	unsigned seen;
	int err, rc = -1;

	memset(&w, 0, sizeof(w));
	memset(ans, 0, sizeof(*ans));
	if (len > SSO_LINE_MAX) {
		snprintf(msg, msglen, "line too long");
		goto out;
	}
	if (read_object(line, len, answer_members, NMEMBERS(answer_members), &w, &seen, msg,
	                msglen) != 0)
		goto out;
	if (!(seen & 1u << AN_OK)) {
		snprintf(msg, msglen, "ok is required");
		goto out;
	}
	if (w.ok) {
		if (seen & 1u << AN_ERROR) {
			snprintf(msg, msglen, "error goes with ok false");
			goto out;
		}
		w.ans.error = SSO_ERR_NONE;
	} else {
		if (!(seen & 1u << AN_ERROR) ||
		    (err = name_index(error_names, SSO_ERR__MAX, w.error)) <= 0) {
			snprintf(msg, msglen, "error must be a known code");
			goto out;
		}
		w.ans.error = (enum sso_proto_err)err;
	}
	w.ans.ok = w.ok;
	*ans = w.ans;
	rc = 0;
out:
	OPENSSL_cleanse(&w, sizeof(w));
	return rc;
}

/* ---- the writer ------------------------------------------------------------ */

struct out {
	char *buf;
	size_t cap, len;
	int overflow;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->overflow || o->len + n >= o->cap) {
		o->overflow = 1;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

/* A JSON string: '"', '\\' and control bytes escaped (RFC 8259, 7). */
static void put_string(struct out *o, const char *s)
{
	put(o, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(o, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(o, esc, 6);
		} else {
			put(o, s, 1);
		}
	}
	put(o, "\"", 1);
}

static void put_member(struct out *o, const char *name, const char *value)
{
	put(o, o->len > 1 ? ",\"" : "\"", o->len > 1 ? 2 : 1);
	put(o, name, strlen(name));
	put(o, "\":", 2);
	put_string(o, value);
}

static int finish(struct out *o)
{
	put(o, "}\n", 2);
	if (o->overflow) {
		OPENSSL_cleanse(o->buf, o->cap);
		return -1;
	}
	o->buf[o->len] = '\0';
	return (int)o->len;
}

int sso_request_format(const struct sso_request *req, char *buf, size_t cap)
{
	struct out o = {buf, cap > SSO_LINE_MAX + 1 ? SSO_LINE_MAX + 1 : cap, 0, 0};
	/* The wire struct holds the request at RQ(req): each member's place in
	 * struct sso_request is its offset there, less that. */
	const size_t base = RQ(req);

	if ((unsigned)req->op >= SSO_OP__MAX)
		return -1;
	put(&o, "{", 1);
	put_member(&o, "op", op_names[req->op]);
	for (size_t i = RQ_SERIAL; i < NMEMBERS(request_members); i++)
		if (op_members[req->op].required & 1u << i)
			put_member(&o, request_members[i].name,
			           (const char *)req + (request_members[i].offset - base));
	return finish(&o);
}

int sso_answer_format(const struct sso_answer *ans, char *buf, size_t cap)
{
	struct out o = {buf, cap > SSO_LINE_MAX + 1 ? SSO_LINE_MAX + 1 : cap, 0, 0};

	put(&o, ans->ok ? "{\"ok\":true" : "{\"ok\":false", ans->ok ? 10 : 11);
	if (!ans->ok) {
		if (ans->error <= SSO_ERR_NONE || ans->error >= SSO_ERR__MAX)
			return -1;
		put_member(&o, "error", error_names[ans->error]);
	}
	if (ans->reason[0])
		put_member(&o, "reason", ans->reason);
	if (ans->identity[0])
		put_member(&o, "identity", ans->identity);
	if (ans->ticket[0])
		put_member(&o, "ticket", ans->ticket);
	if (ans->username[0])
		put_member(&o, "username", ans->username);
	if (ans->password[0])
		put_member(&o, "password", ans->password);
	return finish(&o);
}

void sso_request_wipe(struct sso_request *req)
{
	OPENSSL_cleanse(req, sizeof(*req));
}

void sso_answer_wipe(struct sso_answer *ans)
{
	OPENSSL_cleanse(ans, sizeof(*ans));
}

/* ---- the socket ------------------------------------------------------------ */

long sso_read_line(int fd, char *buf)
{
	size_t len = 0;

	for (;;) {
		ssize_t n = read(fd, buf + len, SSO_LINE_MAX - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break; /* the peer closed: what came is the line */
		char *nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
		if (nl != NULL) {
			len = (size_t)(nl - buf);
			break;
		}
		if (len == SSO_LINE_MAX)
			return -1;
	}
	buf[len] = '\0';
	return len > 0 ? (long)len : -1;
}

int sso_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		/* MSG_NOSIGNAL: a peer that went away is an error, not SIGPIPE. */
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int connect_socket(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct timeval tv = {SSO_TIMEOUT_MS / 1000, (SSO_TIMEOUT_MS % 1000) * 1000};
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "sso_socket path is too long");
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* On a unix socket, SO_SNDTIMEO bounds connect() too (a full backlog). */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int sso_client_call(const char *socket_path, const struct sso_request *req, struct sso_answer *ans,
                    char *err, size_t errlen)
{
	char line[SSO_LINE_MAX + 1], msg[96];
	long n;
	int fd, len, rc = -1;

	memset(ans, 0, sizeof(*ans));
	if ((len = sso_request_format(req, line, sizeof(line))) < 0) {
		snprintf(err, errlen, "request does not fit in a line");
		return -1;
	}
	if ((fd = connect_socket(socket_path, err, errlen)) < 0)
		goto out;
	if (sso_write_all(fd, line, (size_t)len) != 0) {
		snprintf(err, errlen, "send: %s", strerror(errno));
		goto out;
	}
	OPENSSL_cleanse(line, sizeof(line));
	shutdown(fd, SHUT_WR);
	if ((n = sso_read_line(fd, line)) < 0) {
		snprintf(err, errlen, "no answer (%s)", errno ? strerror(errno) : "closed");
		goto out;
	}
	if (sso_answer_parse(line, (size_t)n, ans, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "unreadable answer: %s", msg);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	OPENSSL_cleanse(line, sizeof(line));
	return rc;
}

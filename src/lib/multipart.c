/*
 * multipart.c - streaming multipart/form-data parser (see multipart.h).
 *
 * The body is one state machine fed byte ranges.  Content (and the preamble)
 * is scanned for the delimiter CRLF "--" boundary (RFC 2046 5.1.1).  Bytes
 * that may begin a delimiter are held back; as they always equal a prefix of
 * the delimiter, holding them needs no copy: a count is enough, and when they
 * turn out to be data they are delivered from the delimiter text itself.
 * Because a boundary has no CR (bchars, RFC 2046 5.1.1), a failed match can
 * only restart at the failing byte when it is a CR, so the scan never looks
 * back further than one byte.
 */
#include "multipart.h"

#include <stdlib.h>
#include <string.h>

enum mp_state {
	ST_PREAMBLE,    /* discarding until the first delimiter */
	ST_DELIM_AFTER, /* after "--boundary": "--", padding or CRLF follows */
	ST_DELIM_DASH,  /* after "--boundary-": the second '-' of a close delimiter */
	ST_DELIM_PAD,   /* transport padding (SP/HTAB) before the CRLF */
	ST_DELIM_LF,    /* CR of the delimiter line seen, LF expected */
	ST_HEADER,      /* inside a part header line */
	ST_HEADER_LF,   /* CR of a header line seen, LF expected */
	ST_BODY,        /* part content */
	ST_EPILOGUE,    /* after the close delimiter: ignored */
};

#define NO_VALUE ((size_t)-1)

struct mp_parser {
	struct mp_callbacks cb;
	void *arg;
	enum mp_state state;
	enum mp_err err; /* sticky */

	char delim[4 + MP_BOUNDARY_MAX + 1]; /* "\r\n--" boundary */
	size_t dlen;
	size_t matched; /* delimiter bytes held back */
	size_t skip;    /* leading held bytes that are not input (see begin_body) */

	unsigned parts;
	int in_part;

	/* Headers of the current part. */
	size_t hdr_total;
	unsigned hdr_lines;
	size_t line_len;
	char line[MP_HEADER_MAX + 1];
	/* Parameter values taken from the headers, each NUL-terminated.  Values
	 * are never longer than the lines they come from, so MP_HEADER_MAX plus a
	 * NUL for each of the three is always enough. */
	char vals[MP_HEADER_MAX + 4];
	size_t vals_len;
	size_t name_off, filename_off, ctype_off; /* into vals, or NO_VALUE */
};

static const char *const errors[MP_ERR__MAX] = {
    [MP_OK] = "ok",
    [MP_ERR_NO_BOUNDARY] = "content type is not multipart/form-data with a valid boundary",
    [MP_ERR_MALFORMED] = "malformed multipart body",
    [MP_ERR_HEADER_TOO_LARGE] = "part headers too large",
    [MP_ERR_NESTED] = "nested multipart part not supported",
    [MP_ERR_TOO_MANY_PARTS] = "too many parts",
    [MP_ERR_TRUNCATED] = "multipart body ends before its close delimiter",
    [MP_ERR_ABORTED] = "aborted by the receiver",
    [MP_ERR_NOMEM] = "out of memory",
};

const char *mp_strerror(enum mp_err e)
{
	if ((unsigned)e >= MP_ERR__MAX || !errors[e])
		return "unknown multipart error";
	return errors[e];
}

/* ---- lexical helpers (RFC 9110 5.6) ---- */

static int is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 2046 5.1.1 bcharsnospace. */
static int is_bchar_nospace(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 1;
	return c != '\0' && strchr("'()+_,-./:=?", c) != NULL;
}

static const char *skip_ows(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* s[0..n) equals the lower-case word w, ignoring ASCII case (no locale). */
static int word_eq(const char *s, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (w[i] == '\0' || lower((unsigned char)s[i]) != w[i])
			return 0;
	return w[n] == '\0';
}

/*
 * Moves *sp past the next "; name=" of a parameter list (RFC 9110 5.6.6:
 * parameters = *( OWS ";" OWS [ parameter ] ), so empty ones are skipped).
 * Returns 1 with the name set and *sp at the value, 0 at the end, -1 if
 * malformed.
 */
static int param_name(const char **sp, const char **name, size_t *nlen)
{
	const char *s = skip_ows(*sp), *start;

	for (;;) {
		if (*s == '\0')
			return 0;
		if (*s != ';')
			return -1;
		s = skip_ows(s + 1);
		if (*s != ';' && *s != '\0')
			break;
	}
	start = s;
	while (is_tchar((unsigned char)*s))
		s++;
	if (s == start || *s != '=')
		return -1;
	*name = start;
	*nlen = (size_t)(s - start);
	*sp = s + 1;
	return 1;
}

/*
 * Reads a token or a quoted-string (RFC 9110 5.6.4) at *sp and moves past it.
 * When out is not NULL the value, unescaped, is written there with a NUL
 * (cap bytes at most) and its length in *olen.  Returns 0, or -1 when
 * malformed or too long for out.
 */
static int param_value(const char **sp, char *out, size_t cap, size_t *olen)
{
	const char *s = *sp;
	size_t n = 0;

	if (*s != '"') {
		const char *start = s;

		while (is_tchar((unsigned char)*s))
			s++;
		n = (size_t)(s - start);
		if (n == 0)
			return -1;
		if (out) {
			if (n >= cap)
				return -1;
			memcpy(out, start, n);
		}
	} else {
		for (s++; *s != '"'; s++) {
			unsigned char c = (unsigned char)*s;

			if (c == '\\') {
				c = (unsigned char)*++s;
				if (c == '\0')
					return -1;
			}
			/* qdtext and quoted-pair: HTAB, SP, VCHAR, obs-text */
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return -1;
			if (out) {
				if (n + 1 >= cap)
					return -1;
				out[n] = (char)c;
			}
			n++;
		}
		s++;
	}
	if (out) {
		out[n] = '\0';
		*olen = n;
	}
	*sp = s;
	return 0;
}

/* ---- the request's Content-Type (RFC 7578 4.1, RFC 2046 5.1.1) ---- */

static int boundary_valid(const char *b, size_t n)
{
	size_t i;

	if (n < 1 || n > MP_BOUNDARY_MAX || b[n - 1] == ' ')
		return 0;
	for (i = 0; i < n; i++)
		if (b[i] != ' ' && !is_bchar_nospace((unsigned char)b[i]))
			return 0;
	return 1;
}

static enum mp_err take_boundary(const char *ct, char *bnd, size_t cap, size_t *blen)
{
	static const char type[] = "multipart/form-data";
	const char *s = skip_ows(ct), *name;
	size_t nlen;
	int r, found = 0;

	/* Type and subtype are case-insensitive (RFC 9110 8.3.1). */
	if (!word_eq(s, sizeof(type) - 1, type))
		return MP_ERR_NO_BOUNDARY;
	s += sizeof(type) - 1;
	if (*s != '\0' && *s != ';' && *s != ' ' && *s != '\t')
		return MP_ERR_NO_BOUNDARY;
	while ((r = param_name(&s, &name, &nlen)) == 1) {
		int is_bnd = word_eq(name, nlen, "boundary");

		if (is_bnd && found)
			return MP_ERR_NO_BOUNDARY; /* two boundaries: ambiguous */
		if (param_value(&s, is_bnd ? bnd : NULL, cap, blen) < 0)
			return MP_ERR_NO_BOUNDARY;
		found |= is_bnd;
	}
	if (r < 0 || !found || !boundary_valid(bnd, *blen))
		return MP_ERR_NO_BOUNDARY;
	return MP_OK;
}

enum mp_err mp_parser_new(const char *content_type, const struct mp_callbacks *cb, void *arg,
                          struct mp_parser **out)
{
	char bnd[MP_BOUNDARY_MAX + 1];
	size_t blen = 0;
	struct mp_parser *p;
	enum mp_err e;

	*out = NULL;
	if (!content_type)
		return MP_ERR_NO_BOUNDARY;
	e = take_boundary(content_type, bnd, sizeof(bnd), &blen);
	if (e != MP_OK)
		return e;
	p = calloc(1, sizeof(*p));
	if (!p)
		return MP_ERR_NOMEM;
	if (cb)
		p->cb = *cb;
	p->arg = arg;
	memcpy(p->delim, "\r\n--", 4);
	memcpy(p->delim + 4, bnd, blen);
	p->dlen = 4 + blen;
	/* The first delimiter may open the body with no CRLF before it (RFC 2046
	 * 5.1.1, dash-boundary): start as if a CRLF had been seen. */
	p->state = ST_PREAMBLE;
	p->matched = 2;
	p->skip = 2;
	*out = p;
	return MP_OK;
}

void mp_parser_free(struct mp_parser *p)
{
	free(p);
}

size_t mp_parser_buffered(const struct mp_parser *p)
{
	if (p->state == ST_HEADER || p->state == ST_HEADER_LF)
		return p->hdr_total;
	return p->matched - p->skip;
}

unsigned mp_parser_parts(const struct mp_parser *p)
{
	return p->parts;
}

static enum mp_err fail(struct mp_parser *p, enum mp_err e)
{
	p->err = e;
	return e;
}

static enum mp_err emit(struct mp_parser *p, const void *data, size_t len)
{
	if (len == 0 || !p->cb.part_data)
		return MP_OK;
	if (p->cb.part_data(p->arg, data, len) != 0)
		return fail(p, MP_ERR_ABORTED);
	return MP_OK;
}

/* ---- part headers (RFC 7578 4.2, 4.4) ---- */

/* Copies a parameter value into vals, recording its offset in *off. */
static enum mp_err take_value(struct mp_parser *p, const char **s, size_t *off)
{
	size_t n;

	if (*off != NO_VALUE)
		return MP_ERR_MALFORMED; /* the same parameter twice */
	if (param_value(s, p->vals + p->vals_len, sizeof(p->vals) - p->vals_len, &n) < 0)
		return MP_ERR_MALFORMED;
	*off = p->vals_len;
	p->vals_len += n + 1;
	return MP_OK;
}

static enum mp_err on_disposition(struct mp_parser *p, const char *v)
{
	static const char type[] = "form-data";
	const char *s = v, *name;
	size_t nlen;
	int r = 0;
	enum mp_err e = MP_OK;

	if (p->name_off != NO_VALUE)
		return MP_ERR_MALFORMED; /* a second Content-Disposition */
	while (is_tchar((unsigned char)*s))
		s++;
	if (!word_eq(v, (size_t)(s - v), type))
		return MP_ERR_MALFORMED;
	while (e == MP_OK && (r = param_name(&s, &name, &nlen)) == 1) {
		if (word_eq(name, nlen, "name"))
			e = take_value(p, &s, &p->name_off);
		else if (word_eq(name, nlen, "filename"))
			e = take_value(p, &s, &p->filename_off);
		else if (param_value(&s, NULL, 0, NULL) < 0)
			e = MP_ERR_MALFORMED;
	}
	if (e != MP_OK)
		return e;
	if (r < 0 || p->name_off == NO_VALUE || p->vals[p->name_off] == '\0')
		return MP_ERR_MALFORMED;
	return MP_OK;
}

static enum mp_err on_content_type(struct mp_parser *p, const char *v)
{
	static const char nested[] = "multipart/";
	size_t n = strlen(v);

	if (p->ctype_off != NO_VALUE || n == 0)
		return MP_ERR_MALFORMED;
	if (n >= sizeof(nested) - 1 && word_eq(v, sizeof(nested) - 1, nested))
		return MP_ERR_NESTED;
	if (n + 1 > sizeof(p->vals) - p->vals_len)
		return MP_ERR_MALFORMED; /* cannot happen: values fit, see vals */
	memcpy(p->vals + p->vals_len, v, n + 1);
	p->ctype_off = p->vals_len;
	p->vals_len += n + 1;
	return MP_OK;
}

/* Headers the parser reads; all others are ignored (RFC 7578 4.7, 4.8). */
static const struct {
	const char *name; /* lower case */
	enum mp_err (*fn)(struct mp_parser *p, const char *value);
} header_table[] = {
    {"content-disposition", on_disposition},
    {"content-type", on_content_type},
};

/* One complete header line, without its CRLF, in p->line. */
static enum mp_err header_line(struct mp_parser *p)
{
	char *line = p->line, *colon, *v, *end;
	size_t i, nlen;

	if (++p->hdr_lines > MP_HEADER_LINES_MAX)
		return MP_ERR_HEADER_TOO_LARGE;
	line[p->line_len] = '\0';
	colon = memchr(line, ':', p->line_len);
	if (!colon)
		return MP_ERR_MALFORMED;
	/* field-name is a token: this also refuses obs-fold continuation lines and
	 * whitespace before the colon (RFC 9112 5.1, 5.2). */
	nlen = (size_t)(colon - line);
	if (nlen == 0)
		return MP_ERR_MALFORMED;
	for (i = 0; i < nlen; i++)
		if (!is_tchar((unsigned char)line[i]))
			return MP_ERR_MALFORMED;
	v = (char *)skip_ows(colon + 1);
	end = line + p->line_len;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	for (i = 0; i < sizeof(header_table) / sizeof(header_table[0]); i++)
		if (word_eq(line, nlen, header_table[i].name))
			return header_table[i].fn(p, v);
	return MP_OK;
}

static void begin_headers(struct mp_parser *p)
{
	p->state = ST_HEADER;
	p->in_part = 1;
	p->hdr_total = 0;
	p->hdr_lines = 0;
	p->line_len = 0;
	p->vals_len = 0;
	p->name_off = p->filename_off = p->ctype_off = NO_VALUE;
}

static enum mp_err begin_body(struct mp_parser *p)
{
	const char *fname, *ctype;

	if (p->name_off == NO_VALUE)
		return fail(p, MP_ERR_MALFORMED); /* RFC 7578 4.2: disposition required */
	fname = p->filename_off == NO_VALUE ? NULL : p->vals + p->filename_off;
	ctype = p->ctype_off == NO_VALUE ? NULL : p->vals + p->ctype_off;
	if (p->cb.part_begin && p->cb.part_begin(p->arg, p->vals + p->name_off, fname, ctype) != 0)
		return fail(p, MP_ERR_ABORTED);
	/* The CRLF that ended the headers may also be the CRLF of the next
	 * delimiter when the part is empty (RFC 2046 5.1.1: body-part :=
	 * MIME-part-headers [CRLF *OCTET]): hold it as matched but not data. */
	p->state = ST_BODY;
	p->hdr_total = 0;
	p->matched = 2;
	p->skip = 2;
	return MP_OK;
}

/* Consumes header bytes from buf; returns how many. */
static size_t feed_header(struct mp_parser *p, const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len && !p->err; i++) {
		unsigned char c = buf[i];

		if (++p->hdr_total > MP_HEADER_MAX) {
			fail(p, MP_ERR_HEADER_TOO_LARGE);
		} else if (p->state == ST_HEADER_LF) {
			enum mp_err e;

			if (c != '\n') {
				fail(p, MP_ERR_MALFORMED);
			} else if (p->line_len == 0) {
				begin_body(p);
				return i + 1;
			} else if ((e = header_line(p)) != MP_OK) {
				fail(p, e);
			} else {
				p->line_len = 0;
				p->state = ST_HEADER;
			}
		} else if (c == '\r') {
			p->state = ST_HEADER_LF;
		} else if ((c < 0x20 && c != '\t') || c == 0x7f) {
			fail(p, MP_ERR_MALFORMED); /* bare LF, NUL, other controls */
		} else {
			p->line[p->line_len++] = (char)c;
		}
	}
	return i;
}

/* ---- delimiters (RFC 2046 5.1.1) ---- */

/*
 * Scans buf for the delimiter, delivering content when in a part.  Returns
 * the bytes consumed; *found tells whether they end with a whole delimiter.
 */
static size_t scan_delim(struct mp_parser *p, const uint8_t *buf, size_t len, int *found)
{
	const int deliver = p->state == ST_BODY;
	size_t i = 0, run = 0, mstart = 0, end;
	int in_buf = 0; /* the held match began in buf, at mstart */

	*found = 0;
	while (i < len) {
		if (p->matched == 0) {
			const uint8_t *cr = memchr(buf + i, '\r', len - i);

			if (!cr) {
				i = len;
				break;
			}
			mstart = (size_t)(cr - buf);
			in_buf = 1;
			p->matched = 1;
			i = mstart + 1;
			continue;
		}
		if (buf[i] == (uint8_t)p->delim[p->matched]) {
			i++;
			if (++p->matched < p->dlen)
				continue;
			p->matched = 0;
			p->skip = 0;
			*found = 1;
			if (deliver && in_buf)
				emit(p, buf + run, mstart - run);
			return i;
		}
		/* Mismatch: the held bytes were content.  Those from an earlier
		 * buffer are delivered from the delimiter text; those of buf stay
		 * in the current run. */
		if (!in_buf) {
			if (deliver && emit(p, p->delim + p->skip, p->matched - p->skip) != MP_OK)
				return i;
			run = i;
		}
		p->skip = 0;
		if (buf[i] == '\r') {
			p->matched = 1;
			mstart = i;
			in_buf = 1;
		} else {
			p->matched = 0;
		}
		i++;
	}
	if (p->matched == 0)
		end = len;
	else
		end = in_buf ? mstart : run;
	if (deliver)
		emit(p, buf + run, end - run);
	return len;
}

static enum mp_err end_part(struct mp_parser *p)
{
	if (!p->in_part)
		return MP_OK;
	p->in_part = 0;
	if (p->cb.part_end && p->cb.part_end(p->arg) != 0)
		return fail(p, MP_ERR_ABORTED);
	return MP_OK;
}

/* One byte of the rest of a delimiter line. */
static void delim_byte(struct mp_parser *p, unsigned char c)
{
	switch (p->state) {
	case ST_DELIM_AFTER:
		if (c == '-')
			p->state = ST_DELIM_DASH;
		else if (c == ' ' || c == '\t')
			p->state = ST_DELIM_PAD;
		else if (c == '\r')
			p->state = ST_DELIM_LF;
		else
			fail(p, MP_ERR_MALFORMED);
		break;
	case ST_DELIM_DASH:
		if (c != '-')
			fail(p, MP_ERR_MALFORMED);
		else if (end_part(p) == MP_OK)
			p->state = ST_EPILOGUE;
		break;
	case ST_DELIM_PAD:
		if (c == '\r')
			p->state = ST_DELIM_LF;
		else if (c != ' ' && c != '\t')
			fail(p, MP_ERR_MALFORMED);
		break;
	case ST_DELIM_LF:
		if (c != '\n')
			fail(p, MP_ERR_MALFORMED);
		else if (end_part(p) != MP_OK)
			break;
		else if (++p->parts > MP_PARTS_MAX)
			fail(p, MP_ERR_TOO_MANY_PARTS);
		else
			begin_headers(p);
		break;
	default:
		fail(p, MP_ERR_MALFORMED); /* unreachable */
	}
}

enum mp_err mp_parser_feed(struct mp_parser *p, const uint8_t *buf, size_t len)
{
	size_t i = 0;

	while (i < len && !p->err) {
		int found;

		switch (p->state) {
		case ST_PREAMBLE:
		case ST_BODY:
			i += scan_delim(p, buf + i, len - i, &found);
			if (found && !p->err)
				p->state = ST_DELIM_AFTER;
			break;
		case ST_HEADER:
		case ST_HEADER_LF:
			i += feed_header(p, buf + i, len - i);
			break;
		case ST_EPILOGUE:
			i = len; /* RFC 2046 5.1.1: the epilogue is ignored */
			break;
		default:
			delim_byte(p, buf[i++]);
		}
	}
	return p->err;
}

enum mp_err mp_parser_finish(struct mp_parser *p)
{
	if (!p->err && p->state != ST_EPILOGUE)
		fail(p, MP_ERR_TRUNCATED);
	return p->err;
}

/*
 * tmpl_parse.c - a line-by-line state machine over the template text
 * (see tmpl_parse.h for the grammar and limits).
 */
#include "tmpl_parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

struct parser {
	struct tmpl *t;
	size_t line_no;
	char *detail;
	size_t detaillen;
};

static enum tmpl_err fail(struct parser *p, enum tmpl_err e, const char *fmt, ...)
{
	va_list ap;
	char what[160];

	if (!p->detail || p->detaillen == 0)
		return e;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(p->detail, p->detaillen, "line %zu: %s", p->line_no, what);
	return e;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

static int is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_ident(unsigned char c)
{
	return is_alnum(c) || c == '_';
}

static int is_bare(unsigned char c)
{
	return is_alnum(c) || c == '_' || c == '.' || c == '/' || c == ':' || c == '-';
}

/* Trims spaces and tabs off both ends of [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
	while (*n > 0 && is_space(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_space((*s)[*n - 1]))
		(*n)--;
}

/* Copies an identifier [A-Za-z0-9_]{1,TMPL_TOKEN_MAX} from *s, advancing. */
static int take_ident(const char **s, const char *end, char out[TMPL_TOKEN_MAX + 1])
{
	size_t n = 0;

	while (*s + n < end && is_ident((unsigned char)(*s)[n]))
		n++;
	if (n == 0 || n > TMPL_TOKEN_MAX)
		return -1;
	memcpy(out, *s, n);
	out[n] = '\0';
	*s += n;
	return 0;
}

static void skip_space(const char **s, const char *end)
{
	while (*s < end && is_space(**s))
		(*s)++;
}

static enum tmpl_err parse_header(struct parser *p, const char *l, size_t n)
{
	static const struct {
		const char *word;
		enum tmpl_kind kind;
	} kinds[] = {{"service", TMPL_SERVICE}, {"doc_object", TMPL_DOC_OBJECT}};
	const char *s = l + 1, *end = l + n - 1; /* inside the brackets */
	struct tmpl_section *sec, *grown;
	char word[TMPL_TOKEN_MAX + 1];
	size_t k;

	skip_space(&s, end);
	if (take_ident(&s, end, word) != 0)
		return fail(p, TMPL_ERR_SYNTAX, "bad section header");
	for (k = 0; k < N_ELEMS(kinds); k++)
		if (strcmp(word, kinds[k].word) == 0)
			break;
	if (k == N_ELEMS(kinds))
		return fail(p, TMPL_ERR_SYNTAX, "section kind is neither service nor doc_object");
	if (s == end || !is_space(*s))
		return fail(p, TMPL_ERR_SYNTAX, "bad section header");
	skip_space(&s, end);
	if (p->t->n == TMPL_MAX_SECTIONS)
		return fail(p, TMPL_ERR_TOO_BIG, "more than %d sections", TMPL_MAX_SECTIONS);
	grown = realloc(p->t->sections, (p->t->n + 1) * sizeof(*grown));
	if (!grown)
		return TMPL_ERR_NOMEM;
	p->t->sections = grown;
	sec = &grown[p->t->n];
	memset(sec, 0, sizeof(*sec));
	if (take_ident(&s, end, sec->name) != 0)
		return fail(p, TMPL_ERR_SYNTAX, "bad section name");
	skip_space(&s, end);
	if (s != end)
		return fail(p, TMPL_ERR_SYNTAX, "junk after the section name");
	sec->kind = kinds[k].kind;
	if (tmpl_section(p->t, sec->kind, sec->name))
		return fail(p, TMPL_ERR_DUPLICATE, "section %s appears twice", sec->name);
	p->t->n++;
	return TMPL_OK;
}

/* "type Name = value;" with optional spaces around '=' and before ';'. */
static enum tmpl_err parse_entry(struct parser *p, const char *l, size_t n)
{
	struct tmpl_section *sec = &p->t->sections[p->t->n - 1];
	const char *s = l, *end = l + n, *v;
	struct tmpl_entry e, *grown;
	size_t vn, i;

	memset(&e, 0, sizeof(e));
	if (take_ident(&s, end, e.type) != 0 || s == end || !is_space(*s))
		return fail(p, TMPL_ERR_SYNTAX, "expected '<type> <Name> = <value>;'");
	skip_space(&s, end);
	if (take_ident(&s, end, e.name) != 0)
		return fail(p, TMPL_ERR_SYNTAX, "bad name");
	skip_space(&s, end);
	if (s == end || *s != '=')
		return fail(p, TMPL_ERR_SYNTAX, "expected '=' after %s", e.name);
	s++;
	if (end[-1] != ';')
		return fail(p, TMPL_ERR_SYNTAX, "missing ';' after %s", e.name);
	v = s;
	vn = (size_t)(end - 1 - s);
	trim(&v, &vn);
	if (vn > TMPL_VALUE_MAX + 2)
		return fail(p, TMPL_ERR_TOO_BIG, "value of %s is too long", e.name);
	if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"') {
		for (i = 1; i + 1 < vn; i++)
			if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7E || v[i] == '"')
				return fail(p, TMPL_ERR_SYNTAX, "bad character in the value of %s",
				            e.name);
		v++;
		vn -= 2;
		e.quoted = true;
	} else {
		if (vn == 0)
			return fail(p, TMPL_ERR_SYNTAX, "empty value for %s", e.name);
		for (i = 0; i < vn; i++)
			if (!is_bare((unsigned char)v[i]))
				return fail(p, TMPL_ERR_SYNTAX, "bad bare value for %s", e.name);
	}
	for (i = 0; i < sec->n; i++)
		if (strcmp(sec->entries[i].name, e.name) == 0)
			return fail(p, TMPL_ERR_DUPLICATE, "%s is set twice", e.name);
	if (sec->n == TMPL_MAX_ENTRIES)
		return fail(p, TMPL_ERR_TOO_BIG, "more than %d lines in a section",
		            TMPL_MAX_ENTRIES);
	e.value = malloc(vn + 1);
	if (!e.value)
		return TMPL_ERR_NOMEM;
	memcpy(e.value, v, vn);
	e.value[vn] = '\0';
	grown = realloc(sec->entries, (sec->n + 1) * sizeof(*grown));
	if (!grown) {
		free(e.value);
		return TMPL_ERR_NOMEM;
	}
	sec->entries = grown;
	grown[sec->n++] = e;
	return TMPL_OK;
}

enum tmpl_err tmpl_parse(const char *text, size_t len, struct tmpl *out, char *detail,
                         size_t detaillen)
{
	enum { OUTSIDE, HEADER, BODY, CLOSED } state = OUTSIDE;
	struct parser p = {out, 0, detail, detaillen};
	const char *l = text, *end = text + len, *nl;
	enum tmpl_err e = TMPL_OK;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (detail && detaillen)
		detail[0] = '\0';
	if (len > TMPL_MAX_BYTES)
		return fail(&p, TMPL_ERR_TOO_BIG, "template longer than %d bytes", TMPL_MAX_BYTES);
	if (len == 0 || memchr(text, '\0', len))
		return fail(&p, TMPL_ERR_SYNTAX, "empty template or a NUL byte");
	while (l < end && e == TMPL_OK) {
		nl = memchr(l, '\n', (size_t)(end - l));
		n = nl ? (size_t)(nl - l) : (size_t)(end - l);
		p.line_no++;
		if (n > 0 && l[n - 1] == '\r')
			n--;
		trim(&l, &n);
		if (n == 0)
			; /* blank lines are fine anywhere */
		else if (state == OUTSIDE && l[0] == '[' && l[n - 1] == ']' && n > 2) {
			e = parse_header(&p, l, n);
			state = HEADER;
		} else if (state == HEADER && n == 1 && l[0] == '{')
			state = BODY;
		else if (state == BODY && n == 1 && l[0] == '}')
			state = CLOSED;
		else if (state == BODY)
			e = parse_entry(&p, l, n);
		else if (state == CLOSED && n == 3 && memcmp(l, "end", 3) == 0)
			state = OUTSIDE;
		else
			e = fail(&p, TMPL_ERR_SYNTAX, "unexpected line");
		if (!nl)
			break;
		l = nl + 1;
	}
	if (e == TMPL_OK && state != OUTSIDE)
		e = fail(&p, TMPL_ERR_SYNTAX, "the last section is not closed by '}' and 'end'");
	if (e == TMPL_OK && out->n == 0)
		e = fail(&p, TMPL_ERR_SYNTAX, "no section");
	if (e != TMPL_OK)
		tmpl_free(out);
	return e;
}

void tmpl_free(struct tmpl *t)
{
	size_t s, i;

	if (!t)
		return;
	for (s = 0; s < t->n; s++) {
		for (i = 0; i < t->sections[s].n; i++)
			free(t->sections[s].entries[i].value);
		free(t->sections[s].entries);
	}
	free(t->sections);
	memset(t, 0, sizeof(*t));
}

const struct tmpl_section *tmpl_section(const struct tmpl *t, enum tmpl_kind kind, const char *name)
{
	size_t s;

	for (s = 0; s < t->n; s++)
		if (t->sections[s].kind == kind && strcmp(t->sections[s].name, name) == 0)
			return &t->sections[s];
	return NULL;
}

const char *tmpl_value(const struct tmpl_section *s, const char *name)
{
	size_t i;

	if (!s)
		return NULL;
	for (i = 0; i < s->n; i++)
		if (strcmp(s->entries[i].name, name) == 0)
			return s->entries[i].value;
	return NULL;
}

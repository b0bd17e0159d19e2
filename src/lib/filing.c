/*
 * filing.c - the filing protocol's tables and name rules (see filing.h).
 */
#include "filing.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* theOperation values: Xerox's sample script, phpRequestExecutor::Run. */
static const struct {
	const char *name;
	enum filing_op op;
} ops[] = {
    {"PutFile", FILING_OP_PUTFILE},     {"MakeDir", FILING_OP_MAKEDIR},
    {"ListDir", FILING_OP_LISTDIR},     {"DeleteFile", FILING_OP_DELETEFILE},
    {"RemoveDir", FILING_OP_REMOVEDIR}, {"DeleteDirContents", FILING_OP_DELETEDIRCONTENTS},
    {"GetFile", FILING_OP_GETFILE},
};

enum filing_op filing_op_of(const char *text)
{
	size_t i;

	if (text[0] == '\0')
		return FILING_OP_NONE;
	for (i = 0; i < N_ELEMS(ops); i++)
		if (strcmp(ops[i].name, text) == 0)
			return ops[i].op;
	return FILING_OP_UNKNOWN;
}

const char *filing_op_name(enum filing_op op)
{
	size_t i;

	for (i = 0; i < N_ELEMS(ops); i++)
		if (ops[i].op == op)
			return ops[i].name;
	return op == FILING_OP_NONE ? "none" : "unknown";
}

/* The sample's RETURN_* strings. */
static const char *const answers[] = {
    [FILING_DONE] = "",
    [FILING_XRXERROR] = "XRXERROR",
    [FILING_XRXNOTFOUND] = "XRXNOTFOUND",
    [FILING_XRXBADNAME] = "XRXBADNAME",
    [FILING_XRXDIREXISTS] = "XRXDIREXISTS",
};

const char *filing_answer_text(enum filing_answer a)
{
	return (size_t)a < N_ELEMS(answers) ? answers[a] : "XRXERROR";
}

/* Extensions that are not documents.  The sample's CheckFileExtension lists
 * .xst .dat .txt; .lck is the lock file (filing.h). */
static const struct {
	const char *ext;
	enum filing_kind kind;
} kinds[] = {
    {".lck", FILING_KIND_LOCK},
    {".xst", FILING_KIND_JOB_LOG},
    {".dat", FILING_KIND_NOTE},
    {".txt", FILING_KIND_NOTE},
};

static bool ends_with(const char *s, const char *ext)
{
	size_t n = strlen(s), e = strlen(ext);

	return n > e && strcasecmp(s + n - e, ext) == 0;
}

enum filing_kind filing_kind_of(const char *name)
{
	size_t i;

	for (i = 0; i < N_ELEMS(kinds); i++)
		if (ends_with(name, kinds[i].ext))
			return kinds[i].kind;
	return FILING_KIND_DOCUMENT;
}

static bool name_char_ok(unsigned char c)
{
	return c >= 0x20 && c <= 0x7E && !strchr("<>:\"|?*/\\", c);
}

/* n bytes at s form a good name. */
static bool name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > FILING_NAME_MAX || (n == 1 && s[0] == '.') ||
	    (n == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (i = 0; i < n; i++)
		if (!name_char_ok((unsigned char)s[i]))
			return false;
	return true;
}

bool filing_name_ok(const char *name)
{
	return name && name_ok(name, strlen(name));
}

bool filing_name_readable(const char *name)
{
	return filing_name_ok(name) && filing_kind_of(name) != FILING_KIND_DOCUMENT;
}

static bool is_sep(char c)
{
	return c == '/' || c == '\\';
}

int filing_dir_normalize(const char *in, char *out, size_t outlen)
{
	const char *p = in, *end;
	size_t used = 0, depth = 0, n;

	if (!in || !*in || outlen < FILING_DIR_MAX + 1)
		return -1;
	end = in + strlen(in);
	while (end > in && is_sep(end[-1]))
		end--; /* trailing separators */
	if (is_sep(*p))
		p++;
	out[0] = '\0';
	while (p < end) {
		const char *q = p;

		while (q < end && !is_sep(*q))
			q++;
		n = (size_t)(q - p);
		if (!name_ok(p, n) || ++depth > FILING_DEPTH_MAX || used + 1 + n > FILING_DIR_MAX)
			return -1;
		out[used++] = '/';
		memcpy(out + used, p, n);
		used += n;
		p = q + (q < end ? 1 : 0); /* one separator; "a//b" meets an empty name */
	}
	if (used == 0)
		out[used++] = '/';
	out[used] = '\0';
	return 0;
}

int filing_dir_split(const char *dir, char *parent, size_t plen, char *name, size_t nlen)
{
	const char *last = strrchr(dir, '/');
	size_t pn;

	if (!last || dir[0] != '/' || last[1] == '\0')
		return -1;
	pn = last == dir ? 1 : (size_t)(last - dir);
	if (pn >= plen || strlen(last + 1) >= nlen)
		return -1;
	memcpy(parent, dir, pn);
	parent[pn] = '\0';
	snprintf(name, nlen, "%s", last + 1);
	return 0;
}

bool filing_folder_removable(const char *dir)
{
	const char *last = strrchr(dir, '/');

	return last && last[1] && (ends_with(last + 1, ".lck") || ends_with(last + 1, ".xsm"));
}

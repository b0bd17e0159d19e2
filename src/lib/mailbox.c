/*
 * mailbox.c - mailbox syntax: dot-atom local part, LDH domain labels and the
 * RFC 5321 length limits (see mailbox.h).
 */
#include "mailbox.h"

#include <stdbool.h>
#include <string.h>

/* RFC 5322 3.2.3 atext. */
static bool is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static bool is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-';
}

static const char *local_part_check(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return "has no local part before '@'";
	if (len > 64) /* RFC 5321 4.5.3.1.1 */
		return "has a local part longer than 64 characters";
	if (s[0] == '.' || s[len - 1] == '.')
		return "has a local part that starts or ends with '.'";
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return "has '..' in its local part";
		} else if (!is_atext((unsigned char)s[i])) {
			return "has a character not allowed in a local part";
		}
	}
	return NULL;
}

/* RFC 1035 2.3.1 / RFC 5890 LDH labels, at least two of them. */
static const char *domain_check(const char *s, size_t len)
{
	size_t i, start = 0, labels = 0;

	if (len == 0)
		return "has no domain after '@'";
	if (len > 255) /* RFC 5321 4.5.3.1.2 */
		return "has a domain longer than 255 characters";
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '.') {
			if (!is_ldh((unsigned char)s[i]))
				return "has a character not allowed in a domain";
			continue;
		}
		if (i == start)
			return "has an empty domain label";
		if (i - start > 63)
			return "has a domain label longer than 63 characters";
		if (s[start] == '-' || s[i - 1] == '-')
			return "has a domain label that starts or ends with '-'";
		labels++;
		start = i + 1;
	}
	if (labels < 2)
		return "has a domain without a dot";
	return NULL;
}

int mailbox_check(const char *addr, size_t len, const char **why)
{
	const char *at, *reason;

	if (len > 254) /* RFC 5321 4.5.3.1.3: a 256-octet path less "<>" */
		reason = "is longer than 254 characters";
	else if ((at = memchr(addr, '@', len)) == NULL)
		reason = "has no '@'";
	else if ((reason = local_part_check(addr, (size_t)(at - addr))) == NULL)
		reason = domain_check(at + 1, len - (size_t)(at - addr) - 1);
	if (why)
		*why = reason;
	return reason ? -1 : 0;
}

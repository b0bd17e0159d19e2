/*
 * wire.c - form, JSON and date codecs for rmail-sim (see wire.h).
 */
#include "wire.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decodes in[0..len) into out[outlen] with '+' as space and %HH escapes.
 * Returns the decoded length, or -1 on a bad escape, a decoded NUL or when
 * out is too small (the terminating NUL included).
 */
static long form_decode(const char *in, size_t len, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return -1;
			hi = hex_value((unsigned char)in[i + 1]);
			lo = hex_value((unsigned char)in[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0' || o + 1 >= outlen)
			return -1;
		out[o++] = (char)c;
	}
	if (outlen == 0)
		return -1;
	out[o] = '\0';
	return (long)o;
}

enum wire_form_result wire_form_get(const char *body, size_t len, const char *name, char *out,
                                    size_t outlen)
{
	size_t pos = 0;

	if (outlen == 0)
		return WIRE_FORM_MALFORMED;
	out[0] = '\0';
	while (pos < len) {
		const char *pair = body + pos;
		const char *amp = memchr(pair, '&', len - pos);
		size_t pair_len = amp ? (size_t)(amp - pair) : len - pos;
		const char *eq = memchr(pair, '=', pair_len);
		size_t name_len = eq ? (size_t)(eq - pair) : pair_len;
		char decoded_name[128];

		pos += pair_len + 1;
		if (pair_len == 0)
			continue;
		/* A name that does not decode, or is longer than any we look for, is not ours. */
		if (form_decode(pair, name_len, decoded_name, sizeof(decoded_name)) < 0)
			continue;
		if (strcasecmp(decoded_name, name) != 0)
			continue;
		if (!eq)
			return WIRE_FORM_FOUND; /* "name" alone: an empty value */
		if (form_decode(eq + 1, pair_len - name_len - 1, out, outlen) < 0) {
			out[0] = '\0';
			return WIRE_FORM_MALFORMED;
		}
		return WIRE_FORM_FOUND;
	}
	return WIRE_FORM_ABSENT;
}

json_object *wire_json_parse(const char *buf, size_t len)
{
	struct json_tokener *tok;
	json_object *obj;
	size_t used;

	if (len > (size_t)INT32_MAX)
		return NULL;
	tok = json_tokener_new_ex(32);
	if (!tok)
		return NULL;
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		/* json_tokener_continue: the document ended early. */
		json_object_put(obj);
		json_tokener_free(tok);
		return NULL;
	}
	used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	for (; used < len; used++) {
		if (!isspace((unsigned char)buf[used])) {
			json_object_put(obj);
			return NULL;
		}
	}
	return obj;
}

json_object *wire_json_get(json_object *obj, const char *name)
{
	if (!obj || !json_object_is_type(obj, json_type_object))
		return NULL;
	json_object_object_foreach(obj, key, val)
	{
		if (strcasecmp(key, name) == 0)
			return val;
	}
	return NULL;
}

const char *wire_json_get_string(json_object *obj, const char *name)
{
	json_object *v = wire_json_get(obj, name);

	if (!v || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

void wire_format_http_date(time_t t, char *out, size_t outlen)
{
	/* Fixed English names: strftime's %a/%b follow the locale, HTTP does not. */
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		snprintf(out, outlen, "Thu, 01 Jan 1970 00:00:00 GMT");
		return;
	}
	snprintf(out, outlen, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7],
	         tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	         tm.tm_sec);
}

void wire_format_iso8601(time_t t, char *out, size_t outlen)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		snprintf(out, outlen, "1970-01-01T00:00:00Z");
		return;
	}
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Reads exactly n digits at *p into *val and advances *p; -1 if they are not all digits. */
static int read_digits(const char **p, int n, int *val)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*val = v;
	return 0;
}

static int days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

int wire_parse_datetime(const char *s, time_t *out)
{
	const char *p = s;
	int year, mon, day, hour = 0, min = 0, sec = 0, off_h = 0, off_m = 0, sign = 0;
	struct tm tm;
	time_t t;

	if (!s || read_digits(&p, 4, &year) || *p++ != '-' || read_digits(&p, 2, &mon) ||
	    *p++ != '-' || read_digits(&p, 2, &day))
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (read_digits(&p, 2, &hour) || *p++ != ':' || read_digits(&p, 2, &min))
			return -1;
		if (*p == ':') {
			p++;
			if (read_digits(&p, 2, &sec))
				return -1;
			if (*p == '.') {
				p++;
				if (!isdigit((unsigned char)*p))
					return -1;
				while (isdigit((unsigned char)*p))
					p++; /* fractions of a second do not matter here */
			}
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			if (read_digits(&p, 2, &off_h))
				return -1;
			if (*p == ':')
				p++;
			if (read_digits(&p, 2, &off_m))
				return -1;
		}
	}
	if (*p != '\0' || year < 1970 || mon < 1 || mon > 12 || day < 1 ||
	    day > days_in_month(year, mon) || hour > 23 || min > 59 || sec > 60 || off_h > 23 ||
	    off_m > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = t - (time_t)sign * (off_h * 3600 + off_m * 60);
	return 0;
}

static bool is_local_char(unsigned char c)
{
	/* RFC 5322 3.2.3 atext plus '.', which is all a plain dot-atom local part uses. */
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL) || c >= 0x80;
}

bool wire_email_plausible(const char *addr)
{
	const char *at = strchr(addr, '@');
	const char *label;
	size_t label_len = 0, labels = 0;

	if (!at || at == addr || strchr(at + 1, '@') || strlen(addr) > 254)
		return false;
	for (const char *p = addr; p < at; p++) {
		if (!is_local_char((unsigned char)*p))
			return false;
	}
	if (addr[0] == '.' || at[-1] == '.' || strstr(addr, "..") != NULL)
		return false;
	label = at + 1;
	for (const char *p = label;; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '.' || c == '\0') {
			if (label_len == 0 || label_len > 63 || label[0] == '-' || p[-1] == '-')
				return false;
			labels++;
			if (c == '\0')
				break;
			label = p + 1;
			label_len = 0;
			continue;
		}
		if (!isalnum(c) && c != '-')
			return false;
		label_len++;
	}
	return labels >= 2;
}

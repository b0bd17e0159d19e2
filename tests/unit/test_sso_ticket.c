/* test_sso_ticket.c - the proof of a verified printer user for one visit
 * (src/ssod/sso_ticket.h): it opens only under the SSO keyring that sealed
 * it, only until it expires, and says exactly what was put in. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cunit_main.h"
#include "sso_ticket.h"

#define NOW 1900000000LL

static char root[64];
static struct keyring *ring, *other_ring;
static char ticket[SSO_TICKET_MAX + 1];
static char identity[SSO_IDENTITY_MAX + 1], serial[SSO_SERIAL_MAX + 1];

static struct keyring *ring_new(const char *name)
{
	char dir[128], kid[SP_KID_MAX + 1], err[256];
	struct keyring *kr = NULL;

	snprintf(dir, sizeof(dir), "%s/%s", root, name);
	if (keyring_generate(dir, kid, sizeof(kid), err, sizeof(err)) != SP_CRYPTO_OK ||
	    keyring_load(dir, &kr, err, sizeof(err)) != SP_CRYPTO_OK)
		return NULL;
	return kr;
}

static void remove_tree(const char *dir)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (unlink(path) != 0)
			remove_tree(path);
	}
	closedir(d);
	rmdir(dir);
}

static int open_at(const char *t, long long now)
{
	return sso_ticket_open(ring, t, (time_t)now, identity, serial);
}

static void test_ticket_round_trip_names_the_person_and_printer(void)
{
	CU_ASSERT_EQUAL_FATAL(
	    sso_ticket_make(ring, "jane@example.test", "3TB123456", (time_t)(NOW + 1800), ticket),
	    SSO_TICKET_OK);
	CU_ASSERT_EQUAL(open_at(ticket, NOW), SSO_TICKET_OK);
	CU_ASSERT_STRING_EQUAL(identity, "jane@example.test");
	CU_ASSERT_STRING_EQUAL(serial, "3TB123456");
	/* The ticket itself does not show whom it names. */
	CU_ASSERT_PTR_NULL(strstr(ticket, "jane"));
}

static void test_ticket_expires_at_its_time(void)
{
	sso_ticket_make(ring, "jane@example.test", "3TB123456", (time_t)(NOW + 1800), ticket);
	CU_ASSERT_EQUAL(open_at(ticket, NOW + 1799), SSO_TICKET_OK);
	CU_ASSERT_EQUAL(open_at(ticket, NOW + 1800), SSO_TICKET_EXPIRED);
	CU_ASSERT_STRING_EQUAL(identity, "");
}

static void test_altered_ticket_is_bad(void)
{
	char *dot, copy[SSO_TICKET_MAX + 1];

	sso_ticket_make(ring, "jane@example.test", "3TB123456", (time_t)(NOW + 1800), ticket);
	for (size_t i = 0; i < strlen(ticket); i++) {
		strcpy(copy, ticket);
		if (copy[i] == '.')
			continue;
		copy[i] = copy[i] == 'A' ? 'B' : 'A';
		CU_ASSERT_NOT_EQUAL(open_at(copy, NOW), SSO_TICKET_OK);
	}
	strcpy(copy, ticket);
	dot = strchr(copy, '.');
	CU_ASSERT_PTR_NOT_NULL_FATAL(dot);
	copy[strlen(copy) - 2] = '\0'; /* truncated */
	CU_ASSERT_EQUAL(open_at(copy, NOW), SSO_TICKET_BAD);
}

static void test_ticket_of_another_keyring_is_bad(void)
{
	CU_ASSERT_EQUAL(sso_ticket_make(other_ring, "jane@example.test", "3TB123456",
	                                (time_t)(NOW + 1800), ticket),
	                SSO_TICKET_OK);
	CU_ASSERT_EQUAL(open_at(ticket, NOW), SSO_TICKET_BAD);
}

static void test_garbage_is_bad(void)
{
	CU_ASSERT_EQUAL(open_at("", NOW), SSO_TICKET_BAD);
	CU_ASSERT_EQUAL(open_at(".", NOW), SSO_TICKET_BAD);
	CU_ASSERT_EQUAL(open_at("nokid", NOW), SSO_TICKET_BAD);
	CU_ASSERT_EQUAL(open_at("k1.!!!!", NOW), SSO_TICKET_BAD);
	CU_ASSERT_EQUAL(open_at("k1.QUJD", NOW), SSO_TICKET_BAD);
}

static void test_longest_identity_fits_and_longer_is_refused(void)
{
	char id[SSO_IDENTITY_MAX + 2];

	memset(id, 'x', SSO_IDENTITY_MAX);
	id[SSO_IDENTITY_MAX] = '\0';
	CU_ASSERT_EQUAL(sso_ticket_make(ring, id, "12345678901234567890123456789012",
	                                (time_t)(NOW + 60), ticket),
	                SSO_TICKET_OK);
	CU_ASSERT(strlen(ticket) <= SSO_TICKET_MAX);
	CU_ASSERT_EQUAL(open_at(ticket, NOW), SSO_TICKET_OK);
	CU_ASSERT_STRING_EQUAL(identity, id);
	id[SSO_IDENTITY_MAX] = 'x';
	id[SSO_IDENTITY_MAX + 1] = '\0';
	CU_ASSERT_EQUAL(sso_ticket_make(ring, id, "3TB", (time_t)(NOW + 60), ticket),
	                SSO_TICKET_CRYPTO);
	CU_ASSERT_EQUAL(sso_ticket_make(ring, "", "3TB", (time_t)(NOW + 60), ticket),
	                SSO_TICKET_CRYPTO);
}

static CU_TestInfo tests[] = {
    {"ticket round trip names the person and printer",
     test_ticket_round_trip_names_the_person_and_printer},
    {"ticket expires at its time", test_ticket_expires_at_its_time},
    {"altered ticket is bad", test_altered_ticket_is_bad},
    {"ticket of another keyring is bad", test_ticket_of_another_keyring_is_bad},
    {"garbage is bad", test_garbage_is_bad},
    {"longest identity fits and longer is refused",
     test_longest_identity_fits_and_longer_is_refused},
    CU_TEST_INFO_NULL,
};

int main(void)
{
	int rc = 2;

	snprintf(root, sizeof(root), "/tmp/test_sso_ticket.XXXXXX");
	if (!mkdtemp(root))
		return 2;
	ring = ring_new("sso");
	other_ring = ring_new("other");
	if (ring && other_ring)
		rc = run_suite("sso_ticket", tests);
	keyring_free(ring);
	keyring_free(other_ring);
	remove_tree(root);
	return rc;
}

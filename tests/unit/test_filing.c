/*
 * test_filing.c - the filing protocol's rules as scanpost answers them
 * (src/lib/filing.h, after Xerox's sample script phpRequestExecutor): the
 * operations, the answer words, which names GetFile and DeleteFile take,
 * which folders RemoveDir and DeleteDirContents take, and destDir
 * normalization (no way out of the job's tree).  Links src/lib/filing.c.
 */
#include <stdio.h>
#include <string.h>

#include "cunit_main.h"
#include "filing.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static void test_operations_are_the_samples_seven(void)
{
	static const char *const names[] = {"PutFile",    "MakeDir",   "ListDir",
	                                    "DeleteFile", "RemoveDir", "DeleteDirContents",
	                                    "GetFile"};
	size_t i;

	for (i = 0; i < N_ELEMS(names); i++) {
		enum filing_op op = filing_op_of(names[i]);

		CU_ASSERT(op != FILING_OP_NONE && op != FILING_OP_UNKNOWN);
		CU_ASSERT_STRING_EQUAL(filing_op_name(op), names[i]);
	}
	CU_ASSERT_EQUAL(filing_op_of(""), FILING_OP_NONE);
	/* Run compares exactly: another case is no operation. */
	CU_ASSERT_EQUAL(filing_op_of("putfile"), FILING_OP_UNKNOWN);
	CU_ASSERT_EQUAL(filing_op_of("PutFile "), FILING_OP_UNKNOWN);
	CU_ASSERT_EQUAL(filing_op_of("Format"), FILING_OP_UNKNOWN);
}

static void test_answers_are_the_samples_words(void)
{
	CU_ASSERT_STRING_EQUAL(filing_answer_text(FILING_DONE), "");
	CU_ASSERT_STRING_EQUAL(filing_answer_text(FILING_XRXERROR), "XRXERROR");
	CU_ASSERT_STRING_EQUAL(filing_answer_text(FILING_XRXNOTFOUND), "XRXNOTFOUND");
	CU_ASSERT_STRING_EQUAL(filing_answer_text(FILING_XRXBADNAME), "XRXBADNAME");
	CU_ASSERT_STRING_EQUAL(filing_answer_text(FILING_XRXDIREXISTS), "XRXDIREXISTS");
}

static void test_kinds_by_extension_in_any_case(void)
{
	CU_ASSERT_EQUAL(filing_kind_of("Scan.pdf"), FILING_KIND_DOCUMENT);
	CU_ASSERT_EQUAL(filing_kind_of("Scan_001.tif"), FILING_KIND_DOCUMENT);
	CU_ASSERT_EQUAL(filing_kind_of("Scan.LCK"), FILING_KIND_LOCK);
	CU_ASSERT_EQUAL(filing_kind_of("scan.lck"), FILING_KIND_LOCK);
	CU_ASSERT_EQUAL(filing_kind_of("Scan.XST"), FILING_KIND_JOB_LOG);
	CU_ASSERT_EQUAL(filing_kind_of("NETSCAN.xst"), FILING_KIND_JOB_LOG);
	CU_ASSERT_EQUAL(filing_kind_of("NEXTNAME.DAT"), FILING_KIND_NOTE);
	CU_ASSERT_EQUAL(filing_kind_of("notes.txt"), FILING_KIND_NOTE);
	CU_ASSERT_EQUAL(filing_kind_of("Scan.xst.pdf"), FILING_KIND_DOCUMENT);
}

static void test_names_a_share_could_not_hold_are_bad(void)
{
	static const char *const bad[] = {"",     ".",    "..",   "a/b",         "a\\b",
	                                  "a:b",  "a*b",  "a?b",  "a|b",         "a<b",
	                                  "a\"b", "a\tb", "a\nb", "caf\xc3\xa9", "\x7f"};
	char longest[FILING_NAME_MAX + 2];
	size_t i;

	for (i = 0; i < N_ELEMS(bad); i++) {
		CU_ASSERT_FALSE(filing_name_ok(bad[i]));
		if (filing_name_ok(bad[i]))
			fprintf(stderr, "\n  accepted bad name %zu\n", i);
	}
	CU_ASSERT_FALSE(filing_name_ok(NULL));
	CU_ASSERT(filing_name_ok("Scan_001.tif"));
	CU_ASSERT(filing_name_ok("My scan (2).pdf"));
	CU_ASSERT(filing_name_ok("..."));
	memset(longest, 'a', FILING_NAME_MAX);
	longest[FILING_NAME_MAX] = '\0';
	CU_ASSERT(filing_name_ok(longest));
	longest[FILING_NAME_MAX] = 'a';
	longest[FILING_NAME_MAX + 1] = '\0';
	CU_ASSERT_FALSE(filing_name_ok(longest));
}

/* GetFile and DeleteFile: .xst .dat .txt (the sample) and .lck, never a
 * document. */
static void test_only_bookkeeping_names_can_be_read_or_deleted(void)
{
	CU_ASSERT(filing_name_readable("Scan.LCK"));
	CU_ASSERT(filing_name_readable("Scan.XST"));
	CU_ASSERT(filing_name_readable("NEXTNAME.DAT"));
	CU_ASSERT(filing_name_readable("a.txt"));
	CU_ASSERT_FALSE(filing_name_readable("Scan.pdf"));
	CU_ASSERT_FALSE(filing_name_readable("Scan_001.tif"));
	CU_ASSERT_FALSE(filing_name_readable("Scan"));
	CU_ASSERT_FALSE(filing_name_readable("../x.xst"));
	CU_ASSERT_FALSE(filing_name_readable(""));
}

static void test_folders_normalize_inside_the_jobs_tree(void)
{
	static const struct {
		const char *in, *out;
	} good[] = {
	    {"/", "/"},
	    {"\\", "/"},
	    {"//", "/"},
	    {"a", "/a"},
	    {"/a/", "/a"},
	    {"\\a\\b\\", "/a/b"},
	    {"/Scan.XSM", "/Scan.XSM"},
	    {"/a/b/c/d", "/a/b/c/d"},
	};
	static const char *const bad[] = {"",          "/a//b",      "/../x",       "..",
	                                  "/a/./b",    "/a/b/c/d/e", "/a:b",        "/a/..",
	                                  "C:\\scans", "/a\tb",      "/caf\xc3\xa9"};
	char out[FILING_DIR_MAX + 1], longest[FILING_DIR_MAX + 8];
	size_t i;

	for (i = 0; i < N_ELEMS(good); i++) {
		CU_ASSERT_EQUAL(filing_dir_normalize(good[i].in, out, sizeof(out)), 0);
		CU_ASSERT_STRING_EQUAL(out, good[i].out);
	}
	for (i = 0; i < N_ELEMS(bad); i++) {
		CU_ASSERT_EQUAL(filing_dir_normalize(bad[i], out, sizeof(out)), -1);
		if (filing_dir_normalize(bad[i], out, sizeof(out)) == 0)
			fprintf(stderr, "\n  accepted bad folder %zu as %s\n", i, out);
	}
	/* Two names of 255 bytes and their slashes are over FILING_DIR_MAX + 1. */
	memset(longest, 'a', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	longest[255] = '/';
	CU_ASSERT_EQUAL(filing_dir_normalize(longest, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(filing_dir_normalize("/a", out, 16), -1); /* out too small */
}

static void test_a_folder_splits_into_parent_and_name(void)
{
	char parent[FILING_DIR_MAX + 1], name[FILING_NAME_MAX + 1];

	CU_ASSERT_EQUAL(filing_dir_split("/Scan.XSM", parent, sizeof(parent), name, sizeof(name)),
	                0);
	CU_ASSERT_STRING_EQUAL(parent, "/");
	CU_ASSERT_STRING_EQUAL(name, "Scan.XSM");
	CU_ASSERT_EQUAL(filing_dir_split("/a/b", parent, sizeof(parent), name, sizeof(name)), 0);
	CU_ASSERT_STRING_EQUAL(parent, "/a");
	CU_ASSERT_STRING_EQUAL(name, "b");
	CU_ASSERT_EQUAL(filing_dir_split("/", parent, sizeof(parent), name, sizeof(name)), -1);
}

/* RemoveDir and DeleteDirContents: only folders ending .lck or .xsm
 * (CheckDirectoryExtension); the job's root never. */
static void test_only_lock_and_working_folders_can_be_removed(void)
{
	CU_ASSERT(filing_folder_removable("/Scan.XSM"));
	CU_ASSERT(filing_folder_removable("/Scan.xsm"));
	CU_ASSERT(filing_folder_removable("/a/Scan.LCK"));
	CU_ASSERT_FALSE(filing_folder_removable("/"));
	CU_ASSERT_FALSE(filing_folder_removable("/scans"));
	CU_ASSERT_FALSE(filing_folder_removable("/Scan.XSM/pages"));
	CU_ASSERT_FALSE(filing_folder_removable("/Scan.pdf"));
}

static CU_TestInfo tests[] = {
    {"operations are the sample's seven", test_operations_are_the_samples_seven},
    {"answers are the sample's words", test_answers_are_the_samples_words},
    {"kinds by extension in any case", test_kinds_by_extension_in_any_case},
    {"names a share could not hold are bad", test_names_a_share_could_not_hold_are_bad},
    {"only bookkeeping names can be read or deleted",
     test_only_bookkeeping_names_can_be_read_or_deleted},
    {"folders normalize inside the job's tree", test_folders_normalize_inside_the_jobs_tree},
    {"a folder splits into parent and name", test_a_folder_splits_into_parent_and_name},
    {"only lock and working folders can be removed",
     test_only_lock_and_working_folders_can_be_removed},
    CU_TEST_INFO_NULL,
};

int main(void)
{
	return run_suite("filing", tests);
}

#!/usr/bin/env bash
# t_61_filing_protocol.sh - scanpost answers Xerox's HTTP filing protocol as
# Xerox's sample receiver does (tests/fixtures/eip/filing/answers.tsv,
# cgi/h_scan.c): lock files and working folders, XRXNOTFOUND for an absent
# lock, XRXDIREXISTS, XRXBADNAME for names outside the job's tree, every
# answer HTTP 200; and no folder operation ever deletes an arrived document.
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"
. "$ROOT/tests/lib/jobs.sh"

files_of() { db_scalar "SELECT count(*) FROM scanpost.job_files WHERE job_id = '$1'"; }
chunks_of() { db_scalar "SELECT count(*) FROM scanpost.document_chunks WHERE job_id = '$1'"; }
answer() { cat "$HTTP_BODY"; }
# op_is NAME ANSWER: HTTP 200 and the body is ANSWER ("" for success)
op_is() {
	assert_eq "$1" "200 [$2]" "$HTTP_STATUS [$(answer)]"
}

sp_signin
sp_auth
job_create
U=$JOB_UPLOAD
tif=$SP_TMP/p.tif
make_tiff "$tif" 40
printf 'locked by a printer\n' >"$SP_TMP/lock"
printf 'bookkeeping\n' >"$SP_TMP/notes"

# --- the lock file, as a device takes it
device_op "$U" GetFile / Scan.LCK
op_is "GetFile of an absent lock: XRXNOTFOUND" XRXNOTFOUND
http_req "" POST "$U" -F theOperation=PutFile -F destDir=/ -F destName=Scan.LCK \
	-F "sendfile=@$SP_TMP/lock;filename=Scan.LCK"
op_is "PutFile of the lock file" ""
device_op "$U" GetFile / Scan.LCK
op_is "GetFile of the lock now: found (its text is not kept: empty)" ""
device_op "$U" GetFile "" Scan.LCK
op_is "GetFile with an empty destDir: XRXBADNAME" XRXBADNAME

# --- the working folder
device_op "$U" MakeDir /Scan.XSM
op_is "MakeDir of the working folder" ""
device_op "$U" MakeDir /Scan.XSM
op_is "MakeDir again: XRXDIREXISTS" XRXDIREXISTS
device_op "$U" MakeDir '\Scan.XSM\'
op_is "MakeDir with backslashes is the same folder: XRXDIREXISTS" XRXDIREXISTS
device_op "$U" MakeDir /
op_is "MakeDir of the root: XRXDIREXISTS" XRXDIREXISTS
device_op "$U" MakeDir /nowhere/sub
op_is "MakeDir without its parent: XRXERROR" XRXERROR
device_op "$U" MakeDir ""
op_is "MakeDir of an empty name: XRXBADNAME" XRXBADNAME
device_op "$U" MakeDir /a/b/c/d/e
op_is "MakeDir deeper than the tree allows: XRXBADNAME" XRXBADNAME

http_req "" POST "$U" -F theOperation=PutFile -F destDir=/Scan.XSM -F destName=Scan_001.tif \
	-F "sendfile=@$tif;filename=Scan_001.tif"
op_is "PutFile of a page into the working folder" ""
assert_eq "the page is a document of the job" 1 "$(files_of "$JOB_ID")"
chunks=$(chunks_of "$JOB_ID")
http_req "" POST "$U" -F theOperation=PutFile -F destDir=/Scan.XSM -F destName=Scan_001.tif \
	-F "sendfile=@$tif;filename=Scan_001.tif"
op_is "PutFile of a name already there: XRXERROR (never replaced)" XRXERROR
http_req "" POST "$U" -F theOperation=PutFile -F destDir=/missing -F destName=x.tif \
	-F "sendfile=@$tif;filename=x.tif"
op_is "PutFile into a missing folder: XRXERROR" XRXERROR
http_req "" POST "$U" -F theOperation=PutFile -F destDir=/ -F destName=../x.tif \
	-F "sendfile=@$tif;filename=x.tif"
op_is "PutFile of ../x.tif: XRXBADNAME" XRXBADNAME
http_req "" POST "$U" -F theOperation=PutFile -F destDir=/../.. -F destName=x.tif \
	-F "sendfile=@$tif;filename=x.tif"
op_is "PutFile into /../..: XRXBADNAME" XRXBADNAME
http_req "" POST "$U" -F theOperation=PutFile -F destDir=/ -F destName=x.tif
op_is "PutFile without a file: XRXBADNAME" XRXBADNAME
assert_eq "refused PutFiles stored nothing" "1 $chunks" "$(files_of "$JOB_ID") $(chunks_of "$JOB_ID")"

# --- listing
device_op "$U" ListDir /
op_is "ListDir of the root: the lock, the folder with '/'" $'Scan.LCK\nScan.XSM/'
device_op "$U" ListDir /Scan.XSM
op_is "ListDir of the working folder" "Scan_001.tif"
device_op "$U" ListDir /nowhere
op_is "ListDir of no folder: XRXBADNAME" XRXBADNAME
device_op "$U" ListDir '/Scan.XSM/../..'
op_is "ListDir climbing out: XRXBADNAME" XRXBADNAME

# --- an arrived document is never read back nor deleted
device_op "$U" GetFile /Scan.XSM Scan_001.tif
op_is "GetFile of a document: XRXBADNAME" XRXBADNAME
device_op "$U" DeleteFile /Scan.XSM Scan_001.tif
op_is "DeleteFile of a document: XRXBADNAME" XRXBADNAME
device_op "$U" RemoveDir /Scan.XSM
op_is "RemoveDir of a folder holding a document: XRXERROR" XRXERROR
http_req "" POST "$U" -F theOperation=PutFile -F destDir=/Scan.XSM -F destName=NEXTNAME.DAT \
	-F "sendfile=@$SP_TMP/notes;filename=NEXTNAME.DAT"
op_is "PutFile of a bookkeeping file" ""
device_op "$U" DeleteDirContents /Scan.XSM "" -F delDir=1
op_is "DeleteDirContents keeps the document: XRXERROR" XRXERROR
device_op "$U" ListDir /Scan.XSM
op_is "... it removed the bookkeeping file, kept the page and the folder" "Scan_001.tif"
assert_eq "the document and all its chunks are still there" "1 $chunks" \
	"$(files_of "$JOB_ID") $(chunks_of "$JOB_ID")"

# --- folder operations touch only the folder they name, and only .lck/.xsm
device_op "$U" MakeDir /scans
op_is "MakeDir of any name" ""
device_op "$U" RemoveDir /scans
op_is "RemoveDir of a folder not ending .lck/.xsm: XRXBADNAME" XRXBADNAME
device_op "$U" DeleteDirContents /scans
op_is "DeleteDirContents of a folder not ending .lck/.xsm: XRXBADNAME" XRXBADNAME
device_op "$U" DeleteDirContents /
op_is "DeleteDirContents of the root: XRXBADNAME" XRXBADNAME
device_op "$U" MakeDir /Other.XSM
http_req "" POST "$U" -F theOperation=PutFile -F destDir=/Other.XSM -F destName=a.txt \
	-F "sendfile=@$SP_TMP/notes;filename=a.txt"
device_op "$U" DeleteDirContents /Other.XSM "" -F delDir=1
op_is "DeleteDirContents delDir=1 of a folder without documents" ""
device_op "$U" ListDir /
op_is "... the folder is gone, the others stay" $'Scan.LCK\nScan.XSM/\nscans/'
device_op "$U" DeleteDirContents /Gone.XSM
op_is "DeleteDirContents of no folder: XRXNOTFOUND" XRXNOTFOUND
device_op "$U" MakeDir /Job.LCK
device_op "$U" RemoveDir /Job.LCK/
op_is "RemoveDir of an empty lock folder" ""
device_op "$U" RemoveDir /Job.LCK
op_is "RemoveDir of it again: XRXBADNAME (not a folder)" XRXBADNAME
assert_eq "the document survived every folder operation" "1 $chunks" \
	"$(files_of "$JOB_ID") $(chunks_of "$JOB_ID")"

# --- the lock goes
device_op "$U" DeleteFile / Scan.LCK
op_is "DeleteFile of the lock" ""
device_op "$U" DeleteFile / Scan.LCK
op_is "DeleteFile of it again: XRXNOTFOUND" XRXNOTFOUND
device_op "$U" GetFile / Scan.LCK
op_is "GetFile of the released lock: XRXNOTFOUND" XRXNOTFOUND
device_op "$U" GetFile /../../etc passwd.txt
op_is "GetFile outside the tree: XRXBADNAME" XRXBADNAME
device_op "$U" DeleteFile / '..\x.xst'
op_is "DeleteFile of ..\\x.xst: XRXBADNAME" XRXBADNAME

# --- what the sample answers for no operation
device_op "$U" Format /
op_is "an unknown operation: XRXERROR" XRXERROR
http_req "" POST "$U" -F destDir=/
op_is "no theOperation: XRXERROR" XRXERROR

# --- the VersaLink path is the same job (src/lib/template.h)
app_url=${U/\/scan\//\/scanpost\/scan\/}
device_op "$app_url" ListDir /Scan.XSM
op_is "ListDir through /scanpost/scan/...: the same tree" "Scan_001.tif"

# --- each job is its own tree
first=$JOB_ID
job_create
device_op "$JOB_UPLOAD" ListDir /
op_is "another job's tree is empty" ""
device_op "$JOB_UPLOAD" ListDir /Scan.XSM
op_is "... and does not see the first job's folder" XRXBADNAME
assert_eq "the DBA role sees kinds and sizes, not names" f \
	"$(db_scalar "SELECT has_column_privilege('scanpost_readonly', 'scanpost.filing_entries', 'name', 'SELECT')")"
assert_eq "filing entries of the first job: two folders, one document" 3 \
	"$(db_scalar "SELECT count(*) FROM scanpost.filing_entries WHERE job_id = '$first'")"

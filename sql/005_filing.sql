-- 005_filing.sql: what a printer filed over Xerox's HTTP filing protocol
-- besides the sealed documents (DESIGN 3.3, cgi/h_scan.c): the folders of a
-- job's own tree (its lock and working folders, *.LCK and *.XSM), the
-- device's bookkeeping files (lock files, .dat, .txt; their bytes are
-- counted, never kept), where each document was filed, and the job log
-- whose arrival after the last file is scanpost's proof that every file is
-- in.  Names only: no document byte, no job-log text.

CREATE TABLE scanpost.filing_entries (
	job_id     uuid NOT NULL REFERENCES scanpost.jobs (id) ON DELETE CASCADE,
	-- the folder holding it, normalized: '/' or '/a/b' (src/lib/filing.h)
	dir        text NOT NULL CHECK (dir ~ '^/' AND length(dir) <= 511),
	name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
	kind       text NOT NULL CHECK (kind IN ('folder', 'file', 'job_log', 'document')),
	bytes      bigint NOT NULL DEFAULT 0 CHECK (bytes >= 0),
	-- kind 'document': the scanpost.job_files row it is
	file_no    integer,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (job_id, dir, name),
	CHECK ((kind = 'document') = (file_no IS NOT NULL))
);

-- The job log's arrival, once per job; it closes the set of files.
CREATE TABLE scanpost.job_logs (
	job_id     uuid PRIMARY KEY REFERENCES scanpost.jobs (id) ON DELETE CASCADE,
	arrived_at timestamptz NOT NULL DEFAULT now(),
	bytes      bigint NOT NULL CHECK (bytes >= 0),
	files      integer NOT NULL CHECK (files >= 0) -- documents in when it came
);

GRANT SELECT, INSERT, DELETE ON scanpost.filing_entries TO scanpost_api;
GRANT SELECT, INSERT ON scanpost.job_logs TO scanpost_api;
-- DBAs see kinds and sizes, not the names (which may carry a document name).
GRANT SELECT (job_id, kind, bytes, created_at) ON scanpost.filing_entries TO scanpost_readonly;
GRANT SELECT ON scanpost.job_logs TO scanpost_readonly;

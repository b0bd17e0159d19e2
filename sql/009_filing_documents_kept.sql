-- 009_filing_documents_kept.sql: the printer's filing operations (005)
-- under the lifecycle's rules (007): a document that has arrived leaves a
-- job only by the lifecycle's destroy document, never by a filing
-- operation and never by a removed row.
--
-- 005 lets scanpost-api delete filing entries, for the device's DeleteFile,
-- RemoveDir and DeleteDirContents of its locks, bookkeeping files and
-- working folders (src/lib/filingstore.c, called by src/lib/lifecycle.c
-- only).  The statements there never name a document; this trigger makes
-- that hold for any statement of any role: the filing entry of a document
-- goes only with its job (ON DELETE CASCADE, when a finished job is purged).
CREATE FUNCTION scanpost.filing_documents_kept() RETURNS trigger
	LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
	-- A row deleted with its job (ON DELETE CASCADE) finds no job here.
	IF OLD.kind = 'document'
	   AND EXISTS (SELECT 1 FROM scanpost.jobs WHERE id = OLD.job_id) THEN
		RAISE EXCEPTION 'the document % of job % is not a filing operation''s to delete',
			OLD.name, OLD.job_id
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN OLD;
END
$$;
CREATE TRIGGER filing_documents_kept BEFORE DELETE ON scanpost.filing_entries
	FOR EACH ROW EXECUTE FUNCTION scanpost.filing_documents_kept();

-- Since the filing tree of 005, nothing deletes a job_files row: a
-- document's keys are cleared by destroy document and its row (name, size,
-- digest) stays for the job's history until the job is purged.  The
-- DeleteFile and DeleteDirContents that once removed job_files rows are
-- gone, and with them scanpost-api's need to delete one.
REVOKE DELETE ON scanpost.job_files FROM scanpost_api;

-- 013_preview_read.sql: scanpost-api reads a document back for its preview
-- (README, "Preview before sending"), and only then.
--
-- 007 keeps the api from reading any wrapped data key or chunk ciphertext
-- (tests/regress/test_integrity.c checks it), and that stands: the api
-- gets no SELECT on those columns.  It may call the two functions below,
-- which give them out for one job only when that job belongs to the
-- person asking, was never submitted (submitted_at is set by the submit
-- move and never cleared), still has its document, and its device's job
-- log has arrived: the window between the scan and Send.  A queued, sent
-- or failed document stays out of the api's reach.  No job state is
-- spelled here (the state table is src/lib/jobstate.c's).  The reader in
-- src/lib/docstore.c calls them with the same checks as the sender's.

CREATE FUNCTION scanpost.preview_file_key(p_job uuid, p_owner text, p_file integer)
	RETURNS TABLE (dek_kid text, dek_wrapped bytea, nonce_prefix bytea, bytes bigint,
	               sha256 bytea)
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT f.dek_kid, f.dek_wrapped, f.nonce_prefix, f.bytes, f.sha256
	  FROM scanpost.job_files f
	  JOIN scanpost.jobs j ON j.id = f.job_id
	 WHERE f.job_id = p_job AND f.file_no = p_file AND f.dek_wrapped IS NOT NULL
	   AND j.owner = p_owner AND j.submitted_at IS NULL
	   AND EXISTS (SELECT 1 FROM scanpost.job_logs l WHERE l.job_id = j.id)
$$;

CREATE FUNCTION scanpost.preview_chunk(p_job uuid, p_owner text, p_file integer,
                                       p_index bigint)
	RETURNS TABLE (is_last boolean, ciphertext bytea)
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT c.is_last, c.ciphertext
	  FROM scanpost.document_chunks c
	  JOIN scanpost.job_files f ON f.job_id = c.job_id AND f.file_no = c.file_no
	  JOIN scanpost.jobs j ON j.id = c.job_id
	 WHERE c.job_id = p_job AND c.file_no = p_file AND c.chunk_index = p_index
	   AND f.dek_wrapped IS NOT NULL AND j.owner = p_owner AND j.submitted_at IS NULL
	   AND EXISTS (SELECT 1 FROM scanpost.job_logs l WHERE l.job_id = j.id)
$$;

REVOKE ALL ON FUNCTION scanpost.preview_file_key(uuid, text, integer),
	scanpost.preview_chunk(uuid, text, integer, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION scanpost.preview_file_key(uuid, text, integer),
	scanpost.preview_chunk(uuid, text, integer, bigint) TO scanpost_api;

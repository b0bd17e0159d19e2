-- 011_preview_read.sql: scanpost-api reads a document back for its preview
-- (README, "Preview before sending").
--
-- 007 kept the api from reading a wrapped data key or a chunk's ciphertext:
-- it only wrote them.  The preview decrypts in the api through the same
-- docstore reader the sender uses (docr_open / docr_read), so the api now
-- reads those columns too.  What this gives a compromised api is little:
-- it holds the document keyring anyway (it wraps each upload's data key)
-- and sees every document in plaintext as it arrives.  It still cannot
-- change what is sent (007's trigger and column grants stand), read a
-- sealed RMail token, or touch the SSO vault.  The handler reads only a
-- job of the signed-in person that awaits its submit (h_preview.c).
GRANT SELECT (dek_wrapped, nonce_prefix) ON scanpost.job_files TO scanpost_api;
GRANT SELECT (is_last, ciphertext) ON scanpost.document_chunks TO scanpost_api;

-- Idempotency records say what they were written for: whether the mutation was applied or
-- recorded as rejected, a digest of its payload (SKU and delta), and which delivery wrote it
-- (origin). A caller whose commit answer was lost reads the record to learn the outcome
-- (recordOf), and a key reused for a different payload is told apart from a redelivery. Records written before this migration,
-- and the simulator's, have neither (NULL).
ALTER TABLE idempotency_keys ADD COLUMN applied boolean, ADD COLUMN payload_digest text, ADD COLUMN origin text;

-- The commit of 001, with the digest recorded and a duplicate's record returned.
DROP FUNCTION invsim_commit(text, boolean, bigint, double precision, text, double precision, double precision, text, double precision, integer, integer, text);

CREATE FUNCTION invsim_commit(
  p_sku             text,
  p_apply           boolean,
  p_expected        bigint,
  p_quantity        double precision,
  p_mutation_id     text,
  p_now_ms          double precision,
  p_expires_at_ms   double precision,
  p_source_channel  text,
  p_committed_at_ms double precision,
  p_barrier_class   integer,
  p_barrier_key     integer,
  p_fail_at         text,
  p_payload_digest  text,
  p_origin          text)
RETURNS TABLE (o_status text, o_quantity integer, o_version bigint, o_seq bigint, o_applied boolean, o_digest text, o_origin text)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $fn$
DECLARE
  v_valid    boolean := p_quantity >= 0 AND p_quantity = trunc(p_quantity) AND p_quantity <= 2147483647;
  v_quantity integer;
  v_version  bigint;
  v_seq      bigint := 0;
  v_applied  boolean;
  v_digest   text;
  v_origin   text;
BEGIN
  PERFORM pg_advisory_xact_lock_shared(p_barrier_class, p_barrier_key);
  IF p_fail_at = 'check' THEN RAISE EXCEPTION 'injected fault at check'; END IF;
  -- Fast path for the common loser of a race: a version already gone is a conflict before
  -- anything is written (unless the mutation is a duplicate, which takes precedence).
  SELECT l.version INTO v_version FROM inventory_levels AS l WHERE l.sku = p_sku;
  IF coalesce(v_version, 0) <> p_expected AND NOT EXISTS (
    SELECT 1 FROM idempotency_keys AS k WHERE k.mutation_id = p_mutation_id AND k.expires_at_ms > p_now_ms
  ) THEN
    RETURN QUERY SELECT 'version_conflict'::text, NULL::integer, NULL::bigint, NULL::bigint, NULL::boolean, NULL::text, NULL::text;
    RETURN;
  END IF;
  BEGIN
    INSERT INTO idempotency_keys AS k (mutation_id, expires_at_ms, applied, payload_digest, origin)
      VALUES (p_mutation_id, p_expires_at_ms, CASE WHEN p_payload_digest = '' THEN NULL ELSE p_apply AND v_valid END, NULLIF(p_payload_digest, ''), NULLIF(p_origin, ''))
      ON CONFLICT (mutation_id) DO UPDATE SET expires_at_ms = EXCLUDED.expires_at_ms, applied = EXCLUDED.applied, payload_digest = EXCLUDED.payload_digest, origin = EXCLUDED.origin
        WHERE k.expires_at_ms <= p_now_ms;
    IF NOT FOUND THEN
      SELECT k.applied, k.payload_digest, k.origin INTO v_applied, v_digest, v_origin FROM idempotency_keys AS k WHERE k.mutation_id = p_mutation_id;
      RETURN QUERY SELECT 'duplicate'::text, NULL::integer, NULL::bigint, NULL::bigint, v_applied, v_digest, v_origin;
      RETURN;
    END IF;
    IF p_fail_at = 'idempotency' THEN RAISE EXCEPTION 'injected fault at idempotency'; END IF;
    IF p_apply AND v_valid THEN
      INSERT INTO outbox AS o (sku, quantity, version, mutation_id, source_channel, committed_at_ms)
        VALUES (p_sku, p_quantity::integer, p_expected + 1, p_mutation_id, p_source_channel, p_committed_at_ms)
        RETURNING o.seq INTO v_seq;
      IF p_fail_at = 'outbox' THEN RAISE EXCEPTION 'injected fault at outbox'; END IF;
      IF p_expected = 0 THEN
        INSERT INTO inventory_levels AS l (sku, quantity, version) VALUES (p_sku, p_quantity::integer, 1)
          ON CONFLICT (sku) DO UPDATE SET quantity = EXCLUDED.quantity, version = l.version + 1 WHERE l.version = 0
          RETURNING l.quantity, l.version INTO v_quantity, v_version;
      ELSE
        UPDATE inventory_levels AS l SET quantity = p_quantity::integer, version = l.version + 1
          WHERE l.sku = p_sku AND l.version = p_expected
          RETURNING l.quantity, l.version INTO v_quantity, v_version;
      END IF;
      IF NOT FOUND THEN RAISE EXCEPTION USING ERRCODE = 'IV409', MESSAGE = 'version conflict'; END IF;
    ELSE
      IF p_fail_at = 'outbox' THEN RAISE EXCEPTION 'injected fault at outbox'; END IF;
      SELECT l.quantity, l.version INTO v_quantity, v_version FROM inventory_levels AS l WHERE l.sku = p_sku FOR SHARE;
      IF NOT FOUND THEN
        v_quantity := 0;
        v_version := 0;
      END IF;
      IF v_version <> p_expected THEN RAISE EXCEPTION USING ERRCODE = 'IV409', MESSAGE = 'version conflict'; END IF;
      IF NOT v_valid THEN
        RAISE EXCEPTION USING ERRCODE = 'IV422', MESSAGE = format('commit would set %s to %s; a level is an integer >= 0', p_sku, p_quantity);
      END IF;
    END IF;
    IF p_fail_at = 'level' THEN RAISE EXCEPTION 'injected fault at level'; END IF;
  EXCEPTION WHEN SQLSTATE 'IV409' THEN
    RETURN QUERY SELECT 'version_conflict'::text, NULL::integer, NULL::bigint, NULL::bigint, NULL::boolean, NULL::text, NULL::text;
    RETURN;
  END;
  IF p_fail_at = 'apply' THEN RAISE EXCEPTION 'injected fault at apply'; END IF;
  RETURN QUERY SELECT 'ok'::text, v_quantity, v_version, v_seq, NULL::boolean, NULL::text, NULL::text;
END
$fn$;

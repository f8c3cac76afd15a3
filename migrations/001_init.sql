-- invsim store schema, version 1.
-- Applied by `invsim migrate --store postgres://…` (src/stores/migrate.ts) inside the target
-- schema: search_path is set to it, every pending file runs in one transaction and is
-- recorded in schema_migrations with its checksum. Never edit an applied file; add 002_….
--
-- Times the engine passes (`nowMs`, commit times) may come from a virtual clock and be
-- fractional, so those columns are double precision: exact for every integer ms up to 2^53,
-- and compared exactly as the in-memory store compares them. Lease times set by the
-- server's own clock (claimed_at_ms) are bigint.

-- The source of truth. `version` grows by one on every applied commit.
CREATE TABLE inventory_levels (
  sku      text    PRIMARY KEY,
  quantity integer NOT NULL CHECK (quantity >= 0),
  version  bigint  NOT NULL CHECK (version >= 0)
);

-- A mutation is a duplicate while its record has not expired (expires_at_ms > nowMs).
CREATE TABLE idempotency_keys (
  mutation_id   text             PRIMARY KEY,
  expires_at_ms double precision NOT NULL
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at_ms);

-- The transactional outbox. The sequence keeps the default CACHE 1: seqs are handed out in
-- the order nextval is called, which the read barrier of readOutbox relies on.
CREATE TABLE outbox (
  seq             bigserial        PRIMARY KEY,
  sku             text             NOT NULL,
  quantity        integer          NOT NULL,
  version         bigint           NOT NULL,
  mutation_id     text             NOT NULL,
  source_channel  text             NOT NULL,
  committed_at_ms double precision NOT NULL,
  -- The shared outbox (several dispatchers): who holds the entry, since when (server ms).
  claimed_by      text,
  claimed_at_ms   bigint,
  deliveries      integer          NOT NULL DEFAULT 0
);

-- The single dispatcher's cursor: the highest acknowledged seq.
CREATE TABLE outbox_cursor (
  name text   PRIMARY KEY,
  seq  bigint NOT NULL
);

-- Parked propagations; parked_seq keeps the parking order (re-parking an id keeps its place).
CREATE TABLE dead_letters (
  id              text             PRIMARY KEY,
  sku             text             NOT NULL,
  channel         text             NOT NULL,
  quantity        integer          NOT NULL,
  version         bigint           NOT NULL,
  committed_at_ms double precision NOT NULL,
  attempts        integer          NOT NULL,
  last_error      text             NOT NULL,
  parked_at_ms    double precision NOT NULL,
  parked_seq      bigserial        NOT NULL
);

-- The commit: one call, one transaction, all or nothing (see src/stores/postgres.ts).
--   1. a shared advisory lock on the outbox barrier, held to the end (readOutbox takes it
--      exclusively, so it never reads past a seq that an unfinished transaction holds);
--   2. the idempotency key, inserted unless an unexpired one exists: none inserted means a
--      duplicate, and nothing was written; a concurrent duplicate waits on the key's row lock;
--   3. apply: the outbox event (the new version is expected + 1), then the level, written only
--      WHERE version = expected (or inserted for a SKU at version 0): the level row is locked
--      last, for the shortest time, and no row back is a version conflict, which rolls the
--      key and the event back (the inner block is a subtransaction);
--      reject: the level read FOR SHARE, version-checked, nothing else written;
--   4. a quantity that is not an integer >= 0 fails with SQLSTATE IV422 (a programmer error)
--      once the duplicate and version checks have passed, like the in-memory store.
-- p_fail_at (tests) raises an error at a step, which aborts the whole call: nothing written.
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
  p_fail_at         text)
RETURNS TABLE (o_status text, o_quantity integer, o_version bigint, o_seq bigint)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $fn$
DECLARE
  v_valid    boolean := p_quantity >= 0 AND p_quantity = trunc(p_quantity) AND p_quantity <= 2147483647;
  v_quantity integer;
  v_version  bigint;
  v_seq      bigint := 0;
BEGIN
  PERFORM pg_advisory_xact_lock_shared(p_barrier_class, p_barrier_key);
  IF p_fail_at = 'check' THEN RAISE EXCEPTION 'injected fault at check'; END IF;
  -- Fast path for the common loser of a race: a version already gone is a conflict before
  -- anything is written (unless the mutation is a duplicate, which takes precedence).
  SELECT l.version INTO v_version FROM inventory_levels AS l WHERE l.sku = p_sku;
  IF coalesce(v_version, 0) <> p_expected AND NOT EXISTS (
    SELECT 1 FROM idempotency_keys AS k WHERE k.mutation_id = p_mutation_id AND k.expires_at_ms > p_now_ms
  ) THEN
    RETURN QUERY SELECT 'version_conflict'::text, NULL::integer, NULL::bigint, NULL::bigint;
    RETURN;
  END IF;
  BEGIN
    INSERT INTO idempotency_keys AS k (mutation_id, expires_at_ms) VALUES (p_mutation_id, p_expires_at_ms)
      ON CONFLICT (mutation_id) DO UPDATE SET expires_at_ms = EXCLUDED.expires_at_ms WHERE k.expires_at_ms <= p_now_ms;
    IF NOT FOUND THEN
      RETURN QUERY SELECT 'duplicate'::text, NULL::integer, NULL::bigint, NULL::bigint;
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
    RETURN QUERY SELECT 'version_conflict'::text, NULL::integer, NULL::bigint, NULL::bigint;
    RETURN;
  END;
  IF p_fail_at = 'apply' THEN RAISE EXCEPTION 'injected fault at apply'; END IF;
  RETURN QUERY SELECT 'ok'::text, v_quantity, v_version, v_seq;
END
$fn$;

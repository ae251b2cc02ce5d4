-- Keyseat JDBC store: schema for H2 2.x (embedded single node, tests).
--
-- Migration V1 (Flyway naming): applied by Flyway (spring.flyway.locations), by the Spring Boot starter
-- and by JdbcKeyStore's createSchemaIfMissing; an upgrade is a new file, never an edit of this one.
-- Instants are exact decimal seconds since the epoch, NUMERIC(30,9), so that every value reads back
-- equal to what was written, to the nanosecond.
-- H2 compares strings as Java does, so ORDER BY matches Java's String order.
-- The store never keeps a plaintext secret: only SHA-256 or HMAC-SHA256 hashes, and optionally a
-- secret sealed by the host's vault.

-- closed_at is set when the operator closes the account: its row stays as the owner of its audit
-- log; it has no members, devices or keys left. key_count is the number of the account's rows in
-- keyseat_api_key, kept by the store in each key-changing transaction under the account row lock
-- (the license check reads it instead of counting). It may exceed contracted_licenses: licenses
-- cancelled with MARK_OVER_LIMIT or SUSPEND_NEWEST leave keys above the total.
CREATE TABLE keyseat_account (
  account_id          VARCHAR(64) NOT NULL,
  name                CHARACTER VARYING NOT NULL,
  contracted_licenses INTEGER       NOT NULL,
  created_at          NUMERIC(30,9) NOT NULL,
  closed_at           NUMERIC(30,9),
  key_count           INTEGER       NOT NULL DEFAULT 0,
  CONSTRAINT keyseat_account_pk PRIMARY KEY (account_id),
  CONSTRAINT keyseat_account_licenses_ck CHECK (contracted_licenses >= 0),
  CONSTRAINT keyseat_account_key_count_ck CHECK (key_count >= 0)
);

CREATE TABLE keyseat_member (
  account_id VARCHAR(64)  NOT NULL,
  user_id    VARCHAR(200) NOT NULL,
  role       VARCHAR(16)  NOT NULL,
  CONSTRAINT keyseat_member_pk PRIMARY KEY (account_id, user_id),
  CONSTRAINT keyseat_member_account_fk FOREIGN KEY (account_id) REFERENCES keyseat_account (account_id),
  CONSTRAINT keyseat_member_role_ck CHECK (role IN ('ADMIN', 'MANAGER', 'VIEWER'))
);

-- A serial is unique platform-wide: a device belongs to at most one account.
CREATE TABLE keyseat_device (
  serial        VARCHAR(64) NOT NULL,
  account_id    VARCHAR(64) NOT NULL,
  name          CHARACTER VARYING NOT NULL,
  model         CHARACTER VARYING NOT NULL,
  associated_at NUMERIC(30,9) NOT NULL,
  CONSTRAINT keyseat_device_pk PRIMARY KEY (serial),
  CONSTRAINT keyseat_device_account_serial_uq UNIQUE (account_id, serial),
  CONSTRAINT keyseat_device_account_fk FOREIGN KEY (account_id) REFERENCES keyseat_account (account_id)
);

-- One row per key: the key -> device -> account foreign keys make a key's device belong to the
-- key's account; one key per device; hashes unique. Usage (last used, count) is kept on the row.
CREATE TABLE keyseat_api_key (
  key_id               VARCHAR(64) NOT NULL,
  account_id           VARCHAR(64) NOT NULL,
  device_serial        VARCHAR(64) NOT NULL,
  hash                 BINARY VARYING NOT NULL,
  hint                 CHARACTER VARYING NOT NULL,
  label                CHARACTER VARYING NOT NULL,
  created_at           NUMERIC(30,9) NOT NULL,
  regenerated_at       NUMERIC(30,9),
  expires_at           NUMERIC(30,9),
  suspended            BOOLEAN       NOT NULL,
  previous_hash        BINARY VARYING,
  previous_valid_until NUMERIC(30,9),
  sealed_secret        BINARY VARYING,
  last_used_at         NUMERIC(30,9),
  use_count            BIGINT        NOT NULL DEFAULT 0,
  ordinal              BIGINT        NOT NULL DEFAULT 0,
  CONSTRAINT keyseat_api_key_pk PRIMARY KEY (key_id),
  CONSTRAINT keyseat_api_key_hash_uq UNIQUE (hash),
  CONSTRAINT keyseat_api_key_previous_hash_uq UNIQUE (previous_hash),
  CONSTRAINT keyseat_api_key_device_uq UNIQUE (device_serial),
  CONSTRAINT keyseat_api_key_device_fk FOREIGN KEY (account_id, device_serial)
    REFERENCES keyseat_device (account_id, serial),
  CONSTRAINT keyseat_api_key_hash_ck CHECK (OCTET_LENGTH(hash) = 32),
  CONSTRAINT keyseat_api_key_previous_ck CHECK ((previous_hash IS NULL) = (previous_valid_until IS NULL)),
  CONSTRAINT keyseat_api_key_use_count_ck CHECK (use_count >= 0),
  CONSTRAINT keyseat_api_key_ordinal_ck CHECK (ordinal >= 0)
);

-- The keys table's order: creation time, then the order the devices of one batch were selected in.
CREATE INDEX keyseat_api_key_account_ix ON keyseat_api_key (account_id, created_at, ordinal, key_id);

-- License grants: what the operator sold an account ("10 licenses from 1 March for a year, order
-- 4711"). The total at an instant is the sum of the grants active then (starts_at <= t < ends_at;
-- ends_at NULL: open-ended). Never deleted: an ended grant is history. end_applied: the account's
-- over-limit strategy was applied for the end (written once).
CREATE TABLE keyseat_license (
  license_id  VARCHAR(64) NOT NULL,
  account_id  VARCHAR(64) NOT NULL,
  quantity    INTEGER       NOT NULL,
  starts_at   NUMERIC(30,9) NOT NULL,
  ends_at     NUMERIC(30,9),
  reference   CHARACTER VARYING NOT NULL,
  created_by  CHARACTER VARYING NOT NULL,
  created_at  NUMERIC(30,9) NOT NULL,
  end_applied BOOLEAN       NOT NULL,
  CONSTRAINT keyseat_license_pk PRIMARY KEY (license_id),
  CONSTRAINT keyseat_license_account_fk FOREIGN KEY (account_id) REFERENCES keyseat_account (account_id),
  CONSTRAINT keyseat_license_quantity_ck CHECK (quantity BETWEEN 1 AND 1000000),
  CONSTRAINT keyseat_license_term_ck CHECK (ends_at IS NULL OR ends_at >= starts_at)
);

CREATE INDEX keyseat_license_account_ix ON keyseat_license (account_id, starts_at, license_id);

-- An account's license policy and seat reuse ledger; no row: the default policy (expiry marks the
-- account over its limit, reassignments unlimited) and nothing freed. reassignment_period in
-- seconds, NULL for no reuse limit.
CREATE TABLE keyseat_license_policy (
  account_id          VARCHAR(64) NOT NULL,
  on_expiry           VARCHAR(16)   NOT NULL,
  max_reassignments   INTEGER       NOT NULL,
  reassignment_period NUMERIC(30,9),
  freed_seats         INTEGER       NOT NULL,
  CONSTRAINT keyseat_license_policy_pk PRIMARY KEY (account_id),
  CONSTRAINT keyseat_license_policy_account_fk FOREIGN KEY (account_id) REFERENCES keyseat_account (account_id),
  CONSTRAINT keyseat_license_policy_expiry_ck CHECK (on_expiry IN ('MARK_OVER_LIMIT', 'SUSPEND_NEWEST')),
  CONSTRAINT keyseat_license_policy_freed_ck CHECK (freed_seats >= 0)
);

-- When freed licenses were given to new keys (one row per license, numbered 1, 2, 3... oldest
-- first), for the seat reuse limit; rewritten whole by each reassignment.
CREATE TABLE keyseat_seat_reassignment (
  account_id VARCHAR(64) NOT NULL,
  n          INTEGER       NOT NULL,
  at         NUMERIC(30,9) NOT NULL,
  CONSTRAINT keyseat_seat_reassignment_pk PRIMARY KEY (account_id, n),
  CONSTRAINT keyseat_seat_reassignment_policy_fk FOREIGN KEY (account_id)
    REFERENCES keyseat_license_policy (account_id)
);

-- Each account's audit log; the store numbers entries 1, 2, 3... per account.
CREATE TABLE keyseat_audit (
  account_id    VARCHAR(64) NOT NULL,
  seq           BIGINT        NOT NULL,
  at            NUMERIC(30,9) NOT NULL,
  actor         CHARACTER VARYING NOT NULL,
  action        VARCHAR(32)   NOT NULL,
  key_id        VARCHAR(64),
  device_serial VARCHAR(64),
  outcome       VARCHAR(16)   NOT NULL,
  detail        CHARACTER VARYING NOT NULL,
  CONSTRAINT keyseat_audit_pk PRIMARY KEY (account_id, seq),
  CONSTRAINT keyseat_audit_account_fk FOREIGN KEY (account_id) REFERENCES keyseat_account (account_id)
);

-- The change feed read by the validators. One node: a transaction numbers its rows from
-- keyseat_change_seq's single row as its last step (numbered_at: the store's clock then) and holds
-- that row lock until it commits, so numbers are gapless and in commit order. Purging goes by
-- numbered_at. (The PostgreSQL schema numbers rows after commit instead; same columns.)
CREATE TABLE keyseat_change (
  id          BIGINT        GENERATED ALWAYS AS IDENTITY,
  seq         BIGINT,
  type        VARCHAR(24)   NOT NULL,
  account_id  VARCHAR(64)   NOT NULL,
  key_id      VARCHAR(64),
  hashes      BINARY VARYING NOT NULL,
  at          NUMERIC(30,9) NOT NULL,
  numbered_at NUMERIC(30,9),
  CONSTRAINT keyseat_change_pk PRIMARY KEY (id),
  CONSTRAINT keyseat_change_seq_uq UNIQUE (seq),
  CONSTRAINT keyseat_change_numbered_ck CHECK ((seq IS NULL) = (numbered_at IS NULL)),
  CONSTRAINT keyseat_change_hashes_ck CHECK (MOD(OCTET_LENGTH(hashes), 32) = 0)
);

CREATE INDEX keyseat_change_numbered_at_ix ON keyseat_change (numbered_at);

-- Cluster rate limits: used on PostgreSQL only (RateLimitMode.CLUSTER); kept here so that both
-- schemas have the same tables.
CREATE TABLE keyseat_rate_limit (
  key_id     VARCHAR(64) NOT NULL,
  state      BINARY VARYING,
  expires_at BIGINT,
  CONSTRAINT keyseat_rate_limit_pk PRIMARY KEY (key_id)
);

CREATE TABLE keyseat_change_seq (
  id       SMALLINT NOT NULL,
  last_seq BIGINT   NOT NULL,
  CONSTRAINT keyseat_change_seq_pk PRIMARY KEY (id),
  CONSTRAINT keyseat_change_seq_single_ck CHECK (id = 1)
);

INSERT INTO keyseat_change_seq (id, last_seq) VALUES (1, 0);


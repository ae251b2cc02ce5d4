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
-- log; it has no members, devices or keys left.
CREATE TABLE keyseat_account (
  account_id          VARCHAR(64) NOT NULL,
  name                CHARACTER VARYING NOT NULL,
  contracted_licenses INTEGER       NOT NULL,
  created_at          NUMERIC(30,9) NOT NULL,
  closed_at           NUMERIC(30,9),
  CONSTRAINT keyseat_account_pk PRIMARY KEY (account_id),
  CONSTRAINT keyseat_account_licenses_ck CHECK (contracted_licenses >= 0)
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

-- The change feed read by every node's validator. Sequences are gapless and in commit order:
-- a transaction takes the next numbers from keyseat_change_seq's single row as its last step and
-- holds that row lock until it commits.
CREATE TABLE keyseat_change (
  seq        BIGINT        NOT NULL,
  type       VARCHAR(16)   NOT NULL,
  account_id VARCHAR(64) NOT NULL,
  key_id     VARCHAR(64) NOT NULL,
  hashes     BINARY VARYING NOT NULL,
  at         NUMERIC(30,9) NOT NULL,
  CONSTRAINT keyseat_change_pk PRIMARY KEY (seq),
  CONSTRAINT keyseat_change_hashes_ck CHECK (MOD(OCTET_LENGTH(hashes), 32) = 0)
);

CREATE INDEX keyseat_change_at_ix ON keyseat_change (at);

CREATE TABLE keyseat_change_seq (
  id       SMALLINT NOT NULL,
  last_seq BIGINT   NOT NULL,
  CONSTRAINT keyseat_change_seq_pk PRIMARY KEY (id),
  CONSTRAINT keyseat_change_seq_single_ck CHECK (id = 1)
);

INSERT INTO keyseat_change_seq (id, last_seq) VALUES (1, 0);

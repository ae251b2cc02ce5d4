-- Keyseat JDBC store, migration V2 (Flyway naming) for PostgreSQL: usage per key per day, for usage charts.
--
-- Applied after V1 by Flyway (spring.flyway.locations), by the Spring Boot starter and by JdbcKeyStore's
-- createSchemaIfMissing (which also adds it to a database created from V1 alone). Never edit it: an
-- upgrade is a new file.
-- One row per key and UTC day with validations, written by the usage flush in the transaction that
-- updates the key's use_count (under the key row's lock). account_id is the key's account (keys never
-- move between accounts), so that an account's chart reads one index range. Rows go with their key
-- (ON DELETE CASCADE): usage never outlives its key.
CREATE TABLE keyseat_key_usage_daily (
  key_id     VARCHAR(64) COLLATE "C" NOT NULL,
  account_id VARCHAR(64) COLLATE "C" NOT NULL,
  usage_day  DATE   NOT NULL,
  use_count  BIGINT NOT NULL,
  CONSTRAINT keyseat_key_usage_daily_pk PRIMARY KEY (key_id, usage_day),
  CONSTRAINT keyseat_key_usage_daily_key_fk FOREIGN KEY (key_id)
    REFERENCES keyseat_api_key (key_id) ON DELETE CASCADE,
  CONSTRAINT keyseat_key_usage_daily_count_ck CHECK (use_count > 0)
);
CREATE INDEX keyseat_key_usage_daily_account_ix ON keyseat_key_usage_daily (account_id, usage_day);

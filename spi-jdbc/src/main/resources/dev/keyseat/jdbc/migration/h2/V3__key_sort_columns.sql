-- Keyseat JDBC store, migration V3 (Flyway naming) for H2 2.x: the keys table's sort column on the key row.
--
-- Applied after V2 like it (Flyway, the Spring Boot starter, createSchemaIfMissing). Never edit it.
-- device_name_folded as on PostgreSQL (kept by the store; same values). H2 compares text in UTF-16
-- order, so the store sorts by a cast to UTF-8 bytes that no index serves: no sort indexes here, only
-- the last ordinal's.
ALTER TABLE keyseat_api_key ADD COLUMN device_name_folded CHARACTER VARYING;
UPDATE keyseat_api_key k SET device_name_folded = (SELECT TRANSLATE(d.name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  'abcdefghijklmnopqrstuvwxyz') FROM keyseat_device d WHERE d.serial = k.device_serial);
ALTER TABLE keyseat_api_key ALTER COLUMN device_name_folded SET NOT NULL;
CREATE INDEX keyseat_api_key_ordinal_ix ON keyseat_api_key (account_id, ordinal);

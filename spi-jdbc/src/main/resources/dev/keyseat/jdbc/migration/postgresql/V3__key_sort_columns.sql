-- Keyseat JDBC store, migration V3 (Flyway naming) for PostgreSQL: the keys table's sort columns on the key row.
--
-- Applied after V2 like it (Flyway, the Spring Boot starter, createSchemaIfMissing). Never edit it.
-- device_name_folded: the key's device name with A-Z lower-cased (KeyPageRequest.fold), kept by the
-- store when a key is created, imported or rebound and when its device is renamed; so a page sorted by
-- device name or serial, or the last ordinal, reads one index range instead of sorting the account.
ALTER TABLE keyseat_api_key ADD COLUMN device_name_folded TEXT COLLATE "C";
UPDATE keyseat_api_key k SET device_name_folded = (SELECT TRANSLATE(d.name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  'abcdefghijklmnopqrstuvwxyz') FROM keyseat_device d WHERE d.serial = k.device_serial);
ALTER TABLE keyseat_api_key ALTER COLUMN device_name_folded SET NOT NULL;
CREATE INDEX keyseat_api_key_name_ix ON keyseat_api_key (account_id, device_name_folded, key_id);
CREATE INDEX keyseat_api_key_serial_ix ON keyseat_api_key (account_id, device_serial, key_id);
CREATE INDEX keyseat_api_key_ordinal_ix ON keyseat_api_key (account_id, ordinal);

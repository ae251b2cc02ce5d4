-- Keyseat JDBC store: removes every table of migration/h2/V1__keyseat_schema.sql, and all their data.
DROP TABLE IF EXISTS keyseat_change_seq;
DROP TABLE IF EXISTS keyseat_change;
DROP TABLE IF EXISTS keyseat_audit;
DROP TABLE IF EXISTS keyseat_api_key;
DROP TABLE IF EXISTS keyseat_device;
DROP TABLE IF EXISTS keyseat_member;
DROP TABLE IF EXISTS keyseat_account;

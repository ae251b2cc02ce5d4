-- Keyseat JDBC store: removes every table of migration/{postgresql,h2}/V1__keyseat_schema.sql and
-- V2__key_usage_daily.sql, and all their data. The same statements on both databases.
DROP TABLE IF EXISTS keyseat_key_usage_daily;
DROP TABLE IF EXISTS keyseat_rate_limit;
DROP TABLE IF EXISTS keyseat_change_seq;
DROP TABLE IF EXISTS keyseat_change;
DROP TABLE IF EXISTS keyseat_audit;
DROP TABLE IF EXISTS keyseat_seat_reassignment;
DROP TABLE IF EXISTS keyseat_license_policy;
DROP TABLE IF EXISTS keyseat_license;
DROP TABLE IF EXISTS keyseat_api_key;
DROP TABLE IF EXISTS keyseat_device;
DROP TABLE IF EXISTS keyseat_member;
DROP TABLE IF EXISTS keyseat_account;

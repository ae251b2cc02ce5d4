/**
 * Keyseat's JDBC store: {@link dev.keyseat.jdbc.JdbcKeyStore} for PostgreSQL and H2 over a
 * host-supplied {@link javax.sql.DataSource}.
 */
module dev.keyseat.jdbc {
  requires transitive dev.keyseat.core;
  requires transitive java.sql;
  requires org.slf4j;
  requires static org.postgresql.jdbc;
  requires static io.github.bucket4j.core;
  requires static io.github.bucket4j.postgresql;

  exports dev.keyseat.jdbc;
}

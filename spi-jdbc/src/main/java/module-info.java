/**
 * Keyseat's JDBC store: {@link dev.keyseat.jdbc.JdbcKeyStore} for PostgreSQL and H2 over a
 * host-supplied {@link javax.sql.DataSource}.
 */
module dev.keyseat.jdbc {
  requires transitive dev.keyseat.core;
  requires transitive java.sql;
  requires org.slf4j;

  exports dev.keyseat.jdbc;
}

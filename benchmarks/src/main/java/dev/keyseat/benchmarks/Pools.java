package dev.keyseat.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/** Connection pools over the benchmarks' embedded PostgreSQL. */
final class Pools {
  private Pools() {}

  /**
   * @param pg a running embedded PostgreSQL
   * @param size the pool's maximum size
   * @return a pool of connections to its {@code postgres} database as user {@code postgres}
   */
  static HikariDataSource postgres(EmbeddedPostgres pg, int size) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(pg.getJdbcUrl("postgres", "postgres"));
    config.setUsername("postgres");
    config.setMaximumPoolSize(size);
    return new HikariDataSource(config);
  }
}

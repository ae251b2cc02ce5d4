package dev.keyseat.jdbc;

import dev.keyseat.KeyId;
import dev.keyseat.StoreUnavailableException;
import dev.keyseat.spi.SharedRateLimiter;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.jdbc.PrimaryKeyMapper;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.postgresql.Bucket4jPostgreSQL;
import java.time.Duration;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * The {@code CLUSTER} rate limit on PostgreSQL: one Bucket4j bucket per key id in the table
 * {@code keyseat_rate_limit}, through Bucket4j's {@code SELECT … FOR UPDATE} backend, so that
 * every node draws on one allowance. Each request is one short transaction that locks the key's
 * row: exact (never over-admits), and serialized per key across the cluster. Bucket4j opens its
 * own connections from the store's data source (it cannot run inside the store's connection
 * helper); its failures surface as {@link StoreUnavailableException}, so the validator fails
 * closed. Every node must configure the same limit: the first node to create a key's bucket
 * stores its configuration with it.
 */
final class PostgresRateLimiter implements SharedRateLimiter {
  static final String TABLE = "keyseat_rate_limit";

  private final ProxyManager<String> buckets;
  private final Supplier<BucketConfiguration> configuration;

  PostgresRateLimiter(DataSource dataSource, long requests, Duration period) {
    this.buckets = Bucket4jPostgreSQL.selectForUpdateBasedBuilder(dataSource)
        .primaryKeyMapper(PrimaryKeyMapper.STRING)
        .table(TABLE)
        .idColumn("key_id")
        .stateColumn("state")
        .expiresAtColumn("expires_at")
        .build();
    BucketConfiguration limit = BucketConfiguration.builder()
        .addLimit(Bandwidth.builder().capacity(requests).refillGreedy(requests, period).build())
        .build();
    this.configuration = () -> limit; // asked for only when the key has no bucket yet
  }

  @Override
  public long tryAcquire(KeyId keyId) {
    ConsumptionProbe probe;
    try {
      probe = buckets.builder().build(keyId.value(), configuration).tryConsumeAndReturnRemaining(1);
    } catch (RuntimeException e) {
      throw new StoreUnavailableException("JDBC key store (PostgreSQL): the shared rate limit could not be read ("
          + e.getClass().getSimpleName() + "); the request is refused, retry later", e);
    }
    return probe.isConsumed() ? 0 : Math.max(1, probe.getNanosToWaitForRefill());
  }

  @Override
  public String toString() {
    return "PostgresRateLimiter[" + TABLE + "]";
  }
}

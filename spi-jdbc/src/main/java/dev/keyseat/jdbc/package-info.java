/**
 * {@link dev.keyseat.jdbc.JdbcKeyStore}: a {@link dev.keyseat.spi.KeyStore} in PostgreSQL (many
 * nodes sharing one database) or H2 (one embedded node), over a {@link javax.sql.DataSource} the
 * host supplies and pools.
 *
 * <p>The schema ships as versioned migrations (Flyway naming), once per database:
 * {@code dev/keyseat/jdbc/migration/postgresql/V1__keyseat_schema.sql} and
 * {@code dev/keyseat/jdbc/migration/h2/V1__keyseat_schema.sql}, with one {@code drop.sql} for
 * both next to this package. Every account transaction locks its
 * account row ({@code SELECT … FOR UPDATE}), so writers of one account are serialized on every
 * node; key changes go to a change feed whose sequence is gapless and in commit order, which the
 * validators of other nodes poll.
 */
@NullMarked
package dev.keyseat.jdbc;

import org.jspecify.annotations.NullMarked;

/**
 * {@link dev.keyseat.jdbc.JdbcKeyStore}: a {@link dev.keyseat.spi.KeyStore} in PostgreSQL (many
 * nodes sharing one database) or H2 (one embedded node), over a {@link javax.sql.DataSource} the
 * host supplies and pools.
 *
 * <p>The schema ships as resources next to this package: {@code schema-postgresql.sql},
 * {@code schema-h2.sql} and the matching {@code drop-*.sql}. Every account transaction locks its
 * account row ({@code SELECT … FOR UPDATE}), so writers of one account are serialized on every
 * node; key changes go to a change feed whose sequence is gapless and in commit order, which the
 * validators of other nodes poll.
 */
@NullMarked
package dev.keyseat.jdbc;

import org.jspecify.annotations.NullMarked;

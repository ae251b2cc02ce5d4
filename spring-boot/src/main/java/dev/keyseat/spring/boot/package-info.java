/**
 * Spring Boot auto-configuration of Keyseat. {@link dev.keyseat.spring.boot.KeyseatAutoConfiguration}
 * creates the store (JDBC over the application's DataSource, or in-memory) and the
 * {@link dev.keyseat.Keyseat}; {@link dev.keyseat.spring.boot.KeyseatMetricsAutoConfiguration}
 * the Micrometer meters and a timed {@link dev.keyseat.KeyManager};
 * {@link dev.keyseat.spring.boot.KeyseatValidatorAutoConfiguration} the KeyManager and the
 * cached validator; {@link dev.keyseat.spring.boot.KeyseatHealthAutoConfiguration} the
 * {@code keyseat} health indicator. Settings live in {@link dev.keyseat.spring.boot.KeyseatProperties}
 * ({@code keyseat.*}); every bean backs off when the application defines its own.
 */
@NullMarked
package dev.keyseat.spring.boot;

import org.jspecify.annotations.NullMarked;

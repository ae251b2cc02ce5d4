/**
 * The store SPI: {@link dev.keyseat.spi.KeyStore} is a transactional repository that enforces
 * atomicity, isolation and uniqueness only; every rule lives in core. A store proves itself by
 * extending the contract suite of {@code keyseat-testkit}.
 */
@NullMarked
package dev.keyseat.spi;

import org.jspecify.annotations.NullMarked;

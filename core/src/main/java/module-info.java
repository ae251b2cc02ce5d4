/**
 * Keyseat core: the management API and domain ({@code dev.keyseat}), validation
 * ({@code dev.keyseat.validation}) and the store SPI ({@code dev.keyseat.spi}). The mechanisms
 * behind them ({@code dev.keyseat.internal...}) are not exported.
 */
module dev.keyseat.core {
  requires transitive org.jspecify;
  requires jakarta.validation;
  requires org.hibernate.validator;
  requires org.slf4j;
  requires com.github.benmanes.caffeine;
  requires static io.github.bucket4j.core;

  exports dev.keyseat;
  exports dev.keyseat.validation;
  exports dev.keyseat.spi;

  opens dev.keyseat to org.hibernate.validator;
}

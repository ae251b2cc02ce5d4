/** Keyseat core: domain, management policy, validation and the store SPI. */
module dev.keyseat.core {
  requires transitive org.jspecify;
  requires jakarta.validation;
  requires org.hibernate.validator;
  requires org.slf4j;
  requires com.github.benmanes.caffeine;
  requires static io.github.bucket4j.core;

  exports dev.keyseat;
  exports dev.keyseat.spi;

  opens dev.keyseat to org.hibernate.validator;
}

package dev.keyseat.spi;

/**
 * Work run inside one account transaction. Throwing any exception rolls the whole transaction back.
 *
 * @param <T> the result
 */
@FunctionalInterface
public interface AccountWork<T> {
  /**
   * @param tx the transaction, valid only during this call
   * @return the result handed back to the caller of {@link KeyStore#inAccount}
   */
  T run(AccountTransaction tx);
}

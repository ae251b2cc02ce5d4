package dev.keyseat.internal.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

import dev.keyseat.validation.CachedKeyValidator;
import org.junit.jupiter.api.Test;

/** A Keyseat's open validators: each closed once by {@code closeAll}, none accepted after it. */
class OpenValidatorsTest {
  private final OpenValidators open = new OpenValidators();
  private final CachedKeyValidator a = mock(CachedKeyValidator.class);
  private final CachedKeyValidator b = mock(CachedKeyValidator.class);

  @Test
  public void closeAllClosesEachOpenValidatorOnceAndRefusesNewOnes() {
    open.add(a);
    open.add(b);
    assertThat(open.size()).isEqualTo(2);
    open.closeAll();
    verify(a, times(1)).close();
    verify(b, times(1)).close();
    assertThat(open.size()).isZero();
    CachedKeyValidator late = mock(CachedKeyValidator.class);
    assertThatThrownBy(() -> open.add(late)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("this Keyseat is closed");
    verify(late, times(1)).close();
    assertThat(open.size()).isZero();
    open.closeAll();
    verify(a, times(1)).close();
  }

  @Test
  public void aForgottenValidatorIsNotClosedAgain() {
    open.add(a);
    open.add(b);
    open.forget(a);
    assertThat(open.size()).isEqualTo(1);
    open.closeAll();
    verify(a, never()).close();
    verify(b, times(1)).close();
  }

  @Test
  public void aValidatorThatFailsToCloseDoesNotStopTheOthers() {
    doThrow(new IllegalStateException("foreign failure")).when(a).close();
    doThrow(new LinkageError("foreign error")).when(b).close();
    CachedKeyValidator c = mock(CachedKeyValidator.class);
    open.add(a);
    open.add(b);
    open.add(c);
    open.closeAll();
    verify(c, times(1)).close();
    assertThat(open.size()).isZero();
  }
}

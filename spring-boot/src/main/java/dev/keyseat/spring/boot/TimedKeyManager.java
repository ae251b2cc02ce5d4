package dev.keyseat.spring.boot;

import dev.keyseat.KeyManager;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Objects;

/**
 * A {@link KeyManager} that times every call of the one it wraps: timer {@code keyseat.management}
 * tagged {@code operation} (the method, e.g. {@code createKeys}) and {@code outcome}
 * ({@code success}, or the refusal's exception type, e.g. {@code LicenseLimitException}). Tags name
 * no account, user, device or key. A dynamic proxy, so that every method of the interface is
 * timed, including those added later.
 */
public final class TimedKeyManager {
  /** The timer's name. */
  public static final String METER = "keyseat.management";

  private TimedKeyManager() {}

  /**
   * @param manager the manager to time
   * @param registry where the timers go
   * @return a KeyManager that behaves exactly as {@code manager} and times each call
   */
  public static KeyManager wrap(KeyManager manager, MeterRegistry registry) {
    Objects.requireNonNull(manager, "manager");
    Objects.requireNonNull(registry, "registry");
    InvocationHandler handler = new Handler(manager, registry);
    return (KeyManager) Proxy.newProxyInstance(KeyManager.class.getClassLoader(), new Class<?>[] {KeyManager.class},
        handler);
  }

  private record Handler(KeyManager target, MeterRegistry registry) implements InvocationHandler {
    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
      if (method.getDeclaringClass() == Object.class) {
        return switch (method.getName()) {
          case "equals" -> proxy == args[0];
          case "hashCode" -> System.identityHashCode(proxy);
          default -> "Timed" + target;
        };
      }
      long start = System.nanoTime();
      String outcome = "success";
      try {
        return method.invoke(target, args);
      } catch (InvocationTargetException e) {
        Throwable cause = e.getCause() == null ? e : e.getCause();
        outcome = cause.getClass().getSimpleName();
        throw cause;
      } finally {
        Timer.builder(METER).description("Keyseat management calls")
            .tag("operation", method.getName()).tag("outcome", outcome)
            .register(registry).record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
      }
    }
  }
}

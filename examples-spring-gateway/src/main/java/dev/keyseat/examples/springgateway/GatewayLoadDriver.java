package dev.keyseat.examples.springgateway;

import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.IssuedKey;
import dev.keyseat.KeyManager;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.UserId;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.LongAdder;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Measures the Spring Boot gateway over loopback: requests per second with in-process key
 * validation and, in the same run, a second instance with validation switched off
 * ({@code gateway.validation=false}: every key taken as valid, all else the same: Tomcat, Spring
 * Security, the controller), so that validation's share of a request's cost shows. The two are
 * measured in alternating phases, five rounds, after a warm-up of each; the medians are compared.
 * Arguments:
 * {@code [seconds per phase [client threads]]}, default 5 and 4.
 */
public final class GatewayLoadDriver {
  private static final int ROUNDS = 5;

  private GatewayLoadDriver() {}

  /** Runs the rounds and prints the comparison. */
  public static void main(String[] args) throws Exception {
    Duration phase = Duration.ofSeconds(args.length > 0 ? Long.parseLong(args[0]) : 5);
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 4;

    try (ConfigurableApplicationContext validating = start("validating", true);
        ConfigurableApplicationContext plain = start("plain", false)) {
      measure(validating, plain, validating.getBean(KeyManager.class), phase, threads);
    }
  }

  private static ConfigurableApplicationContext start(String name, boolean validation) {
    return new SpringApplicationBuilder(DeviceDataGatewayApplication.class).run(
        "--server.port=0",
        "--spring.datasource.url=jdbc:h2:mem:load-" + name + ";DB_CLOSE_DELAY=-1",
        "--gateway.demo-account=false",
        "--gateway.validation=" + validation,
        "--keyseat.validator.rate-limit.requests=0",
        "--logging.level.root=WARN");
  }

  private static URI baseUri(ConfigurableApplicationContext app) {
    return URI.create("http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port"));
  }

  private static void measure(ConfigurableApplicationContext validatingApp, ConfigurableApplicationContext plainApp,
      KeyManager keys, Duration phase, int threads) throws Exception {
    AccountId acme = AccountId.of("acme");
    Actor admin = Actor.user("alice");
    keys.createAccount(Actor.operator("ops"), acme, new NewAccount("Acme Air", UserId.of("alice"), 100));
    List<String> serials = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      String serial = String.format(Locale.ROOT, "AQ-%04d", i);
      keys.associateDevice(admin, acme, new NewDevice(serial, "Monitor " + i));
      serials.add(serial);
    }
    List<IssuedKey> issued = keys.createKeys(admin, acme, NewKeys.forDevices(serials));

    System.out.printf("Gateway load over loopback: %d client threads, %d s per phase, 100 keys, %d rounds%n",
        threads, phase.toSeconds(), ROUNDS);
    double[] without = new double[ROUNDS];
    double[] with = new double[ROUNDS];
    URI plain = baseUri(plainApp);
    URI validating = baseUri(validatingApp);
    {
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      run(plain, http, issued, threads, phase); // warm-up of both servers and the client
      run(validating, http, issued, threads, phase);
      // alternate the phases so that drifting load on the machine hits both alike
      for (int r = 0; r < ROUNDS; r++) {
        without[r] = phase(plain, http, issued, threads, phase, "without validation");
        with[r] = phase(validating, http, issued, threads, phase, "with validation");
      }
    }
    Arrays.sort(without);
    Arrays.sort(with);
    double a = without[ROUNDS / 2];
    double b = with[ROUNDS / 2];
    System.out.printf(Locale.ROOT, "median: %,.0f requests/s without, %,.0f with; ratio with/without: %.3f; "
        + "validation's share of a request: %s%n", a, b, b / a, share(without, with));
  }

  /**
   * Validation's share of a request's cost, 1 − with/without, or "below this run's resolution"
   * when the difference is smaller than the spread of the rounds (a negative difference always
   * is): the resolution is the larger relative spread, (max − min) / median, of the two sorted
   * series.
   */
  static String share(double[] sortedWithout, double[] sortedWith) {
    double a = sortedWithout[sortedWithout.length / 2];
    double b = sortedWith[sortedWith.length / 2];
    double share = 1 - b / a;
    double resolution = Math.max(spread(sortedWithout), spread(sortedWith));
    if (!(share > resolution)) {
      return String.format(Locale.ROOT, "below this run's resolution (the rounds spread by %.1f%%)",
          100 * resolution);
    }
    return String.format(Locale.ROOT, "%.1f%% (the rounds spread by %.1f%%)", 100 * share, 100 * resolution);
  }

  private static double spread(double[] sorted) {
    double median = sorted[sorted.length / 2];
    return median > 0 ? (sorted[sorted.length - 1] - sorted[0]) / median : Double.POSITIVE_INFINITY;
  }

  /** Measures one gateway for one phase; returns requests per second. */
  static double phase(URI gateway, HttpClient http, List<IssuedKey> issued, int threads,
      Duration length, String name) throws Exception {
    long[] result = run(gateway, http, issued, threads, length);
    double rps = result[0] / (length.toNanos() / 1e9);
    System.out.printf(Locale.ROOT, "  %-20s %,10.0f requests/s (%,d requests, %d not 200)%n",
        name, rps, result[0], result[1]);
    return rps;
  }

  private static long[] run(URI base, HttpClient http, List<IssuedKey> issued, int threads, Duration length)
      throws Exception {
    LongAdder ok = new LongAdder();
    LongAdder other = new LongAdder();
    long end = System.nanoTime() + length.toNanos();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int offset = t;
        workers.add(pool.submit(() -> {
          int i = offset;
          while (System.nanoTime() < end) {
            IssuedKey k = issued.get(i++ % issued.size());
            URI uri = URI.create(base + "/last-measurements/" + k.secret().reveal() + "/" + k.key().deviceSerial());
            try {
              int status = http.send(HttpRequest.newBuilder(uri).GET().build(),
                  HttpResponse.BodyHandlers.discarding()).statusCode();
              (status == 200 ? ok : other).increment();
            } catch (IOException e) {
              other.increment();
            }
          }
          return null;
        }));
      }
      for (Future<?> w : workers) {
        w.get();
      }
    } finally {
      pool.shutdownNow();
    }
    return new long[] {ok.sum(), other.sum()};
  }
}

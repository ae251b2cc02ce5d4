package dev.keyseat.examples.gateway;

import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.CachedKeyValidator;
import dev.keyseat.IssuedKey;
import dev.keyseat.KeyManager;
import dev.keyseat.Keyseat;
import dev.keyseat.NewAccount;
import dev.keyseat.NewDevice;
import dev.keyseat.NewKeys;
import dev.keyseat.UserId;
import dev.keyseat.inmemory.InMemoryKeyStore;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.LongAdder;

/**
 * Measures the gateway over loopback: requests per second with in-process key validation and,
 * in the same run, with validation switched off, so that validation's share of a request's cost
 * shows. Arguments: {@code [seconds per phase [client threads]]}, default 5 and 4.
 */
public final class GatewayLoadDriver {
  private GatewayLoadDriver() {}

  /** Runs both phases (each after a warm-up of the same length) and prints the comparison. */
  public static void main(String[] args) throws Exception {
    Duration phase = Duration.ofSeconds(args.length > 0 ? Long.parseLong(args[0]) : 5);
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 4;

    Keyseat keyseat = Keyseat.builder(new InMemoryKeyStore()).build();
    KeyManager keys = keyseat.manager();
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

    System.out.printf("Gateway load over loopback: %d client threads, %d s per phase, 100 keys%n",
        threads, phase.toSeconds());
    double without;
    double with;
    try (CachedKeyValidator validator = keyseat.validator().build()) {
      without = phase(DeviceDataGateway.start(validator, loopback(), false), issued, threads, phase, "without validation");
      with = phase(DeviceDataGateway.start(validator, loopback(), true), issued, threads, phase, "with validation");
    }
    System.out.printf(Locale.ROOT, "ratio with/without: %.3f; validation's share of a request: %.1f%%%n",
        with / without, 100 * (1 - with / without));
  }

  private static InetSocketAddress loopback() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
  }

  /** Warms up, then measures one gateway; returns requests per second. */
  static double phase(DeviceDataGateway gateway, List<IssuedKey> issued, int threads, Duration length, String name)
      throws Exception {
    try (gateway) {
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      run(gateway.baseUri(), http, issued, threads, length);
      long[] result = run(gateway.baseUri(), http, issued, threads, length);
      double rps = result[0] / (length.toNanos() / 1e9);
      System.out.printf(Locale.ROOT, "%-20s %,10.0f requests/s (%,d requests, %d not 200)%n",
          name, rps, result[0], result[1]);
      return rps;
    }
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

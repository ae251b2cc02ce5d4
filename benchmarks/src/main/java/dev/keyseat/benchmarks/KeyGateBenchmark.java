package dev.keyseat.benchmarks;

import dev.keyseat.internal.KeyFormat;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The validation path's checksum gate on its own ({@code KeyFormat}), without the validator around
 * it: the part of {@code ValidationBenchmark.validateMalformed} and of every hit that reads the
 * key's characters.
 *
 * <ul>
 *   <li>{@code gateRejectsTypo}: {@code isWellFormed(String, byte[])} for a key with its last
 *       character changed: read, folded into the CRC32 register, rejected by the checksum;
 *   <li>{@code gateAcceptsAndStages}: the same for a valid key, which is also staged (copied) for
 *       the PRF and checked for base62;
 *   <li>{@code readOnlyFloor}: a {@code charAt} loop that only ORs the key's 36 characters: what
 *       reading a string's characters one at a time costs at least.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2)
@State(Scope.Thread)
public class KeyGateBenchmark {
  KeyFormat format;
  String valid;
  String typo;
  byte[] staged;

  @Setup
  public void setUp() {
    format = new KeyFormat(KeyFormat.DEFAULT_PREFIX, new SecureRandom());
    staged = new byte[KeyFormat.STAGING_LENGTH];
    format.stagePrefix(staged);
    valid = format.generate();
    typo = Fleet.withTypo(valid);
    if (!format.isWellFormed(valid, staged) || format.isWellFormed(typo, staged)) {
      throw new IllegalStateException("the gate decides wrongly");
    }
  }

  @Benchmark
  public boolean gateRejectsTypo() {
    return format.isWellFormed(typo, staged);
  }

  @Benchmark
  public boolean gateAcceptsAndStages() {
    return format.isWellFormed(valid, staged);
  }

  @Benchmark
  public int readOnlyFloor() {
    String k = valid;
    int or = 0;
    for (int i = 0; i < k.length(); i++) {
      or |= k.charAt(i);
    }
    return or;
  }
}

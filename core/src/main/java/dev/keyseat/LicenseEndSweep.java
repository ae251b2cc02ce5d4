package dev.keyseat;

import dev.keyseat.validation.ValidatorScheduler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's license end sweep (R9): walks every account ({@link KeyManager#accounts}, page
 * by page) and, for each whose grants have an end that passed and was not applied yet, calls
 * {@link KeyManager#applyLicenseEnds}, so that the expiry strategy's suspensions reach the
 * validators without waiting for the account's next management call. The total drops at the end
 * instant whether or not a sweep runs (it is derived from the grants and the clock); the sweep
 * only writes what must be written, once.
 *
 * <p><b>Several nodes.</b> Run it on as many nodes as you like: {@code applyLicenseEnds} is
 * serialized per account and marks each end applied in the transaction that applies it, so when
 * two sweeps meet an account, one applies its ends and the other finds nothing left to do. No
 * lock and no leader election are needed; a sweep that stops half way is finished by the next.
 *
 * <pre>{@code
 * LicenseEndSweep sweep = keyseat.licenseEndSweep(Actor.operator("license-sweep"));
 * ValidatorScheduler.Cancellable job = sweep.schedule(scheduler, Duration.ofMinutes(5));
 * ...
 * LicenseEndSweep.Result last = sweep.lastResult(); // for a health check or a gauge
 * }</pre>
 *
 * <p><b>What an operator sees.</b> Each pass that applied ends logs one INFO line (accounts
 * checked, accounts and grants applied, failures, time taken); each account that failed logs a
 * WARN line naming the account and the error, and is retried by the next pass; quiet passes log
 * at DEBUG. {@link #lastResult()} and the running totals ({@link #passes()}, {@link
 * #grantsApplied()}, {@link #failures()}) feed metrics. Thread-safe; passes of one sweep do not
 * overlap when scheduled.
 */
public final class LicenseEndSweep {
  private static final Logger log = LoggerFactory.getLogger(LicenseEndSweep.class);
  /** The default number of accounts read per page. */
  public static final int DEFAULT_PAGE_SIZE = 100;

  private final KeyManager manager;
  private final Clock clock;
  private final Actor operator;
  private final int pageSize;
  /** The running totals and the last pass, replaced as one so that readers never see them torn. */
  private volatile Totals totals = new Totals(null, 0, 0, 0);

  LicenseEndSweep(KeyManager manager, Clock clock, Actor operator, int pageSize) {
    this.manager = Objects.requireNonNull(manager, "manager");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.operator = Objects.requireNonNull(operator, "operator");
    if (!operator.isOperator()) {
      throw new IllegalArgumentException("the license end sweep runs as the operator, not as " + operator);
    }
    if (pageSize < 1 || pageSize > 1000) {
      throw new IllegalArgumentException("page size must be between 1 and 1000, was " + pageSize);
    }
    this.pageSize = pageSize;
  }

  /**
   * @param size accounts read per page, 1 to 1,000
   * @return a sweep like this one reading {@code size} accounts per page (its totals start at 0)
   * @throws IllegalArgumentException if the size is out of range
   */
  public LicenseEndSweep pageSize(int size) {
    return new LicenseEndSweep(manager, clock, operator, size);
  }

  /**
   * What one pass did.
   *
   * @param startedAt when the pass started (the Keyseat's clock)
   * @param accountsChecked open accounts whose grants were read
   * @param accountsApplied accounts with ends due for which this pass called {@code
   *     applyLicenseEnds} (with several nodes, another node may have applied them first: each end
   *     is applied once either way)
   * @param grantsApplied grants whose passed end this pass found unapplied
   * @param failed accounts that could not be read or swept; the next pass retries them
   * @param took how long the pass took (the Keyseat's clock)
   */
  public record Result(Instant startedAt, int accountsChecked, int accountsApplied, int grantsApplied, int failed,
      Duration took) {

    /**
     * Checks the components.
     *
     * @param startedAt when the pass started
     * @param accountsChecked open accounts whose grants were read
     * @param accountsApplied accounts for which this pass applied ends
     * @param grantsApplied grants whose passed end this pass found unapplied
     * @param failed accounts that could not be read or swept
     * @param took how long the pass took
     */
    public Result {
      Objects.requireNonNull(startedAt, "startedAt");
      Objects.requireNonNull(took, "took");
    }
  }

  /**
   * Runs one pass over every account now. Never throws for one account's failure: it is logged,
   * counted and left for the next pass.
   *
   * @return what the pass did
   * @throws StoreUnavailableException if the account list itself cannot be read
   */
  public Result run() {
    Instant started = clock.instant();
    int checked = 0;
    int applied = 0;
    int grants = 0;
    int failed = 0;
    AccountId after = null;
    do {
      AccountPage page = manager.accounts(operator, after, pageSize);
      for (AccountOverview overview : page.accounts()) {
        Account account = overview.account();
        if (account.isClosed()) {
          continue;
        }
        checked++;
        try {
          Instant now = clock.instant();
          List<License> due = manager.licenses(operator, account.id()).stream()
              .filter(g -> g.endedAt(now) && !g.endApplied()).toList();
          if (!due.isEmpty()) {
            manager.applyLicenseEnds(operator, account.id()); // R9: written once, whoever gets there first
            applied++;
            grants += due.size();
          }
        } catch (RuntimeException e) {
          failed++;
          log.warn("license end sweep: could not apply the license ends of account {}; the next pass retries: {}",
              account.id(), e.toString());
        }
      }
      after = page.next();
    } while (after != null);
    Result result = new Result(started, checked, applied, grants, failed, Duration.between(started, clock.instant()));
    count(t -> t.after(result));
    if (applied > 0 || failed > 0) {
      log.info("license end sweep: {} accounts checked, ended grants applied in {} accounts ({} grants), {} failed,"
          + " in {} ms", checked, applied, grants, failed, result.took().toMillis());
    } else {
      log.debug("license end sweep: {} accounts checked, nothing due", checked);
    }
    return result;
  }

  /**
   * Runs {@link #run()} every {@code period} on {@code scheduler} (first one period from now)
   * until the handle is cancelled. A pass that throws (the account list could not be read) is
   * logged and counted as a failure; the next pass runs as planned.
   *
   * @param scheduler where to run, e.g. a daemon thread of the host or testkit's ManualScheduler
   * @param period time between passes, 1 second to 1 day
   * @return the handle that stops further passes
   * @throws IllegalArgumentException if the period is out of range
   */
  public ValidatorScheduler.Cancellable schedule(ValidatorScheduler scheduler, Duration period) {
    Objects.requireNonNull(scheduler, "scheduler");
    Objects.requireNonNull(period, "period");
    if (period.compareTo(Duration.ofSeconds(1)) < 0 || period.compareTo(Duration.ofDays(1)) > 0) {
      throw new IllegalArgumentException("the sweep period must be between 1 second and 1 day, was " + period);
    }
    return scheduler.schedule("license-end-sweep", period, () -> {
      try {
        run();
      } catch (RuntimeException e) {
        count(Totals::afterFailedPass);
        log.warn("license end sweep failed; the next pass retries: {}", e.toString());
      }
    });
  }

  private synchronized void count(UnaryOperator<Totals> pass) {
    totals = pass.apply(totals);
  }

  /** @return what the last pass did, or null before the first */
  public @Nullable Result lastResult() {
    return totals.last();
  }

  /** @return passes completed since this sweep was created */
  public long passes() {
    return totals.passes();
  }

  /** @return grants whose passed end this sweep found unapplied and applied, in all passes */
  public long grantsApplied() {
    return totals.grantsApplied();
  }

  /** @return accounts (or whole passes) that failed, in all passes */
  public long failures() {
    return totals.failures();
  }

  @Override
  public String toString() {
    return "LicenseEndSweep[" + operator + ", passes=" + passes() + "]";
  }

  /**
   * What every pass so far did.
   *
   * @param last the last completed pass, null before the first
   * @param passes passes completed
   * @param grantsApplied grants applied, in all passes
   * @param failures accounts (or whole passes) that failed, in all passes
   */
  private record Totals(@Nullable Result last, long passes, long grantsApplied, long failures) {
    Totals after(Result pass) {
      return new Totals(pass, passes + 1, grantsApplied + pass.grantsApplied(), failures + pass.failed());
    }

    Totals afterFailedPass() {
      return new Totals(last, passes, grantsApplied, failures + 1);
    }
  }
}

package dev.keyseat.testkit;

import static org.quicktheories.QuickTheory.qt;

import dev.keyseat.Keyseat;
import dev.keyseat.spi.KeyStore;
import java.util.function.Consumer;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Configuration;

/**
 * The property-based quota suite: model-based tests of the rules R1–R13 against a real
 * {@link dev.keyseat.KeyManager} over your {@link KeyStore}. Extend it from your store's tests and
 * return a fresh, empty store from {@link #createStore()}:
 *
 * <pre>{@code
 * class MyStoreQuotaPropertiesTest extends QuotaPropertiesContract {
 *   @Override
 *   protected KeyStore createStore() {
 *     return new MyStore(freshDatabase());
 *   }
 * }
 * }</pre>
 *
 * <p>QuickTheories generates {@link #examples()} random {@linkplain QuotaScenario scenarios} of
 * 1–200 {@linkplain QuotaCommand commands} (batch creates, deletes, regenerations, edits, device
 * and member changes, license contracts and cancellations, license grants with terms, term
 * changes, early ends, the license end sweep, license policies with a seat reuse limit, calls by
 * every role, clock advances that let grants end, validations of current, old and deleted
 * secrets; and one write call in 16 with the store failing at a chosen write of its transaction). Each command is applied to the real manager
 * and to a small reference model; after every step the outcomes must agree (success, or the same
 * refusal type with the same details; the same verdict) and these invariants must hold:
 *
 * <ul>
 *   <li>R1 quota: keys ≤ licenses, unless a non-REJECT cancellation put the account over its
 *       limit and no key was created since;
 *   <li>R2 one key per device, and only on a device of the account;
 *   <li>R3 used / available / total agree with the keys table;
 *   <li>R4 a refused batch create changed nothing;
 *   <li>R5 a deleted key's secrets never validate;
 *   <li>R6 an old secret is revoked after a regeneration unless within the overlap;
 *   <li>R7 edits keep the license count;
 *   <li>R8 non-admins never change anything they may not (and the last admin stays);
 *   <li>R9 cancellations never delete keys (REJECT refuses, SUSPEND_NEWEST suspends the newest);
 *       license grants, term changes and ends agree with the model; the total is the sum of the
 *       grants active now; a passed end is applied once, by the next write, as the platform, with
 *       the account's expiry strategy; the seat reuse limit refuses churn exactly when the model
 *       says;
 *   <li>R4/R12 a call whose transaction fails at an injected write leaves nothing: no key, device,
 *       member or grant change, no audit entry, no feed event, usage unchanged;
 *   <li>R10 a dissociated device has no key;
 *   <li>R11 creating a key for a device that has one fails with
 *       {@link dev.keyseat.DeviceAlreadyHasKeyException}, never a quota error;
 *   <li>R12 the audit log grows by the right entries with every action and refusal;
 *   <li>R13 no secret appears in audit entries, exceptions or {@code toString()} of results.
 * </ul>
 *
 * <p>A failure reports the seed, the failing command sequence shrunk to the commands that matter,
 * and the broken invariant with a trace of what the real manager did at each step. Rerun one seed with {@code -DQT_SEED=<seed>}; change
 * the number of sequences with {@code -DQT_EXAMPLES=<n>} or by overriding {@link #examples()}.
 */
@DisplayNameGeneration(StoreDisplayNames.class)
public abstract class QuotaPropertiesContract {

  /**
   * The store's name in skip reasons and failure messages; reports are named by {@link
   * StoreDisplayNames}.
   *
   * @return the name, by default the test class's simple name (with its enclosing classes)
   */
  protected String storeName() {
    return Declared.nameOf(this);
  }


  /** For subclasses. */
  protected QuotaPropertiesContract() {}

  /**
   * @return a fresh, empty store; called once per generated sequence (and again while shrinking a
   *     failing one)
   */
  protected abstract KeyStore createStore();

  /**
   * @return how many sequences to generate (default 1,000); slow stores may return fewer. The
   *     system property {@code QT_EXAMPLES} takes precedence.
   */
  protected int examples() {
    return 1000;
  }

  /**
   * @return how many runs to spend shrinking a failing sequence (default 2,000); the system
   *     property {@code QT_SHRINKS} takes precedence
   */
  protected int shrinkRuns() {
    return 2000;
  }

  /**
   * Adds your configuration (key prefix, pepper, secret vault, ...) to the Keyseat under test. The
   * suite then sets its own clock, random source and maximum regeneration overlap (7 days), which
   * the model relies on; a random source set here replaces the suite's reproducible one.
   *
   * @param builder a builder over the store from {@link #createStore()}
   * @return the builder to use
   */
  protected Keyseat.Builder configure(Keyseat.Builder builder) {
    return builder;
  }

  /**
   * Runs one given scenario against a fresh store from {@link #createStore()}, checking the same
   * invariants after every step: to replay a counter-example, or to pin a scenario that matters to
   * your store (e.g. a {@link QuotaCommand.FailingWrite} in the middle of a batch).
   *
   * @param scenario the scenario
   * @throws AssertionError naming the broken invariant ({@code [R4 ...] broken at step n ...}) with
   *     the execution trace
   */
  public void checkScenario(QuotaScenario scenario) {
    new QuotaMachine(createStore(), this::configure, scenario).run();
  }

  /** Random command sequences keep every quota rule, on the real manager as in the model. */
  @Test
  public void quotaRulesHoldForRandomCommandSequences() {
    Consumer<QuotaScenario> property = scenario -> new QuotaMachine(createStore(), this::configure, scenario).run();
    // QuickTheories finds a failing sequence; ScenarioReporter shrinks it by deleting commands,
    // which works far better on long command lists than shrinking single random values.
    qt()
        .withExamples(Integer.getInteger(Configuration.EXAMPLES, examples()))
        .withShrinkCycles(0)
        .withReporter(new ScenarioReporter(property, Integer.getInteger(Configuration.SHRINKS, shrinkRuns())))
        .forAll(KeyseatGenerators.scenarios())
        .checkAssert(property);
  }
}

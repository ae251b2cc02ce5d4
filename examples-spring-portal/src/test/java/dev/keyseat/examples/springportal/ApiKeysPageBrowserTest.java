package dev.keyseat.examples.springportal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.deque.html.axecore.results.Results;
import com.deque.html.axecore.results.Rule;
import com.deque.html.axecore.selenium.AxeBuilder;
import dev.keyseat.AccountId;
import dev.keyseat.Actor;
import dev.keyseat.ApiKey;
import dev.keyseat.KeyEdit;
import dev.keyseat.KeyManager;
import dev.keyseat.Keyseat;
import dev.keyseat.NewKeys;
import dev.keyseat.validation.Verdict;
import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The "API Keys" page in a real headless Chromium, signed in through the portal's form, at a
 * desktop's 1280×800 and a phone's 390×844: every test runs at both widths, on an account of its
 * own seeded like the demo's (35 licenses, 40 devices, 24 keys: more than one page).
 *
 * <p>Needs Debian's {@code chromium} and {@code chromium-driver} ({@code apt-get install -y chromium
 * chromium-driver}); other paths can be given with {@code -Dkeyseat.chromium=…} and {@code
 * -Dkeyseat.chromedriver=…}. Without them the test fails: it never skips.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "portal.demo-password=" + ApiKeysPageBrowserTest.PASSWORD,
    "spring.datasource.url=jdbc:h2:mem:portal-browser;DB_CLOSE_DELAY=-1",
    // a vault, so that the table's Copy can reveal a key again
    "keyseat.vault.key=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="})
class ApiKeysPageBrowserTest {
  static final String PASSWORD = "portal-browser-test-password";
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Path SCREENSHOTS = Path.of("target", "screenshots");
  private static final AtomicInteger ACCOUNTS = new AtomicInteger();
  /** The demo users and the role the page names for each (alice administers, bob manages, carol views). */
  private static final Map<String, String> ROLES = Map.of("alice", "Administrator", "bob", "Manager", "carol", "Viewer");
  private static final Actor ALICE = Actor.user("alice");

  /** Selenium warns that it has no DevTools binding for this Chromium; the test uses none. */
  private static final Logger DEVTOOLS_LOG = Logger.getLogger("org.openqa.selenium.devtools");

  private static ChromeDriverService service;
  private static ChromeDriver driver;
  private static WebDriverWait wait;

  @LocalServerPort
  int port;
  @Autowired
  Keyseat keyseat;
  @Autowired
  KeyManager keys;
  @Autowired
  DemoAccount demo;

  private AccountId account;
  private int width;

  /** A test that runs twice: at a desktop's 1280 px ({@link #DESKTOP}) and a phone's 390 px ({@link #PHONE}). */
  @Target(ElementType.METHOD)
  @Retention(RetentionPolicy.RUNTIME)
  @ParameterizedTest(name = "{0} px wide")
  @ValueSource(ints = {1280, 390})
  @interface AtBothWidths {}

  private static final Dimension DESKTOP = new Dimension(1280, 800);
  private static final Dimension PHONE = new Dimension(390, 844);

  @BeforeAll
  static void startBrowser(@TempDir Path profile) throws IOException {
    DEVTOOLS_LOG.setLevel(Level.SEVERE);
    Path chromium = executable("keyseat.chromium", "/usr/bin/chromium");
    Path chromedriver = executable("keyseat.chromedriver", "/usr/bin/chromedriver");
    // A driver named explicitly means Selenium Manager never tries to download one.
    System.setProperty(ChromeDriverService.CHROME_DRIVER_EXE_PROPERTY, chromedriver.toString());
    service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile()).usingAnyFreePort().build();
    ChromeOptions options = new ChromeOptions()
        .setBinary(chromium.toFile())
        .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
            "--lang=en-US", "--window-size=1280,800", "--user-data-dir=" + profile.toAbsolutePath());
    driver = new ChromeDriver(service, options);
    wait = new WebDriverWait(driver, WAIT);
    wait.ignoring(StaleElementReferenceException.class);
    Files.createDirectories(SCREENSHOTS);
  }

  private static Path executable(String property, String fallback) {
    Path path = Path.of(System.getProperty(property, fallback));
    if (!Files.isExecutable(path)) {
      throw new AssertionError(path + " is missing: the portal's browser test needs Debian's headless Chromium"
          + " and its driver. Install them with `apt-get install -y chromium chromium-driver`, or point -D"
          + property + " at another executable.");
    }
    return path;
  }

  @AfterAll
  static void stopBrowser() {
    if (driver != null) {
      driver.quit();
    }
    if (service != null) {
      service.stop();
    }
  }

  @BeforeEach
  void freshAccount() {
    account = AccountId.of("t" + ACCOUNTS.incrementAndGet());
    assertThat(demo.seed(account)).isTrue();
    driver.executeCdpCommand("Browser.grantPermissions", Map.of("origin", base(),
        "permissions", List.of("clipboardReadWrite", "clipboardSanitizedWrite")));
  }

  // ---------------------------------------------------------------- tests

  @AtBothWidths
  void anAdminCreatesKeysForTwoDevicesCopiesRegeneratesSetsAnExpiryAndDeletes(int width) throws Exception {
    openAs("alice", width);
    waitForText(By.id("usage-text"), "uses 24 of 35 API licenses");
    waitForText(By.id("usage-ending"), "5 licenses end on ");
    waitForText(By.id("keys-status"), "Showing 1–20 of 24 keys.");
    wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#daily-chart svg rect"), 30));
    screenshot("keys");

    // New Key: search within the list, select two devices, review with the license count, CREATE.
    click(By.id("new-key"));
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("dlg-new")));
    wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#device-list input[name=device]"), 16));
    type(By.id("device-filter"), s(25));
    wait.until(d -> visibleChoices().equals(List.of(s(25))));
    click(By.cssSelector("#device-list input[value='" + s(25) + "']"));
    clearAndType(By.id("device-filter"), s(26).toLowerCase(java.util.Locale.ROOT));
    wait.until(d -> visibleChoices().equals(List.of(s(26))));
    click(By.cssSelector("#device-list input[value='" + s(26) + "']"));
    waitForText(By.id("new-selected-count"), "2 devices selected.");
    screenshot("new-key");
    click(By.id("new-review"));
    waitForText(By.id("review-intro"), "Create 2 API keys?");
    waitForText(By.id("review-licenses"), "These 2 devices need 2 licenses; 11 are free.");
    assertThat(driver.findElements(By.cssSelector("#review-list li"))).extracting(WebElement::getText)
        .containsExactly(name(25) + " " + s(25), name(26) + " " + s(26));
    click(By.id("create-keys"));

    // Each secret is shown once, with Copy.
    List<WebElement> inputs = wait.until(
        ExpectedConditions.numberOfElementsToBe(By.cssSelector("#secret-list input.secret"), 2));
    String first = inputs.get(0).getDomProperty("value");
    String second = inputs.get(1).getDomProperty("value");
    assertThat(inputs).extracting(e -> e.getDomAttribute("data-serial")).containsExactly(s(25), s(26));
    assertThat(first).isNotEqualTo(second);
    assertThat(verdict(first, s(25))).isEqualTo(Verdict.Status.VALID);
    assertThat(verdict(second, s(26))).isEqualTo(Verdict.Status.VALID);
    WebElement copy = driver.findElement(By.cssSelector("#secret-list .secret-item:first-child button.copy"));
    copy.click();
    wait.until(ExpectedConditions.textToBePresentInElement(copy, "Copied"));
    assertThat(clipboard()).isEqualTo(first);
    screenshot("secrets");
    click(By.id("secrets-done"));
    wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("dlg-secrets")));
    assertThat(pageHolds(first)).as("the secret left the page with its dialog").isFalse();
    assertThat(pageHolds(second)).isFalse();
    waitForText(By.id("usage-text"), "uses 26 of 35 API licenses");

    // Search, then Copy from the table (the vault reveals it).
    type(By.id("key-search"), s(25));
    waitForText(By.id("keys-status"), "Showing 1–1 of 1 keys matching “" + s(25) + "”.");
    click(rowButton(s(25), "a-copy"));
    waitForText(By.id("ks-message"), "Copied the key for " + name(25) + " (" + s(25) + ") to the clipboard.");
    assertThat(clipboard()).isEqualTo(first);

    // Regenerate at once: a new secret, shown once; the old one is dead.
    click(rowButton(s(25), "a-regenerate"));
    waitForText(By.id("regen-message"), "A new secret replaces the key for " + name(25) + " (" + s(25) + ").");
    new Select(driver.findElement(By.id("regen-overlap"))).selectByValue("0");
    click(By.id("regen-ok"));
    WebElement regenerated = wait.until(
        ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#secret-list input.secret")));
    String fresh = regenerated.getDomProperty("value");
    assertThat(fresh).isNotEqualTo(first);
    assertThat(verdict(fresh, s(25))).isEqualTo(Verdict.Status.VALID);
    assertThat(verdict(first, s(25))).isNotEqualTo(Verdict.Status.VALID);
    click(By.id("secrets-done"));
    wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("dlg-secrets")));
    assertThat(pageHolds(fresh)).isFalse();

    // Edit: an expiry date.
    click(rowButton(s(25), "a-edit"));
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("dlg-edit")));
    assertThat(driver.findElement(By.id("edit-clear-expiry")).isSelected()).isTrue();
    click(By.id("edit-clear-expiry"));
    setDate(By.id("edit-expiry"), "2027-06-30");
    click(By.id("edit-save"));
    wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("dlg-edit")));
    waitForText(cellAt(s(25), "c-status"), "Expires 30 Jun 2027");
    assertThat(keyOf(s(25)).expiresAt()).isEqualTo(Instant.parse("2027-06-30T23:59:59Z"));

    // Edit: suspend, then resume.
    click(rowButton(s(25), "a-edit"));
    click(By.id("edit-suspended"));
    click(By.id("edit-save"));
    waitForText(cellAt(s(25), "c-status"), "Suspended");
    assertThat(verdict(fresh, s(25))).isEqualTo(Verdict.Status.SUSPENDED);
    click(rowButton(s(25), "a-edit"));
    wait.until(ExpectedConditions.elementSelectionStateToBe(By.id("edit-suspended"), true));
    click(By.id("edit-suspended"));
    click(By.id("edit-save"));
    waitForText(cellAt(s(25), "c-status"), "Active");
    assertThat(verdict(fresh, s(25))).isEqualTo(Verdict.Status.VALID);

    // Delete with a confirmation: the license returns to the pool, the secret stops working.
    clearAndType(By.id("key-search"), s(26));
    waitForText(By.id("keys-status"), "Showing 1–1 of 1 keys matching “" + s(26) + "”.");
    click(rowButton(s(26), "a-delete"));
    waitForText(By.id("confirm-message"), "Delete the key for " + name(26) + " (" + s(26) + ")?");
    screenshot("delete");
    click(By.id("confirm-ok"));
    waitForText(By.id("usage-text"), "uses 25 of 35 API licenses");
    waitForText(By.id("keys-status"), "No key matches “" + s(26) + "”.");
    assertThat(verdict(second, s(26))).isNotEqualTo(Verdict.Status.VALID);
  }

  @AtBothWidths
  void theTableSortsSearchesAndPagesWithTheCursor(int width) throws Exception {
    openAs("alice", width);
    waitForText(By.id("keys-status"), "Showing 1–20 of 24 keys.");
    List<String> byName = names().stream().sorted().toList();
    wait.until(d -> rowNames().equals(byName.subList(0, 20)));

    click(By.id("keys-next"));
    waitForText(By.id("keys-status"), "Showing 21–24 of 24 keys.");
    assertThat(rowNames()).isEqualTo(byName.subList(20, 24));
    assertThat(driver.findElement(By.id("keys-next")).isEnabled()).isFalse();
    screenshot("keys-page-2");
    click(By.id("keys-prev"));
    waitForText(By.id("keys-status"), "Showing 1–20 of 24 keys.");
    assertThat(driver.findElement(By.id("keys-prev")).isEnabled()).isFalse();

    // Sort by serial, then the other way.
    if (width == DESKTOP.getWidth()) {
      click(By.cssSelector("#keys-table th button[data-sort=serial]"));
      wait.until(d -> rowSerials().get(0).equals(s(1)));
      assertThat(driver.findElement(By.cssSelector("#keys-table th[data-sort=serial]")).getDomAttribute("aria-sort"))
          .isEqualTo("ascending");
      click(By.cssSelector("#keys-table th button[data-sort=serial]"));
      wait.until(d -> rowSerials().get(0).equals(s(24)));
      assertThat(driver.findElement(By.cssSelector("#keys-table th[data-sort=serial]")).getDomAttribute("aria-sort"))
          .isEqualTo("descending");
    } else {
      new Select(driver.findElement(By.id("key-sort"))).selectByValue("serial:asc");
      wait.until(d -> rowSerials().get(0).equals(s(1)));
      new Select(driver.findElement(By.id("key-sort"))).selectByValue("deviceName:desc");
      wait.until(d -> rowNames().get(0).equals(byName.get(byName.size() - 1)));
    }

    // Search by name: two kitchens have keys.
    type(By.id("key-search"), "kitchen");
    waitForText(By.id("keys-status"), "of 2 keys matching “kitchen”.");
    assertThat(rowSerials()).containsExactlyInAnyOrder(s(3), s(15));
    clearAndType(By.id("key-search"), "no such device");
    waitForText(By.id("keys-status"), "No key matches “no such device”.");

    // The stale-key review is one click: in a fresh account, the 16 keys never used.
    WebElement search = driver.findElement(By.id("key-search"));
    search.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE);
    waitForText(By.id("keys-status"), "Showing 1–20 of 24 keys.");
    click(By.id("stale-review"));
    waitForText(By.id("keys-status"), "Showing 1–16 of 16 keys unused for 90 days.");
    assertThat(driver.findElement(By.id("stale-review")).getDomAttribute("aria-pressed")).isEqualTo("true");
    assertThat(driver.findElements(By.cssSelector("#keys-body td.c-last"))).hasSize(16)
        .allSatisfy(cell -> assertThat(cell.getText()).isEqualTo("Never"));
    screenshot("stale");
    click(By.id("stale-review"));
    waitForText(By.id("keys-status"), "Showing 1–20 of 24 keys.");

    // The demo account as the portal seeds it (the README's screenshot is the 1280 px one).
    driver.get(base() + "/keyseat/?account=" + DemoAccount.ID.value());
    waitForText(By.id("keys-status"), "of 24 keys.");
    wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#keys-body .c-usage svg"), 20));
    screenshot("demo-account");
  }

  @AtBothWidths
  void createIsDisabledWithTheServersReasonWhenTheLicensesWouldRunOut(int width) throws Exception {
    List<String> fill = new ArrayList<>();
    for (int i = 25; i <= 34; i++) {
      fill.add(s(i));
    }
    keys.createKeys(ALICE, account, NewKeys.forDevices(fill)); // 34 of 35: one free
    openAs("alice", width);
    waitForText(By.id("usage-text"), "uses 34 of 35 API licenses; 1 is free.");

    click(By.id("new-key"));
    wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#device-list input[name=device]"), 6));
    click(By.cssSelector("#device-list input[value='" + s(35) + "']"));
    click(By.cssSelector("#device-list input[value='" + s(36) + "']"));
    click(By.id("new-review"));
    WebElement reason = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("create-reason")));
    wait.until(d -> !reason.getText().isBlank());
    assertThat(reason.getText()).startsWith("These 2 devices need 2 licenses; 1 is free.");
    assertThat(driver.findElement(By.id("create-keys")).isEnabled()).as("CREATE").isFalse();
    screenshot("create-refused");

    // Back, one device only: allowed.
    click(By.id("new-back"));
    click(By.cssSelector("#device-list input[value='" + s(36) + "']"));
    click(By.id("new-review"));
    waitForText(By.id("review-licenses"), "This device needs 1 license; 1 is free.");
    click(By.id("create-keys"));
    wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#secret-list input.secret"), 1));
    click(By.id("secrets-done"));

    // No license left: New Key is disabled, and says why.
    waitForText(By.id("usage-text"), "uses 35 of 35 API licenses; 0 are free.");
    wait.until(ExpectedConditions.not(ExpectedConditions.elementToBeClickable(By.id("new-key"))));
    assertThat(driver.findElement(By.id("new-key-reason")).getText())
        .isEqualTo("All 35 API licenses are in use. Delete a key you no longer use, or contract more licenses.");
  }

  @AtBothWidths
  void aManagerManagesDevicesAndAViewerOnlyReads(int width) throws Exception {
    openAs("bob", width);
    waitForText(By.id("ks-notice-title"), "API key management is available to administrators only.");
    waitForText(By.id("devices-status"), "Showing 1–40 of 40 devices.");
    assertThat(driver.findElement(By.id("tab-keys")).isDisplayed()).isFalse();
    assertThat(driver.findElement(By.id("tab-audit")).isDisplayed()).isFalse();
    assertThat(driver.findElement(By.id("panel-keys")).isDisplayed()).isFalse();
    assertThat(driver.findElements(By.cssSelector("#devices-body button.a-dissociate"))).isEmpty();
    waitForText(By.id("usage-text"), "uses 24 of 35 API licenses");

    // Associate a device, then rename it.
    type(By.id("assoc-serial"), s(1001));
    type(By.id("assoc-name"), "Bike shed");
    click(By.id("assoc-submit"));
    waitForText(By.id("ks-message"), "Associated Bike shed (" + s(1001) + ") with the account.");
    type(By.id("device-search"), s(1001));
    waitForText(By.id("devices-status"), "of 1 device.");
    click(By.cssSelector("#devices-body tr[data-serial='" + s(1001) + "'] button.a-rename"));
    WebElement name = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("rename-name")));
    name.clear();
    name.sendKeys("Bike shelter");
    click(By.id("rename-save"));
    waitForText(By.cssSelector("#devices-body tr[data-serial='" + s(1001) + "'] td.d-name"), "Bike shelter");
    assertThat(keys.devices(ALICE, account)).anyMatch(d -> d.serial().equals(s(1001)) && d.name().equals("Bike shelter"));
    screenshot("manager");

    // A second associate of the same serial is refused with the server's words.
    type(By.id("assoc-serial"), s(1001));
    type(By.id("assoc-name"), "Again");
    click(By.id("assoc-submit"));
    WebElement refused = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("assoc-error")));
    assertThat(refused.getText()).isNotBlank().doesNotContain("Exception").doesNotContain("dev.keyseat");

    openAs("carol", width);
    waitForText(By.id("devices-status"), "of 41 devices.");
    assertThat(driver.findElement(By.id("associate-form")).isDisplayed()).isFalse();
    assertThat(driver.findElements(By.cssSelector("#devices-body button"))).isEmpty();
    assertThat(driver.findElement(By.id("devices-intro")).getText()).isEqualTo("The account's devices (read only).");
    screenshot("viewer");

    // Sign out: the session ends, the page's API no longer answers.
    click(By.id("ks-sign-out"));
    wait.until(ExpectedConditions.urlContains("/login?logout"));
    driver.get(base() + "/keyseat/?account=" + account.value());
    wait.until(ExpectedConditions.urlContains("/login"));
  }

  @AtBothWidths
  void hostileTextNeverRunsAndRendersAsInertText(int width) throws Exception {
    String device = "<img src=x onerror=\"window.__pwned=1;alert(1)\"><b>Lobby</b>";
    String label = "<script>window.__pwned=2</script><i>front desk</i> " + "x".repeat(60);
    keys.renameDevice(ALICE, account, s(1), device);
    keys.editKey(ALICE, account, keyOf(s(1)).id(), KeyEdit.label(label));

    openAs("alice", width);
    type(By.id("key-search"), s(1));
    waitForText(By.id("keys-status"), "Showing 1–1 of 1 keys");
    wait.until(ExpectedConditions.textToBe(cellAt(s(1), "c-name"), device));
    WebElement labelCell = driver.findElement(cellAt(s(1), "c-label"));
    assertThat(labelCell.getText().replaceAll("\\s+", " ")).isEqualTo(label);
    assertThat(labelCell.findElement(By.cssSelector(".ks-trunc")).getDomAttribute("title")).isEqualTo(label);
    assertNothingInjected();
    // Every action of the row stays reachable however long the label.
    for (String action : List.of("a-copy", "a-regenerate", "a-edit", "a-delete")) {
      WebElement button = driver.findElement(rowButton(s(1), action));
      assertThat(button.isDisplayed()).as(action).isTrue();
      assertThat(insideViewportWidth(button)).as("%s inside the %d px viewport", action, width).isTrue();
    }
    screenshot("hostile");

    // A bidi override the page echoes (the search) is shown as a visible mark, never applied.
    clearAndType(By.id("key-search"), "\u202Etxt.exe");
    waitForText(By.id("keys-status"), "No key matches “[U+202E]txt.exe”.");
    assertThat(driver.findElement(By.id("keys-status")).getText()).doesNotContain("\u202E");
    // ... and one sent to the server is refused with a message for the administrator.
    clearAndType(By.id("key-search"), s(1));
    waitForText(By.id("keys-status"), "Showing 1–1 of 1 keys");
    click(rowButton(s(1), "a-edit"));
    WebElement labelInput = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("edit-label")));
    labelInput.clear();
    labelInput.sendKeys("invoice\u202Etxt.exe");
    click(By.id("edit-save"));
    WebElement error = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("edit-error")));
    wait.until(d -> !error.getText().isBlank());
    assertThat(error.getText()).doesNotContain("\u202E").doesNotContain("Exception");
    assertThat(keyOf(s(1)).label()).isEqualTo(label);
    labelInput.sendKeys(Keys.ESCAPE);
    wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("dlg-edit")));

    // The devices view shows the same name as text.
    click(By.id("tab-devices"));
    type(By.id("device-search"), s(1));
    wait.until(ExpectedConditions.textToBe(By.cssSelector("#devices-body tr[data-serial='" + s(1) + "'] td.d-name"), device));
    assertNothingInjected();
  }

  @AtBothWidths
  void axeFindsNoSeriousOrCriticalViolationAndDialogsWorkByKeyboard(int width) throws Exception {
    openAs("alice", width);
    waitForText(By.id("keys-status"), "Showing 1–20 of 24 keys.");
    wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#keys-body .c-usage svg"), 20));
    assertNoSeriousViolation("keys table");

    // New Key by keyboard: the dialog takes the focus, Tab stays inside, Escape closes it and
    // gives the focus back to New Key.
    driver.findElement(By.id("new-key")).sendKeys(Keys.ENTER);
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("dlg-new")));
    wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#device-list input[name=device]"), 16));
    WebElement dialog = driver.findElement(By.id("dlg-new"));
    assertThat(dialog.getDomAttribute("role")).isEqualTo("dialog");
    assertThat(dialog.getDomAttribute("aria-modal")).isEqualTo("true");
    wait.until(d -> "device-filter".equals(activeId()));
    assertNoSeriousViolation("New Key dialog");
    for (int i = 0; i < 25; i++) {
      driver.switchTo().activeElement().sendKeys(Keys.TAB);
      assertThat((Boolean) driver.executeScript("return document.getElementById('dlg-new').contains(document.activeElement)"))
          .as("focus after %d Tabs", i + 1).isTrue();
    }
    driver.switchTo().activeElement().sendKeys(Keys.ESCAPE);
    wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("dlg-new")));
    wait.until(d -> "new-key".equals(activeId()));

    click(By.id("tab-audit"));
    wait.until(ExpectedConditions.numberOfElementsToBeMoreThan(By.cssSelector("#audit-body tr"), 0));
    assertNoSeriousViolation("audit log");
    screenshot("audit");

    // An administrator dissociates a device (with a key: the key goes, the license is free again).
    click(By.id("tab-devices"));
    type(By.id("device-search"), s(24));
    waitForText(By.id("devices-status"), "of 1 device.");
    assertThat(driver.findElement(By.cssSelector("#devices-body tr[data-serial='" + s(24) + "'] td.d-key")).getText())
        .isEqualTo("Has a key");
    assertNoSeriousViolation("administrator's devices view");
    click(By.cssSelector("#devices-body tr[data-serial='" + s(24) + "'] button.a-dissociate"));
    waitForText(By.id("confirm-message"), "Its API key is deleted and its license becomes available.");
    wait.until(d -> activeElementHasClass("ks-cancel"));
    click(By.id("confirm-ok"));
    waitForText(By.id("devices-status"), "No device matches");
    waitForText(By.id("usage-text"), "uses 23 of 35 API licenses");
    assertThat(keys.devices(ALICE, account)).noneMatch(d -> d.serial().equals(s(24)));

    openAs("bob", width);
    waitForText(By.id("devices-status"), "Showing 1–39 of 39 devices.");
    assertNoSeriousViolation("manager's devices view");
  }

  // ---------------------------------------------------------------- helpers

  private String base() {
    return "http://127.0.0.1:" + port;
  }

  /** Signs in through the portal's form as the user and opens the page of this test's account. */
  private void openAs(String user, int width) {
    this.width = width;
    driver.manage().window().setSize(width == DESKTOP.getWidth() ? DESKTOP : PHONE);
    driver.get(base() + "/login");
    driver.manage().deleteAllCookies();
    driver.get(base() + "/login");
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("username"))).sendKeys(user);
    driver.findElement(By.id("password")).sendKeys(PASSWORD);
    driver.findElement(By.cssSelector("button[type=submit]")).click();
    wait.until(ExpectedConditions.not(ExpectedConditions.urlContains("/login")));
    driver.get(base() + "/keyseat/?account=" + account.value());
    waitForText(By.id("ks-user"), "Signed in as " + user + " · " + ROLES.get(user));
  }

  private void click(By by) {
    wait.until(ExpectedConditions.elementToBeClickable(by)).click();
  }

  private void type(By by, String text) {
    wait.until(ExpectedConditions.elementToBeClickable(by)).sendKeys(text);
  }

  private void clearAndType(By by, String text) {
    WebElement e = wait.until(ExpectedConditions.elementToBeClickable(by));
    e.clear();
    e.sendKeys(text);
  }

  /** A date input's value set as its picker would, independent of the browser's date format. */
  private void setDate(By by, String isoDate) {
    WebElement input = wait.until(ExpectedConditions.elementToBeClickable(by));
    driver.executeScript("arguments[0].value = arguments[1];"
        + "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
        + "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));", input, isoDate);
  }

  private void waitForText(By by, String text) {
    wait.until(ExpectedConditions.textToBePresentInElementLocated(by, text));
  }

  private By rowButton(String serial, String action) {
    return By.cssSelector("#keys-body tr[data-serial='" + serial + "'] button." + action);
  }

  private By cellAt(String serial, String column) {
    return By.cssSelector("#keys-body tr[data-serial='" + serial + "'] td." + column);
  }

  private List<String> visibleChoices() {
    return driver.findElements(By.cssSelector("#device-list label")).stream().filter(WebElement::isDisplayed)
        .map(l -> l.findElement(By.cssSelector("input")).getDomProperty("value")).toList();
  }

  private List<String> rowSerials() {
    return driver.findElements(By.cssSelector("#keys-body tr")).stream().map(r -> r.getDomAttribute("data-serial")).toList();
  }

  private List<String> rowNames() {
    return driver.findElements(By.cssSelector("#keys-body tr td.c-name")).stream().map(WebElement::getText).toList();
  }

  /** The device names of the account's keys. */
  private List<String> names() {
    return keys.keys(ALICE, account).stream().map(ApiKey::deviceName).toList();
  }

  /** The seeded name of device {@code i}. */
  private String name(int i) {
    return DemoAccount.devices(account).get(i - 1).name();
  }

  /** The serial of device {@code i} of this test's account ({@code s(25)} is {@code T1-1025}). */
  private String s(int i) {
    return DemoAccount.serial(account, i);
  }

  private ApiKey keyOf(String serial) {
    return keys.keyOfDevice(ALICE, account, serial);
  }

  private Verdict.Status verdict(String secret, String serial) {
    return keyseat.storeValidator().validate(secret, serial).status();
  }

  private static boolean activeElementHasClass(String name) {
    return Boolean.TRUE.equals(driver.executeScript(
        "return !!document.activeElement && document.activeElement.classList.contains(arguments[0])", name));
  }

  private String activeId() {
    return (String) driver.executeScript("return document.activeElement && document.activeElement.id");
  }

  private static String clipboard() {
    return (String) driver.executeAsyncScript("const done = arguments[arguments.length - 1];"
        + "navigator.clipboard.readText().then(done, (e) => done('clipboard refused: ' + e));");
  }

  private boolean insideViewportWidth(WebElement e) {
    Object inside = driver.executeScript("const r = arguments[0].getBoundingClientRect();"
        + "return r.left >= 0 && r.right <= document.documentElement.clientWidth;", e);
    return Boolean.TRUE.equals(inside);
  }

  /** No script of the data ran, no element of it exists, no alert is open. */
  private static void assertNothingInjected() {
    assertThat(driver.executeScript("return window.__pwned === undefined")).isEqualTo(Boolean.TRUE);
    assertThat(driver.findElements(By.cssSelector("#keyseat img, #keyseat script, #keyseat b, #keyseat i"))).isEmpty();
    assertThatThrownBy(() -> driver.switchTo().alert()).isInstanceOf(NoAlertPresentException.class);
  }

  /** Whether the secret is anywhere in the page: markup, text or the value of an input. */
  private static boolean pageHolds(String secret) {
    Object found = driver.executeScript("const s = arguments[0];"
        + "return document.documentElement.outerHTML.includes(s)"
        + " || document.documentElement.textContent.includes(s)"
        + " || [...document.querySelectorAll('input, textarea')].some((i) => i.value.includes(s));", secret);
    return Boolean.TRUE.equals(found);
  }

  private void assertNoSeriousViolation(String where) {
    Results results = new AxeBuilder().include("#keyseat").analyze(driver);
    List<Rule> serious = results.getViolations().stream()
        .filter(r -> "serious".equals(r.getImpact()) || "critical".equals(r.getImpact()))
        .sorted(Comparator.comparing(Rule::getId)).toList();
    assertThat(serious).as("axe-core's serious or critical violations in the %s at %d px: %s", where, width,
        serious.stream().map(r -> r.getId() + " (" + r.getImpact() + "): " + r.getHelp() + " at "
            + r.getNodes().stream().map(n -> String.valueOf(n.getTarget())).collect(Collectors.joining(", ")))
            .collect(Collectors.joining("; "))).isEmpty();
  }

  private void screenshot(String name) throws IOException {
    Path shot = driver.getScreenshotAs(OutputType.FILE).toPath();
    Files.copy(shot, SCREENSHOTS.resolve(name + "-" + width + ".png"), StandardCopyOption.REPLACE_EXISTING);
  }
}

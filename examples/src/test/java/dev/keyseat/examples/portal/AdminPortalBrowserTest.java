package dev.keyseat.examples.portal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyseat.Actor;
import dev.keyseat.KeyEdit;
import dev.keyseat.KeyId;
import dev.keyseat.validation.KeyValidator;
import dev.keyseat.Keyseat;
import dev.keyseat.NewKeys;
import dev.keyseat.validation.Verdict;
import dev.keyseat.inmemory.InMemoryKeyStore;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Clicks through the "API Keys" page in a real headless Chromium: sign in, create keys for two
 * devices, see each secret once, regenerate, edit, delete, and be refused as a manager.
 *
 * <p>Needs Debian's {@code chromium} and {@code chromium-driver} ({@code apt-get install -y chromium
 * chromium-driver}); other paths can be given with {@code -Dkeyseat.chromium=…} and {@code
 * -Dkeyseat.chromedriver=…}. Without them the test fails: it never skips.
 */
class AdminPortalBrowserTest {
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final Path TARGET = Path.of("target");

  /** Selenium warns that it has no DevTools binding for this Chromium; the test uses none. */
  private static final Logger DEVTOOLS_LOG = Logger.getLogger("org.openqa.selenium.devtools");

  private static ChromeDriverService service;
  private static ChromeDriver driver;
  private static WebDriverWait wait;

  private Keyseat keyseat;
  private KeyValidator validator;
  private AdminPortal portal;

  @BeforeAll
  static void startBrowser(@TempDir Path profile) throws IOException {
    DEVTOOLS_LOG.setLevel(Level.SEVERE);
    Path chromium = executable("keyseat.chromium", "/usr/bin/chromium");
    Path chromedriver = executable("keyseat.chromedriver", "/usr/bin/chromedriver");
    // A driver named explicitly means Selenium Manager never tries to download one.
    System.setProperty(ChromeDriverService.CHROME_DRIVER_EXE_PROPERTY, chromedriver.toString());
    service = new ChromeDriverService.Builder()
        .usingDriverExecutable(chromedriver.toFile())
        .usingAnyFreePort()
        .build();
    ChromeOptions options = new ChromeOptions()
        .setBinary(chromium.toFile())
        .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--window-size=1280,860", "--user-data-dir=" + profile.toAbsolutePath());
    driver = new ChromeDriver(service, options);
    wait = new WebDriverWait(driver, WAIT);
    wait.ignoring(StaleElementReferenceException.class);
    Files.createDirectories(TARGET);
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
  void startPortal() {
    keyseat = Keyseat.builder(new InMemoryKeyStore()).build();
    DemoAccount.seed(keyseat);
    validator = keyseat.storeValidator();
    portal = AdminPortal.start(keyseat, DemoAccount.ID, DemoAccount.NAME,
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    // Cookies are per host, not per port: forget the previous test's sign-in.
    driver.get(portal.uri().toString());
    driver.manage().deleteAllCookies();
    driver.navigate().refresh();
  }

  @AfterEach
  void stopPortal() {
    portal.close();
  }

  @Test
  void adminCreatesRegeneratesEditsAndDeletesKeysThenAManagerIsRefused() throws IOException {
    signIn("alice");
    waitForText(By.id("usage-text"), "1 of 5 licenses used");
    assertThat(rows()).hasSize(1);

    // New Key: select two keyless devices, review, CREATE.
    click(By.id("new-key"));
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("new-key-dialog")));
    assertThat(driver.findElements(By.cssSelector("#device-choices input[name=device]")))
        .extracting(e -> e.getDomProperty("value"))
        .containsExactly("AQ-1002", "AQ-1003", "AQ-1004", "AQ-1005", "AQ-1006");
    click(By.cssSelector("#device-choices input[value='AQ-1002']"));
    click(By.cssSelector("#device-choices input[value='AQ-1003']"));
    waitForText(By.id("selection-count"), "2 devices selected.");
    screenshot("portal-new-key.png");
    click(By.id("review-button"));
    waitForText(By.id("review-intro"), "Create 2 API keys?");
    assertThat(driver.findElements(By.cssSelector("#review-list li"))).extracting(WebElement::getText)
        .containsExactly("Meeting room AQ-1002", "Kitchen AQ-1003");
    click(By.id("create-keys"));

    // Each secret is shown once, with a copy button.
    List<WebElement> secretInputs = wait.until(
        ExpectedConditions.numberOfElementsToBe(By.cssSelector("#secret-list input.secret"), 2));
    String meetingRoom = secretInputs.get(0).getDomProperty("value");
    String kitchen = secretInputs.get(1).getDomProperty("value");
    assertThat(secretInputs.get(0).getDomAttribute("data-serial")).isEqualTo("AQ-1002");
    assertThat(meetingRoom).startsWith("ks_").isNotEqualTo(kitchen);
    assertThat(validator.validate(meetingRoom, "AQ-1002").status()).isEqualTo(Verdict.Status.VALID);
    assertThat(validator.validate(kitchen, "AQ-1003").status()).isEqualTo(Verdict.Status.VALID);
    WebElement copy = driver.findElement(By.cssSelector("#secret-list .secret-item:first-child button.copy"));
    copy.click();
    wait.until(ExpectedConditions.textToBePresentInElement(copy, "Copied"));
    assertThat(pageHolds(meetingRoom)).isTrue();
    screenshot("portal-secrets.png");
    click(By.id("secrets-done"));
    wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("secrets-dialog")));
    assertThat(driver.findElements(By.cssSelector("input.secret"))).isEmpty();
    assertThat(pageHolds(meetingRoom)).isFalse();
    assertThat(pageHolds(kitchen)).isFalse();
    waitForText(By.id("usage-text"), "3 of 5 licenses used");
    assertThat(rows()).hasSize(3);
    assertThat(cell("AQ-1002", "device-name")).isEqualTo("Meeting room");
    assertThat(cell("AQ-1002", "last-used")).isEqualTo("Never");
    assertThat(cell("AQ-1001", "last-used")).isNotEqualTo("Never");
    screenshot("portal.png");

    // Regenerate: confirm, a new secret is shown once, the old one is dead.
    click(rowButton("AQ-1002", "regenerate"));
    waitForText(By.id("confirm-title"), "Regenerate key?");
    click(By.id("confirm-ok"));
    WebElement regenerated = wait.until(
        ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#secret-list input.secret")));
    String fresh = regenerated.getDomProperty("value");
    assertThat(fresh).startsWith("ks_").isNotEqualTo(meetingRoom);
    assertThat(validator.validate(fresh, "AQ-1002").status()).isEqualTo(Verdict.Status.VALID);
    assertThat(validator.validate(meetingRoom, "AQ-1002").status()).isNotEqualTo(Verdict.Status.VALID);
    click(By.id("secrets-done"));
    wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("secrets-dialog")));
    assertThat(pageHolds(fresh)).isFalse();

    // Edit: suspend the meeting-room key.
    click(rowButton("AQ-1002", "edit"));
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("edit-dialog")));
    click(By.id("edit-suspended"));
    click(By.id("edit-save"));
    wait.until(ExpectedConditions.textToBe(cellAt("AQ-1002", "status"), "Suspended"));
    assertThat(validator.validate(fresh, "AQ-1002").status()).isEqualTo(Verdict.Status.SUSPENDED);

    // Delete with a confirmation: the license returns to the pool.
    click(rowButton("AQ-1003", "delete"));
    waitForText(By.id("confirm-message"), "Delete the key for Kitchen (AQ-1003)?");
    click(By.id("confirm-ok"));
    waitForText(By.id("usage-text"), "2 of 5 licenses used");
    wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#keys-body tr"), 2));
    assertThat(driver.findElements(By.cssSelector("#keys-body tr[data-serial='AQ-1003']"))).isEmpty();
    assertThat(validator.validate(kitchen, "AQ-1003").status()).isNotEqualTo(Verdict.Status.VALID);

    // A manager is told key management is not available to the role.
    click(By.id("sign-out"));
    signIn("bob");
    waitForText(By.id("role-notice-title"), "Key management is not available to your role (Manager).");
    assertThat(driver.findElement(By.id("role-notice-detail")).getText())
        .contains("key management is not available to MANAGER");
    assertThat(driver.findElement(By.id("new-key")).isEnabled()).isFalse();
    assertThat(driver.findElement(By.id("keys-panel")).isDisplayed()).isFalse();
    assertThat(driver.findElement(By.id("usage-text")).getText()).isEqualTo("2 of 5 licenses used");
    // ... and still sees the devices the role may read.
    wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#devices-body tr"), 6));
    screenshot("portal-manager.png");
  }

  @Test
  void newKeyIsDisabledWithTheReasonWhenNoLicenseIsFree() throws IOException {
    keyseat.manager().createKeys(Actor.user("alice"), DemoAccount.ID,
        NewKeys.forDevices("AQ-1002", "AQ-1003", "AQ-1004", "AQ-1005"));

    signIn("alice");

    waitForText(By.id("usage-text"), "5 of 5 licenses used");
    assertThat(driver.findElement(By.id("new-key")).isEnabled()).isFalse();
    assertThat(driver.findElement(By.id("new-key-reason")).getText())
        .isEqualTo("No license free: all 5 licenses are in use. Delete a key or contract more licenses.");
    screenshot("portal-full.png");
  }

  @Test
  void aViewerIsToldKeyManagementIsNotAvailable() {
    signIn("carol");

    waitForText(By.id("role-notice-title"), "Key management is not available to your role (Viewer).");
    assertThat(driver.findElement(By.id("signed-in-as")).getText()).isEqualTo("Signed in as Carol · Viewer");
    assertThat(driver.findElement(By.id("new-key-reason")).getText()).isEqualTo("Only administrators can create keys.");
  }

  @Test
  void deviceNamesAndKeyLabelsAreShownAsTextNotMarkup() {
    String hostile = "<img src=x onerror=\"document.title='pwned'\"><b>Lobby</b>";
    String label = "<script>document.title='pwned'</script><i>desk</i>";
    Actor admin = Actor.user("alice");
    keyseat.manager().renameDevice(admin, DemoAccount.ID, "AQ-1001", hostile);
    KeyId lobby = keyseat.manager().keys(admin, DemoAccount.ID).get(0).id();
    keyseat.manager().editKey(admin, DemoAccount.ID, lobby, KeyEdit.label(label));

    signIn("alice");

    wait.until(ExpectedConditions.textToBe(cellAt("AQ-1001", "device-name"), hostile));
    assertThat(cell("AQ-1001", "key")).contains(label);
    assertThat(driver.findElements(By.cssSelector("#keys-body img, #keys-body b, #keys-body i, #keys-body script")))
        .isEmpty();
    assertThat(driver.getTitle()).isEqualTo("API Keys · Keyseat demo portal");
  }

  // ---------------------------------------------------------------- helpers

  private void signIn(String user) {
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("sign-in")));
    click(By.cssSelector("#sign-in-form input[value='" + user + "']"));
    click(By.id("sign-in-button"));
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("keys-page")));
    waitForText(By.id("signed-in-as"), "Signed in as");
  }

  private void click(By by) {
    wait.until(ExpectedConditions.elementToBeClickable(by)).click();
  }

  private void waitForText(By by, String text) {
    wait.until(ExpectedConditions.textToBePresentInElementLocated(by, text));
  }

  private List<WebElement> rows() {
    return driver.findElements(By.cssSelector("#keys-body tr"));
  }

  private static By rowButton(String serial, String action) {
    return By.cssSelector("#keys-body tr[data-serial='" + serial + "'] button." + action);
  }

  private static By cellAt(String serial, String column) {
    return By.cssSelector("#keys-body tr[data-serial='" + serial + "'] td." + column);
  }

  private String cell(String serial, String column) {
    return driver.findElement(cellAt(serial, column)).getText();
  }

  /** Whether the secret is anywhere in the page: markup, text or the value of an input. */
  private static boolean pageHolds(String secret) {
    Object found = driver.executeScript("const s = arguments[0];"
        + "return document.documentElement.outerHTML.includes(s)"
        + " || document.documentElement.textContent.includes(s)"
        + " || [...document.querySelectorAll('input, textarea')].some((i) => i.value.includes(s));", secret);
    return Boolean.TRUE.equals(found);
  }

  private static void screenshot(String name) throws IOException {
    Path shot = driver.getScreenshotAs(OutputType.FILE).toPath();
    Files.copy(shot, TARGET.resolve(name), StandardCopyOption.REPLACE_EXISTING);
  }
}

package dev.keyseat.examples.springgateway;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The load driver's report never shows a negative or sub-resolution share as a measurement. */
class GatewayLoadDriverTest {

  @Test
  void aShareLargerThanTheSpreadOfTheRoundsIsPrinted() {
    double[] without = {9_900, 9_950, 10_000, 10_020, 10_050}; // spread 1.5%
    double[] with = {7_950, 7_980, 8_000, 8_010, 8_040};       // spread 1.1%

    assertThat(GatewayLoadDriver.share(without, with)).isEqualTo("20.0% (the rounds spread by 1.5%)");
  }

  @Test
  void aNegativeShareIsBelowTheResolution() {
    double[] without = {9_900, 9_950, 10_000, 10_020, 10_050};
    double[] with = {10_050, 10_080, 10_100, 10_120, 10_150}; // faster with validation: noise

    assertThat(GatewayLoadDriver.share(without, with))
        .isEqualTo("below this run's resolution (the rounds spread by 1.5%)")
        .doesNotContain("-");
  }

  @Test
  void aShareWithinTheSpreadOfTheRoundsIsBelowTheResolution() {
    double[] without = {9_000, 9_500, 10_000, 10_500, 11_000}; // spread 20%
    double[] with = {8_600, 9_100, 9_600, 10_100, 10_600};     // 4% fewer: within the noise

    assertThat(GatewayLoadDriver.share(without, with))
        .isEqualTo("below this run's resolution (the rounds spread by 20.8%)");
  }
}

package dev.keyseat.spring.web;

/** The web API tests on H2 (in memory). */
class WebApiH2Test extends WebApiTests {
  @Override
  String[] databaseProperties() {
    return new String[] {"spring.datasource.url=jdbc:h2:mem:webapi;DB_CLOSE_DELAY=-1"};
  }
}

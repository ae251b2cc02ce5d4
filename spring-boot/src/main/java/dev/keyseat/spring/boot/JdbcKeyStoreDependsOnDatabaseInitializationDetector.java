package dev.keyseat.spring.boot;

import java.util.Set;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitializationDetector;
import org.springframework.util.ClassUtils;

/**
 * Makes the JDBC key store wait for the application's database initializers (Flyway, Liquibase,
 * {@code spring.sql.init}), so that a store built over a Flyway-migrated database finds its
 * tables. Does nothing when the JDBC store is not on the class path.
 */
public final class JdbcKeyStoreDependsOnDatabaseInitializationDetector implements DependsOnDatabaseInitializationDetector {
  private static final String STORE = "dev.keyseat.jdbc.JdbcKeyStore";

  @Override
  public Set<String> detect(ConfigurableListableBeanFactory beanFactory) {
    ClassLoader loader = beanFactory.getBeanClassLoader();
    if (!ClassUtils.isPresent(STORE, loader)) {
      return Set.of();
    }
    return Set.of(beanFactory.getBeanNamesForType(ClassUtils.resolveClassName(STORE, loader), true, false));
  }
}

package dev.keyseat.jdbc;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Wraps a data source and makes chosen calls fail with a chosen SQLState, as the database would:
 * commits, statements whose SQL contains a fragment, or every connection attempt.
 */
final class FaultyDataSource implements DataSource {
  private final DataSource delegate;
  private final AtomicInteger commitFailures = new AtomicInteger();
  private volatile String commitState = "40001";
  private final AtomicInteger statementFailures = new AtomicInteger();
  private volatile String statementFragment = "";
  private volatile String statementState = "40001";
  private volatile boolean down;
  private volatile String productName;

  FaultyDataSource(DataSource delegate) {
    this.delegate = delegate;
  }

  /** The next {@code n} commits fail with {@code sqlState} and roll nothing forward. */
  FaultyDataSource failCommits(int n, String sqlState) {
    commitState = sqlState;
    commitFailures.set(n);
    return this;
  }

  /** The next {@code n} statements prepared with SQL containing {@code fragment} fail to prepare. */
  FaultyDataSource failStatements(String fragment, int n, String sqlState) {
    statementFragment = fragment;
    statementState = sqlState;
    statementFailures.set(n);
    return this;
  }

  /** Every connection attempt fails (true) or succeeds again (false). */
  FaultyDataSource down(boolean isDown) {
    this.down = isDown;
    return this;
  }

  /** The metadata reports this product name instead of the real one. */
  FaultyDataSource pretendToBe(String product) {
    this.productName = product;
    return this;
  }

  @Override
  public Connection getConnection() throws SQLException {
    if (down) {
      throw new SQLException("Connection refused (simulated)", "08001");
    }
    Connection real = delegate.getConnection();
    return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
        new ConnectionHandler(real));
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    return getConnection();
  }

  private static boolean take(AtomicInteger budget) {
    return budget.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
  }

  private final class ConnectionHandler implements InvocationHandler {
    private final Connection real;

    ConnectionHandler(Connection real) {
      this.real = real;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
      String name = method.getName();
      if (name.equals("commit") && take(commitFailures)) {
        throw new SQLException("simulated failure at commit", commitState);
      }
      if (name.equals("prepareStatement") && args != null && args[0] instanceof String sql
          && sql.contains(statementFragment) && take(statementFailures)) {
        throw new SQLException("simulated failure of a statement", statementState);
      }
      if (name.equals("getMetaData") && productName != null) {
        java.sql.DatabaseMetaData md = real.getMetaData();
        return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {java.sql.DatabaseMetaData.class},
            (p, m, a) -> m.getName().equals("getDatabaseProductName") ? productName : invokeOn(md, m, a));
      }
      return invokeOn(real, method, args);
    }
  }

  private static Object invokeOn(Object target, Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  @Override
  public PrintWriter getLogWriter() throws SQLException {
    return delegate.getLogWriter();
  }

  @Override
  public void setLogWriter(PrintWriter out) throws SQLException {
    delegate.setLogWriter(out);
  }

  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    delegate.setLoginTimeout(seconds);
  }

  @Override
  public int getLoginTimeout() throws SQLException {
    return delegate.getLoginTimeout();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException();
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    throw new SQLException("not a wrapper");
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) {
    return false;
  }
}

package dev.keyseat.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** Reads and runs the shipped schema scripts: statements end with {@code ;}, comments with lines. */
final class Scripts {
  private Scripts() {}

  /**
   * @param resource a file name next to this class, e.g. {@code migration/h2/V1__keyseat_schema.sql}
   * @return its text
   */
  static String read(String resource) {
    try (InputStream in = Scripts.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource dev/keyseat/jdbc/" + resource);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** @return the statements of a script, without comment lines and trailing semicolons */
  static List<String> statements(String script) {
    StringBuilder text = new StringBuilder();
    for (String line : script.split("\n", -1)) {
      if (!line.strip().startsWith("--")) {
        text.append(line).append('\n');
      }
    }
    List<String> statements = new ArrayList<>();
    for (String s : text.toString().split(";", -1)) {
      if (!s.isBlank()) {
        statements.add(s.strip());
      }
    }
    return statements;
  }

  /** Runs every statement of a resource script on the connection, in its current transaction mode. */
  static void run(Connection c, String resource) throws SQLException {
    try (Statement st = c.createStatement()) {
      for (String sql : statements(read(resource))) {
        st.execute(sql);
      }
    }
  }
}

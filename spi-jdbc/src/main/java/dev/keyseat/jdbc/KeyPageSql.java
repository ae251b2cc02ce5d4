package dev.keyseat.jdbc;

import dev.keyseat.KeySort;
import dev.keyseat.spi.KeyPageRequest;
import dev.keyseat.spi.KeyPosition;
import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One page of the keys table in SQL ({@link KeyPageRequest}'s semantics): the keys of the account
 * with their device's name (usage is on the key's row), filtered, ordered by the sort column then
 * key id, after the cursor by a row comparison {@code (col, key_id) > (?, ?)} (keyset pagination),
 * one row more than the limit; and the count of the matching rows. The sort by creation follows
 * {@code keyseat_api_key_account_ix} (account, created_at, ordinal, key_id) in either direction,
 * so a page reads only its rows whatever the account's size.
 */
final class KeyPageSql {
  /** Below every instant (Instant.MIN is about -3.2e16 s): where never-used keys sort. */
  private static final BigDecimal NEVER = new BigDecimal("-100000000000000000");
  /**
   * The name of the key's device, by its unique index, for each row the page reads: a lookup per
   * row whatever the statistics say (as a join, a fresh table's estimate of a few devices made the
   * planner scan all the account's devices for each key of the page).
   */
  private static final String NAME_OF_DEVICE = "(SELECT d.name FROM keyseat_device d"
      + " WHERE d.account_id = k.account_id AND d.serial = k.device_serial)";
  private static final String SELECT = "SELECT " + Sql.KEY_COLUMNS.replaceAll("(\\w+)", "k.$1")
      + ", COALESCE(" + NAME_OF_DEVICE + ", k.device_serial), k.last_used_at, k.use_count";
  private static final String FROM = " FROM keyseat_api_key k WHERE k.account_id = ?";

  @FunctionalInterface
  interface Param {
    void bind(PreparedStatement ps, int index) throws SQLException;
  }

  /** A statement and its parameters in order. */
  record Statement(String sql, List<Param> params) {
    void bind(PreparedStatement ps) throws SQLException {
      for (int i = 0; i < params.size(); i++) {
        params.get(i).bind(ps, i + 1);
      }
    }
  }

  private KeyPageSql() {}

  /** The column of {@link #page}'s result where the device name is; last used and use count follow. */
  static final int DEVICE_NAME_COLUMN = 15;

  /**
   * @return whether an index of the key row serves the sort's order after the account (V1's
   *     creation index, V3's name and serial indexes), so that a page reads only its own rows
   */
  static boolean indexed(KeySort sort) {
    return sort == KeySort.CREATED || sort == KeySort.DEVICE_NAME || sort == KeySort.SERIAL;
  }

  static Statement page(Dialect dialect, String accountId, KeyPageRequest r) {
    StringBuilder sql = new StringBuilder(SELECT).append(FROM);
    List<Param> params = new ArrayList<>();
    params.add((ps, i) -> Columns.setText(ps, i, accountId));
    filters(sql, params, r);
    List<String> columns = sortColumns(dialect, r.sort());
    KeyPosition after = r.after();
    if (after != null) {
      sql.append(" AND (");
      for (String c : columns) {
        sql.append(c).append(", ");
        if (c.contains("?")) { // the status rank: a CASE with the time of the read as its parameter
          params.add((ps, i) -> Columns.setInstant(ps, i, r.now()));
        }
      }
      sql.append("k.key_id) ").append(r.descending() ? "<" : ">").append(" (").append("?, ".repeat(columns.size()))
          .append("?)");
      bindPosition(dialect, params, r, after);
    }
    sql.append(" ORDER BY ");
    String dir = r.descending() ? " DESC" : "";
    for (String c : columns) {
      sql.append(c).append(dir).append(", ");
      if (c.contains("?")) {
        params.add((ps, i) -> Columns.setInstant(ps, i, r.now()));
      }
    }
    sql.append("k.key_id").append(dir);
    if (r.limit() < Integer.MAX_VALUE) {
      sql.append(" LIMIT ?");
      long fetch = r.limit() + 1L; // one more: is there a next page?
      params.add((ps, i) -> ps.setLong(i, fetch));
    }
    return new Statement(sql.toString(), params);
  }

  /**
   * @return the count of the rows matching the request's filters, or null when there is none (the
   *     account row's key count is the total)
   */
  static @Nullable Statement count(String accountId, KeyPageRequest r) {
    if (r.search() == null && r.unusedSince() == null) {
      return null;
    }
    StringBuilder sql = new StringBuilder("SELECT COUNT(*)").append(FROM);
    List<Param> params = new ArrayList<>();
    params.add((ps, i) -> Columns.setText(ps, i, accountId));
    filters(sql, params, r);
    return new Statement(sql.toString(), params);
  }

  private static void filters(StringBuilder sql, List<Param> params, KeyPageRequest r) {
    if (r.search() != null) {
      String pattern = "%" + like(KeyPageRequest.fold(r.search())) + "%";
      // the device name as the store keeps it folded on the key row (V3)
      sql.append(" AND (k.device_name_folded LIKE ? ESCAPE '!' OR ").append(fold("k.device_serial"))
          .append(" LIKE ? ESCAPE '!' OR ").append(fold("k.label")).append(" LIKE ? ESCAPE '!')");
      for (int n = 0; n < 3; n++) {
        params.add((ps, i) -> Columns.setText(ps, i, pattern));
      }
    }
    Instant since = r.unusedSince();
    if (since != null) {
      sql.append(" AND (k.last_used_at IS NULL OR k.last_used_at < ?)");
      params.add((ps, i) -> Columns.setInstant(ps, i, since));
    }
  }

  /** The sort's columns before the key id; a column with a {@code ?} takes the time of the read. */
  private static List<String> sortColumns(Dialect dialect, KeySort sort) {
    return switch (sort) {
      case DEVICE_NAME -> List.of(dialect.textOrder("k.device_name_folded")); // kept by the store (V3)
      case SERIAL -> List.of(dialect.textOrder("k.device_serial"));
      // ACTIVE < EXPIRED < SUSPENDED, the order of the status names
      case STATUS -> List.of("CASE WHEN k.suspended THEN 2 WHEN k.expires_at IS NOT NULL AND k.expires_at <= ?"
          + " THEN 1 ELSE 0 END");
      case CREATED -> List.of("k.created_at", "k.ordinal");
      case LAST_USED -> List.of("COALESCE(k.last_used_at, " + NEVER.toPlainString() + ")");
    };
  }

  private static void bindPosition(Dialect dialect, List<Param> params, KeyPageRequest r, KeyPosition p) {
    switch (r.sort()) {
      case DEVICE_NAME, SERIAL -> {
        String text = p.text() == null ? "" : p.text();
        params.add((ps, i) -> dialect.bindTextOrder(ps, i, text));
      }
      case STATUS -> {
        int rank = switch (p.text() == null ? "" : p.text()) {
          case "ACTIVE" -> 0;
          case "EXPIRED" -> 1;
          default -> 2;
        };
        params.add((ps, i) -> ps.setInt(i, rank));
      }
      case CREATED -> {
        Instant at = p.at();
        params.add((ps, i) -> Columns.setInstant(ps, i, at));
        params.add((ps, i) -> ps.setLong(i, p.ordinal()));
      }
      case LAST_USED -> {
        Instant at = p.at();
        params.add((ps, i) -> ps.setBigDecimal(i, at == null ? NEVER : Columns.decimal(at)));
      }
    }
    params.add((ps, i) -> Columns.setText(ps, i, p.id().value()));
  }

  private static String fold(String expr) {
    return Sql.fold(expr);
  }

  /** Escapes the LIKE wildcards and the escape character itself. */
  private static String like(String s) {
    return s.replace("!", "!!").replace("%", "!%").replace("_", "!_");
  }
}

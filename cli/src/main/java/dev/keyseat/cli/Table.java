package dev.keyseat.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Rows printed as an aligned table or as CSV with a header. */
final class Table {
  private final String[] header;
  private final List<String[]> rows = new ArrayList<>();

  Table(String... header) {
    this.header = header;
  }

  Table row(Object... cells) {
    rows.add(Arrays.stream(cells).map(c -> c == null ? "" : c.toString()).toArray(String[]::new));
    return this;
  }

  int size() {
    return rows.size();
  }

  void print(PrintWriter out, AccountsCommand.Format format) {
    if (format == AccountsCommand.Format.CSV) {
      out.println(Csv.line((Object[]) header));
      for (String[] r : rows) {
        out.println(Csv.line((Object[]) r));
      }
      return;
    }
    int[] width = new int[header.length];
    for (int i = 0; i < header.length; i++) {
      width[i] = header[i].length();
      for (String[] r : rows) {
        width[i] = Math.max(width[i], r[i].length());
      }
    }
    out.println(format(header, width));
    for (String[] r : rows) {
      out.println(format(r, width));
    }
  }

  private static String format(String[] cells, int[] width) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < cells.length; i++) {
      if (i > 0) {
        sb.append("  ");
      }
      sb.append(i == cells.length - 1 ? cells[i] : String.format("%-" + width[i] + "s", cells[i]));
    }
    return sb.toString().stripTrailing();
  }
}

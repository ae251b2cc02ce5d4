package dev.keyseat.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CsvTest {
  @Test
  void quotedFieldsKeepCommasQuotesAndSpaces() {
    assertThat(Csv.parse("AQ-1, key ,\"a, \"\"b\"\" \",")).containsExactly("AQ-1", "key", "a, \"b\" ", "");
  }

  @Test
  void writtenLinesReadBack() {
    String line = Csv.line("x,y", "say \"hi\"", null, 3);
    assertThat(line).isEqualTo("\"x,y\",\"say \"\"hi\"\"\",,3");
    assertThat(Csv.parse(line)).containsExactly("x,y", "say \"hi\"", "", "3");
  }

  @Test
  void anUnclosedQuoteIsAnError() {
    assertThatThrownBy(() -> Csv.parse("a,\"b")).hasMessageContaining("not closed");
  }
}

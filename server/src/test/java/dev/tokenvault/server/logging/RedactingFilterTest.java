package dev.tokenvault.server.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.jboss.logmanager.ExtLogRecord;
import org.jboss.logmanager.formatters.PatternFormatter;
import org.junit.jupiter.api.Test;

class RedactingFilterTest {

  @Test
  void masksAFormattedParameter() {
    ExtLogRecord r = new ExtLogRecord(org.jboss.logmanager.Level.INFO, "value=%s seen",
        ExtLogRecord.FormatStyle.PRINTF, RedactingFilterTest.class.getName());
    r.setParameters(new Object[] {"4111 1111 1111 1111"});
    assertThat(new RedactingFilter().isLoggable(r)).isTrue();
    assertThat(r.getFormattedMessage()).isEqualTo("value=[PAN ****1111] seen");
  }

  @Test
  void masksAMessageFormatParameterOfAPlainRecord() {
    LogRecord r = new LogRecord(Level.INFO, "value={0}");
    r.setParameters(new Object[] {"5555555555554444"});
    RedactingFilter.redact(r);
    assertThat(r.getMessage()).isEqualTo("value=[PAN ****4444]");
  }

  @Test
  void masksExceptionMessagesAndCausesButKeepsTypeAndStack() {
    ExtLogRecord r = new ExtLogRecord(org.jboss.logmanager.Level.ERROR, "failed",
        ExtLogRecord.FormatStyle.NO_FORMAT, RedactingFilterTest.class.getName());
    IllegalStateException cause = new IllegalStateException("bad 378282246310005");
    RuntimeException top = new RuntimeException("while handling 4111111111111111", cause);
    r.setThrown(top);
    new RedactingFilter().isLoggable(r);

    PatternFormatter f = new PatternFormatter("%s%e");
    String line = f.format(r);
    assertThat(line).doesNotContain("4111111111111111").doesNotContain("378282246310005");
    assertThat(line).contains("java.lang.RuntimeException: while handling [PAN ****1111]");
    assertThat(line).contains("java.lang.IllegalStateException: bad [PAN ****0005]");
    assertThat(line).contains("RedactingFilterTest");
  }

  @Test
  void leavesCleanRecordsAlone() {
    ExtLogRecord r = new ExtLogRecord(org.jboss.logmanager.Level.INFO, "plain %s",
        ExtLogRecord.FormatStyle.PRINTF, RedactingFilterTest.class.getName());
    r.setParameters(new Object[] {"text"});
    RuntimeException e = new RuntimeException("nothing here");
    r.setThrown(e);
    new RedactingFilter().isLoggable(r);
    assertThat(r.getFormattedMessage()).isEqualTo("plain text");
    assertThat(r.getThrown()).isSameAs(e);
  }
}

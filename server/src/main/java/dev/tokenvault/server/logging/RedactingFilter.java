package dev.tokenvault.server.logging;

import io.quarkus.logging.LoggingFilter;
import java.util.logging.Filter;
import java.util.logging.LogRecord;
import org.jboss.logmanager.ExtLogRecord;

/**
 * The redaction layer under every log handler ({@code quarkus.log.*.filter=tokenvault-redact}):
 * formats the record's message, masks card numbers with {@link Redactor}, and replaces the
 * message so that no handler or formatter sees the original. The thrown exception's messages
 * (and its causes') are masked the same way.
 *
 * <p>It never drops a record: a masked line is more useful than a missing one.
 */
@LoggingFilter(name = "tokenvault-redact")
public final class RedactingFilter implements Filter {

  @Override
  public boolean isLoggable(LogRecord record) {
    redact(record);
    return true;
  }

  /** Masks {@code record} in place. */
  public static void redact(LogRecord record) {
    String formatted;
    if (record instanceof ExtLogRecord ext) {
      formatted = ext.getFormattedMessage();
      String masked = Redactor.redact(formatted);
      if (masked != formatted || ext.getParameters() != null) {
        ext.setMessage(masked, ExtLogRecord.FormatStyle.NO_FORMAT);
        ext.setParameters(null);
      }
    } else {
      String msg = record.getMessage();
      Object[] params = record.getParameters();
      if (params != null && params.length > 0 && msg != null) {
        try {
          msg = java.text.MessageFormat.format(msg, params);
        } catch (IllegalArgumentException e) {
          // keep the pattern: it is what would have been printed
        }
      }
      record.setMessage(Redactor.redact(msg));
      record.setParameters(null);
    }
    Throwable t = record.getThrown();
    if (t != null && needsRedaction(t)) {
      record.setThrown(RedactedThrowable.of(t));
    }
  }

  private static boolean needsRedaction(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (Redactor.containsCardNumber(c.getMessage())) {
        return true;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return false;
  }

  /** A stand-in for a throwable whose message held a card number: same type name and stack. */
  static final class RedactedThrowable extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String typeName;

    private RedactedThrowable(String typeName, String message, Throwable cause) {
      super(message, cause, false, true);
      this.typeName = typeName;
    }

    static RedactedThrowable of(Throwable t) {
      Throwable cause = t.getCause() == null || t.getCause() == t ? null : of(t.getCause());
      RedactedThrowable r = new RedactedThrowable(t.getClass().getName(),
          Redactor.redact(t.getMessage()), cause);
      r.setStackTrace(t.getStackTrace());
      return r;
    }

    @Override
    public String toString() {
      String m = getMessage();
      return m == null ? typeName : typeName + ": " + m;
    }
  }
}

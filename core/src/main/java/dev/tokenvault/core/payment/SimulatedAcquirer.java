package dev.tokenvault.core.payment;

import dev.tokenvault.core.value.SensitiveValue;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * A stand-in acquirer with documented, deterministic rules, for development and tests. It keeps
 * nothing and logs nothing.
 *
 * <h2>Rules, in order</h2>
 *
 * <ol>
 *   <li>Value {@code 4000000000000002} (the well-known "generic decline" test card): declined,
 *       {@code card_declined}.
 *   <li>Value {@code 4000000000009995}: declined, {@code insufficient_funds}.
 *   <li>Value {@code 4000000000000069}: declined, {@code expired_card}.
 *   <li>Amount above {@link #MAX_AMOUNT} minor units (1,000,000.00): declined, {@code
 *       amount_limit_exceeded}.
 *   <li>An amount ending in {@code 51} minor units (e.g. 10.51): declined, {@code
 *       insufficient_funds} (a rule that works with any card, for demos).
 *   <li>Otherwise approved with a random six-character authorization code.
 * </ol>
 */
public final class SimulatedAcquirer implements PaymentProcessor {
  /** Above this many minor units every payment is declined. */
  public static final long MAX_AMOUNT = 100_000_000L;

  private static final byte[] GENERIC_DECLINE = ascii("4000000000000002");
  private static final byte[] INSUFFICIENT_FUNDS = ascii("4000000000009995");
  private static final byte[] EXPIRED_CARD = ascii("4000000000000069");
  private static final char[] CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ".toCharArray();

  private final SecureRandom random = new SecureRandom();

  @Override
  public Authorization authorize(SensitiveValue value, long amount, String currency) {
    byte[] clear = value.reveal();
    try {
      if (Arrays.equals(clear, GENERIC_DECLINE)) {
        return Authorization.declined("card_declined");
      }
      if (Arrays.equals(clear, INSUFFICIENT_FUNDS)) {
        return Authorization.declined("insufficient_funds");
      }
      if (Arrays.equals(clear, EXPIRED_CARD)) {
        return Authorization.declined("expired_card");
      }
    } finally {
      Arrays.fill(clear, (byte) 0);
    }
    if (amount > MAX_AMOUNT) {
      return Authorization.declined("amount_limit_exceeded");
    }
    if (amount % 100 == 51) {
      return Authorization.declined("insufficient_funds");
    }
    char[] code = new char[6];
    for (int i = 0; i < code.length; i++) {
      code[i] = CODE_ALPHABET[random.nextInt(CODE_ALPHABET.length)];
    }
    return Authorization.approved(new String(code));
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}

package dev.tokenvault.keys.pkcs11;

import dev.tokenvault.core.keys.KeyManagerException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the slot that holds the token with a given label.
 *
 * <p>SunPKCS11 selects a slot by id ({@code slot}) or by index ({@code slotListIndex}), never by
 * token label, and the slot ids of some modules are random (SoftHSM2 derives them from the
 * token serial). Reading token labels needs {@code C_GetSlotList}/{@code C_GetTokenInfo}, which
 * the JDK has only in its internal {@code sun.security.pkcs11.wrapper} package. That package is
 * not exported, so selecting by label needs the JVM option {@value #ADD_EXPORTS}; without it this
 * class fails with a message that says so (selecting by {@code slot-index} needs nothing).
 *
 * <p>The module is initialised exactly as SunPKCS11 does it ({@code CKF_OS_LOCKING_OK}), and the
 * JDK keeps one initialised instance per library path, which the provider configured afterwards
 * reuses.
 */
final class TokenSlots {
  static final String ADD_EXPORTS =
      "--add-exports=jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED";

  private static final String WRAPPER = "sun.security.pkcs11.wrapper.";
  /** PKCS#11 CKF_OS_LOCKING_OK: the module may use the OS's locking (we call it from threads). */
  private static final long CKF_OS_LOCKING_OK = 0x2L;

  private TokenSlots() {}

  /** A slot that has a token, with the token's label (trailing blanks removed). */
  record Slot(long slotId, String tokenLabel) {}

  /** The id of the only slot whose token has {@code tokenLabel}. */
  static long slotIdOf(String library, String tokenLabel) {
    List<Slot> matching = new ArrayList<>();
    List<String> seen = new ArrayList<>();
    for (Slot slot : list(library)) {
      seen.add(slot.tokenLabel());
      if (slot.tokenLabel().equals(tokenLabel)) {
        matching.add(slot);
      }
    }
    if (matching.isEmpty()) {
      throw new IllegalStateException(
          "no token labelled '" + tokenLabel + "' in " + library + " (tokens: " + seen + ")");
    }
    if (matching.size() > 1) {
      throw new IllegalStateException(
          "several tokens labelled '" + tokenLabel + "' in " + library + ": use slot-index");
    }
    return matching.get(0).slotId();
  }

  /** Every slot of {@code library} that has a token. */
  static List<Slot> list(String library) {
    try {
      Class<?> pkcs11 = Class.forName(WRAPPER + "PKCS11");
      Class<?> initArgsClass = Class.forName(WRAPPER + "CK_C_INITIALIZE_ARGS");
      Object initArgs = initArgsClass.getConstructor().newInstance();
      initArgsClass.getField("flags").setLong(initArgs, CKF_OS_LOCKING_OK);
      Method getInstance = null;
      for (Method m : pkcs11.getMethods()) {
        if (m.getName().equals("getInstance") && m.getParameterCount() == 4) {
          getInstance = m;
        }
      }
      if (getInstance == null) {
        throw new IllegalStateException("this JDK's PKCS#11 wrapper has no getInstance(4)");
      }
      Object p11 = getInstance.invoke(null, library, "C_GetFunctionList", initArgs, false);
      long[] slotIds = (long[]) pkcs11.getMethod("C_GetSlotList", boolean.class).invoke(p11, true);
      Method tokenInfo = pkcs11.getMethod("C_GetTokenInfo", long.class);
      List<Slot> slots = new ArrayList<>();
      for (long id : slotIds) {
        Object info = tokenInfo.invoke(p11, id);
        char[] label = (char[]) info.getClass().getField("label").get(info);
        slots.add(new Slot(id, new String(label).strip()));
      }
      return slots;
    } catch (IllegalAccessException | RuntimeException e) {
      if (e instanceof IllegalStateException ise) {
        throw ise;
      }
      throw new IllegalStateException(
          "selecting a PKCS#11 token by label needs the JVM option "
              + ADD_EXPORTS
              + " (or use tokenvault.keys.pkcs11.slot-index)",
          e);
    } catch (InvocationTargetException e) {
      // The module itself failed (C_Initialize, C_GetSlotList...): the HSM is not reachable.
      throw new KeyManagerException.Unavailable(
          "cannot list the tokens of " + library + ": " + e.getCause(), e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("this JDK has no usable PKCS#11 wrapper", e);
    }
  }
}

package dev.tokenvault.testkit;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waiting for a store's futures in tests. */
public final class Futures {
  private Futures() {}

  /**
   * A guard against a hung store, not a timing assertion: generous enough for any CI machine, so a
   * test that hits it has found a lost completion.
   */
  static final long HANG_GUARD_SECONDS = 120;

  /** The stage's value; fails the test with the stage's failure as the cause. */
  public static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(HANG_GUARD_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("the stage failed", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    } catch (TimeoutException e) {
      throw new AssertionError("the stage never completed", e);
    }
  }

  /** The stage's failure; fails the test when it succeeded. */
  public static Throwable failure(CompletionStage<?> stage) {
    try {
      Object value = stage.toCompletableFuture().get(HANG_GUARD_SECONDS, TimeUnit.SECONDS);
      throw new AssertionError("expected a failure, the stage completed with " + value);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    } catch (TimeoutException e) {
      throw new AssertionError("the stage never completed", e);
    }
  }
}

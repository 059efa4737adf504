package dev.tokenvault.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

/** Many callers at once: threads parked on a latch and released together. */
public final class Race {
  private Race() {}

  /** What one racer sent and the stage it got back. */
  public record Attempt<I, T>(I input, CompletionStage<T> stage) {}

  /**
   * Calls {@code call} from {@code n} threads that all start at the same moment (every thread is
   * parked on a latch first), and returns what each call returned, in index order.
   */
  public static <R> List<R> race(int n, IntFunction<R> call) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch ready = new CountDownLatch(n);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<R>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int index = i;
        Callable<R> task =
            () -> {
              ready.countDown();
              go.await();
              return call.apply(index);
            };
        futures.add(pool.submit(task));
      }
      ready.await();
      go.countDown();
      List<R> out = new ArrayList<>();
      for (Future<R> f : futures) {
        out.add(f.get());
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }
}

package io.weft.broker.rules;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Where {@link SinkDispatcher} runs its work: {@link #execute} for an attempt or the handling of its
 * result now, {@link #schedule} for a retry later. Injected so that tests step time by hand (a manual
 * scheduler over a manual clock) and production runs on a small fixed pool ({@link #of}).
 *
 * <p>Neither method may run the task on the calling thread while the caller waits on it in a way that
 * could deadlock: the dispatcher calls both without holding a lock, so an implementation that runs
 * {@code execute} tasks inline (as the tests' does) is allowed. Both may throw
 * {@link RejectedExecutionException} once shut down; the dispatcher then drops the event (counted).
 *
 * <p>Bounded without a bounded queue: every task the dispatcher submits belongs to an event that holds
 * one of its subscription's concurrency slots, so at most the sum of the subscriptions' concurrency is
 * ever pending.
 */
public interface Scheduler extends Executor {
    /** Runs {@code task} after {@code delay} (zero or more). */
    Cancellable schedule(Runnable task, Duration delay);

    /** A scheduled task that can still be called off. */
    @FunctionalInterface
    interface Cancellable {
        /** Calls the task off if it has not started; does nothing otherwise. */
        void cancel();
    }

    /**
     * A scheduler over {@code executor}, which its creator shuts down. A {@link ScheduledThreadPoolExecutor}
     * is set to remove cancelled tasks at once, so a retry called off an hour ahead does not stay queued
     * for that hour.
     */
    static Scheduler of(ScheduledExecutorService executor) {
        if (executor instanceof ScheduledThreadPoolExecutor stpe) {
            stpe.setRemoveOnCancelPolicy(true);
        }
        return new Scheduler() {
            @Override
            public void execute(Runnable task) {
                executor.execute(task);
            }

            @Override
            public Cancellable schedule(Runnable task, Duration delay) {
                ScheduledFuture<?> f = executor.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
                return () -> f.cancel(false);
            }
        };
    }
}

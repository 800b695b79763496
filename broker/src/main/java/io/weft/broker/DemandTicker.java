package io.weft.broker;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * Runs a task every {@code period} while there is work for it, and not at all otherwise, so an idle
 * node stays asleep: {@link #arm} when work appears; after each run the task is scheduled again
 * only while {@code hasWork} says so. (Three fixed 10-50 ms timers woke an idle node 220 times a
 * second for nothing.)
 */
final class DemandTicker {
    private final ScheduledExecutorService timer;
    private final Runnable task;
    private final BooleanSupplier hasWork;
    private final long periodNanos;
    private final AtomicBoolean armed = new AtomicBoolean();

    DemandTicker(ScheduledExecutorService timer, Runnable task, BooleanSupplier hasWork, long periodMillis) {
        this.timer = timer;
        this.task = task;
        this.hasWork = hasWork;
        this.periodNanos = TimeUnit.MILLISECONDS.toNanos(periodMillis);
    }

    /** Work appeared: run the task within a period, and every period while work remains. */
    void arm() {
        if (armed.compareAndSet(false, true)) {
            try {
                timer.schedule(this::run, periodNanos, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                armed.set(false); // shutting down
            }
        }
    }

    private void run() {
        try {
            task.run();
        } finally {
            // cleared before the check: work added meanwhile either sees it clear and arms, or is seen here
            armed.set(false);
            if (hasWork.getAsBoolean()) {
                arm();
            }
        }
    }
}

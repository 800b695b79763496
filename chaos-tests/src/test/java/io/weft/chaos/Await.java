package io.weft.chaos;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits for a condition with a deadline (never a fixed sleep); fails with a description of the state. */
final class Await {
    private Await() {
    }

    static void until(Duration timeout, BooleanSupplier condition, Supplier<String> state) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + timeout + ": " + state.get());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    /** Like {@link #until} but answers whether the condition came true instead of failing. */
    static boolean within(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        return true;
    }

    /**
     * Lets a workload run for {@code d} while watching that every node stays up: this is the
     * scenario's "run under load for N seconds", not a synchronisation (nothing waits on a guess).
     */
    static void running(Duration d, BooleanSupplier healthy, Supplier<String> state) {
        long end = System.nanoTime() + d.toNanos();
        while (System.nanoTime() < end) {
            if (!healthy.getAsBoolean()) {
                throw new AssertionError("unhealthy while running: " + state.get());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }
}

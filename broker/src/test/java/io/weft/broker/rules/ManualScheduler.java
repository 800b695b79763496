package io.weft.broker.rules;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * A {@link Scheduler} and its clock, stepped by hand: {@link #execute} runs the task at once on the
 * caller's thread; {@link #schedule}d tasks run when {@link #advance} moves the clock past their instant,
 * in the order of their instants (then of scheduling). Single-threaded, like the tests that use it.
 */
final class ManualScheduler implements Scheduler, InstantSource {
    private record Task(Instant at, long seq, Runnable task, boolean[] cancelled) {
    }

    private final PriorityQueue<Task> tasks = new PriorityQueue<>(
            Comparator.comparing(Task::at).thenComparingLong(Task::seq));
    private Instant now;
    private long seq;

    ManualScheduler(Instant start) {
        this.now = start;
    }

    @Override
    public Instant instant() {
        return now;
    }

    @Override
    public void execute(Runnable task) {
        task.run();
    }

    @Override
    public Cancellable schedule(Runnable task, Duration delay) {
        boolean[] cancelled = {false};
        tasks.add(new Task(now.plus(delay), seq++, task, cancelled));
        return () -> cancelled[0] = true;
    }

    /** Moves the clock forward by {@code d}, running every task that falls due on the way at its instant. */
    void advance(Duration d) {
        Instant end = now.plus(d);
        while (!tasks.isEmpty() && !tasks.peek().at().isAfter(end)) {
            Task t = tasks.poll();
            now = t.at();
            if (!t.cancelled()[0]) {
                t.task().run();
            }
        }
        now = end;
    }

    /** The instants of the tasks still scheduled and not cancelled, earliest first. */
    List<Instant> pending() {
        List<Task> live = new ArrayList<>();
        for (Task t : tasks) {
            if (!t.cancelled()[0]) {
                live.add(t);
            }
        }
        live.sort(tasks.comparator());
        return live.stream().map(Task::at).toList();
    }
}

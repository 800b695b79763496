package io.weft.chaos;

import java.time.Duration;

/**
 * How long scenarios run: {@code short} in CI (a few seconds of load per phase, the whole suite in
 * minutes), {@code long} with {@code -Pchaos-long} (minutes per scenario). Both offer the same load
 * (producers are rate-capped): on 2 cores an uncapped producer saturates the CPU of every node, and
 * what breaks then is scheduling (membership suspects live nodes), which is a different test.
 */
final class Profile {
    private Profile() {
    }

    static String name() {
        return System.getProperty("chaos.profile", "short");
    }

    static boolean isLong() {
        return name().equals("long");
    }

    /** A phase of load: {@code shortSeconds} in CI, {@code longSeconds} in the long profile. */
    static Duration phase(int shortSeconds, int longSeconds) {
        return Duration.ofSeconds(isLong() ? longSeconds : shortSeconds);
    }

    /** Repetitions (kills, restarts): as many in both profiles unless the scenario asks for more. */
    static int times(int shortTimes, int longTimes) {
        return isLong() ? longTimes : shortTimes;
    }
}

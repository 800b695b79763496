package io.weft.storage;

import io.weft.protocol.InvalidTopicException;
import io.weft.protocol.Topics;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The settings of one durable stream, validated on construction.
 *
 * @param name          1–64 letters, digits, {@code -} or {@code _}
 * @param subjects      the patterns whose events the stream captures (at least one)
 * @param replicas      1, 3 or 5
 * @param site          the site whose nodes hold the replicas
 * @param maxAge        events older than this are removed; {@link Duration#ZERO} keeps them forever
 * @param maxBytes      the stored bytes kept at most (sum of stored values); 0 means no limit
 * @param maxEvents     the events kept at most; 0 means no limit
 * @param dedupeWindow  how long a {@code (source, id)} pair is remembered; {@link Duration#ZERO}
 *                      turns dedupe off
 */
public record StreamConfig(String name, List<String> subjects, int replicas, String site,
                           Duration maxAge, long maxBytes, long maxEvents, Duration dedupeWindow) {

    /** The dedupe window when none is given. */
    public static final Duration DEFAULT_DEDUPE_WINDOW = Duration.ofMinutes(2);
    /** The longest name accepted. */
    public static final int MAX_NAME_LENGTH = 64;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1," + MAX_NAME_LENGTH + "}");

    /** Names of the mesh's own streams (e.g. the rules of a site) start with this; only they may capture {@code _weft.} topics. */
    public static final String SYSTEM_PREFIX = "_weft_";

    /** Whether {@code name} is one of the mesh's own streams, which users cannot create. */
    public static boolean isSystem(String name) {
        return name != null && name.startsWith(SYSTEM_PREFIX);
    }

    /** True when {@code name} is a valid stream name: 1-64 letters, digits, '-' or '_'. */
    public static boolean validName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /** Validates every field; throws {@link InvalidStreamConfigException} naming the first bad one. */
    public StreamConfig {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new InvalidStreamConfigException("name", "'" + Topics.printable(name) + "' must be 1-"
                    + MAX_NAME_LENGTH + " letters, digits, '-' or '_'");
        }
        if (subjects == null || subjects.isEmpty()) {
            throw new InvalidStreamConfigException("subjects", "at least one subject pattern is required");
        }
        subjects = List.copyOf(subjects);
        for (int i = 0; i < subjects.size(); i++) {
            try {
                Topics.validatePattern(subjects.get(i));
            } catch (InvalidTopicException e) {
                throw new InvalidStreamConfigException("subjects[" + i + "]", e.getMessage());
            }
            if (Topics.isInternal(subjects.get(i)) && !isSystem(name)) {
                throw new InvalidStreamConfigException("subjects[" + i + "]", "'" + Topics.printable(subjects.get(i))
                        + "': topics under '" + Topics.INTERNAL_TOKEN + ".' are the mesh's own and cannot be captured");
            }
        }
        if (replicas != 1 && replicas != 3 && replicas != 5) {
            throw new InvalidStreamConfigException("replicas", replicas + " is not 1, 3 or 5");
        }
        if (site == null || site.isBlank()) {
            throw new InvalidStreamConfigException("site", "must not be empty");
        }
        requireNotNegative("maxAge", maxAge);
        requireNotNegative("dedupeWindow", dedupeWindow);
        if (maxBytes < 0) {
            throw new InvalidStreamConfigException("maxBytes", maxBytes + " is negative (0 means no limit)");
        }
        if (maxEvents < 0) {
            throw new InvalidStreamConfigException("maxEvents", maxEvents + " is negative (0 means no limit)");
        }
    }

    /** A one-replica stream with no retention limits and the default dedupe window. */
    public static StreamConfig of(String name, String site, String... subjects) {
        return new StreamConfig(name, List.of(subjects), 1, site, Duration.ZERO, 0, 0, DEFAULT_DEDUPE_WINDOW);
    }

    /** This config with {@code replicas} changed. */
    public StreamConfig withReplicas(int replicas) {
        return new StreamConfig(name, subjects, replicas, site, maxAge, maxBytes, maxEvents, dedupeWindow);
    }

    /** This config with {@code maxAge} changed. */
    public StreamConfig withMaxAge(Duration maxAge) {
        return new StreamConfig(name, subjects, replicas, site, maxAge, maxBytes, maxEvents, dedupeWindow);
    }

    /** This config with {@code maxBytes} changed. */
    public StreamConfig withMaxBytes(long maxBytes) {
        return new StreamConfig(name, subjects, replicas, site, maxAge, maxBytes, maxEvents, dedupeWindow);
    }

    /** This config with {@code maxEvents} changed. */
    public StreamConfig withMaxEvents(long maxEvents) {
        return new StreamConfig(name, subjects, replicas, site, maxAge, maxBytes, maxEvents, dedupeWindow);
    }

    /** This config with {@code dedupeWindow} changed. */
    public StreamConfig withDedupeWindow(Duration dedupeWindow) {
        return new StreamConfig(name, subjects, replicas, site, maxAge, maxBytes, maxEvents, dedupeWindow);
    }

    /** True when some topic would be captured by both streams (see {@link Subjects#overlap}). */
    public boolean overlaps(StreamConfig other) {
        return overlappingSubjects(other) != null;
    }

    /**
     * The first pair of overlapping subjects as {@code "mine overlaps theirs"}, for error messages,
     * or null when the streams capture disjoint topics.
     */
    public String overlappingSubjects(StreamConfig other) {
        for (String mine : subjects) {
            for (String theirs : other.subjects) {
                if (Subjects.overlap(mine, theirs)) {
                    return "'" + mine + "' overlaps '" + theirs + "' of stream " + other.name;
                }
            }
        }
        return null;
    }

    private static void requireNotNegative(String field, Duration d) {
        if (d == null || d.isNegative()) {
            throw new InvalidStreamConfigException(field, d + " must be zero (none) or positive");
        }
    }
}

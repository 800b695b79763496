package io.weft.routing.bench;

import io.weft.routing.Match;
import io.weft.routing.SubscriptionTrie;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Matches per second of {@link SubscriptionTrie} with 1k, 100k and 1M subscriptions.
 *
 * <p>Subscriptions, for {@code i} in {@code [0, subscriptions)}, tenant {@code t = i % 1000} and
 * region {@code r} one of four: 90% literal {@code tenant{t}.orders.{r}.{i}}, 4% the same in a
 * queue group, 3% {@code tenant{t}.orders.*.{i}}, 2% {@code tenant{t}.orders.{r}.{i}.>} and 1%
 * {@code tenant{t}.*.{r}.{i}} in a queue group, so every topic walks literal and wildcard branches
 * and a result holds a handful of subscribers whatever the trie size.
 *
 * <ul>
 *   <li>{@code cacheHit}: 1024 topics cycled through a 4096-topic cache: half the exact shape of an
 *       existing subscription (nearly all with subscribers), a quarter with an extra token (only
 *       the {@code >} patterns match), a quarter for a subscription that does not exist;</li>
 *   <li>{@code cacheDisabled}: the same topics with the cache off: trie walk plus result build;</li>
 *   <li>{@code uniqueTopics}: 65536 distinct topics (an extra unique token, or an unknown last
 *       token, so mostly empty results) through a 4096-topic cache: nearly every call misses,
 *       walks the trie and inserts into the cache, evicting.</li>
 * </ul>
 * Run with {@code bin/jmh TrieMatch}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class TrieMatchBenchmark {
    static final int CACHE_CAPACITY = 4096;
    static final int TOPICS = 1024;
    static final int UNIQUE_TOPICS = 1 << 16;
    static final int TENANTS = 1000;
    static final String[] REGIONS = {"eu", "us", "ap", "sa"};

    /** Trie and topics for one subscription count; subclasses choose the cache capacity and topics. */
    @State(Scope.Benchmark)
    public abstract static class TrieState {
        @Param({"1000", "100000", "1000000"})
        public int subscriptions;

        SubscriptionTrie<Integer> trie;
        String[] topics;
        int next;

        abstract int cacheCapacity();

        abstract String[] topics(Random rnd);

        @Setup(Level.Trial)
        public void setUp() {
            trie = new SubscriptionTrie<>(cacheCapacity());
            for (int i = 0; i < subscriptions; i++) {
                subscribe(trie, i);
            }
            if (trie.size() != subscriptions) {
                throw new IllegalStateException("built " + trie.size() + " entries, wanted " + subscriptions);
            }
            topics = topics(new Random(42));
            // settle the heap after building: otherwise the garbage of a 1M-entry build is still
            // being collected concurrently (2-core CI machines) during the first iterations
            System.gc();
        }

        String nextTopic() {
            String topic = topics[next];
            next = (next + 1) & (topics.length - 1);
            return topic;
        }
    }

    /** Cache on, 1024 recurring topics: after warm-up every match is a cache hit. */
    @State(Scope.Benchmark)
    public static class CachedState extends TrieState {
        @Override
        int cacheCapacity() {
            return CACHE_CAPACITY;
        }

        @Override
        String[] topics(Random rnd) {
            return mixedTopics(rnd, subscriptions, TOPICS);
        }
    }

    /** Cache off, the same 1024 topics: every match walks the trie. */
    @State(Scope.Benchmark)
    public static class UncachedState extends CachedState {
        @Override
        int cacheCapacity() {
            return 0;
        }
    }

    /** Cache on, 65536 distinct topics: nearly every match misses and inserts into the cache. */
    @State(Scope.Benchmark)
    public static class UniqueTopicsState extends TrieState {
        @Override
        int cacheCapacity() {
            return CACHE_CAPACITY;
        }

        @Override
        String[] topics(Random rnd) {
            String[] mixed = mixedTopics(rnd, subscriptions, UNIQUE_TOPICS);
            for (int k = 0; k < mixed.length; k++) {
                // a distinct trailing token keeps them apart; '>' patterns still match some of them
                mixed[k] = k % 2 == 0 ? mixed[k] + ".e" + k : "tenant" + (k % TENANTS) + ".orders.eu.x" + k;
            }
            return mixed;
        }
    }

    @Benchmark
    public Match<Integer> cacheHit(CachedState s) {
        return s.trie.match(s.nextTopic());
    }

    @Benchmark
    public Match<Integer> cacheDisabled(UncachedState s) {
        return s.trie.match(s.nextTopic());
    }

    @Benchmark
    public Match<Integer> uniqueTopics(UniqueTopicsState s) {
        return s.trie.match(s.nextTopic());
    }

    static void subscribe(SubscriptionTrie<Integer> trie, int i) {
        String prefix = "tenant" + (i % TENANTS);
        String region = region(i);
        int shape = i % 100;
        if (shape < 90) {
            trie.add(prefix + ".orders." + region + "." + i, null, i);
        } else if (shape < 94) {
            trie.add(prefix + ".orders." + region + "." + i, "workers", i);
        } else if (shape < 97) {
            trie.add(prefix + ".orders.*." + i, null, i);
        } else if (shape < 99) {
            trie.add(prefix + ".orders." + region + "." + i + ".>", null, i);
        } else {
            trie.add(prefix + ".*." + region + "." + i, "audit", i);
        }
    }

    /** Topics: half exact for an existing {@code i}, a quarter with an extra token, a quarter unknown. */
    static String[] mixedTopics(Random rnd, int subscriptions, int count) {
        String[] topics = new String[count];
        for (int k = 0; k < count; k++) {
            int kind = rnd.nextInt(4);
            int i = rnd.nextInt(subscriptions);
            String base = "tenant" + (i % TENANTS) + ".orders." + region(i) + ".";
            topics[k] = switch (kind) {
                case 0, 1 -> base + i;
                case 2 -> base + i + ".created";
                default -> base + (subscriptions + i);
            };
        }
        return topics;
    }

    private static String region(int i) {
        return REGIONS[(i / TENANTS) % REGIONS.length];
    }
}

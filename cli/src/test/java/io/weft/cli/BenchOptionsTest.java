package io.weft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code meshctl bench --filter} and {@code --sink}: options, the events' amounts, bodies, link counters. No broker. */
class BenchOptionsTest {
    private static BenchCommand parse(String... args) {
        CommandLine.ParseResult r = new CommandLine(new Meshctl()).parseArgs(args);
        return (BenchCommand) r.subcommand().commandSpec().userObject();
    }

    @Test
    void amountsPassAKnownShare() {
        assertEquals(0, BenchAmounts.of(0));
        assertEquals(100, BenchAmounts.of(1));
        assertEquals(1, BenchAmounts.of(2));
        assertEquals(199, BenchAmounts.of(199));
        assertEquals(0, BenchAmounts.of(200));
        // every value 0..199 once in a period
        assertEquals(200, LongStream.range(0, 200).map(BenchAmounts::of).distinct().count());
        assertTrue(LongStream.range(0, 1000).map(BenchAmounts::of).allMatch(a -> a >= 0 && a < 200));

        BenchAmounts.Comparison half = BenchAmounts.Comparison.parse("amount >= 100");
        assertEquals(500, half.countAmong(1000));
        assertEquals(1, half.countAmong(2));
        assertEquals(0, half.countAmong(1));
        assertEquals(100, half.firstMatchingAmount());
        for (String expr : new String[] {"amount < 50", "amount<=7", " amount > 150 ", "amount = 3", "amount <> 3",
                "amount != 3", "amount >= -5"}) {
            BenchAmounts.Comparison c = BenchAmounts.Comparison.parse(expr);
            for (long n : new long[] {0, 1, 199, 200, 201, 1234}) {
                long brute = LongStream.range(0, n).filter(i -> c.test(BenchAmounts.of(i))).count();
                assertEquals(brute, c.countAmong(n), expr + " among " + n);
            }
        }
        assertEquals(250, BenchAmounts.Comparison.parse("amount < 50").countAmong(1000));
        assertEquals(-1, BenchAmounts.Comparison.parse("amount > 500").firstMatchingAmount());
        // other shapes: the count is not computed
        assertNull(BenchAmounts.Comparison.parse("amount >= 100 AND type = 'x'"));
        assertNull(BenchAmounts.Comparison.parse("AMOUNT >= 100"));
        assertNull(BenchAmounts.Comparison.parse("amount >= 99999999999"));
        assertNull(BenchAmounts.Comparison.parse(null));
    }

    @Test
    void filterOptions() {
        BenchCommand b = parse("bench", "--filter", "amount >= 100", "--compare", "--msgs", "10");
        assertEquals("amount >= 100", b.filter);
        assertTrue(b.compare);
        b.checkModes();
        BenchCommand defaults = parse("bench");
        assertNull(defaults.filter);
        assertFalse(defaults.sink);
        assertEquals(-1, defaults.msgs);
        defaults.checkModes();
        assertThrows(IllegalArgumentException.class, () -> parse("bench", "--compare").checkModes());
        assertThrows(IllegalArgumentException.class, () -> parse("bench", "--filter", " ").checkModes());
        assertThrows(IllegalArgumentException.class, () -> parse("bench", "--filter", "amount > 1", "--durable").checkModes());
        assertThrows(IllegalArgumentException.class, () -> parse("bench", "--filter", "amount > 1", "--subs", "0").checkModes());
        assertThrows(IllegalArgumentException.class, () -> parse("bench", "--replay").checkModes());
    }

    @Test
    void sinkOptionsAndTheSubscriptionBody() throws Exception {
        BenchCommand b = parse("bench", "--sink", "--topic", "bench.sink", "--rate", "1000");
        b.checkModes();
        assertEquals("best-effort", b.sinkMode);
        assertEquals("127.0.0.1", b.sinkHost);
        assertEquals(0, b.sinkPort);
        SinkBench s = new SinkBench(b);
        assertEquals("{\"protocol\":\"HTTP\",\"sink\":\"http://127.0.0.1:8080/bench\",\"topic\":\"bench.sink\","
                + "\"mode\":\"best-effort\"}", Cli.JSON.writeValueAsString(s.subscriptionBody("http://127.0.0.1:8080/bench")));
        assertEquals(500, s.window());

        BenchCommand d = parse("bench", "--sink", "--sink-mode", "durable", "--filter", "amount >= 100", "--window", "0",
                "--sink-host", "172.17.0.1", "--sink-port", "9000");
        d.checkModes();
        SinkBench ds = new SinkBench(d);
        assertEquals("{\"protocol\":\"HTTP\",\"sink\":\"http://h:1/bench\",\"topic\":\"bench.weft.events\","
                + "\"mode\":\"durable\",\"filters\":[{\"sql\":\"amount >= 100\"}]}",
                Cli.JSON.writeValueAsString(ds.subscriptionBody("http://h:1/bench")));
        assertEquals(Long.MAX_VALUE, ds.window());
        assertEquals("http://172.17.0.1:9000/bench", SinkReceiver.url(d.sinkHost, d.sinkPort));
        assertEquals("http://[::1]:9000/bench", SinkReceiver.url("::1", 9000));

        assertThrows(IllegalArgumentException.class, () -> new SinkBench(parse("bench", "--sink", "--sink-mode", "fast")));
        assertThrows(IllegalArgumentException.class, () -> parse("bench", "--sink-mode", "durable").checkModes());
        assertThrows(IllegalArgumentException.class, () -> parse("bench", "--sink", "--durable").checkModes());
        assertThrows(IllegalArgumentException.class, () -> parse("bench", "--sink", "--filter", "x", "--compare").checkModes());
    }

    @Test
    void aSinkRunCountsEachEventOnceAndItsLatency() {
        SinkReceiver.Run run = new SinkReceiver.Run("abc", 130);
        byte[] body = new byte[16];
        java.nio.ByteBuffer.wrap(body).putLong(0, 1_000_000L);
        assertTrue(run.deliver(run.id(0), body, 3_000_000L));
        assertTrue(run.deliver(run.id(129), body, 2_000_000L));
        assertTrue(run.deliver(run.id(0), body, 9_000_000L)); // again: a duplicate
        assertFalse(run.deliver("abc-130", body, 1L)); // past the run
        assertFalse(run.deliver("probe-1", body, 1L));
        assertFalse(run.deliver("abcw-1", body, 1L)); // another run's
        assertFalse(run.deliver("abc-x", body, 1L));
        assertFalse(run.deliver(null, body, 1L));
        assertEquals(2, run.delivered());
        assertEquals(1, run.duplicates());
        assertEquals(2, run.latency().getTotalCount());
        assertEquals(2_000_000L, run.latency().getMaxValue(), 2_000_000L / 1000.0);
    }

    @Test
    void linkCountersAreSummedBySiteAndSubtracted() throws Exception {
        LinkCounters before = LinkCounters.parse(Cli.JSON.readTree("{\"links\":[],\"sentBySite\":{"
                + "\"onprem\":{\"events\":10,\"bytes\":1000,\"dropped\":0,\"filtered\":5}}}"));
        LinkCounters after = LinkCounters.parse(Cli.JSON.readTree("{\"sentBySite\":{"
                + "\"cloud\":{\"events\":3,\"bytes\":300,\"dropped\":0,\"filtered\":0},"
                + "\"onprem\":{\"events\":60,\"bytes\":6000,\"dropped\":0,\"filtered\":55}}}"));
        LinkCounters d = after.since(before);
        assertEquals(new LinkCounters.Sent(50, 5000, 50), d.bySite().get("onprem"));
        assertEquals(new LinkCounters.Sent(3, 300, 0), d.bySite().get("cloud"));
        assertEquals(new LinkCounters.Sent(53, 5300, 50), d.total());
        @SuppressWarnings("unchecked")
        Map<String, Object> total = (Map<String, Object>) d.json().get("total");
        assertEquals(5300L, total.get("bytes"));
        assertEquals(LinkCounters.ZERO, LinkCounters.parse(Cli.JSON.readTree("{}")).total());
    }
}

package io.weft.routing.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Real JGroups channels on loopback, in this JVM: groups that formed apart merge, and every member
 * ends up named by its own announcement (issue 12), also after a restart.
 */
class MembershipTest {
    private static final Membership.Config FAST = new Membership.Config(200, 1000, 250, 500, 300, 800);
    private final List<Member> started = new ArrayList<>();

    /** One node's membership and the last view its listener got. */
    private static final class Member implements Membership.Listener {
        final Membership membership;
        private Members last;

        Member(String name, long incarnation) throws Exception {
            NodeInfo self = new NodeInfo(name, "S", incarnation, "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3", "", "");
            membership = new Membership(self, "127.0.0.1", 0, FAST, this);
            membership.updateSelf(self.withMembershipAddress(membership.address()));
        }

        @Override
        public synchronized void members(Members members) {
            last = members;
            notifyAll();
        }

        synchronized Members await(Predicate<Members> ok, long seconds, String what) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (last == null || !ok.test(last)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError(what + " within " + seconds + " s; last view: " + last);
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            return last;
        }
    }

    private Member start(String name, long incarnation, List<String> hosts) throws Exception {
        Member m = new Member(name, incarnation);
        started.add(m);
        m.membership.start(hosts);
        return m;
    }

    @AfterEach
    void stop() {
        started.forEach(m -> m.membership.close());
    }

    @Test
    void groupsThatFormedApartMergeWithEveryMemberNamed() throws Exception {
        Member a = start("a", 1, List.of());
        Member b = start("b", 1, List.of());
        Member c = start("c", 1, List.of());
        for (Member m : List.of(a, b, c)) {
            assertEquals(1, m.await(v -> true, 10, "a first view").live().size(), "each alone in its own group");
        }
        List<String> all = List.of(a.membership.address(), b.membership.address(), c.membership.address());
        for (Member m : List.of(a, b, c)) {
            m.membership.addInitialHosts(all);
        }
        for (Member m : List.of(a, b, c)) {
            Members v = m.await(x -> x.live().keySet().equals(Set.of("a", "b", "c")) && x.unnamed().isEmpty(), 30,
                    "all three named after the merge");
            assertTrue(v.unnamed().isEmpty());
        }
    }

    @Test
    void aRestartedNodeIsSeenWithItsNewIncarnation() throws Exception {
        Member a = start("a", 1, List.of());
        Member b = start("b", 1, List.of(a.membership.address()));
        a.await(v -> v.live().containsKey("b"), 20, "a sees b");
        b.membership.close();
        Member b2 = start("b", 2, List.of(a.membership.address()));
        a.await(v -> v.live().containsKey("b") && v.live().get("b").incarnation() == 2 && v.unnamed().isEmpty(), 20,
                "a sees b's new incarnation");
        b2.await(v -> v.live().containsKey("a"), 20, "the new b sees a");
    }
}

package io.weft.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Seeded random operations on {@link TokenMap} and {@link SubscriberSet} against the JDK collections. */
class InternalCollectionsTest {

    @Test
    void tokenMapBehavesLikeHashMap() {
        for (long seed = 1; seed <= 20; seed++) {
            Random rnd = new Random(seed);
            TokenMap<Integer> map = new TokenMap<>();
            Map<String, Integer> model = new HashMap<>();
            int keySpace = 1 + rnd.nextInt(300);
            for (int step = 0; step < 5000; step++) {
                String key = "k" + rnd.nextInt(keySpace);
                String where = "seed=" + seed + " step=" + step + " key=" + key;
                switch (rnd.nextInt(3)) {
                    case 0 -> assertEquals(model.put(key, step), map.put(key, step), where);
                    case 1 -> assertEquals(model.remove(key), map.remove(key), where);
                    default -> {
                        String padded = "x." + key + ".y";
                        int start = 2;
                        int end = 2 + key.length();
                        assertEquals(model.get(key), map.get(padded, start, end,
                                TokenMap.hashOf(padded, start, end)), where);
                    }
                }
                assertEquals(model.size(), map.size(), where);
            }
            for (String key : model.keySet()) {
                assertEquals(model.get(key), map.get(key), "seed=" + seed + " key=" + key);
            }
        }
    }

    @Test
    void subscriberSetBehavesLikeASet() {
        for (long seed = 1; seed <= 20; seed++) {
            Random rnd = new Random(seed);
            SubscriberSet<Integer> set = new SubscriberSet<>();
            Set<Integer> model = new LinkedHashSet<>();
            int space = 1 + rnd.nextInt(40);
            for (int step = 0; step < 3000; step++) {
                Integer member = rnd.nextInt(space);
                String where = "seed=" + seed + " step=" + step + " member=" + member;
                if (rnd.nextBoolean()) {
                    assertEquals(model.add(member), set.add(member), where);
                } else {
                    assertEquals(model.remove(member), set.remove(member), where);
                }
                assertEquals(model.size(), set.size(), where);
                assertEquals(model.contains(member), set.contains(member), where);
            }
            List<Integer> members = new ArrayList<>();
            set.addTo(members);
            assertEquals(model, new LinkedHashSet<>(members), "seed=" + seed);
            assertEquals(model.size(), members.size(), "seed=" + seed);
        }
    }
}

package io.weft.routing;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;

/**
 * The subscribers of one (pattern, queue group) pair: a set with cheap iteration.
 *
 * <p>Most patterns have one or a few subscribers, so the members live in a plain array (48 bytes
 * for one member) and membership is a linear scan. Past {@link #INDEX_THRESHOLD} members a hash
 * index from member to array position is added so add and remove stay O(1) when thousands of
 * subscribers share one pattern; removal swaps the last member into the hole, so iteration order
 * is insertion order only until the first removal. Not thread-safe: the trie's lock guards it.
 */
final class SubscriberSet<T> {
    static final int INDEX_THRESHOLD = 8;

    private Object[] members = new Object[1];
    private int size;
    private HashMap<Object, Integer> index;

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Adds {@code member}; false when it was already present. */
    boolean add(T member) {
        if (indexOf(member) >= 0) {
            return false;
        }
        if (size == members.length) {
            members = Arrays.copyOf(members, size * 2);
        }
        members[size] = member;
        if (index != null) {
            index.put(member, size);
        }
        size++;
        if (index == null && size > INDEX_THRESHOLD) {
            index = new HashMap<>(size * 2);
            for (int i = 0; i < size; i++) {
                index.put(members[i], i);
            }
        }
        return true;
    }

    /** Removes {@code member}; false when it was absent. */
    boolean remove(Object member) {
        int i = indexOf(member);
        if (i < 0) {
            return false;
        }
        int last = --size;
        Object moved = members[last];
        members[i] = moved;
        members[last] = null;
        if (index != null) {
            index.remove(member);
            if (i != last) {
                index.put(moved, i);
            }
            if (size <= INDEX_THRESHOLD / 2) {
                index = null;
            }
        }
        if (members.length > 1 && size * 4 <= members.length) {
            members = Arrays.copyOf(members, Math.max(1, members.length / 2));
        }
        return true;
    }

    boolean contains(Object member) {
        return indexOf(member) >= 0;
    }

    /** Appends every member to {@code out}. */
    @SuppressWarnings("unchecked")
    void addTo(Collection<? super T> out) {
        for (int i = 0; i < size; i++) {
            out.add((T) members[i]);
        }
    }

    private int indexOf(Object member) {
        if (index != null) {
            Integer i = index.get(member);
            return i == null ? -1 : i;
        }
        for (int i = 0; i < size; i++) {
            if (members[i].equals(member)) {
                return i;
            }
        }
        return -1;
    }
}

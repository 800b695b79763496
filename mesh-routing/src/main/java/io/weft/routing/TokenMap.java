package io.weft.routing;

/**
 * An open-addressing hash map from a topic token to a value, used for the children and the queue
 * groups of a trie node.
 *
 * <p>Unlike {@link java.util.HashMap} it can be probed with a slice of a larger string
 * ({@link #get(String, int, int, int)}), so matching a topic never allocates a substring per
 * token, and it stores no entry objects, which keeps a million-leaf trie small. Linear probing
 * with Fibonacci hashing; deletion shifts entries back instead of leaving tombstones, and the
 * table shrinks when it empties, so memory follows the live entries under churn.
 *
 * <p>Not thread-safe: the trie's lock guards it. Keys hash with {@link String#hashCode()}, so a
 * slice's hash must be computed the same way (see {@link #hashOf(String, int, int)}).
 */
final class TokenMap<V> {
    private static final int MIN_CAPACITY = 4;

    private String[] keys;
    private Object[] values;
    private int size;
    private int shift;

    TokenMap() {
        allocate(MIN_CAPACITY);
    }

    /** {@link String#hashCode()} of {@code s.substring(start, end)}, without the substring. */
    static int hashOf(String s, int start, int end) {
        int h = 0;
        for (int i = start; i < end; i++) {
            h = 31 * h + s.charAt(i);
        }
        return h;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    V get(String key) {
        return get(key, 0, key.length(), key.hashCode());
    }

    /** The value for the token {@code src[start, end)} whose {@link String#hashCode()} is {@code hash}. */
    @SuppressWarnings("unchecked")
    V get(String src, int start, int end, int hash) {
        int len = end - start;
        int mask = keys.length - 1;
        for (int i = slot(hash); ; i = (i + 1) & mask) {
            String k = keys[i];
            if (k == null) {
                return null;
            }
            if (k.length() == len && k.hashCode() == hash && k.regionMatches(0, src, start, len)) {
                return (V) values[i];
            }
        }
    }

    /** Maps {@code key} to {@code value}; returns the previous value or null. */
    @SuppressWarnings("unchecked")
    V put(String key, V value) {
        if (value == null) {
            throw new IllegalArgumentException("TokenMap does not hold null values (key '" + key + "')");
        }
        int mask = keys.length - 1;
        int i = slot(key.hashCode());
        for (; keys[i] != null; i = (i + 1) & mask) {
            if (keys[i].equals(key)) {
                V old = (V) values[i];
                values[i] = value;
                return old;
            }
        }
        keys[i] = key;
        values[i] = value;
        size++;
        if (size * 4 > keys.length * 3) {
            rehash(keys.length * 2);
        }
        return null;
    }

    /** Removes {@code key}; returns its value or null when absent. */
    @SuppressWarnings("unchecked")
    V remove(String key) {
        int mask = keys.length - 1;
        int i = slot(key.hashCode());
        for (; keys[i] != null; i = (i + 1) & mask) {
            if (keys[i].equals(key)) {
                V old = (V) values[i];
                deleteAt(i);
                size--;
                if (keys.length > MIN_CAPACITY && size * 8 < keys.length) {
                    rehash(keys.length / 2);
                }
                return old;
            }
        }
        return null;
    }

    /** Number of slots; with {@link #keyAt} and {@link #valueAt} it iterates without allocating. */
    int slots() {
        return keys.length;
    }

    /** The key in slot {@code i}, or null for an empty slot. */
    String keyAt(int i) {
        return keys[i];
    }

    @SuppressWarnings("unchecked")
    V valueAt(int i) {
        return (V) values[i];
    }

    private int slot(int hash) {
        return (hash * 0x9E3779B9) >>> shift;
    }

    /** Backward-shift deletion: moves later entries of the probe run into the hole. */
    private void deleteAt(int hole) {
        int mask = keys.length - 1;
        int i = hole;
        while (true) {
            i = (i + 1) & mask;
            String k = keys[i];
            if (k == null) {
                break;
            }
            int home = slot(k.hashCode());
            // k may move into the hole only if the hole lies on its probe path (home .. i, cyclic).
            boolean holeOnPath = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
            if (holeOnPath) {
                keys[hole] = k;
                values[hole] = values[i];
                hole = i;
            }
        }
        keys[hole] = null;
        values[hole] = null;
    }

    private void rehash(int capacity) {
        String[] oldKeys = keys;
        Object[] oldValues = values;
        allocate(capacity);
        int mask = capacity - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            String k = oldKeys[j];
            if (k != null) {
                int i = slot(k.hashCode());
                while (keys[i] != null) {
                    i = (i + 1) & mask;
                }
                keys[i] = k;
                values[i] = oldValues[j];
            }
        }
    }

    private void allocate(int capacity) {
        keys = new String[capacity];
        values = new Object[capacity];
        shift = 32 - Integer.numberOfTrailingZeros(capacity);
    }
}

package io.weft.routing;

import io.weft.protocol.Topics;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A set of patterns indexed as a token trie to answer the two subsumption questions of site
 * aggregation without comparing every pair: "does another pattern of the set cover this one?" and
 * "which patterns of the set does this one cover?". A pattern {@code p} <em>covers</em> {@code q}
 * when every topic {@code q} matches is matched by {@code p} ({@link #covers}); a pattern that
 * starts with a wildcard covers none that starts with {@link Topics#INTERNAL_TOKEN}, because it
 * matches none of their topics. Not thread-safe.
 */
final class PatternIndex {
    private static final String STAR = "*";
    private static final String REST = ">";

    private static final class Node {
        Map<String, Node> children;
        /** The pattern that ends at this node, or null. */
        String pattern;

        Node child(String token) {
            return children == null ? null : children.get(token);
        }
    }

    private final Node root = new Node();
    private int size;

    int size() {
        return size;
    }

    /** Adds a valid pattern; false when it was present. */
    boolean add(String pattern) {
        Node node = root;
        for (String token : pattern.split("\\.")) {
            if (node.children == null) {
                node.children = new HashMap<>(4);
            }
            node = node.children.computeIfAbsent(token, t -> new Node());
        }
        if (node.pattern != null) {
            return false;
        }
        node.pattern = pattern;
        size++;
        return true;
    }

    /** Removes a pattern and prunes nodes left empty; false when it was absent. */
    boolean remove(String pattern) {
        if (removeBelow(root, pattern.split("\\."), 0)) {
            size--;
            return true;
        }
        return false;
    }

    private static boolean removeBelow(Node node, String[] tokens, int i) {
        if (i == tokens.length) {
            if (node.pattern == null) {
                return false;
            }
            node.pattern = null;
            return true;
        }
        Node child = node.child(tokens[i]);
        if (child == null || !removeBelow(child, tokens, i + 1)) {
            return false;
        }
        if (child.pattern == null && (child.children == null || child.children.isEmpty())) {
            node.children.remove(tokens[i]);
        }
        return true;
    }

    /** True when {@code pattern} is in the set. */
    boolean contains(String pattern) {
        Node node = root;
        for (String token : pattern.split("\\.")) {
            node = node.child(token);
            if (node == null) {
                return false;
            }
        }
        return node.pattern != null;
    }

    /** True when a pattern of the set other than {@code q} covers {@code q}. */
    boolean coveredByOther(String q) {
        return anyCover(root, q.split("\\."), 0, q);
    }

    private static boolean anyCover(Node node, String[] q, int i, String self) {
        if (i == 0 && q[0].equals(Topics.INTERNAL_TOKEN)) {
            Node literal = node.child(q[0]); // wildcards do not cover an internal first token
            return literal != null && anyCover(literal, q, 1, self);
        }
        Node rest = node.child(REST);
        if (rest != null && rest.pattern != null && i < q.length && !rest.pattern.equals(self)) {
            return true; // prefix.> covers whatever q has from token i on (one or more tokens)
        }
        if (i == q.length) {
            return node.pattern != null && !node.pattern.equals(self);
        }
        String t = q[i];
        if (t.equals(REST)) {
            return false; // only '>' covers '>', checked above
        }
        Node star = node.child(STAR);
        if (star != null && anyCover(star, q, i + 1, self)) {
            return true;
        }
        if (!t.equals(STAR)) {
            Node literal = node.child(t);
            return literal != null && anyCover(literal, q, i + 1, self);
        }
        return false;
    }

    /** Passes every pattern of the set other than {@code p} that {@code p} covers to {@code out}. */
    void forEachCoveredBy(String p, Consumer<String> out) {
        coveredBelow(root, p.split("\\."), 0, p, out);
    }

    private static void coveredBelow(Node node, String[] p, int i, String self, Consumer<String> out) {
        if (i == p.length) {
            if (node.pattern != null && !node.pattern.equals(self)) {
                out.accept(node.pattern);
            }
            return;
        }
        if (node.children == null) {
            return;
        }
        String t = p[i];
        if (t.equals(REST)) {
            for (Map.Entry<String, Node> e : node.children.entrySet()) {
                if (i > 0 || !e.getKey().equals(Topics.INTERNAL_TOKEN)) {
                    all(e.getValue(), self, out);
                }
            }
        } else if (t.equals(STAR)) {
            for (Map.Entry<String, Node> e : node.children.entrySet()) {
                if (!e.getKey().equals(REST) && (i > 0 || !e.getKey().equals(Topics.INTERNAL_TOKEN))) {
                    coveredBelow(e.getValue(), p, i + 1, self, out);
                }
            }
        } else {
            Node literal = node.children.get(t);
            if (literal != null) {
                coveredBelow(literal, p, i + 1, self, out);
            }
        }
    }

    private static void all(Node node, String self, Consumer<String> out) {
        if (node.pattern != null && !node.pattern.equals(self)) {
            out.accept(node.pattern);
        }
        if (node.children != null) {
            for (Node child : node.children.values()) {
                all(child, self, out);
            }
        }
    }

    /**
     * Does valid pattern {@code p} cover valid pattern {@code q}: is every topic that {@code q}
     * matches also matched by {@code p}? A pattern covers itself.
     */
    static boolean covers(String p, String q) {
        return Topics.covers(p, q);
    }
}

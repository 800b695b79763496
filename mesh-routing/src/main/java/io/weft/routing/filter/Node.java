package io.weft.routing.filter;

/**
 * A node of a parsed CESQL expression: immutable, shared by every thread that evaluates it.
 *
 * <p>Every node has a static type, known when it is parsed: each operator and function has one
 * return type, so only an attribute reference is {@link Type#ANY} (its type is the type of the
 * event's value). A node is read through typed methods that evaluate it and cast the result
 * (CESQL v1.0.0 section 3.7), so the tree evaluates on primitives without boxing; a failed cast or
 * evaluation is reported to the {@link Eval} and the method returns the zero value of the type it
 * was asked for. A caller checks {@link Eval#failed()} after each operand and, when set, returns
 * its own zero value at once (fail fast).
 */
abstract class Node {
    enum Type { BOOLEAN, INTEGER, STRING, ANY }

    /** Levels below and including this node; bounded by the parser so evaluation cannot overflow the stack. */
    final int height;

    Node(Node... children) {
        int max = 0;
        for (Node child : children) {
            max = Math.max(max, child.height);
        }
        this.height = max + 1;
    }

    abstract Type type();

    /** The value as a Boolean (cast if needed); {@code false} on error. */
    abstract boolean bool(Eval ev);

    /** The value as an Integer (cast if needed); {@code 0} on error. */
    abstract int integer(Eval ev);

    /** The value as a String (cast if needed); {@code ""} on error. */
    abstract String string(Eval ev);

    /** The value in its own type: a Boolean, Integer or String. */
    abstract Object value(Eval ev);

    /** A node whose value is a Boolean. */
    abstract static class BoolNode extends Node {
        BoolNode(Node... children) {
            super(children);
        }

        @Override
        final Type type() {
            return Type.BOOLEAN;
        }

        @Override
        final int integer(Eval ev) {
            return bool(ev) ? 1 : 0;
        }

        @Override
        final String string(Eval ev) {
            boolean value = bool(ev);
            return ev.failed() ? "" : Casts.toString(value);
        }

        @Override
        final Object value(Eval ev) {
            return bool(ev);
        }
    }

    /** A node whose value is an Integer. */
    abstract static class IntNode extends Node {
        IntNode(Node... children) {
            super(children);
        }

        @Override
        final Type type() {
            return Type.INTEGER;
        }

        @Override
        final boolean bool(Eval ev) {
            return integer(ev) != 0;
        }

        @Override
        final String string(Eval ev) {
            int value = integer(ev);
            return ev.failed() ? "" : Integer.toString(value);
        }

        @Override
        final Object value(Eval ev) {
            return integer(ev);
        }
    }

    /** A node whose value is a String. */
    abstract static class StringNode extends Node {
        StringNode(Node... children) {
            super(children);
        }

        @Override
        final Type type() {
            return Type.STRING;
        }

        @Override
        final boolean bool(Eval ev) {
            String value = string(ev);
            return !ev.failed() && Casts.toBool(value, ev);
        }

        @Override
        final int integer(Eval ev) {
            String value = string(ev);
            return ev.failed() ? 0 : Casts.toInt(value, ev);
        }

        @Override
        final Object value(Eval ev) {
            return string(ev);
        }
    }
}

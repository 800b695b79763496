package io.weft.routing.filter;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The operators of CESQL v1.0.0 (section 3.4) as tree nodes. Each reads its operands in the types
 * the operator is defined on (the implicit casts of section 3.7), checks for an error after each
 * operand and then returns the zero value of its own type: fail fast, with the first error kept.
 */
final class Operators {
    private Operators() {
    }

    /** {@code NOT x}: Boolean; an Integer operand casts (0 is false), a String must read true or false. */
    static final class Not extends Node.BoolNode {
        private final Node operand;

        Not(Node operand) {
            super(operand);
            this.operand = operand;
        }

        @Override
        boolean bool(Eval ev) {
            boolean value = operand.bool(ev);
            return !ev.failed() && !value;
        }
    }

    /** {@code -x}: Integer; {@code -(-2147483648)} does not fit and is a MathError. */
    static final class Negate extends Node.IntNode {
        private final Node operand;

        Negate(Node operand) {
            super(operand);
            this.operand = operand;
        }

        @Override
        int integer(Eval ev) {
            int value = operand.integer(ev);
            if (ev.failed()) {
                return 0;
            }
            return Arithmetic.fit(-(long) value, ev);
        }
    }

    enum ArithmeticOp { ADD, SUBTRACT, MULTIPLY, DIVIDE, MODULO }

    /**
     * {@code + - * / %} on Integers. Division truncates toward zero; {@code %} has the sign of the
     * dividend; by zero, 0 and a MathError. A result beyond 32 bits is 0 and a MathError (the
     * specification leaves overflow open; wrapping around would pass wrong events silently).
     */
    static final class Arithmetic extends Node.IntNode {
        private final ArithmeticOp op;
        private final Node left;
        private final Node right;

        Arithmetic(ArithmeticOp op, Node left, Node right) {
            super(left, right);
            this.op = op;
            this.left = left;
            this.right = right;
        }

        @Override
        int integer(Eval ev) {
            int x = left.integer(ev);
            if (ev.failed()) {
                return 0;
            }
            int y = right.integer(ev);
            if (ev.failed()) {
                return 0;
            }
            switch (op) {
                case ADD:
                    return fit((long) x + y, ev);
                case SUBTRACT:
                    return fit((long) x - y, ev);
                case MULTIPLY:
                    return fit((long) x * y, ev);
                case DIVIDE:
                    return y == 0 ? zeroDivisor(ev) : fit((long) x / y, ev);
                default:
                    return y == 0 ? zeroDivisor(ev) : x % y;
            }
        }

        static int fit(long value, Eval ev) {
            if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
                ev.fail(CesqlErrorKind.MATH);
                return 0;
            }
            return (int) value;
        }

        private static int zeroDivisor(Eval ev) {
            ev.fail(CesqlErrorKind.MATH);
            return 0;
        }
    }

    enum CompareOp { LESS, LESS_OR_EQUAL, GREATER, GREATER_OR_EQUAL }

    /** {@code < <= > >=}: defined on Integers only, so both operands cast to Integer ({@code '5' < '10'}). */
    static final class Compare extends Node.BoolNode {
        private final CompareOp op;
        private final Node left;
        private final Node right;

        Compare(CompareOp op, Node left, Node right) {
            super(left, right);
            this.op = op;
            this.left = left;
            this.right = right;
        }

        @Override
        boolean bool(Eval ev) {
            int x = left.integer(ev);
            if (ev.failed()) {
                return false;
            }
            int y = right.integer(ev);
            if (ev.failed()) {
                return false;
            }
            switch (op) {
                case LESS:
                    return x < y;
                case LESS_OR_EQUAL:
                    return x <= y;
                case GREATER:
                    return x > y;
                default:
                    return x >= y;
            }
        }
    }

    /**
     * {@code = != <>}: defined on each type, so ambiguous; the right operand's type picks the
     * definition and the left operand casts to it ({@code sequence = 5} reads sequence as an
     * Integer; {@code true = 'TRUE'} compares "true" with "TRUE"). On an error the result is false
     * for {@code !=} too.
     */
    static final class Equals extends Node.BoolNode {
        private final boolean negated;
        private final Node left;
        private final Node right;

        Equals(boolean negated, Node left, Node right) {
            super(left, right);
            this.negated = negated;
            this.left = left;
            this.right = right;
        }

        @Override
        boolean bool(Eval ev) {
            boolean equal = equal(ev);
            return !ev.failed() && equal != negated;
        }

        private boolean equal(Eval ev) {
            switch (right.type()) {
                case BOOLEAN: {
                    boolean x = left.bool(ev);
                    return !ev.failed() && x == right.bool(ev);
                }
                case INTEGER: {
                    int x = left.integer(ev);
                    return !ev.failed() && x == right.integer(ev);
                }
                case STRING: {
                    String x = left.string(ev);
                    return !ev.failed() && x.equals(right.string(ev));
                }
                default: {
                    Object x = left.value(ev);
                    if (ev.failed()) {
                        return false;
                    }
                    Object y = right.value(ev);
                    return !ev.failed() && equalAs(x, y, ev);
                }
            }
        }

        /** {@code x = y} with x cast to the type of y. */
        private static boolean equalAs(Object x, Object y, Eval ev) {
            if (y instanceof Boolean b) {
                return Casts.toBool(x, ev) == b;
            }
            if (y instanceof Integer i) {
                return Casts.toInt(x, ev) == i;
            }
            return Casts.toString(x).equals(y);
        }
    }

    enum LogicOp { AND, OR, XOR }

    /**
     * {@code AND OR XOR} over two or more operands of one operator (a chain {@code a OR b OR c} is
     * one node, so long chains stay shallow), each cast to Boolean. AND stops at the first false,
     * OR at the first true (section 3.6); XOR reads them all.
     */
    static final class Logic extends Node.BoolNode {
        private final LogicOp op;
        private final Node[] operands;

        Logic(LogicOp op, List<Node> operands) {
            super(operands.toArray(new Node[0]));
            this.op = op;
            this.operands = operands.toArray(new Node[0]);
        }

        @Override
        boolean bool(Eval ev) {
            boolean result = operands[0].bool(ev);
            for (int i = 1; i < operands.length && !ev.failed(); i++) {
                if (op == LogicOp.AND && !result || op == LogicOp.OR && result) {
                    return result;
                }
                boolean next = operands[i].bool(ev);
                result = op == LogicOp.XOR ? result ^ next : next;
            }
            return !ev.failed() && result;
        }
    }

    /** {@code x [NOT] LIKE 'pattern'}: x cast to String. */
    static final class Like extends Node.BoolNode {
        private final Node operand;
        private final LikePattern pattern;
        private final boolean negated;

        Like(Node operand, LikePattern pattern, boolean negated) {
            super(operand);
            this.operand = operand;
            this.pattern = pattern;
            this.negated = negated;
        }

        @Override
        boolean bool(Eval ev) {
            String value = operand.string(ev);
            return !ev.failed() && pattern.matches(value) != negated;
        }
    }

    /** {@code EXISTS name}: always true for the REQUIRED attributes, since the event is valid. */
    static final class Exists extends Node.BoolNode {
        private final String name;
        private final boolean required;

        Exists(String name) {
            this.name = name;
            this.required = name.equals("specversion") || name.equals("id") || name.equals("source")
                    || name.equals("type");
        }

        @Override
        boolean bool(Eval ev) {
            return required || ev.event.get(name) != null;
        }
    }

    /**
     * {@code x [NOT] IN (y1, y2, ...)}: {@code =} with x's type as the cast target of every element.
     * Every element is read (only AND and OR short-circuit), so a set that holds an element of the
     * wrong kind reports it whatever the order. A set of literals is cast once, when parsed.
     */
    static final class In extends Node.BoolNode {
        private final Node left;
        private final Node[] elements;
        private final boolean negated;
        private final LiteralSet literals;

        In(Node left, List<Node> elements, boolean negated) {
            super(withLeft(left, elements));
            this.left = left;
            this.elements = elements.toArray(new Node[0]);
            this.negated = negated;
            this.literals = LiteralSet.of(this.elements);
        }

        private static Node[] withLeft(Node left, List<Node> elements) {
            Node[] all = new Node[elements.size() + 1];
            all[0] = left;
            for (int i = 0; i < elements.size(); i++) {
                all[i + 1] = elements.get(i);
            }
            return all;
        }

        @Override
        boolean bool(Eval ev) {
            boolean found = contains(ev);
            return !ev.failed() && found != negated;
        }

        private boolean contains(Eval ev) {
            Type type = left.type();
            if (type == Type.ANY) {
                Object value = left.value(ev);
                if (ev.failed()) {
                    return false;
                }
                type = Casts.typeOf(value);
                switch (type) {
                    case BOOLEAN:
                        return containsBool((Boolean) value, ev);
                    case INTEGER:
                        return containsInt((Integer) value, ev);
                    default:
                        return containsString(Casts.toString(value), ev);
                }
            }
            switch (type) {
                case BOOLEAN: {
                    boolean value = left.bool(ev);
                    return !ev.failed() && containsBool(value, ev);
                }
                case INTEGER: {
                    int value = left.integer(ev);
                    return !ev.failed() && containsInt(value, ev);
                }
                default: {
                    String value = left.string(ev);
                    return !ev.failed() && containsString(value, ev);
                }
            }
        }

        private boolean containsBool(boolean value, Eval ev) {
            if (literals != null) {
                return literals.containsBool(value, ev);
            }
            boolean found = false;
            for (Node element : elements) {
                boolean y = element.bool(ev);
                if (ev.failed()) {
                    return false;
                }
                found |= y == value;
            }
            return found;
        }

        private boolean containsInt(int value, Eval ev) {
            if (literals != null) {
                return literals.containsInt(value, ev);
            }
            boolean found = false;
            for (Node element : elements) {
                int y = element.integer(ev);
                if (ev.failed()) {
                    return false;
                }
                found |= y == value;
            }
            return found;
        }

        private boolean containsString(String value, Eval ev) {
            if (literals != null) {
                return literals.containsString(value, ev);
            }
            boolean found = false;
            for (Node element : elements) {
                String y = element.string(ev);
                if (ev.failed()) {
                    return false;
                }
                found |= y.equals(value);
            }
            return found;
        }
    }

    /** The elements of an IN set made only of literals, cast to each type once. */
    static final class LiteralSet {
        private final boolean hasTrue;
        private final boolean hasFalse;
        private final boolean boolCastFails;
        private final int[] sortedInts;
        private final boolean intCastFails;
        private final Set<String> strings;

        private LiteralSet(boolean hasTrue, boolean hasFalse, boolean boolCastFails, int[] sortedInts,
                           boolean intCastFails, Set<String> strings) {
            this.hasTrue = hasTrue;
            this.hasFalse = hasFalse;
            this.boolCastFails = boolCastFails;
            this.sortedInts = sortedInts;
            this.intCastFails = intCastFails;
            this.strings = strings;
        }

        /** The set, or null when an element is not a literal. */
        static LiteralSet of(Node[] elements) {
            boolean hasTrue = false;
            boolean hasFalse = false;
            boolean boolCastFails = false;
            int[] ints = new int[elements.length];
            int intCount = 0;
            boolean intCastFails = false;
            Set<String> strings = new HashSet<>();
            for (Node element : elements) {
                if (!(element instanceof Literal literal)) {
                    return null;
                }
                int bool = literal.boolOrMinusOne();
                boolCastFails |= bool < 0;
                hasTrue |= bool == 1;
                hasFalse |= bool == 0;
                long integer = literal.intOrNotAnInt();
                if (integer == Casts.NOT_AN_INT) {
                    intCastFails = true;
                } else {
                    ints[intCount++] = (int) integer;
                }
                strings.add(literal.asString());
            }
            int[] sortedInts = Arrays.copyOf(ints, intCount);
            Arrays.sort(sortedInts);
            return new LiteralSet(hasTrue, hasFalse, boolCastFails, sortedInts, intCastFails, Set.copyOf(strings));
        }

        boolean containsBool(boolean value, Eval ev) {
            if (boolCastFails) {
                ev.fail(CesqlErrorKind.CAST);
                return false;
            }
            return value ? hasTrue : hasFalse;
        }

        boolean containsInt(int value, Eval ev) {
            if (intCastFails) {
                ev.fail(CesqlErrorKind.CAST);
                return false;
            }
            return Arrays.binarySearch(sortedInts, value) >= 0;
        }

        boolean containsString(String value, Eval ev) {
            return strings.contains(value);
        }
    }
}

package io.weft.routing.filter;

import java.util.List;
import java.util.Locale;

/**
 * The built-in functions of CESQL v1.0.0 (section 3.5) and the casts {@code INT}, {@code BOOL},
 * {@code STRING} (section 3.7), chosen by name and number of arguments when the expression is
 * parsed. Arguments cast to the parameter types. An error inside a function keeps the value the
 * specification gives it ({@code LEFT('abc', -2)} is "abc", {@code ABS(-2147483648)} is
 * 2147483647); an error in an argument makes the call return its zero value. Strings are counted
 * in Unicode code points.
 */
final class Functions {
    private Functions() {
    }

    /**
     * The call, or null when no function has that name and number of arguments.
     *
     * @param name the name in upper case
     */
    static Node resolve(String name, List<Node> arguments) {
        Node[] args = arguments.toArray(new Node[0]);
        int n = args.length;
        switch (name) {
            case "LENGTH":
                return n == 1 ? new IntCall(IntFunction.LENGTH, args) : null;
            case "ABS":
                return n == 1 ? new IntCall(IntFunction.ABS, args) : null;
            case "INT":
                return n == 1 ? new IntCall(IntFunction.INT, args) : null;
            case "BOOL":
                return n == 1 ? new BoolCall(args[0]) : null;
            case "STRING":
                return n == 1 ? new StringCall(StringFunction.STRING, args) : null;
            case "CONCAT":
                return new StringCall(StringFunction.CONCAT, args);
            case "CONCAT_WS":
                return n >= 1 ? new StringCall(StringFunction.CONCAT_WS, args) : null;
            case "LOWER":
                return n == 1 ? new StringCall(StringFunction.LOWER, args) : null;
            case "UPPER":
                return n == 1 ? new StringCall(StringFunction.UPPER, args) : null;
            case "TRIM":
                return n == 1 ? new StringCall(StringFunction.TRIM, args) : null;
            case "LEFT":
                return n == 2 ? new StringCall(StringFunction.LEFT, args) : null;
            case "RIGHT":
                return n == 2 ? new StringCall(StringFunction.RIGHT, args) : null;
            case "SUBSTRING":
                return n == 2 || n == 3 ? new StringCall(StringFunction.SUBSTRING, args) : null;
            default:
                return null;
        }
    }

    /** A call that cannot be dispatched: false and a MissingFunctionError; its arguments are not read. */
    static final class Missing extends Node.BoolNode {
        Missing(List<Node> arguments) {
            super(arguments.toArray(new Node[0]));
        }

        @Override
        boolean bool(Eval ev) {
            ev.fail(CesqlErrorKind.MISSING_FUNCTION);
            return false;
        }
    }

    private enum IntFunction { LENGTH, ABS, INT }

    private static final class IntCall extends Node.IntNode {
        private final IntFunction function;
        private final Node arg;

        IntCall(IntFunction function, Node[] args) {
            super(args);
            this.function = function;
            this.arg = args[0];
        }

        @Override
        int integer(Eval ev) {
            switch (function) {
                case LENGTH: {
                    String x = arg.string(ev);
                    return ev.failed() ? 0 : x.codePointCount(0, x.length());
                }
                case ABS: {
                    int x = arg.integer(ev);
                    if (ev.failed()) {
                        return 0;
                    }
                    if (x == Integer.MIN_VALUE) {
                        ev.fail(CesqlErrorKind.MATH);
                        return Integer.MAX_VALUE;
                    }
                    return Math.abs(x);
                }
                default:
                    return arg.integer(ev);
            }
        }
    }

    private static final class BoolCall extends Node.BoolNode {
        private final Node arg;

        BoolCall(Node arg) {
            super(arg);
            this.arg = arg;
        }

        @Override
        boolean bool(Eval ev) {
            return arg.bool(ev);
        }
    }

    private enum StringFunction { STRING, CONCAT, CONCAT_WS, LOWER, UPPER, TRIM, LEFT, RIGHT, SUBSTRING }

    private static final class StringCall extends Node.StringNode {
        private final StringFunction function;
        private final Node[] args;

        StringCall(StringFunction function, Node[] args) {
            super(args);
            this.function = function;
            this.args = args;
        }

        @Override
        String string(Eval ev) {
            switch (function) {
                case CONCAT:
                    return join(null, 0, ev);
                case CONCAT_WS: {
                    String delimiter = args[0].string(ev);
                    return ev.failed() ? "" : join(delimiter, 1, ev);
                }
                default:
                    break;
            }
            String x = args[0].string(ev);
            if (ev.failed()) {
                return "";
            }
            switch (function) {
                case LOWER:
                    return x.toLowerCase(Locale.ROOT);
                case UPPER:
                    return x.toUpperCase(Locale.ROOT);
                case TRIM:
                    return trim(x);
                case LEFT:
                case RIGHT: {
                    int y = args[1].integer(ev);
                    if (ev.failed()) {
                        return "";
                    }
                    return function == StringFunction.LEFT ? left(x, y, ev) : right(x, y, ev);
                }
                case SUBSTRING:
                    return substring(x, ev);
                default:
                    return x;
            }
        }

        private String join(String delimiter, int from, Eval ev) {
            if (args.length == from) {
                return "";
            }
            StringBuilder out = new StringBuilder();
            for (int i = from; i < args.length; i++) {
                if (delimiter != null && i > from) {
                    out.append(delimiter);
                }
                out.append(args[i].string(ev));
                if (ev.failed()) {
                    return "";
                }
            }
            return out.toString();
        }

        private String substring(String x, Eval ev) {
            int pos = args[1].integer(ev);
            if (ev.failed()) {
                return "";
            }
            int count = Integer.MAX_VALUE;
            if (args.length == 3) {
                count = args[2].integer(ev);
                if (ev.failed()) {
                    return "";
                }
            }
            int length = x.codePointCount(0, x.length());
            if (pos > length || pos < -length || count < 0) {
                ev.fail(CesqlErrorKind.FUNCTION_EVALUATION);
                return "";
            }
            if (pos == 0) {
                return "";
            }
            int start = pos > 0 ? pos - 1 : length + pos;
            int end = (int) Math.min(length, (long) start + count);
            int from = x.offsetByCodePoints(0, start);
            return x.substring(from, x.offsetByCodePoints(from, end - start));
        }
    }

    static String left(String x, int y, Eval ev) {
        if (y < 0) {
            ev.fail(CesqlErrorKind.FUNCTION_EVALUATION);
            return x;
        }
        if (x.codePointCount(0, x.length()) <= y) {
            return x;
        }
        return x.substring(0, x.offsetByCodePoints(0, y));
    }

    static String right(String x, int y, Eval ev) {
        if (y < 0) {
            ev.fail(CesqlErrorKind.FUNCTION_EVALUATION);
            return x;
        }
        int length = x.codePointCount(0, x.length());
        if (length <= y) {
            return x;
        }
        return x.substring(x.offsetByCodePoints(0, length - y));
    }

    /** Strips characters with the Unicode White_Space property, and only those (not Java's isWhitespace). */
    static String trim(String x) {
        int start = 0;
        int end = x.length();
        while (start < end && isUnicodeWhiteSpace(x.charAt(start))) {
            start++;
        }
        while (end > start && isUnicodeWhiteSpace(x.charAt(end - 1))) {
            end--;
        }
        return x.substring(start, end);
    }

    /** The White_Space property of Unicode (PropList.txt); every such character is in the BMP. */
    static boolean isUnicodeWhiteSpace(char c) {
        return c >= 0x09 && c <= 0x0D || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680
                || c >= 0x2000 && c <= 0x200A || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F
                || c == 0x3000;
    }
}

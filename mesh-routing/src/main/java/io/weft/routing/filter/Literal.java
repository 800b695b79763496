package io.weft.routing.filter;

/** A literal: its value and its casts to the other two types, worked out once when parsed. */
final class Literal extends Node {
    private final Type type;
    private final Object value;
    private final String asString;
    private final long asInt;
    private final int asBool;

    Literal(Object value) {
        this.type = Casts.typeOf(value);
        this.value = value;
        this.asString = Casts.toString(value);
        if (value instanceof Integer i) {
            this.asInt = i;
            this.asBool = i != 0 ? 1 : 0;
        } else if (value instanceof Boolean b) {
            this.asInt = b ? 1 : 0;
            this.asBool = b ? 1 : 0;
        } else {
            this.asInt = Casts.parseInt(asString);
            this.asBool = Casts.parseBool(asString);
        }
    }

    @Override
    Type type() {
        return type;
    }

    @Override
    boolean bool(Eval ev) {
        if (asBool < 0) {
            ev.fail(CesqlErrorKind.CAST);
            return false;
        }
        return asBool == 1;
    }

    @Override
    int integer(Eval ev) {
        if (asInt == Casts.NOT_AN_INT) {
            ev.fail(CesqlErrorKind.CAST);
            return 0;
        }
        return (int) asInt;
    }

    @Override
    String string(Eval ev) {
        return asString;
    }

    @Override
    Object value(Eval ev) {
        return value;
    }

    /** {@code -1} when the literal does not cast to a Boolean, else 0 or 1. */
    int boolOrMinusOne() {
        return asBool;
    }

    /** {@link Casts#NOT_AN_INT} when the literal does not cast to an Integer. */
    long intOrNotAnInt() {
        return asInt;
    }

    String asString() {
        return asString;
    }
}

package io.weft.routing.filter;

/**
 * A reference to an event attribute: the only node whose type is known only at evaluation. A
 * missing attribute reports {@link CesqlErrorKind#MISSING_ATTRIBUTE}; as a whole expression its
 * type is unknown, so it is then {@code false} (section 3.2).
 */
final class AttributeRef extends Node {
    final String name;

    AttributeRef(String name) {
        this.name = name;
    }

    @Override
    Type type() {
        return Type.ANY;
    }

    @Override
    boolean bool(Eval ev) {
        Object value = ev.event.get(name);
        if (value == null) {
            ev.fail(CesqlErrorKind.MISSING_ATTRIBUTE);
            return false;
        }
        return Casts.toBool(value, ev);
    }

    @Override
    int integer(Eval ev) {
        Object value = ev.event.get(name);
        if (value == null) {
            ev.fail(CesqlErrorKind.MISSING_ATTRIBUTE);
            return 0;
        }
        return Casts.toInt(value, ev);
    }

    @Override
    String string(Eval ev) {
        Object value = ev.event.get(name);
        if (value == null) {
            ev.fail(CesqlErrorKind.MISSING_ATTRIBUTE);
            return "";
        }
        return Casts.toString(value);
    }

    @Override
    Object value(Eval ev) {
        Object value = ev.event.get(name);
        if (value == null) {
            ev.fail(CesqlErrorKind.MISSING_ATTRIBUTE);
            return Boolean.FALSE;
        }
        if (value instanceof String || value instanceof Integer || value instanceof Boolean) {
            return value;
        }
        return value.toString();
    }
}

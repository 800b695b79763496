package io.weft.routing.filter;

/**
 * The state of one evaluation of a CESQL tree: the event and the first error. Fail-fast: once an
 * error is set, every operator above it stops and returns the zero value of its own type, so the
 * first error is the only one.
 */
final class Eval {
    final Attributes event;
    private CesqlErrorKind error;

    Eval(Attributes event) {
        this.event = event;
    }

    boolean failed() {
        return error != null;
    }

    CesqlErrorKind error() {
        return error;
    }

    void fail(CesqlErrorKind kind) {
        if (error == null) {
            error = kind;
        }
    }
}

package io.weft.routing.filter;

/**
 * The kinds of error a CESQL evaluation reports (CESQL v1.0.0, section 3.3). A parse error is not
 * among them: it is a {@link FilterSyntaxException} from {@link Cesql#parse}, before any event.
 */
public enum CesqlErrorKind {
    /** Division or modulo by zero, or an Integer result out of 32 bits ({@code ABS(-2147483648)}, overflow). */
    MATH,
    /** A value that does not cast to the type an operator or function needs ({@code INT('abc')}). */
    CAST,
    /** The expression names an attribute the event does not have. */
    MISSING_ATTRIBUTE,
    /** A call to a function that does not exist with that number of arguments. */
    MISSING_FUNCTION,
    /** A function given arguments outside its domain ({@code LEFT('abc', -1)}, {@code SUBSTRING('abc', 9)}). */
    FUNCTION_EVALUATION,
    /** Any other error. This engine raises none; kept because the specification lists it. */
    GENERIC
}

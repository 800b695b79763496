package io.weft.routing.filter;

/**
 * CloudEvents SQL (CESQL) v1.0.0: the entry point. Parse once, when a subscription is made, and
 * evaluate the {@link CesqlExpression} for each event.
 */
public final class Cesql {
    private Cesql() {
    }

    /**
     * Parses an expression as the specification defines it. A call to a function that does not exist
     * parses, and evaluates to {@code false} with a MissingFunctionError.
     *
     * @throws FilterSyntaxException with the position, when the text is not a CESQL expression
     */
    public static CesqlExpression parse(String text) {
        return CesqlParser.parse(text);
    }

    /**
     * Parses an expression that is to be used as a filter, and also rejects what could never pass an
     * event (section 3.3 asks for errors found before evaluation): a call to a function that does not
     * exist with that number of arguments, and an expression whose type is Integer or String (only a
     * Boolean {@code true} passes). A bare attribute name is accepted: a Boolean attribute can pass.
     *
     * @throws FilterSyntaxException with the position
     */
    public static CesqlExpression parseFilter(String text) {
        CesqlExpression expression = CesqlParser.parse(text);
        if (expression.missingFunction() != null) {
            throw expression.missingFunction();
        }
        Node.Type type = expression.root().type();
        if (type == Node.Type.INTEGER || type == Node.Type.STRING) {
            throw new FilterSyntaxException("the expression gives " + (type == Node.Type.INTEGER ? "an Integer" : "a String")
                    + ", a filter needs a Boolean", 0);
        }
        return expression;
    }
}

package io.weft.routing.filter;

/**
 * The {@code sql} dialect (Knative's {@code cesql}): the CESQL expression evaluates to the Boolean
 * {@code true} with no error. Any other value, or any error (a missing attribute, a failed cast),
 * fails the filter. Parsed with {@link Cesql#parseFilter}, so an expression that could never pass
 * is rejected when the filter is made.
 */
public final class SqlFilter extends EventFilter {
    private final CesqlExpression expression;

    private SqlFilter(CesqlExpression expression, String path) {
        super(1, path);
        this.expression = expression;
    }

    /**
     * @param path the field of the filter, for errors: {@code filters[0].sql}
     */
    static SqlFilter of(String text, String path) {
        try {
            return new SqlFilter(Cesql.parseFilter(text), path);
        } catch (FilterSyntaxException e) {
            throw new InvalidFilterException(path, e.getMessage(), e);
        }
    }

    public CesqlExpression expression() {
        return expression;
    }

    @Override
    public boolean test(Attributes event) {
        return expression.test(event);
    }

    @Override
    void appendCanonical(StringBuilder out) {
        out.append("{\"sql\":");
        FilterJson.appendString(out, expression.text());
        out.append('}');
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof SqlFilter sql && sql.expression.equals(expression);
    }

    @Override
    public int hashCode() {
        return expression.hashCode() * 31 + 4;
    }
}

package io.weft.routing.filter;

import io.weft.routing.filter.Operators.ArithmeticOp;
import io.weft.routing.filter.Operators.CompareOp;
import io.weft.routing.filter.Operators.LogicOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A recursive-descent parser of CESQL v1.0.0 (section 2 and the precedence of section 3.6). From the
 * loosest binding to the tightest:
 *
 * <pre>
 * expression     := comparison (("AND" | "OR" | "XOR") comparison)*     one level, left to right
 * comparison     := additive (("=" | "!=" | "&lt;&gt;" | "&lt;" | "&lt;=" | "&gt;" | "&gt;=") additive)*
 * additive       := multiplicative (("+" | "-") multiplicative)*
 * multiplicative := postfix (("*" | "/" | "%") postfix)*
 * postfix        := unary ("NOT"? "LIKE" string-literal | "NOT"? "IN" "(" expression ("," expression)* ")")*
 * unary          := "NOT" unary | "-" unary | primary
 * primary        := integer | string | "TRUE" | "FALSE" | "EXISTS" identifier
 *                 | function-name "(" (expression ("," expression)*)? ")" | identifier | "(" expression ")"
 * </pre>
 *
 * So unary operators bind tighter than LIKE and IN: {@code NOT a LIKE 'x'} is {@code (NOT a) LIKE
 * 'x'}; write {@code a NOT LIKE 'x'}. Mixed AND, OR and XOR group left to right as the text of section
 * 3.6 says ({@code a OR b AND c} is {@code (a OR b) AND c}); the ANTLR grammar beside the
 * specification marks them right-associative instead, so parenthesise mixed logic.
 *
 * <p>Lexical rules: keywords and function names in any case; identifiers are ASCII letters and digits,
 * folded to lower case; an integer literal is ASCII digits with a sign written right against it
 * ({@code -5}), and must fit 32 bits; a string is in {@code '...'} or {@code "..."}, where a backslash
 * before the delimiter stands for the delimiter and every other backslash is kept as it is (LIKE
 * gives {@code \%} and {@code \_} their meaning). Spaces, tabs and line breaks separate tokens.
 *
 * <p>Bounds: nesting (parentheses, function calls, unary operators, operator chains) stops at
 * {@link #MAX_DEPTH} levels, so neither parsing nor evaluation can exhaust a thread's stack.
 */
final class CesqlParser {
    /** The deepest nesting an expression may have. */
    static final int MAX_DEPTH = 64;

    private enum Kind { WORD, STRING, LPAREN, RPAREN, COMMA, PLUS, MINUS, STAR, SLASH, PERCENT, EQ, NE, LT, LE, GT, GE, EOF }

    private record Token(Kind kind, String text, String value, int start, int end) {
        boolean isKeyword(String keyword) {
            return kind == Kind.WORD && text.equalsIgnoreCase(keyword);
        }
    }

    private static final Set<String> KEYWORDS = Set.of("AND", "OR", "XOR", "NOT", "LIKE", "IN", "EXISTS", "TRUE", "FALSE");

    private final String text;
    private final List<Token> tokens;
    private int next;
    private int depth;
    private FilterSyntaxException missingFunction;

    private CesqlParser(String text) {
        this.text = text;
        this.tokens = new ArrayList<>();
    }

    static CesqlExpression parse(String text) {
        CesqlParser parser = new CesqlParser(text);
        parser.scan();
        Node root = parser.expression();
        Token last = parser.peek();
        if (last.kind != Kind.EOF) {
            throw parser.error("unexpected " + describe(last), last.start);
        }
        return new CesqlExpression(text, root, parser.missingFunction);
    }

    // ---- scanning

    private void scan() {
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                i++;
            } else if (isWordChar(c)) {
                int start = i;
                while (i < text.length() && isWordChar(text.charAt(i))) {
                    i++;
                }
                add(Kind.WORD, start, i, null);
            } else if (c == '\'' || c == '"') {
                i = scanString(i);
            } else {
                i = scanSymbol(i);
            }
        }
        add(Kind.EOF, text.length(), text.length(), null);
    }

    private static boolean isWordChar(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_';
    }

    private int scanString(int start) {
        char quote = text.charAt(start);
        StringBuilder value = new StringBuilder();
        int i = start + 1;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length()) {
                char escaped = text.charAt(i + 1);
                if (escaped != quote) {
                    value.append('\\');
                }
                value.append(escaped);
                i += 2;
            } else if (c == quote) {
                add(Kind.STRING, start, i + 1, value.toString());
                return i + 1;
            } else {
                value.append(c);
                i++;
            }
        }
        throw error("unterminated string literal", start);
    }

    private int scanSymbol(int start) {
        char c = text.charAt(start);
        char following = start + 1 < text.length() ? text.charAt(start + 1) : 0;
        Kind kind;
        int length = 1;
        switch (c) {
            case '(': kind = Kind.LPAREN; break;
            case ')': kind = Kind.RPAREN; break;
            case ',': kind = Kind.COMMA; break;
            case '+': kind = Kind.PLUS; break;
            case '-': kind = Kind.MINUS; break;
            case '*': kind = Kind.STAR; break;
            case '/': kind = Kind.SLASH; break;
            case '%': kind = Kind.PERCENT; break;
            case '=': kind = Kind.EQ; break;
            case '!':
                if (following != '=') {
                    throw error("unexpected '!' (not equal is != or <>)", start);
                }
                kind = Kind.NE;
                length = 2;
                break;
            case '<':
                kind = following == '=' ? Kind.LE : following == '>' ? Kind.NE : Kind.LT;
                length = kind == Kind.LT ? 1 : 2;
                break;
            case '>':
                kind = following == '=' ? Kind.GE : Kind.GT;
                length = kind == Kind.GT ? 1 : 2;
                break;
            default:
                throw error("unexpected character '" + new String(Character.toChars(text.codePointAt(start))) + "'", start);
        }
        add(kind, start, start + length, null);
        return start + length;
    }

    private void add(Kind kind, int start, int end, String value) {
        tokens.add(new Token(kind, text.substring(start, end), value, start, end));
    }

    // ---- parsing, loosest binding first

    private Node expression() {
        Node left = comparison();
        while (logicOp(peek()) != null) {
            Token opToken = peek();
            LogicOp op = logicOp(opToken);
            List<Node> operands = new ArrayList<>();
            operands.add(left);
            while (logicOp(peek()) == op) {
                next();
                operands.add(comparison());
            }
            left = bounded(new Operators.Logic(op, operands), opToken);
        }
        return left;
    }

    private static LogicOp logicOp(Token token) {
        if (token.isKeyword("AND")) {
            return LogicOp.AND;
        }
        if (token.isKeyword("OR")) {
            return LogicOp.OR;
        }
        return token.isKeyword("XOR") ? LogicOp.XOR : null;
    }

    private Node comparison() {
        Node left = additive();
        while (true) {
            Token op = peek();
            switch (op.kind) {
                case EQ:
                case NE:
                    next();
                    left = bounded(new Operators.Equals(op.kind == Kind.NE, left, additive()), op);
                    break;
                case LT:
                case LE:
                case GT:
                case GE:
                    next();
                    left = bounded(new Operators.Compare(compareOp(op.kind), left, additive()), op);
                    break;
                default:
                    return left;
            }
        }
    }

    private static CompareOp compareOp(Kind kind) {
        switch (kind) {
            case LT:
                return CompareOp.LESS;
            case LE:
                return CompareOp.LESS_OR_EQUAL;
            case GT:
                return CompareOp.GREATER;
            default:
                return CompareOp.GREATER_OR_EQUAL;
        }
    }

    private Node additive() {
        Node left = multiplicative();
        while (peek().kind == Kind.PLUS || peek().kind == Kind.MINUS) {
            Token op = next();
            ArithmeticOp arithmetic = op.kind == Kind.PLUS ? ArithmeticOp.ADD : ArithmeticOp.SUBTRACT;
            left = bounded(new Operators.Arithmetic(arithmetic, left, multiplicative()), op);
        }
        return left;
    }

    private Node multiplicative() {
        Node left = postfix();
        while (peek().kind == Kind.STAR || peek().kind == Kind.SLASH || peek().kind == Kind.PERCENT) {
            Token op = next();
            ArithmeticOp arithmetic = op.kind == Kind.STAR ? ArithmeticOp.MULTIPLY
                    : op.kind == Kind.SLASH ? ArithmeticOp.DIVIDE : ArithmeticOp.MODULO;
            left = bounded(new Operators.Arithmetic(arithmetic, left, postfix()), op);
        }
        return left;
    }

    private Node postfix() {
        Node operand = unary();
        while (true) {
            Token op = peek();
            boolean negated = op.isKeyword("NOT");
            if (negated) {
                Token after = peekAfter();
                if (!after.isKeyword("LIKE") && !after.isKeyword("IN")) {
                    throw error("expected LIKE or IN after NOT", after.start);
                }
                next();
            }
            Token keyword = peek();
            if (keyword.isKeyword("LIKE")) {
                next();
                Token pattern = next();
                if (pattern.kind != Kind.STRING) {
                    throw error("expected a string literal after LIKE", pattern.start);
                }
                operand = bounded(new Operators.Like(operand, LikePattern.compile(pattern.value), negated), op);
            } else if (keyword.isKeyword("IN")) {
                next();
                expect(Kind.LPAREN, "expected '(' after IN");
                enter(keyword);
                List<Node> elements = arguments(false);
                depth--;
                operand = bounded(new Operators.In(operand, elements, negated), op);
            } else {
                return operand;
            }
        }
    }

    private Node unary() {
        Token op = peek();
        if (op.isKeyword("NOT")) {
            next();
            return bounded(new Operators.Not(nested(op)), op);
        }
        if (op.kind == Kind.MINUS || op.kind == Kind.PLUS) {
            next();
            Token digits = peek();
            if (digits.kind == Kind.WORD && digits.start == op.end && isDigits(digits.text)) {
                next();
                return integerLiteral(op.kind == Kind.MINUS ? "-" + digits.text : digits.text, op.start);
            }
            if (op.kind == Kind.PLUS) {
                throw error("unexpected '+'", op.start);
            }
            return bounded(new Operators.Negate(nested(op)), op);
        }
        return primary();
    }

    private Node nested(Token op) {
        enter(op);
        Node operand = unary();
        depth--;
        return operand;
    }

    private Node primary() {
        Token token = next();
        switch (token.kind) {
            case STRING:
                return new Literal(token.value);
            case LPAREN: {
                enter(token);
                Node inner = expression();
                depth--;
                expect(Kind.RPAREN, "expected ')'");
                return inner;
            }
            case WORD:
                return word(token);
            case EOF:
                throw error("expected an expression", token.start);
            default:
                throw error("unexpected " + describe(token), token.start);
        }
    }

    private Node word(Token token) {
        if (isDigits(token.text)) {
            return integerLiteral(token.text, token.start);
        }
        String upper = token.text.toUpperCase(Locale.ROOT);
        switch (upper) {
            case "TRUE":
                return new Literal(Boolean.TRUE);
            case "FALSE":
                return new Literal(Boolean.FALSE);
            case "EXISTS": {
                Token name = next();
                if (name.kind != Kind.WORD || isKeyword(name) || isDigits(name.text)) {
                    throw error("expected an attribute name after EXISTS", name.start);
                }
                return new Operators.Exists(identifier(name));
            }
            case "AND":
            case "OR":
            case "XOR":
            case "NOT":
            case "LIKE":
            case "IN":
                throw error("unexpected " + upper, token.start);
            default:
                break;
        }
        if (peek().kind == Kind.LPAREN) {
            return call(token, upper);
        }
        return new AttributeRef(identifier(token));
    }

    private Node call(Token name, String upper) {
        if (!upper.matches("[A-Z][A-Z_]*")) {
            throw error("invalid function name '" + name.text + "' (letters and '_' only)", name.start);
        }
        next();
        enter(name);
        List<Node> args = arguments(true);
        depth--;
        Node call = Functions.resolve(upper, args);
        if (call == null) {
            if (missingFunction == null) {
                missingFunction = error("unknown function " + upper + " with " + args.size()
                        + (args.size() == 1 ? " argument" : " arguments"), name.start);
            }
            call = new Functions.Missing(args);
        }
        return bounded(call, name);
    }

    /** Comma-separated expressions up to ')', after the '(' was read. */
    private List<Node> arguments(boolean mayBeEmpty) {
        List<Node> args = new ArrayList<>();
        if (mayBeEmpty && peek().kind == Kind.RPAREN) {
            next();
            return args;
        }
        while (true) {
            args.add(expression());
            Token separator = next();
            if (separator.kind == Kind.RPAREN) {
                return args;
            }
            if (separator.kind != Kind.COMMA) {
                throw error("expected ',' or ')'", separator.start);
            }
        }
    }

    private String identifier(Token token) {
        for (int i = 0; i < token.text.length(); i++) {
            if (token.text.charAt(i) == '_') {
                throw error("invalid attribute name '" + token.text + "' (letters and digits only)", token.start);
            }
        }
        return token.text.toLowerCase(Locale.ROOT);
    }

    private Node integerLiteral(String digits, int start) {
        long value = Casts.parseInt(digits);
        if (value == Casts.NOT_AN_INT) {
            throw error("integer literal " + digits + " does not fit in 32 bits", start);
        }
        return new Literal((int) value);
    }

    // ---- helpers

    private Node bounded(Node node, Token at) {
        if (node.height > MAX_DEPTH) {
            throw error("expression nested more than " + MAX_DEPTH + " levels deep", at.start);
        }
        return node;
    }

    private void enter(Token at) {
        if (++depth > MAX_DEPTH) {
            throw error("expression nested more than " + MAX_DEPTH + " levels deep", at.start);
        }
    }

    private void expect(Kind kind, String message) {
        Token token = next();
        if (token.kind != kind) {
            throw error(message, token.start);
        }
    }

    private Token peek() {
        return tokens.get(next);
    }

    private Token peekAfter() {
        return tokens.get(Math.min(next + 1, tokens.size() - 1));
    }

    private Token next() {
        Token token = tokens.get(next);
        if (token.kind != Kind.EOF) {
            next++;
        }
        return token;
    }

    private static boolean isKeyword(Token token) {
        return KEYWORDS.contains(token.text.toUpperCase(Locale.ROOT));
    }

    private static boolean isDigits(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return !s.isEmpty();
    }

    private static String describe(Token token) {
        return token.kind == Kind.EOF ? "end of input" : "'" + token.text + "'";
    }

    private FilterSyntaxException error(String reason, int charIndex) {
        return new FilterSyntaxException(reason, text.codePointCount(0, charIndex));
    }
}

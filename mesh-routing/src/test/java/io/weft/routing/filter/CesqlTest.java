package io.weft.routing.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What the TCK leaves out: syntax errors and their positions, precedence, bounds, and corners of the semantics. */
class CesqlTest {
    private static final Attributes EVENT = MapAttributes.of(Map.of(
            "specversion", "1.0", "id", "e1", "source", "/orders", "type", "com.example.created",
            "amount", 150, "flag", true, "region", "eu-west", "count", "42", "emoji", "a\uD83D\uDE00b"));

    private static CesqlExpression.Result eval(String expression) {
        return Cesql.parse(expression).evaluate(EVENT);
    }

    private static void assertValue(Object expected, String expression) {
        CesqlExpression.Result result = eval(expression);
        assertEquals(expected, result.value(), expression);
        assertNull(result.error(), expression);
    }

    private static void assertError(Object expected, CesqlErrorKind error, String expression) {
        CesqlExpression.Result result = eval(expression);
        assertEquals(expected, result.value(), expression);
        assertEquals(error, result.error(), expression);
    }

    private static FilterSyntaxException syntaxError(String expression) {
        return assertThrows(FilterSyntaxException.class, () -> Cesql.parse(expression), expression);
    }

    // ---- syntax errors: reason and 0-based position

    /** Pairs: expression, message. */
    private static final List<String> SYNTAX_ERRORS = List.of(
            "(amount > 1 AND flag", "expected ')' at position 20",
            "", "expected an expression at position 0",
            "ABC(", "expected an expression at position 4",
            "amount >", "expected an expression at position 8",
            "amount > 1)", "unexpected ')' at position 10",
            "type LIKE 123", "expected a string literal after LIKE at position 10",
            "type LIKE type", "expected a string literal after LIKE at position 10",
            "type IN ()", "unexpected ')' at position 9",
            "type IN 'a'", "expected '(' after IN at position 8",
            "type IN ('a' 'b')", "expected ',' or ')' at position 13",
            "type NOT 'a'", "expected LIKE or IN after NOT at position 9",
            "'abc", "unterminated string literal at position 0",
            "type = 'it\\'s", "unterminated string literal at position 7",
            "2147483648", "integer literal 2147483648 does not fit in 32 bits at position 0",
            "-2147483649", "integer literal -2147483649 does not fit in 32 bits at position 0",
            "amount == 1", "unexpected '=' at position 8",
            "amount ! 1", "unexpected '!' (not equal is != or <>) at position 7",
            "amount > 1 AND", "expected an expression at position 14",
            "AND amount", "unexpected AND at position 0",
            "EXISTS 'id'", "expected an attribute name after EXISTS at position 7",
            "EXISTS AND", "expected an attribute name after EXISTS at position 7",
            "my_attr = 1", "invalid attribute name 'my_attr' (letters and digits only) at position 0",
            "LOG10(amount)", "invalid function name 'LOG10' (letters and '_' only) at position 0",
            "amount # 1", "unexpected character '#' at position 7",
            "'\uD83D\uDE00' = x #", "unexpected character '#' at position 8",
            "+'5'", "unexpected '+' at position 0",
            "'a' 'b'", "unexpected ''b'' at position 4",
            // The EBNF of section 2.2 has only the backslash escape: '' is two literals side by side.
            "'a''b'", "unexpected ''b'' at position 3");

    static Stream<Arguments> syntaxErrors() {
        return IntStream.range(0, SYNTAX_ERRORS.size() / 2)
                .mapToObj(i -> Arguments.of(SYNTAX_ERRORS.get(2 * i), SYNTAX_ERRORS.get(2 * i + 1)));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("syntaxErrors")
    void syntaxErrorsSayWhatAndWhere(String expression, String message) {
        FilterSyntaxException e = syntaxError(expression);
        assertEquals(message, e.getMessage());
        assertEquals(message.substring(0, message.lastIndexOf(" at position ")), e.reason());
        assertEquals(Integer.parseInt(message.substring(message.lastIndexOf(' ') + 1)), e.position());
    }

    // ---- lexical rules

    @Test
    void keywordsAndFunctionNamesInAnyCaseIdentifiersFoldedToLowerCase() {
        assertValue(true, "exists AMOUNT and Amount > 100 AnD NoT FaLsE");
        assertValue(3, "length('abc') ");
        assertValue("EU-WEST", "Upper(REGION)");
        assertValue(true, "region NOT like 'us%' and region not IN ('us-east')");
    }

    @Test
    void whitespaceIsSpacesTabsAndLineBreaks() {
        assertValue(true, "amount\t>\r\n100\n");
        assertValue(6, "LENGTH ( 'abc' ) * 2");
    }

    @Test
    void stringEscapesKeepEveryBackslashButTheOneBeforeTheDelimiter() {
        assertValue("it's", "'it\\'s'");
        assertValue("say \"hi\"", "\"say \\\"hi\\\"\"");
        assertValue("a\\\"b", "'a\\\"b'");
        assertValue("a\\nb", "'a\\nb'");
        assertValue("a\\\\", "'a\\\\'");
        assertValue(4, "LENGTH('a\\\\b')");
    }

    @Test
    void signedIntegerLiteralsAndUnaryMinus() {
        assertValue(-2147483648, "-2147483648");
        assertValue(5, "+5");
        assertValue(-5, "- 5");
        assertValue(3, "4 -1");
        assertValue(5, "4 - -1");
        assertValue(10, "--10");
        assertValue(-150, "-amount");
        assertValue(7, "007");
    }

    @Test
    void identifiersMayStartWithADigit() {
        Attributes event = MapAttributes.of(Map.of("1st", "x"));
        assertEquals(new CesqlExpression.Result(true, null), Cesql.parse("1st = 'x'").evaluate(event));
    }

    // ---- precedence and grouping

    @Test
    void arithmeticBindsTighterThanComparisonThanLogic() {
        assertValue(14, "2 + 3 * 4");
        assertValue(2, "7 - 3 - 2");
        assertValue(2, "20 / 5 / 2");
        assertValue(true, "1 + 1 = 2 AND 2 * 2 = 4");
        assertValue(true, "1 < 2 = TRUE");
    }

    @Test
    void unaryOperatorsBindTighterThanLikeAndIn() {
        // Section 3.6: unary operators before LIKE and IN, as in the ANTLR grammar.
        assertError(false, CesqlErrorKind.CAST, "NOT region LIKE 'eu%'");
        assertValue(false, "region NOT LIKE 'eu%'");
        assertValue(true, "NOT (region LIKE 'us%')");
        assertValue(true, "-amount IN (-150)");
        assertValue(true, "NOT EXISTS subject");
    }

    @Test
    void likeAndInBindTighterThanArithmetic() {
        // 1 + ('a' LIKE 'a') and 1 + (1 IN (2)): the Boolean casts to 1 and 0
        assertValue(2, "1 + 'a' LIKE 'a'");
        assertValue(1, "1 + 1 IN (2)");
    }

    @Test
    void mixedLogicGroupsLeftToRight() {
        // (TRUE OR FALSE) AND FALSE; right-associative grouping would give TRUE.
        assertValue(false, "TRUE OR FALSE AND FALSE");
        // (FALSE AND FALSE) OR TRUE
        assertValue(true, "FALSE AND FALSE OR TRUE");
        // (TRUE XOR TRUE) OR TRUE
        assertValue(true, "TRUE XOR TRUE OR TRUE");
        assertValue(false, "TRUE XOR TRUE XOR FALSE");
        assertValue(true, "TRUE XOR TRUE XOR TRUE");
    }

    // ---- evaluation

    @Test
    void andOrShortCircuitLeftToRightAndKeepTheFirstError() {
        assertValue(false, "FALSE AND missing");
        assertValue(true, "TRUE OR missing");
        assertError(false, CesqlErrorKind.MISSING_ATTRIBUTE, "TRUE AND missing AND 1 / 0 = 1");
        assertError(false, CesqlErrorKind.MATH, "1 / 0 = 1 OR missing");
        assertError(false, CesqlErrorKind.MISSING_ATTRIBUTE, "FALSE XOR missing");
    }

    @Test
    void anErrorGivesTheZeroValueOfTheEnclosingOperator() {
        assertError(false, CesqlErrorKind.MISSING_ATTRIBUTE, "missing != 1");
        assertError(false, CesqlErrorKind.MISSING_ATTRIBUTE, "missing NOT IN (1, 2)");
        assertError(false, CesqlErrorKind.MISSING_ATTRIBUTE, "missing NOT LIKE 'x'");
        assertError("", CesqlErrorKind.MISSING_ATTRIBUTE, "UPPER(missing)");
        assertError(0, CesqlErrorKind.MATH, "ABS(-2147483648) + 1");
        assertError(2147483647, CesqlErrorKind.MATH, "ABS(-2147483648)");
        assertError("", CesqlErrorKind.FUNCTION_EVALUATION, "CONCAT(LEFT('abc', -1), 'x')");
        assertError(false, CesqlErrorKind.MISSING_FUNCTION, "NOSUCH(1)");
        assertError(false, CesqlErrorKind.MISSING_FUNCTION, "LENGTH('a', 'b')");
    }

    @Test
    void integerOverflowIsAMathError() {
        assertError(0, CesqlErrorKind.MATH, "2147483647 + 1");
        assertError(0, CesqlErrorKind.MATH, "-2147483648 - 1");
        assertError(0, CesqlErrorKind.MATH, "65536 * 65536");
        assertError(0, CesqlErrorKind.MATH, "-2147483648 / -1");
        assertError(0, CesqlErrorKind.MATH, "-(-2147483648)");
        assertValue(0, "-2147483648 % -1");
        assertValue(-1, "-7 % 3");
        assertValue(-2, "-7 / 3");
    }

    @Test
    void castsFollowSection37() {
        assertValue(true, "count = 42");
        assertValue(true, "count > 41");
        assertValue(true, "amount = '150'");
        assertValue(false, "amount = '0150'");
        assertValue(true, "'0150' = amount");
        assertValue(true, "flag = 'true'");
        assertValue(true, "'TRUE' = flag");
        assertValue(150, "INT('+150')");
        assertError(0, CesqlErrorKind.CAST, "INT(' 150')");
        assertError(0, CesqlErrorKind.CAST, "INT('2147483648')");
        assertValue(-2147483648, "INT('-2147483648')");
        assertError(false, CesqlErrorKind.CAST, "BOOL('yes')");
        assertValue(true, "BOOL('True')");
        assertError(false, CesqlErrorKind.CAST, "region = 5");
        assertError(false, CesqlErrorKind.CAST, "NOT region");
    }

    @Test
    void equalsTakesTheTypeOfARightAttributeAtRuntime() {
        assertValue(true, "'150' = amount");
        assertValue(true, "42 = count");
        assertValue(false, "'042' = count");
        assertValue(true, "1 = flag");
        assertValue(true, "'True' = flag");
        assertError(false, CesqlErrorKind.CAST, "'yes' = flag");
        assertError(false, CesqlErrorKind.MISSING_ATTRIBUTE, "1 = missing");
    }

    @Test
    void inCastsEveryElementToTheLeftTypeAndReadsThemAll() {
        assertValue(true, "amount IN ('150', '151')");
        assertError(false, CesqlErrorKind.CAST, "amount IN (150, 'x')");
        assertError(false, CesqlErrorKind.CAST, "amount IN ('x', 150)");
        assertValue(true, "count IN (41, 42)");
        assertValue(true, "flag IN (1)");
        assertValue(true, "region IN (type, 'eu-west')");
        assertError(false, CesqlErrorKind.MISSING_ATTRIBUTE, "region IN (missing, 'eu-west')");
        assertValue(true, "type IN ('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'com.example.created')");
    }

    @Test
    void likeTreatsOnlyPercentAndUnderscoreAsWildcards() {
        assertValue(true, "region LIKE 'eu-%'");
        assertValue(true, "region LIKE '%west'");
        assertValue(true, "region LIKE '%-%'");
        assertValue(true, "region LIKE 'e_-w%t'");
        assertValue(false, "region LIKE 'EU-%'");
        assertValue(true, "'a.b' LIKE 'a.b'");
        assertValue(false, "'axb' LIKE 'a.b'");
        assertValue(true, "'[x]' LIKE '[_]'");
        assertValue(true, "'' LIKE '%'");
        assertValue(false, "'' LIKE '_'");
        assertValue(true, "'aaa' LIKE '%a%a%a%'");
        assertValue(false, "'aa' LIKE '%a%a%a%'");
        assertValue(true, "'100%' LIKE '100\\%'");
        assertValue(false, "'1000' LIKE '100\\%'");
        assertValue(true, "'a\\b' LIKE 'a\\b'");
        assertValue(true, "'a\\%' LIKE 'a\\\\%'");
        assertValue(true, "emoji LIKE 'a_b'");
        assertValue(true, "amount LIKE '1_0'");
    }

    @Test
    void stringFunctionsCountUnicodeCharacters() {
        assertValue(3, "LENGTH(emoji)");
        assertValue("a\uD83D\uDE00", "LEFT(emoji, 2)");
        assertValue("\uD83D\uDE00b", "RIGHT(emoji, 2)");
        assertValue("\uD83D\uDE00", "SUBSTRING(emoji, 2, 1)");
        assertValue("\uD83D\uDE00b", "SUBSTRING(emoji, -2)");
    }

    @Test
    void substringCorners() {
        assertValue("f", "SUBSTRING('abcdef', 6)");
        assertValue("abcdef", "SUBSTRING('abcdef', -6)");
        assertValue("def", "SUBSTRING('abcdef', 4, 2147483647)");
        assertError("", CesqlErrorKind.FUNCTION_EVALUATION, "SUBSTRING('abcdef', 2, -1)");
        assertError("", CesqlErrorKind.FUNCTION_EVALUATION, "SUBSTRING('abcdef', 0, -1)");
        assertValue("", "SUBSTRING('abcdef', 2, 0)");
        assertError("", CesqlErrorKind.FUNCTION_EVALUATION, "SUBSTRING('', 1)");
    }

    @Test
    void trimRemovesUnicodeWhiteSpaceOnly() {
        assertValue("x", "TRIM('\u00A0\u2003x\u3000\t')");
        // U+001F is a control character, not White_Space (Java's isWhitespace would strip it).
        assertValue("\u001Fx", "TRIM('\u001Fx ')");
    }

    @Test
    void concatAndCasing() {
        assertValue("150-true-eu-west", "CONCAT_WS('-', amount, flag, region)");
        assertValue("", "CONCAT_WS('-')");
        assertValue("150true", "CONCAT(amount, flag)");
        assertValue("istanbul", "LOWER('ISTANBUL')");
    }

    @Test
    void existsIsTrueForRequiredAttributesEvenWhenTheCallerLeftThemOut() {
        Attributes empty = MapAttributes.of(Map.of());
        assertTrue(Cesql.parse("EXISTS id AND EXISTS source AND EXISTS specversion AND EXISTS type").test(empty));
        assertFalse(Cesql.parse("EXISTS subject").test(empty));
        assertEquals(CesqlErrorKind.MISSING_ATTRIBUTE, Cesql.parse("id").evaluate(empty).error());
    }

    @Test
    void aBareMissingAttributeIsFalseWithAnError() {
        assertError(false, CesqlErrorKind.MISSING_ATTRIBUTE, "subject");
        assertValue(150, "amount");
    }

    // ---- test(): Boolean true without error only

    @Test
    void testPassesOnlyBooleanTrueWithoutError() {
        assertTrue(Cesql.parse("amount > 100").test(EVENT));
        assertFalse(Cesql.parse("amount > 200").test(EVENT));
        assertTrue(Cesql.parse("flag").test(EVENT));
        assertFalse(Cesql.parse("count").test(EVENT), "an attribute that is not a Boolean");
        assertFalse(Cesql.parse("'true'").test(EVENT), "a String");
        assertFalse(Cesql.parse("1").test(EVENT), "an Integer");
        assertFalse(Cesql.parse("NOT (missing = 1)").test(EVENT));
        assertFalse(Cesql.parse("LENGTH(missing) = 0").test(EVENT));
        assertFalse(Cesql.parse("TRUE OR TRUE AND missing").test(EVENT));
        assertTrue(Cesql.parse("TRUE OR missing").test(EVENT));
    }

    @Test
    void parseFilterRejectsWhatCouldNeverPass() {
        FilterSyntaxException unknown = assertThrows(FilterSyntaxException.class,
                () -> Cesql.parseFilter("amount > 1 AND nosuch(type, 2)"));
        assertEquals("unknown function NOSUCH with 2 arguments at position 15", unknown.getMessage());
        assertEquals("unknown function CONCAT_WS with 0 arguments at position 0",
                assertThrows(FilterSyntaxException.class, () -> Cesql.parseFilter("CONCAT_WS() = ''")).getMessage());
        assertEquals("the expression gives an Integer, a filter needs a Boolean at position 0",
                assertThrows(FilterSyntaxException.class, () -> Cesql.parseFilter("amount + 1")).getMessage());
        assertEquals("the expression gives a String, a filter needs a Boolean at position 0",
                assertThrows(FilterSyntaxException.class, () -> Cesql.parseFilter("UPPER(type)")).getMessage());
        assertTrue(Cesql.parseFilter("flag").test(EVENT));
    }

    // ---- bounds, identity

    @Test
    void nestingIsBounded() {
        int limit = CesqlParser.MAX_DEPTH;
        assertValue(true, "(".repeat(limit - 1) + "TRUE" + ")".repeat(limit - 1));
        FilterSyntaxException parens = syntaxError("(".repeat(10_000) + "TRUE" + ")".repeat(10_000));
        assertEquals("expression nested more than 64 levels deep", parens.reason());
        assertEquals(limit, parens.position());
        assertEquals("expression nested more than 64 levels deep", syntaxError("NOT ".repeat(10_000) + "TRUE").reason());
        assertEquals("expression nested more than 64 levels deep", syntaxError("1" + " + 1".repeat(100)).reason());
        assertEquals("expression nested more than 64 levels deep",
                syntaxError("1 IN (".repeat(10_000) + "1" + ")".repeat(10_000)).reason());
    }

    @Test
    void longLogicChainsStayShallow() {
        String chain = "amount = 1" + " OR amount = 1".repeat(1000) + " OR amount = 150";
        assertTrue(Cesql.parse(chain).test(EVENT));
    }

    @Test
    void expressionsAreEqualByText() {
        assertEquals(Cesql.parse("amount > 1"), Cesql.parse("amount > 1"));
        assertEquals(Cesql.parse("amount > 1").hashCode(), Cesql.parse("amount > 1").hashCode());
        assertNotEquals(Cesql.parse("amount > 1"), Cesql.parse("amount>1"));
        assertEquals("amount>1", Cesql.parse("amount>1").text());
    }
}

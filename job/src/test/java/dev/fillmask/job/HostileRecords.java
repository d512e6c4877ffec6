package dev.fillmask.job;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Bad and strange records of every kind issue 6 names, each with a name for the report: not JSON, truncated JSON,
 * JSON of every wrong type, invalid UTF-8, empty and null values, a 10 MB value, a 100,000-character text, 1,000
 * masks, 50,000 targets, bad top_k values, deep nesting, control, right-to-left and combining characters, emoji.
 * Some are valid requests in hostile clothing; the test decides by the reference answers, not by this list.
 */
final class HostileRecords {
    private HostileRecords() {}

    /** Name -> value (null = tombstone). */
    static Map<String, byte[]> all() {
        Map<String, byte[]> r = new LinkedHashMap<>();
        r.put("not JSON", utf8("hello there"));
        r.put("lone brace", utf8("{"));
        r.put("reversed braces", utf8("}{"));
        r.put("truncated JSON", utf8("{\"inputs\": \"Paris is the [MASK"));
        r.put("truncated array", utf8("[1, 2"));
        r.put("JSON null", utf8("null"));
        r.put("JSON number", utf8("42"));
        r.put("JSON string", utf8("\"Paris is the [MASK] of France.\""));
        r.put("JSON array", utf8("[{\"inputs\": \"a [MASK]\"}]"));
        r.put("JSON boolean", utf8("true"));
        r.put("inputs null", utf8("{\"inputs\": null}"));
        r.put("inputs number", utf8("{\"inputs\": 1}"));
        r.put("inputs array", utf8("{\"inputs\": [\"a [MASK]\"]}"));
        r.put("inputs object", utf8("{\"inputs\": {}}"));
        r.put("inputs missing", utf8("{\"text\": \"a [MASK]\"}"));
        r.put("parameters number", utf8("{\"inputs\": \"a [MASK]\", \"parameters\": 5}"));
        r.put("top_k string", utf8("{\"inputs\": \"a [MASK]\", \"parameters\": {\"top_k\": \"5\"}}"));
        r.put("top_k negative", utf8("{\"inputs\": \"a [MASK]\", \"parameters\": {\"top_k\": -1}}"));
        r.put("top_k zero", utf8("{\"inputs\": \"a [MASK]\", \"parameters\": {\"top_k\": 0}}"));
        r.put("top_k huge", utf8("{\"inputs\": \"a [MASK]\", \"parameters\": {\"top_k\": 1000000000000}}"));
        r.put("top_k beyond long", utf8("{\"inputs\": \"a [MASK]\", \"parameters\": {\"top_k\": 99999999999999999999999}}"));
        r.put("top_k fraction", utf8("{\"inputs\": \"a [MASK]\", \"parameters\": {\"top_k\": 2.5}}"));
        r.put("top_k above vocabulary", utf8("{\"inputs\": \"a [MASK]\", \"parameters\": {\"top_k\": 40000}}"));
        r.put("targets string", utf8("{\"inputs\": \"a [MASK]\", \"parameters\": {\"targets\": \"capital\"}}"));
        r.put("targets numbers", utf8("{\"inputs\": \"a [MASK]\", \"parameters\": {\"targets\": [1, 2]}}"));
        r.put("targets with null", utf8("{\"inputs\": \"a [MASK]\", \"parameters\": {\"targets\": [null]}}"));
        r.put("invalid UTF-8", new byte[] {'{', '"', 'i', 'n', 'p', 'u', 't', 's', '"', ':', '"', (byte) 0xC3, (byte) 0x28,
                ' ', '[', 'M', 'A', 'S', 'K', ']', '"', '}'});
        r.put("lone continuation bytes", new byte[] {(byte) 0x80, (byte) 0xBF, (byte) 0xFE, (byte) 0xFF});
        r.put("empty value", new byte[0]);
        r.put("tombstone", null);
        r.put("10 MB value", utf8("{\"inputs\": \"" + "a ".repeat(5 << 20) + "[MASK]\"}"));
        r.put("100,000-character text", utf8("{\"inputs\": \"" + "x".repeat(100_000 - 7) + " [MASK]\"}"));
        r.put("100,001-character text", utf8("{\"inputs\": \"" + "x".repeat(100_001 - 7) + " [MASK]\"}"));
        r.put("1,000 masks", utf8("{\"inputs\": \"" + "[MASK] ".repeat(1000) + "\"}"));
        r.put("50,000 targets", utf8("{\"inputs\": \"a [MASK]\", \"parameters\": {\"targets\": ["
                + "\"word\",".repeat(49_999) + "\"word\"]}}"));
        r.put("deep nesting", utf8("{\"inputs\": \"a [MASK]\", \"parameters\": {\"x\": " + "[".repeat(10_000)
                + "]".repeat(10_000) + "}}"));
        r.put("control characters", utf8("{\"inputs\": \"Paris\\u0000 is\\u0007 the [MASK]\\u001b of France.\"}"));
        r.put("raw control character", utf8("{\"inputs\": \"Paris\u0001 is the [MASK].\"}"));
        r.put("right-to-left", utf8("{\"inputs\": \"\u0627\u0644\u0639\u0627\u0635\u0645\u0629 \u0647\u064a [MASK] \u05e9\u05dc\u05d5\u05dd\"}"));
        r.put("bidi overrides", utf8("{\"inputs\": \"\u202eParis is the [MASK] of France.\u202c\"}"));
        r.put("combining characters", utf8("{\"inputs\": \"The cafe\u0301 is in the [MASK] of town. Z\u0351\u0352\u0353\"}"));
        r.put("emoji", utf8("{\"inputs\": \"I love \uD83C\uDF55 and [MASK] \uD83D\uDC4D\uD83C\uDFFD.\"}"));
        r.put("lone surrogate escape", utf8("{\"inputs\": \"bad \\ud800 surrogate [MASK].\"}"));
        r.put("duplicate keys", utf8("{\"inputs\": \"a [MASK]\", \"inputs\": \"b [MASK]\"}"));
        r.put("no mask", utf8("{\"inputs\": \"There is no mask here.\"}"));
        r.put("only a mask", utf8("{\"inputs\": \"[MASK]\"}"));
        r.put("whitespace value", utf8("   \n\t  "));
        return r;
    }

    /** {@code count} good requests of different lengths, one or two masks. */
    static List<byte[]> good(int count) {
        List<byte[]> values = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String text = switch (i % 4) {
                case 0 -> "The weather today is [MASK] and the children number " + i + " play outside.";
                case 1 -> "She opened the [MASK] and found letter " + i + " inside.";
                case 2 -> "In the year " + (1900 + i) + " the [MASK] of the city was built near the [MASK].";
                default -> "Paris is the [MASK] of France.";
            };
            values.add(utf8("{\"inputs\": \"" + text + "\", \"parameters\": {\"top_k\": " + (1 + i % 5) + "}}"));
        }
        return values;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

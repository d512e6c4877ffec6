package dev.fillmask.schemas;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.Locale;

/** Small facts about JSON text that the request reader and the answer writer share. */
final class JsonText {
    private static final int SHOWN_VALUE_CHARS = 40;

    private JsonText() {}

    static String at(JsonLocation location) {
        if (location == null || location.getLineNr() < 1) {
            return "";
        }
        return " at line " + location.getLineNr() + " column " + location.getColumnNr();
    }

    /** "null", "true", "an array", "an object", "a string \"5\"", or the number as written (shortened). */
    static String describe(JsonNode node) {
        if (node == null) {
            return "nothing (the field is missing)";
        }
        if (node.isNull()) {
            return "null";
        }
        if (node.isBoolean()) {
            return node.asText();
        }
        if (node.isArray()) {
            return "an array";
        }
        if (node.isObject()) {
            return "an object";
        }
        if (node.isTextual()) {
            String text = node.textValue();
            String shown = text.length() > SHOWN_VALUE_CHARS ? text.substring(0, SHOWN_VALUE_CHARS) + "…" : text;
            return "a string \"" + escapeUnpairedSurrogates(
                    new String(JsonStringEncoder.getInstance().quoteAsString(shown))) + "\"";
        }
        if (node.isNumber()) {
            if ((node.isDouble() || node.isFloat()) && !Double.isFinite(node.doubleValue())) {
                return "a number too large to represent";
            }
            String text = node.asText();
            if (text.length() > SHOWN_VALUE_CHARS) {
                return text.substring(0, 20) + "… (a number of " + String.format(Locale.ROOT, "%,d", text.length())
                        + " characters)";
            }
            return text;
        }
        return node.getNodeType().toString().toLowerCase(Locale.ROOT);
    }

    /**
     * {@code text} with each unpaired surrogate written as its {@code \\uXXXX} escape: a message that quotes a
     * request must itself be valid Unicode, or the written answer would carry {@code ?} in its place.
     */
    static String escapeUnpairedSurrogates(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                out.append(c).append(text.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                out.append(String.format(Locale.ROOT, "\\u%04X", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** A message naming the first unpaired surrogate in {@code text}, or {@code null} if there is none. */
    static String unpairedSurrogate(String field, String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return String.format(Locale.ROOT,
                        "%s contains an unpaired surrogate \\u%04X at character %d: text must be valid Unicode",
                        field, (int) c, i);
            }
        }
        return null;
    }

    static boolean isJsonWhitespace(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return false;
            }
        }
        return true;
    }

    /** The number of bytes {@code text} takes in UTF-8 (an unpaired surrogate counted as 3). */
    static long utf8Length(String text) {
        long bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }
}

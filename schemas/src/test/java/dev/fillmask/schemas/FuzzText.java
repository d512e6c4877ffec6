package dev.fillmask.schemas;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Tuple;

import java.util.List;
import java.util.Locale;

/**
 * Text for fuzzing: words, masks where people put them (at the start, the end, inside words, side by side), and the
 * Unicode that breaks text handling: combining marks, right-to-left marks and scripts, zero-width characters, BOMs,
 * NUL and other controls, emoji (surrogate pairs, ZWJ sequences, flags, keycaps), noncharacters and, on request,
 * unpaired surrogates. Also how such text is written as a JSON string in every legal way.
 */
final class FuzzText {
    static final String MASK = "[MASK]";

    static final List<String> WORDS = List.of("Paris", "is", "the", "capital", "of", "France", "hello", "I'm", "a",
            "model", "don't", ".", ",", "?", "!", "'s", "caf\u00e9", "na\u00efve", "2024", "x", "e-mail");

    static final List<String> STRANGE = List.of(
            "\u0301", "e\u0301", "\u0308\u0308\u0308\u0308", "\u20DD",                       // combining marks
            "\u200F", "\u200E", "\u202E", "\u202B", "\u2066", "\u2069",                       // direction marks
            "\u05E9\u05DC\u05D5\u05DD", "\u0645\u0631\u062D\u0628\u0627", "\uFDFA",          // Hebrew, Arabic
            "\u200B", "\u200C", "\u200D", "\u2060", "\uFEFF",                                  // zero-width, BOM
            "\u0000", "\u0001", "\u0008", "\u001B", "\u001F", "\u007F", "\u0085", "\u2028", "\u2029", "\r\n",
            "\uD83D\uDE00", "\uD83D\uDC69\u200D\uD83D\uDC69\u200D\uD83D\uDC67",                // emoji, ZWJ family
            "\uD83C\uDDEB\uD83C\uDDF7", "\uD83D\uDC4D\uD83C\uDFFD", "1\uFE0F\u20E3",          // flag, skin tone, keycap
            "\u6771\u4EAC", "\u0E44\u0E17\u0E22", "\u0915\u094D\u0937", "\uD835\uDD18",      // CJK, Thai, Devanagari, math
            "\uFF3B\uFF2D\uFF21\uFF33\uFF2B\uFF3D", "[mask]", "[MASK", "MASK]", "[[MASK]]", "[MA\u200BSK]",
            "[CLS]", "[SEP]", "[PAD]", "[UNK]", "##ing",
            "\uFFFD", "\uFFFF", "\uFDD0", "\uE000", "\uDBFF\uDFFF",                            // specials, U+10FFFF
            "\\", "\"", "\\u0041", "/", "'", "\t", "\u00A0", "\u3000");

    /** Lone or misordered surrogates: not Unicode text, so never valid in a request. */
    static final List<String> UNPAIRED = List.of("\uD800", "\uDFFF", "\uDBFF", "\uDE00\uD83D", "a\uD83D");

    private FuzzText() {}

    /** One code point anywhere in Unicode except the surrogate range. */
    static Arbitrary<String> anyScalar() {
        return Arbitraries.integers().between(0, Character.MAX_CODE_POINT)
                .filter(cp -> cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE)
                .map(Character::toString);
    }

    /** Text of up to {@code maxPieces} pieces; {@code unpairedWeight} 0 keeps it valid Unicode. */
    static Arbitrary<String> text(int maxPieces, int unpairedWeight) {
        Arbitrary<String> piece = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.of(WORDS)),
                Tuple.of(5, Arbitraries.of(" ", " ", "  ", "\n")),
                Tuple.of(4, Arbitraries.just(MASK)),
                Tuple.of(5, Arbitraries.of(STRANGE)),
                Tuple.of(2, anyScalar()),
                Tuple.of(unpairedWeight, Arbitraries.of(UNPAIRED)));
        return piece.list().ofMaxSize(maxPieces).map(pieces -> String.join("", pieces));
    }

    static boolean hasUnpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    static int count(String text, String part) {
        int n = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length())) {
            n++;
        }
        return n;
    }

    /** How a string is written in JSON: only the escapes JSON requires, every non-ASCII escaped, or a mix. */
    enum Escapes { MINIMAL, ASCII_ONLY, EVERY_OTHER, SHORT_FORMS }

    /**
     * {@code s} as a JSON string literal. Unpaired surrogates cannot be UTF-8, so they are always written as
     * {@code \\uXXXX} escapes, as a client would send them.
     */
    static String quote(String s, Escapes escapes) {
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
            boolean escape = switch (escapes) {
                case MINIMAL, SHORT_FORMS -> false;
                case ASCII_ONLY -> c > 0x7E;
                case EVERY_OTHER -> i % 2 == 0;
            };
            if (c == '"' || c == '\\') {
                out.append(escape ? unicodeEscape(c) : "\\" + c);
            } else if (c < 0x20) {
                out.append(escapes == Escapes.SHORT_FORMS ? shortForm(c) : unicodeEscape(c));
            } else if (c == '/' && escapes == Escapes.SHORT_FORMS) {
                out.append("\\/");
            } else if (pair) {
                char low = s.charAt(++i);
                out.append(escape ? unicodeEscape(c) + unicodeEscape(low) : "" + c + low);
            } else if (Character.isSurrogate(c)) {
                out.append(unicodeEscape(c));
            } else {
                out.append(escape ? unicodeEscape(c) : String.valueOf(c));
            }
        }
        return out.append('"').toString();
    }

    private static String shortForm(char c) {
        return switch (c) {
            case '\b' -> "\\b";
            case '\f' -> "\\f";
            case '\n' -> "\\n";
            case '\r' -> "\\r";
            case '\t' -> "\\t";
            default -> unicodeEscape(c);
        };
    }

    private static String unicodeEscape(char c) {
        return String.format(Locale.ROOT, (c & 1) == 0 ? "\\u%04X" : "\\u%04x", (int) c);
    }
}

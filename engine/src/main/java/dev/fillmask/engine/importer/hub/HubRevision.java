package dev.fillmask.engine.importer.hub;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * A revision of a hub repository: a branch, a tag or a commit sha ({@code main} unless told). Branch names may hold
 * {@code /} (the hub's pull requests are {@code refs/pr/N}), so the revision is percent-encoded both in the URL (as
 * one path segment, like the hub's own client does) and as a folder name.
 */
public record HubRevision(String name) {
    public static final HubRevision MAIN = new HubRevision("main");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private static final int MAX_LENGTH = 255;

    public HubRevision {
        String problem = problem(name);
        if (problem != null) {
            throw new IllegalArgumentException("'" + name + "' is not a revision: " + problem);
        }
    }

    private static String problem(String name) {
        if (name == null || name.isEmpty()) {
            return "it is empty";
        }
        if (name.length() > MAX_LENGTH) {
            return "it is longer than " + MAX_LENGTH + " characters";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= ' ' || c >= 0x7f || "~^:?*[\\".indexOf(c) >= 0) {
                return "git revisions hold no spaces, control characters or any of ~^:?*[\\";
            }
        }
        if (name.startsWith("/") || name.endsWith("/") || name.contains("//") || name.contains("..")
                || name.startsWith(".") || name.contains("/.") || name.endsWith(".lock") || name.contains("@{")) {
            return "not a valid git branch, tag or commit name";
        }
        return null;
    }

    /** A full 40-digit commit sha names one state of the repository forever, so its download never goes stale. */
    public boolean isCommit() {
        return COMMIT.matcher(name).matches();
    }

    /** The revision as one URL path segment (and one folder name): everything but {@code A-Z a-z 0-9 . _ -} encoded. */
    public String encoded() {
        StringBuilder out = new StringBuilder();
        for (byte b : name.getBytes(StandardCharsets.US_ASCII)) {
            char c = (char) b;
            if (Character.isLetterOrDigit(c) || c == '.' || c == '_' || c == '-') {
                out.append(c);
            } else {
                out.append('%').append(String.format("%02X", b));
            }
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return name;
    }
}

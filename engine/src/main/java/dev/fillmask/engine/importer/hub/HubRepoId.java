package dev.fillmask.engine.importer.hub;

import java.util.regex.Pattern;

/**
 * A model repository on the Hugging Face hub, {@code namespace/name} (a user or an organisation, then the repository).
 * Checked against the hub's own rules for repository ids: letters, digits, {@code _ . -}, starting and ending with a
 * letter, digit or underscore, at most 96 characters per part, no {@code --} and no {@code ..}, not ending in
 * {@code .git}. The rules also make {@link #folderName()} unambiguous and safe as one folder name: it can never hold a
 * path separator, be {@code ..}, or be the folder name of another id.
 */
public record HubRepoId(String namespace, String name) {
    private static final Pattern PART = Pattern.compile("[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?");
    private static final int MAX_PART = 96;

    public HubRepoId {
        String problem = problem(namespace, name);
        if (problem != null) {
            throw new IllegalArgumentException("'" + namespace + "/" + name + "' is not a Hugging Face model id: " + problem);
        }
    }

    /** {@code org/name}; an error names the rule the text breaks. */
    public static HubRepoId parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0 || slash != text.lastIndexOf('/')) {
            throw new IllegalArgumentException("'" + text + "' is not a Hugging Face model id: it must be ORGANISATION/NAME,"
                    + " e.g. FacebookAI/xlm-roberta-base");
        }
        return new HubRepoId(text.substring(0, slash), text.substring(slash + 1));
    }

    /** Whether the text has the shape of a hub id, so a command can tell it from a folder or a built-in name. */
    public static boolean looksLike(String text) {
        int slash = text.indexOf('/');
        return slash > 0 && slash == text.lastIndexOf('/')
                && problem(text.substring(0, slash), text.substring(slash + 1)) == null;
    }

    private static String problem(String namespace, String name) {
        for (String part : new String[] {namespace, name}) {
            if (part == null || part.isEmpty()) {
                return "the organisation and the name must both be there";
            }
            if (part.length() > MAX_PART) {
                return "a part is longer than " + MAX_PART + " characters";
            }
            if (!PART.matcher(part).matches()) {
                return "only letters, digits, '_', '.' and '-' are allowed, and each part starts and ends with a letter,"
                        + " a digit or '_'";
            }
            if (part.contains("--") || part.contains("..")) {
                return "'--' and '..' are not allowed";
            }
        }
        if (name.endsWith(".git")) {
            return "it cannot end with .git";
        }
        return null;
    }

    /** {@code org--name}, the hub's own way to write an id as one folder name. */
    public String folderName() {
        return namespace + "--" + name;
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}

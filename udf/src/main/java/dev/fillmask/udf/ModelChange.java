package dev.fillmask.udf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An order to serve another model, as the control stream carries it to every subtask of the operator: the model (a
 * name its {@link ModelResolver} knows, or a folder) and, optionally, the version its files must have. A control
 * record that is no such order still becomes a {@code ModelChange}, one with {@link #invalid} saying why, so that the
 * operator answers it with a status record instead of failing the job.
 *
 * @param id what the status records of this change carry to match it (the control record's key), may be null
 * @param model the model to serve; null when invalid
 * @param version the version the model must have (its first 8 to 16 hex digits), or null for any
 * @param invalid why the control record is no order, or null
 */
public record ModelChange(String id, String model, String version, String invalid) implements Serializable {
    public static final String FIELD_MODEL = "model";
    public static final String FIELD_VERSION = "version";
    private static final Set<String> FIELDS = Set.of(FIELD_MODEL, FIELD_VERSION);
    private static final Pattern VERSION = Pattern.compile("[0-9a-f]{8,16}");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** An order to serve {@code model}, of {@code version} if not null. */
    public static ModelChange of(String id, String model, String version) {
        return new ModelChange(id, model, version, null);
    }

    /** A control record that is no order, and why. */
    public static ModelChange invalid(String id, String why) {
        return new ModelChange(id, null, null, why);
    }

    public boolean isValid() {
        return invalid == null;
    }

    /** Whether a model of {@code actualVersion} is what this change asks for. */
    public boolean acceptsVersion(String actualVersion) {
        return version == null || actualVersion.startsWith(version);
    }

    /**
     * The change a control record's value asks for: {@code {"model": "NAME or folder", "version": "..."}}, the version
     * optional. Never throws: what is not such an object is an {@link #invalid} change saying what is wrong.
     */
    public static ModelChange fromJson(String id, byte[] json) {
        if (json == null || json.length == 0) {
            return invalid(id, "the control record is empty; send {\"model\": \"NAME or folder\"}");
        }
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (IOException e) {
            return invalid(id, "the control record is not JSON (" + firstLine(e.getMessage()) + "); send "
                    + "{\"model\": \"NAME or folder\", \"version\": \"...\"}");
        }
        if (node == null || !node.isObject()) {
            return invalid(id, "the control record is not a JSON object; send {\"model\": \"NAME or folder\"}");
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                return invalid(id, "the control record has an unknown field '" + name + "'; known: "
                        + FIELD_MODEL + ", " + FIELD_VERSION);
            }
        }
        JsonNode model = node.get(FIELD_MODEL);
        if (model == null || !model.isTextual() || model.asText().isBlank()) {
            return invalid(id, "the control record has no \"" + FIELD_MODEL + "\" (a model name or folder, as a string)");
        }
        JsonNode version = node.get(FIELD_VERSION);
        String wanted = null;
        if (version != null && !version.isNull()) {
            wanted = version.isTextual() ? version.asText().trim().toLowerCase(Locale.ROOT) : null;
            if (wanted == null || !VERSION.matcher(wanted).matches()) {
                return invalid(id, "\"" + FIELD_VERSION + "\" must be the model's version as the answers' "
                        + "fill-mask.model.version header gives it (16 hex digits, or its first 8 or more), got "
                        + version);
            }
        }
        return of(id, model.asText().trim(), wanted);
    }

    /** This change as a control record's value (also how checkpoints keep it). */
    public byte[] toJson() {
        ObjectNode node = JSON.createObjectNode();
        node.put(FIELD_MODEL, model);
        if (version != null) {
            node.put(FIELD_VERSION, version);
        }
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int end = message.indexOf('\n');
        return end < 0 ? message : message.substring(0, end);
    }
}

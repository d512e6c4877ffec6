package dev.fillmask.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The contract's JSON Schema files (draft 2020-12), shipped as resources of this module under
 * {@value #RESOURCE_DIRECTORY}.
 *
 * <ul>
 *   <li>{@value #REQUEST}: one request.</li>
 *   <li>{@value #ANSWER}: the answer to a request that succeeded (single-mask array or multi-mask array of arrays).</li>
 *   <li>{@value #ERROR}: the answer to a request that failed, {@code {"error": "..."}}.</li>
 * </ul>
 * Each is self-contained (no references to other files).
 */
public final class ContractSchemas {

    /** The classpath folder that holds the schema files. */
    public static final String RESOURCE_DIRECTORY = "/dev/fillmask/schemas/";

    public static final String REQUEST = "fill-mask-request.schema.json";
    public static final String ANSWER = "fill-mask-answer.schema.json";
    public static final String ERROR = "fill-mask-error.schema.json";

    /** The {@code $id} of each file is this prefix followed by its file name. */
    public static final String ID_PREFIX = "https://fillmask.dev/schemas/v1/";

    private ContractSchemas() {
    }

    /** The file names of every schema: request, answer, error. */
    public static List<String> fileNames() {
        return List.of(REQUEST, ANSWER, ERROR);
    }

    /** The {@code $id} of one schema file. */
    public static String id(String fileName) {
        requireKnown(fileName);
        return ID_PREFIX + fileName;
    }

    /** The classpath resource path of one schema file, e.g. {@code /dev/fillmask/schemas/fill-mask-request.schema.json}. */
    public static String resourcePath(String fileName) {
        requireKnown(fileName);
        return RESOURCE_DIRECTORY + fileName;
    }

    /** Opens one schema file; the caller closes the stream. */
    public static InputStream open(String fileName) {
        InputStream in = ContractSchemas.class.getResourceAsStream(resourcePath(fileName));
        if (in == null) {
            throw new IllegalStateException("schema resource missing from the classpath: " + resourcePath(fileName));
        }
        return in;
    }

    /** One schema file's text. */
    public static String read(String fileName) {
        try (InputStream in = open(fileName)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read schema resource " + resourcePath(fileName), e);
        }
    }

    public static InputStream openRequestSchema() {
        return open(REQUEST);
    }

    public static InputStream openAnswerSchema() {
        return open(ANSWER);
    }

    public static InputStream openErrorSchema() {
        return open(ERROR);
    }

    private static void requireKnown(String fileName) {
        if (!fileNames().contains(fileName)) {
            throw new IllegalArgumentException("unknown schema " + fileName + "; known: " + fileNames());
        }
    }
}

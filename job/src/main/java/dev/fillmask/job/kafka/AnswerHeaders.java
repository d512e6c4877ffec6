package dev.fillmask.job.kafka;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The headers an answer carries: those of its request that the selection keeps ({@code --answer-headers}: all, none
 * or an allow-list), then two naming the model that made it. Headers the job writes itself are never copied from a
 * request, so that {@value #HEADER_MODEL} on an answer always names the model that answered. Whether the copied ones
 * fit the record is {@link KafkaRequests}'s decision; this class only says what they are.
 */
public final class AnswerHeaders implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The model folder's name ({@code bert-base-uncased} for the default model). */
    public static final String HEADER_MODEL = "fill-mask.model";
    /** What the folder holds: {@link dev.fillmask.engine.model.ModelVersion}. */
    public static final String HEADER_MODEL_VERSION = "fill-mask.model.version";
    /** Set when the request's headers were left out of the answer: their total size in bytes (keys and values). */
    public static final String HEADER_HEADERS_OMITTED = DeadLetterEncoder.HEADER_HEADERS_OMITTED;
    public static final String ALL = "all";
    public static final String NONE = "none";

    private static final Set<String> OWN = Set.of(HEADER_MODEL, HEADER_MODEL_VERSION, HEADER_HEADERS_OMITTED,
            RecordSizeLimit.HEADER_KEY_SHA256, RecordSizeLimit.HEADER_KEY_OMITTED);

    private final boolean all;
    /** Lower case; empty with {@link #all} false copies nothing. */
    private final Set<String> allowed;
    /** The headers of the model that answered last, made once per model rather than once per answer. */
    private transient Header[] lastModelHeaders;
    private transient String lastModel;
    private transient String lastVersion;

    private AnswerHeaders(boolean all, Set<String> allowed) {
        this.all = all;
        this.allowed = allowed;
    }

    /**
     * {@code selection} as the option gives it: {@value #ALL}, {@value #NONE} (or nothing), or header names separated
     * by commas, matched ignoring case, since bridges from HTTP change the case of header names.
     */
    public static AnswerHeaders of(String selection) {
        String trimmed = selection == null ? "" : selection.trim();
        if (trimmed.equalsIgnoreCase(ALL)) {
            return new AnswerHeaders(true, Set.of());
        }
        if (trimmed.equalsIgnoreCase(NONE)) {
            return new AnswerHeaders(false, Set.of());
        }
        Set<String> names = new LinkedHashSet<>();
        for (String name : trimmed.split(",")) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            if (n.equals(ALL) || n.equals(NONE)) {
                throw new IllegalArgumentException("--answer-headers: '" + name.trim() + "' stands alone, not in a list"
                        + " of header names: " + selection);
            }
            if (!n.isEmpty()) {
                names.add(n);
            }
        }
        return new AnswerHeaders(false, Set.copyOf(names));
    }

    /** The request's headers the answer carries, in their order, repeated keys included. */
    Header[] copied(KafkaRecord request) {
        if (request.headerKeys == null || (!all && allowed.isEmpty())) {
            return new Header[0];
        }
        List<Header> copied = new ArrayList<>(request.headerKeys.length);
        for (int i = 0; i < request.headerKeys.length; i++) {
            String key = request.headerKeys[i];
            if (!OWN.contains(key) && (all || allowed.contains(key.toLowerCase(Locale.ROOT)))) {
                copied.add(new RecordHeader(key, request.headerValues[i]));
            }
        }
        return copied.toArray(new Header[0]);
    }

    /** The headers naming the model {@code name} of {@code version}: the model that answered, maybe swapped in. */
    Header[] modelHeaders(String name, String version) {
        if (lastModelHeaders == null || !name.equals(lastModel) || !version.equals(lastVersion)) {
            lastModelHeaders = new Header[] {new RecordHeader(HEADER_MODEL, name.getBytes(StandardCharsets.UTF_8)),
                    new RecordHeader(HEADER_MODEL_VERSION, version.getBytes(StandardCharsets.US_ASCII))};
            lastModel = name;
            lastVersion = version;
        }
        return lastModelHeaders;
    }

    /** The header that stands in for {@code copied} when they are left out. */
    static Header omitted(Header[] copied) {
        long bytes = 0;
        for (Header h : copied) {
            bytes += h.key().getBytes(StandardCharsets.UTF_8).length + (h.value() == null ? 0 : h.value().length);
        }
        return new RecordHeader(HEADER_HEADERS_OMITTED, Long.toString(bytes).getBytes(StandardCharsets.US_ASCII));
    }

    static Header[] concat(Header[] first, Header... second) {
        Header[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }
}

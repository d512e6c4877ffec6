package dev.fillmask.engine;

import dev.fillmask.engine.model.Vocabulary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Turns a request's {@code targets} into token ids the way the Python pipeline does: the vocabulary entry when the
 * target is one, otherwise the FIRST token of the target tokenized without special tokens (with a warning); a target
 * that yields no token is dropped (with a warning); duplicates collapse.
 */
final class TargetResolver {
    private static final Logger LOG = LoggerFactory.getLogger(TargetResolver.class);
    private final Vocabulary vocabulary;
    private final MaskedLmTokenizer tokenizer;
    private final RateLimitedWarning warning = new RateLimitedWarning(LOG, 10_000);

    TargetResolver(Vocabulary vocabulary, MaskedLmTokenizer tokenizer) {
        this.vocabulary = vocabulary;
        this.tokenizer = tokenizer;
    }

    /** The distinct target ids, in first-seen order; empty when no target yields a token. */
    long[] resolve(List<String> targets) {
        Set<Long> ids = new LinkedHashSet<>();
        for (String target : targets) {
            Optional<Integer> known = vocabulary.idOf(target);
            if (known.isPresent()) {
                ids.add((long) known.get());
                continue;
            }
            long[] pieces = tokenizer.encodeWithoutSpecialTokens(target);
            if (pieces.length == 0) {
                warning.warn("The specified target token `{}` does not exist in the model vocabulary. "
                        + "We cannot replace it with anything meaningful, ignoring it", target);
                continue;
            }
            warning.warn("The specified target token `{}` does not exist in the model vocabulary. "
                    + "Replacing with token id {}.", target, pieces[0]);
            ids.add(pieces[0]);
        }
        return ids.stream().mapToLong(Long::longValue).toArray();
    }
}

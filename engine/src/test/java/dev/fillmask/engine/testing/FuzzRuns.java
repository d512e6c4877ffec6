package dev.fillmask.engine.testing;

import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

import java.util.concurrent.atomic.LongAdder;

/**
 * Run settings and the summary line of the fuzz properties (register with {@code @AddLifecycleHook(FuzzRuns.class)}).
 *
 * <p>{@code -Dfuzz.tries=N} replaces every fuzz property's tries, for long runs outside CI. {@code -Dfuzz.seed=S}
 * replays a run: each property's summary line (and jqwik's report) names the seed it ran with. Without them each run
 * draws new inputs.
 *
 * <p>The summary line is printed by the test itself so that docs/reliability.md can quote what a run really did:
 * requests generated, answers, error answers, and exceptions (any exception also fails the property).
 */
public final class FuzzRuns implements AroundPropertyHook {
    public static final String TRIES_PROPERTY = "fuzz.tries";
    public static final String SEED_PROPERTY = "fuzz.seed";

    private static volatile Tally current = new Tally();

    /** What the property now running has generated and answered. */
    public static Tally tally() {
        return current;
    }

    @Override
    public PropagationMode propagateTo() {
        return PropagationMode.DIRECT_DESCENDANTS;
    }

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
        String tries = System.getProperty(TRIES_PROPERTY, "").trim();
        if (!tries.isEmpty()) {
            context.attributes().setTries(Integer.parseInt(tries));
        }
        String seed = System.getProperty(SEED_PROPERTY, "").trim();
        if (!seed.isEmpty()) {
            context.attributes().setSeed(seed);
        }
        Tally tally = new Tally();
        current = tally;
        long start = System.nanoTime();
        PropertyExecutionResult result = property.execute();
        System.out.printf(java.util.Locale.ROOT,
                "fuzz summary: %s.%s: %s, tries %d, seed %s, %s, %.1f s (reproduce with -D%s=%s)%n",
                context.containerClass().getSimpleName(), context.targetMethod().getName(), tally,
                result.countTries(), result.seed().orElse("?"), result.status(),
                (System.nanoTime() - start) / 1e9, SEED_PROPERTY, result.seed().orElse("?"));
        return result;
    }

    /** Counts of one property's run. Thread-safe. */
    public static final class Tally {
        private final LongAdder requests = new LongAdder();
        private final LongAdder answers = new LongAdder();
        private final LongAdder errors = new LongAdder();
        private final LongAdder exceptions = new LongAdder();

        public void requests(int n) {
            requests.add(n);
        }

        public void answer(boolean error) {
            answers.increment();
            if (error) {
                errors.increment();
            }
        }

        public void exception() {
            exceptions.increment();
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "requests %d, answers %d, errors %d, exceptions %d",
                    requests.sum(), answers.sum(), errors.sum(), exceptions.sum());
        }
    }
}
